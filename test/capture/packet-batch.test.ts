// Packet batches (-w's fast path): a pcapng packet is handed over as a copy only when the writer
// would write the record the reader makes of it back as exactly its bytes. Written both ways, every
// capture must give the same file; every packet the encoder would normalise must come as a record.

import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { openCapture } from "../../capture/open.js";
import type { CopyCondition, PacketBatch } from "../../capture/packet-batch.js";
import { PcapngWriter } from "../../capture/pcapng-writer.js";
import { AttachedSource, Direction, RecordFlags, RecordKind, type VmbusRecord } from "../../capture/record.js";
import { encodeVmbusRecord } from "../../capture/vmbus-pseudo-header.js";
import { ByteBuilder, concatenate, enhancedPacket, interfaceDescription, sectionHeader, temporaryDirectory } from "./helpers.js";

const BASE_NS = 1_700_000_000_000_000_000n;
const GUID = Uint8Array.from({ length: 16 }, (_, index) => index + 1);

/** A ring packet with two chunks, whose descriptor states its length in 8-byte units. */
function ringPacket(seed: number): VmbusRecord {
  const payload = Uint8Array.from({ length: 40 }, (_, index) => (index * seed) & 0xff);
  payload.set([6, 0, 2, 0, 40 / 8, 0], 0);
  return {
    origin: { file: "", fileOffset: 0, number: 0 }, direction: seed % 2 === 0 ? Direction.GuestToHost : Direction.HostToGuest,
    kind: RecordKind.RingPacket, flags: RecordFlags.AttachedData, relid: 7, classGuid: GUID, payload,
    attached: [
      { source: AttachedSource.TransferPageRange, index: 1, offset: 64, data: Uint8Array.from({ length: 13 }, (_, index) => index + seed) },
      { source: AttachedSource.GpaRange, index: 0, offset: 0, data: new Uint8Array(8).fill(seed) },
    ],
  };
}

type Packet = { data: Uint8Array; direction?: Direction; comments?: string[]; originalLength?: number; copied: boolean };

/** The packet's bytes with some changed. */
function changed(seed: number, change: (bytes: Uint8Array, view: DataView) => Uint8Array | void): Uint8Array {
  const bytes = encodeVmbusRecord(ringPacket(seed));
  return change(bytes, new DataView(bytes.buffer)) ?? bytes;
}

/** Where the first chunk's header starts: pseudo-header and the 40-byte packet. */
const CHUNK = 28 + 40;

const PACKETS: Array<[string, Packet]> = [
  ["a ring packet as the encoder writes it", { data: encodeVmbusRecord(ringPacket(1)), copied: true }],
  ["its direction also in epb_flags", { data: encodeVmbusRecord(ringPacket(2)), direction: Direction.GuestToHost, copied: true }],
  ["epb_flags saying the other direction (the pseudo-header's stands)", { data: encodeVmbusRecord(ringPacket(3)), direction: Direction.GuestToHost, copied: true }],
  ["without attached data", { data: encodeVmbusRecord({ ...ringPacket(4), flags: 0, attached: [] }), copied: true }],
  ["truncated, with a larger original length", { data: encodeVmbusRecord({ ...ringPacket(5), flags: RecordFlags.AttachedData | RecordFlags.Truncated }), originalLength: 400, copied: true }],
  ["an original length below the captured one", { data: encodeVmbusRecord(ringPacket(6)), originalLength: 10, copied: true }],
  ["flag bits the contract does not define", { data: changed(7, (bytes) => void (bytes[5] |= 0x80)), copied: true }],
  ["direction unknown, no epb_flags", { data: changed(8, (bytes) => void (bytes[1] = 255)), copied: true }],
  ["direction unknown, epb_flags inbound", { data: changed(9, (bytes) => void (bytes[1] = 255)), direction: Direction.HostToGuest, copied: false }],
  ["an undefined direction", { data: changed(10, (bytes) => void (bytes[1] = 7)), copied: false }],
  ["pseudo-header version 2", { data: changed(11, (bytes) => void (bytes[0] = 2)), copied: false }],
  ["a 32-byte pseudo-header", { data: changed(12, (_, view) => view.setUint16(2, 32, true)), copied: false }],
  ["a reserved byte set", { data: changed(13, (bytes) => void (bytes[7] = 1)), copied: false }],
  ["a channel message", { data: encodeVmbusRecord({ ...ringPacket(14), kind: RecordKind.ChannelMessage, relid: 0, flags: 0, attached: [] }), copied: true }],
  ["a SynIC message", { data: encodeVmbusRecord({ ...ringPacket(24), kind: RecordKind.SynicMessage, relid: 0, flags: 0, attached: [] }), copied: true }],
  ["a channel message with the attached-data flag", { data: changed(25, (bytes) => void (bytes[4] = RecordKind.ChannelMessage)), copied: false }],
  ["kind 100, which is no pcapng kind", { data: changed(15, (bytes) => void (bytes[4] = 100)), copied: false }],
  ["the attached-data flag without chunks", { data: encodeVmbusRecord({ ...ringPacket(16), flags: 0, attached: [] }).map((byte, index) => (index === 5 ? RecordFlags.AttachedData : byte)), copied: false }],
  ["a chunk's reserved byte set", { data: changed(17, (bytes) => void (bytes[CHUNK + 1] = 1)), copied: false }],
  ["padding that is not zero", { data: changed(18, (bytes) => void (bytes[CHUNK + 12 + 13] = 1)), copied: false }],
  ["a chunk running past the packet", { data: changed(19, (_, view) => view.setUint32(CHUNK + 12 + 16 + 8, 9, true)), copied: false }],
  ["bytes too few for a chunk after the last", { data: changed(20, (bytes) => Uint8Array.from([...bytes, 0, 0, 0, 0])), copied: false }],
  ["a packet length past the packet", { data: changed(21, (_, view) => view.setUint16(28 + 4, 200, true)), copied: false }],
  ["shorter than a pseudo-header", { data: encodeVmbusRecord(ringPacket(22)).slice(0, 20), copied: false }],
  ["a comment", { data: encodeVmbusRecord(ringPacket(23)), comments: ["kept"], copied: false }],
];

