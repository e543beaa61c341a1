// -w alone copies records without dissecting them (only offers are, to name the channels): it must
// write exactly the bytes the dissecting path writes, which a display filter keeping every record
// (-Y vmbus) forces, and tshark must read what it writes.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { PcapngWriter } from "../../capture/pcapng-writer.js";
import { Direction, RecordKind, type VmbusRecord } from "../../capture/record.js";
import { encodeVmbusRecord } from "../../capture/vmbus-pseudo-header.js";
import { repeatedSamples, sampleRecords, writeCapture } from "./captures.js";
import { lines, sample, temporaryDirectory, tool, vmbusDissect } from "./run-cli.js";

const CONNECTION = sample("vm-connect.pcapng");

const INPUTS: Array<[string, string[]]> = [
  ...["vm-connect", "network", "storage", "sockets", "pci-memory", "input-video", "integration-services"].map((name): [string, string[]] => [
    `${name}.pcapng`,
    [sample(`${name}.pcapng`)],
  ]),
  ["a network ring pair and its receive buffer", [sample("netvsc-ring-pair.bin"), "--history", "--recv-buffer", sample("netvsc-recv-buffer.bin")]],
  ["a network ring and its send buffer", [sample("netvsc-ring.bin"), "--history", "--send-buffer", sample("netvsc-send-buffer.bin")]],
  ["a storage ring pair and guest memory", [sample("storvsc-ring-pair.bin"), "--history", "--guest-memory", sample("storvsc-guest-memory.bin")]],
  ["a ring pair whose device is recognised", [sample("kvp-ring-pair.bin")]],
  ["a ring pair with --device and --relid", [sample("storvsc-ring-pair.bin"), "--device", "storvsc", "--relid", "9"]],
  ["the first 7 records (-c)", [CONNECTION, "-c", "7"]],
  ["another link type", [CONNECTION, "--link-type", "150"]],
];

interface Written {
  bytes: Buffer;
  stderr: string;
}

/** -w without and with a filter that keeps every record; standard error with the output's name taken out. */
function writeBothWays(directory: string, args: string[]): { copied: Written; dissected: Written } {
  const write = (name: string, extra: string[]): Written => {
    const output = join(directory, name);
    const run = vmbusDissect([...args, ...extra, "-w", output]);
    assert.equal(run.status, 0, run.stderr);
    return { bytes: readFileSync(output), stderr: run.stderr.replaceAll(output, "OUTPUT") };
  };
  return { copied: write("copied.pcapng", []), dissected: write("dissected.pcapng", ["-Y", "vmbus"]) };
}

describe("-w without dissecting", () => {
  const directory = temporaryDirectory();
  // Enough packets per channel that most of them go as copies (a channel's first batch comes as records).
  const repeated = repeatedSamples(directory, "repeated.pcapng", ["vm-connect.pcapng", "network.pcapng", "storage.pcapng", "sockets.pcapng"], 1 << 20);
  const largePackets = writeCapture(directory, "large.pcapng", ringPackets(600, 8192));
  const withoutFlags = writeWithoutFlags(join(directory, "without-flags.pcapng"), ringPackets(30_000, 96));
  const inputs: Array<[string, () => Promise<string[]>]> = [
    ...INPUTS.map(([name, args]): [string, () => Promise<string[]>] => [name, async () => args]),
    ["the samples repeated: most packets copied", async () => [await repeated]],
    ["the samples repeated, stopped among the copies (-c)", async () => [await repeated, "-c", "3001"]],
    // A batch of 8 KiB packets is about one write (1 MiB): whole runs of blocks, the buffer full after each.
    ["8 KiB packets, copied in runs of whole blocks", async () => [await largePackets]],
    // Without epb_flags each copy gets a new header, 12 bytes longer, and records come between the
    // copies: the buffer fills among a run of copies, and the rest of the run waits for the flush.
    ["small packets without epb_flags, copied one by one between records", async () => [await withoutFlags]],
  ];

  for (const [name, argsOf] of inputs) {
    it(`writes the bytes of the dissecting path, which tshark reads: ${name}`, async () => {
      const { copied, dissected } = writeBothWays(directory, await argsOf());
      assert.ok(copied.bytes.equals(dissected.bytes), "the same pcapng both ways");
      assert.equal(copied.stderr, dissected.stderr);
      const tshark = tool("tshark", ["-r", join(directory, "copied.pcapng")]);
      assert.equal(tshark.status, 0, tshark.stderr);
      assert.ok(enhancedPackets(copied.bytes) > 0);
      assert.equal(lines(tshark.stdout).length, enhancedPackets(copied.bytes));
    });
  }
});

