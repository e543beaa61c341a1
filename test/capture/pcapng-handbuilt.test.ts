// Hand-built pcapng that our writer never produces but other tools may: big-endian sections, SPB,
// obsolete packet blocks, unknown blocks, if_tsresol powers of two, if_tsoffset, other link types.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { newReaderStats, type OtherPacket } from "../../capture/pcapng-reader.js";
import { Direction, RecordKind } from "../../capture/record.js";
import { encodeVmbusRecord } from "../../capture/vmbus-pseudo-header.js";
import {
  ByteBuilder,
  concatenate,
  enhancedPacket,
  interfaceDescription,
  pcapngBlock,
  readFile,
  run,
  sectionHeader,
  temporaryDirectory,
} from "./helpers.js";

const directory = temporaryDirectory();
const text = (value: string) => new TextEncoder().encode(value);

function vmbusData(relid: number, direction = Direction.GuestToHost): Uint8Array {
  return encodeVmbusRecord({ direction, kind: RecordKind.ChannelMessage, flags: 0, relid, payload: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9), attached: [] });
}

function save(name: string, ...blocks: Uint8Array[]): string {
  const path = join(directory, name);
  writeFileSync(path, concatenate(...blocks));
  return path;
}

describe("hand-built pcapng", () => {
  test("a big-endian section is read like a little-endian one, and tshark agrees", async () => {
    const options = new ByteBuilder(false).option(2, text("vmbus")).option(9, Uint8Array.of(9)).u32(0).build();
    const epbOptions = new ByteBuilder(false).option(1, text("big")).option(2, Uint8Array.of(0, 0, 0, 1)).u32(0).build();
    const path = save(
      "big-endian.pcapng",
      sectionHeader(false),
      interfaceDescription(147, 0, options, false),
      enhancedPacket(0, 1_600_000_000_000_000_123n, vmbusData(9, Direction.Unknown), epbOptions, false),
    );
    const { records, error } = await readFile(path);
    assert.equal(error, undefined);
    assert.equal(records.length, 1);
    assert.equal(records[0].timestampNs, 1_600_000_000_000_000_123n);
    assert.equal(records[0].relid, 9);
    assert.equal(records[0].direction, Direction.HostToGuest, "unknown in the pseudo-header, inbound in epb_flags");
    assert.deepEqual(records[0].comments, ["big"]);
    assert.deepEqual(records[0].payload, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9));
    assert.equal(run("tshark", ["-r", path, "-T", "fields", "-e", "frame.time_epoch"]).trim(), "1600000000.000000123");
  });

  test("the pseudo-header direction wins over epb_flags", async () => {
    const outbound = new ByteBuilder().option(2, Uint8Array.of(2, 0, 0, 0)).u32(0).build();
    const path = save("direction.pcapng", sectionHeader(), interfaceDescription(147, 0, new Uint8Array(0)), enhancedPacket(0, 0n, vmbusData(1, Direction.HostToGuest), outbound));
    const { records } = await readFile(path);
    assert.equal(records[0].direction, Direction.HostToGuest);
  });

  test("a simple packet block is read with the IDB's snaplen and the block's original length", async () => {
    const data = vmbusData(3);
    const snaplen = 32;
    const spbBody = new ByteBuilder().u32(data.length).bytes(data.subarray(0, snaplen)).pad4().build();
    const path = save("spb.pcapng", sectionHeader(), interfaceDescription(147, snaplen, new Uint8Array(0)), pcapngBlock(3, spbBody));
    const { records, error } = await readFile(path);
    assert.equal(error, undefined);
    assert.equal(records.length, 1);
    assert.equal(records[0].timestampNs, undefined);
    assert.equal(records[0].payload.length, snaplen - 28);
    assert.equal(records[0].originalLength, data.length - 28, "the record counts payload bytes");
    assert.equal(records[0].interfaceId, 0);
    assert.match(records[0].readerProblems?.[0].text ?? "", /truncated flag is clear/);
  });

  test("an obsolete packet block (type 2) is read, pack_flags included", async () => {
    const data = vmbusData(4, Direction.Unknown);
    const options = new ByteBuilder().option(2, Uint8Array.of(2, 0, 0, 0)).u32(0).build();
    const body = new ByteBuilder().u16(0).u16(0).timestamp(5_000_001n).u32(data.length).u32(data.length).bytes(data).pad4().bytes(options).build();
    const path = save("obsolete.pcapng", sectionHeader(), interfaceDescription(147, 0, new Uint8Array(0)), pcapngBlock(2, body));
    const { records, error } = await readFile(path);
    assert.equal(error, undefined);
    assert.equal(records.length, 1);
    assert.equal(records[0].timestampNs, 5_000_001_000n, "default resolution is microseconds");
    assert.equal(records[0].relid, 4);
    assert.equal(records[0].direction, Direction.GuestToHost);
  });

  test("unknown, name-resolution, statistics and custom blocks are skipped", async () => {
    const stats = newReaderStats();
    const path = save(
      "skipped.pcapng",
      sectionHeader(),
      pcapngBlock(0x12345678, Uint8Array.of(1, 2, 3, 4)),
      interfaceDescription(147, 0, new Uint8Array(0)),
      pcapngBlock(4, new ByteBuilder().u16(0).u16(0).build()),
      enhancedPacket(0, 1n, vmbusData(1), new Uint8Array(0)),
      pcapngBlock(5, new ByteBuilder().u32(0).timestamp(0n).build()),
      pcapngBlock(0x40000bad, new ByteBuilder().u32(32473).bytes(text("opaque")).pad4().build()),
      enhancedPacket(0, 2n, vmbusData(2), new Uint8Array(0)),
    );
    const { records, error } = await readFile(path, { stats });
    assert.equal(error, undefined);
    assert.deepEqual(records.map((record) => record.relid), [1, 2]);
    assert.equal(stats.skippedBlocks, 4);
    assert.equal(stats.sections, 1);
  });

  test("if_tsresol as a power of two and if_tsoffset are honoured", async () => {
    const options = new ByteBuilder().option(9, Uint8Array.of(0x80 | 10)).option(14, new ByteBuilder().u64(1_000n).build()).u32(0).build();
    // 2^-10 s units: 3 * 1024 + 512 units = 3.5 s, plus the 1000 s offset.
    const path = save("tsresol.pcapng", sectionHeader(), interfaceDescription(147, 0, options), enhancedPacket(0, 3n * 1024n + 512n, vmbusData(1), new Uint8Array(0)));
    const { records } = await readFile(path);
    assert.equal(records[0].timestampNs, 1_003_500_000_000n);
    assert.equal(run("tshark", ["-r", path, "-T", "fields", "-e", "frame.time_epoch"]).trim(), "1003.500000000");
  });

  test("a decimal if_tsresol finer than nanoseconds is scaled down exactly", async () => {
    const options = new ByteBuilder().option(9, Uint8Array.of(12)).u32(0).build();
    const path = save("picoseconds.pcapng", sectionHeader(), interfaceDescription(147, 0, options), enhancedPacket(0, 1_234_567_890_123_456n, vmbusData(1), new Uint8Array(0)));
    const { records } = await readFile(path);
    assert.equal(records[0].timestampNs, 1_234_567_890_123n);
  });

  test("packets of other link types are counted and handed over, not yielded", async () => {
    const stats = newReaderStats();
    const others: OtherPacket[] = [];
    const path = save(
      "mixed.pcapng",
      sectionHeader(),
      interfaceDescription(1, 0, new Uint8Array(0)),
      interfaceDescription(150, 0, new Uint8Array(0)),
      enhancedPacket(0, 1n, new Uint8Array(60), new Uint8Array(0)),
      enhancedPacket(1, 2n, vmbusData(7), new Uint8Array(0)),
    );
    const { records } = await readFile(path, { stats, onOtherPacket: (packet) => others.push(packet) });
    assert.equal(records.length, 0, "150 is not a VMBus link type unless asked");
    assert.equal(stats.otherLinkTypePackets, 2);
    assert.equal(others[0].linkType, 1);
    assert.equal(others[0].data.length, 60);
    const asked = await readFile(path, { vmbusLinkTypes: new Set([150]) });
    assert.equal(asked.records.length, 1);
    assert.equal(asked.records[0].relid, 7);
    assert.equal(asked.records[0].linkType, 150);
    assert.equal(asked.records[0].interfaceId, 1);
  });

  test("a pseudo-header with extra header bytes has them skipped", async () => {
    const data = vmbusData(2);
    const longer = concatenate(data.subarray(0, 28), Uint8Array.of(0xee, 0xee, 0xee, 0xee), data.subarray(28));
    new DataView(longer.buffer).setUint16(2, 32, true);
    const path = save("longer-header.pcapng", sectionHeader(), interfaceDescription(147, 0, new Uint8Array(0)), enhancedPacket(0, 0n, longer, new Uint8Array(0)));
    const { records } = await readFile(path);
    assert.deepEqual(records[0].payload, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9));
    assert.equal(records[0].readerProblems, undefined);
  });

  test("a big-endian nanosecond pcap with FCS bits above the link type is read", async () => {
    const data = vmbusData(6, Direction.HostToGuest);
    const linkTypeWithFcs = (0x1 << 28) | (1 << 26) | 147;
    const header = new ByteBuilder(false).u32(0xa1b23c4d).u16(2).u16(4).u32(0).u32(0).u32(65535).u32(linkTypeWithFcs).build();
    const packet = new ByteBuilder(false).u32(1_700_000_000).u32(999_999_999).u32(data.length).u32(data.length + 10).bytes(data).build();
    const path = save("big-endian.pcap", header, packet);
    const { records, error } = await readFile(path);
    assert.equal(error, undefined);
    assert.equal(records.length, 1);
    assert.equal(records[0].linkType, 147);
    assert.equal(records[0].timestampNs, 1_700_000_000_999_999_999n);
    assert.equal(records[0].relid, 6);
    assert.equal(records[0].originalLength, data.length - 28 + 10);
    assert.equal(records[0].interfaceId, undefined);
    assert.equal(records[0].origin.fileOffset, 24);
  });
});