/** Hand-built EPBs of copyable packets: is the block what the writer makes of it (PacketBatch.verbatimInterface)? */
const flagsOption = (flags: number, end = true) => {
  const options = new ByteBuilder().option(2, Uint8Array.of(flags & 0xff, (flags >>> 8) & 0xff, (flags >>> 16) & 0xff, flags >>> 24));
  return (end ? options.u32(0) : options).build();
};
const channelMessage = (direction: Direction, length = 12) =>
  encodeVmbusRecord({ direction, kind: RecordKind.ChannelMessage, flags: 0, relid: 0, payload: Uint8Array.from({ length }, (_, index) => index + 1), attached: [] });
const BLOCKS: Array<[string, { block: Uint8Array; verbatim: boolean }]> = [
  ["outbound, epb_flags outbound", { block: enhancedPacket(0, 1n, channelMessage(Direction.GuestToHost), flagsOption(2)), verbatim: true }],
  ["inbound, epb_flags inbound, data padded", { block: enhancedPacket(0, 2n, channelMessage(Direction.HostToGuest, 9), flagsOption(1)), verbatim: true }],
  ["direction unknown, no options", { block: enhancedPacket(0, 3n, channelMessage(Direction.Unknown), new Uint8Array(0)), verbatim: true }],
  ["a larger original length", { block: enhancedPacket(0, 4n, channelMessage(Direction.GuestToHost), flagsOption(2), true, 500), verbatim: true }],
  ["outbound, no epb_flags (the writer adds them)", { block: enhancedPacket(0, 5n, channelMessage(Direction.GuestToHost), new Uint8Array(0)), verbatim: false }],
  ["epb_flags with more bits", { block: enhancedPacket(0, 6n, channelMessage(Direction.GuestToHost), flagsOption(0x10002)), verbatim: false }],
  ["another option after epb_flags", { block: enhancedPacket(0, 7n, channelMessage(Direction.GuestToHost), new ByteBuilder().bytes(flagsOption(2, false)).option(4, new Uint8Array(8)).u32(0).build()), verbatim: false }],
  ["epb_flags without opt_endofopt", { block: enhancedPacket(0, 8n, channelMessage(Direction.GuestToHost), flagsOption(2, false)), verbatim: false }],
  ["padding that is not zero", { block: enhancedPacket(0, 9n, channelMessage(Direction.GuestToHost, 9), flagsOption(2)).map((byte, index) => (index === 28 + 28 + 9 ? 7 : byte)), verbatim: false }],
  ["an original length below the captured one", { block: enhancedPacket(0, 10n, channelMessage(Direction.GuestToHost), flagsOption(2), true, 3), verbatim: false }],
];