describe("-w without dissecting names channels from the offers seen so far", async () => {
  const directory = temporaryDirectory();
  const connection = await sampleRecords("vm-connect.pcapng");
  const offers = connection.filter((record) => record.kind === RecordKind.ChannelMessage && u32(record.payload, 0) === 1);
  const network = offers.find((offer) => className(offer) === "f8615163")!;
  const otherClass = offers.find((offer) => className(offer) !== "f8615163")!;
  const relid = u32(network.payload, CHILD_RELID);
  // The other class's offer, for the network channel's relid.
  const reoffer: VmbusRecord = { ...otherClass, payload: otherClass.payload.slice() };
  new DataView(reoffer.payload.buffer).setUint32(CHILD_RELID, relid, true);
  const ringPacket = (await sampleRecords("network.pcapng")).find((record) => record.kind === RecordKind.RingPacket)!;
  const packet: VmbusRecord = { ...ringPacket, relid, classGuid: undefined };

  const orders: Array<[string, VmbusRecord[], string]> = [
    ["an offer repeated after another one for the same relid", [network, reoffer, network, packet], "netvsc"],
    ["a repeated offer replaced by another", [network, network, reoffer, packet], className(otherClass)],
  ];
  for (const [name, records, expected] of orders) {
    it(name, async () => {
      const path = await writeCapture(directory, "offers.pcapng", records);
      const { copied, dissected } = writeBothWays(directory, [path]);
      assert.ok(copied.bytes.equals(dissected.bytes), "the same pcapng both ways");
      const info = tool("capinfos", [join(directory, "copied.pcapng")]).stdout;
      assert.match(info, new RegExp(`Name = vmbus/${relid}\\n\\s+Description = [^\\n]*${expected}`));
    });
  }
});

/**
 * The records as packets of one interface with no epb_flags (the writer adds them: no block is
 * copied whole), every tenth with a comment (it comes as a record, between runs of copies).
 */
async function writeWithoutFlags(path: string, records: readonly VmbusRecord[]): Promise<string> {
  const writer = await PcapngWriter.create(path, { userAppl: "vmbus-dissect tests" });
  const id = writer.addInterface(147, "vmbus/99");
  for (const [index, record] of records.entries()) {
    await writer.writePacket(id, record.timestampNs, encodeVmbusRecord(record), undefined, { comments: index % 10 === 0 ? ["a record"] : undefined });
  }
  await writer.close();
  return path;
}

/** In-band ring packets of a channel no offer names (their payload shown as bytes), each `size` bytes. */
function ringPackets(count: number, size: number): VmbusRecord[] {
  return Array.from({ length: count }, (_, index): VmbusRecord => {
    const payload = new Uint8Array(size).fill(index & 0xff);
    const view = new DataView(payload.buffer);
    view.setUint16(0, 6, true); // VM_PKT_DATA_INBAND
    view.setUint16(2, 2, true); // offset8: the 16-byte descriptor
    view.setUint16(4, size / 8, true); // len8: the whole packet
    view.setUint16(6, 0, true);
    view.setBigUint64(8, BigInt(index), true);
    return {
      origin: { file: "", fileOffset: 0, number: index + 1 }, direction: index % 2 === 0 ? Direction.GuestToHost : Direction.HostToGuest,
      kind: RecordKind.RingPacket, flags: 0, relid: 99, payload, attached: [], timestampNs: 1_700_000_000_000_000_000n + BigInt(index) * 1000n,
    };
  });
}

/** Where an offer's child_relid is: the 8-byte message header and the 176-byte channel offer before it. */
const CHILD_RELID = 184;

function u32(bytes: Uint8Array, at: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset + at, 4).getUint32(0, true);
}

/** The first word of an offer's interface type, as the GUID's text starts. */
function className(offer: VmbusRecord): string {
  return u32(offer.payload, 8).toString(16).padStart(8, "0");
}

/** EPBs in a little-endian single-section pcapng (as we write it). */
function enhancedPackets(file: Buffer): number {
  let count = 0;
  for (let at = 0; at < file.length; at += file.readUInt32LE(at + 4)) if (file.readUInt32LE(at) === 6) count++;
  return count;
}