async function writeCapture(path: string, tsresol: 7 | 9): Promise<void> {
  const writer = await PcapngWriter.create(path, { userAppl: "packet-batch test", tsresol });
  writer.addInterface(147, "vmbus/7");
  for (const [index, [, packet]] of PACKETS.entries()) {
    await writer.writePacket(0, BASE_NS + BigInt(index) * 1_000_000n, packet.data, packet.originalLength, { direction: packet.direction, comments: packet.comments });
  }
  await writer.close();
}

const writeCopied = (writer: PcapngWriter, batch: PacketBatch, index: number) => writer.appendCopiedPacket(0, batch, index);

/** Writes every record (and with copies, every copy) to one interface; returns the file and which packets came as copies. */
async function rewrite(input: string, output: string, copy?: CopyCondition, writeCopy = writeCopied): Promise<{ bytes: Buffer; copied: boolean[] }> {
  const capture = await openCapture(input);
  const writer = await PcapngWriter.create(output, { userAppl: "packet-batch test" });
  writer.addInterface(147, "vmbus/7");
  const copied: boolean[] = [];
  const written = (record: VmbusRecord) => (record.kind === RecordKind.RingHeader ? undefined : writer.appendVmbusRecord(0, record));
  try {
    if (!copy) for await (const batch of capture.batches) for (const record of batch) (copied.push(false), written(record));
    else {
      for await (const batch of capture.packetBatches!(copy)) {
        for (let index = 0; index < batch.length; index++) {
          const record = batch.records[index];
          copied.push(record === undefined);
          if (record) written(record);
          else writeCopy(writer, batch, index);
        }
      }
    }
  } finally {
    await capture.close();
    await writer.close();
  }
  return { bytes: readFileSync(output), copied };
}

describe("packet batches", () => {
  const directory = temporaryDirectory();
  const everyPacket: CopyCondition = { tsresol: 7, copies: () => true };

  it("copy exactly the packets the encoder writes back as they are, and the file is the same", async () => {
    const input = join(directory, "packets.pcapng");
    await writeCapture(input, 7);
    const decoded = await rewrite(input, join(directory, "decoded.pcapng"));
    const copied = await rewrite(input, join(directory, "copied.pcapng"), everyPacket);
    assert.deepEqual(
      PACKETS.map(([name], index) => [name, copied.copied[index]]),
      PACKETS.map(([name, packet]) => [name, packet.copied]),
    );
    assert.ok(copied.bytes.equals(decoded.bytes), "the same file both ways");
  });

  it("copy nothing from interfaces in other units, nor what the condition refuses", async () => {
    const input = join(directory, "nanoseconds.pcapng");
    await writeCapture(input, 9);
    assert.ok(!(await rewrite(input, join(directory, "other-units.pcapng"), everyPacket)).copied.includes(true));
    const refused = await rewrite(join(directory, "packets.pcapng"), join(directory, "refused.pcapng"), { tsresol: 7, copies: (_, relid) => relid !== 7 && relid !== 0 });
    assert.ok(!refused.copied.includes(true));
  });

  it("mark the blocks the writer writes as they are, and copying those whole gives the same file", async () => {
    const input = join(directory, "blocks.pcapng");
    const tsresol7 = new ByteBuilder().option(9, Uint8Array.of(7)).u32(0).build();
    writeFileSync(input, concatenate(sectionHeader(), interfaceDescription(147, 0, tsresol7), ...BLOCKS.map(([, { block }]) => block)));
    const decoded = await rewrite(input, join(directory, "blocks-decoded.pcapng"));
    const verbatim: boolean[] = [];
    const whole = await rewrite(input, join(directory, "blocks-whole.pcapng"), everyPacket, (writer, batch, index) => {
      verbatim.push(batch.verbatimInterface[index] === 0);
      if (batch.verbatimInterface[index] !== 0) return writer.appendCopiedPacket(0, batch, index);
      writer.appendBlocks(batch.bytes, batch.blockStart[index], batch.blockStart[index] + batch.blockLength[index]);
    });
    assert.deepEqual(whole.copied, BLOCKS.map(() => true));
    assert.deepEqual(BLOCKS.map(([name], index) => [name, verbatim[index]]), BLOCKS.map(([name, { verbatim }]) => [name, verbatim]));
    assert.ok(whole.bytes.equals(decoded.bytes), "the same file both ways");
  });
});
