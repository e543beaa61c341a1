import { strict as assert } from "node:assert";
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";

import {
  bufferRandomAccess,
  describeRingLayout,
  fileRandomAccess,
  readRingDump,
  type RingDumpOptions,
} from "../../capture/ring-reader.js";
import { AttachedSource, CaptureError, Direction, RecordFlags, RecordKind, type VmbusRecord } from "../../capture/record.js";

// ---------------------------------------------------------------- hand-made dumps (core.md 2.1, 2.3, 3.1)

interface PacketSpec {
  type: number;
  offset8?: number;
  len8?: number;
  flags?: number;
  transId?: bigint;
  /** Bytes at offset 16 (the type-specific header). */
  typeHeader?: Uint8Array;
  /** Bytes at offset8 × 8. */
  body?: Uint8Array;
}

/** A packet: 16-byte descriptor, type-specific header, body, zero padding to len8 × 8. */
function packet(spec: PacketSpec): Uint8Array {
  const headerLength = spec.typeHeader?.length ?? 0;
  const offset8 = spec.offset8 ?? Math.ceil((16 + headerLength) / 8);
  const bodyLength = spec.body?.length ?? 0;
  const len8 = spec.len8 ?? offset8 + Math.ceil(bodyLength / 8);
  const bytes = new Uint8Array(Math.max(len8 * 8, offset8 * 8 + bodyLength, 16 + headerLength));
  const view = new DataView(bytes.buffer);
  view.setUint16(0, spec.type, true);
  view.setUint16(2, offset8, true);
  view.setUint16(4, len8, true);
  view.setUint16(6, spec.flags ?? 0, true);
  view.setBigUint64(8, spec.transId ?? 0n, true);
  if (spec.typeHeader) bytes.set(spec.typeHeader, 16);
  if (spec.body) bytes.set(spec.body, offset8 * 8);
  return bytes;
}

interface Placement {
  at: number;
  bytes: Uint8Array;
  /** Trailer override; "none" writes no trailer. Default: reserved 0, start = at. */
  trailer?: { reserved?: number; start?: number } | "none";
}

interface RingSpec {
  pageSize?: number;
  dataSize: number;
  writeIndex: number;
  readIndex: number;
  packets?: Placement[];
  /** Raw bytes placed in the data area with no trailer. */
  raw?: Array<{ at: number; bytes: Uint8Array }>;
}

function placeWrapped(data: Uint8Array, at: number, bytes: Uint8Array): void {
  for (let index = 0; index < bytes.length; index++) data[(at + index) % data.length] = bytes[index]!;
}

function trailerBytes(reserved: number, start: number): Uint8Array {
  const bytes = new Uint8Array(8);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, reserved, true);
  view.setUint32(4, start, true);
  return bytes;
}

function ring(spec: RingSpec): Uint8Array {
  const pageSize = spec.pageSize ?? 4096;
  const bytes = new Uint8Array(pageSize + spec.dataSize);
  const header = new DataView(bytes.buffer);
  header.setUint32(0x00, spec.writeIndex, true);
  header.setUint32(0x04, spec.readIndex, true);
  header.setUint32(0x40, 1, true);
  const data = bytes.subarray(pageSize);
  for (const placement of spec.packets ?? []) {
    placeWrapped(data, placement.at, placement.bytes);
    if (placement.trailer === "none") continue;
    const trailer = trailerBytes(placement.trailer?.reserved ?? 0, placement.trailer?.start ?? placement.at);
    placeWrapped(data, placement.at + placement.bytes.length, trailer);
  }
  for (const raw of spec.raw ?? []) placeWrapped(data, raw.at, raw.bytes);
  return bytes;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const result = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
  let at = 0;
  for (const part of parts) {
    result.set(part, at);
    at += part.length;
  }
  return result;
}

const filled = (length: number, first: number): Uint8Array => Uint8Array.from({ length }, (_, index) => (first + index) & 0xff);

const u32s = (...values: number[]): Uint8Array => {
  const bytes = new Uint8Array(values.length * 4);
  values.forEach((value, index) => new DataView(bytes.buffer).setUint32(index * 4, value, true));
  return bytes;
};

const u64 = (value: bigint): Uint8Array => {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, value, true);
  return bytes;
};

const read = (dump: Uint8Array, options: Partial<RingDumpOptions> = {}): VmbusRecord[] => [
  ...readRingDump(dump, { file: "dump.bin", ...options }),
];

const packetsOf = (records: VmbusRecord[]) => records.filter((record) => record.kind === RecordKind.RingPacket);

function readUntilError(dump: Uint8Array, options: Partial<RingDumpOptions>): { records: VmbusRecord[]; error: unknown } {
  const records: VmbusRecord[] = [];
  try {
    for (const record of readRingDump(dump, { file: "dump.bin", ...options })) records.push(record);
  } catch (error) {
    return { records, error };
  }
  return { records, error: undefined };
}

function assertCaptureError(error: unknown, offset: number, pattern: RegExp): void {
  assert.ok(error instanceof CaptureError, `expected a CaptureError, got ${String(error)}`);
  assert.equal(error.offset, offset);
  assert.match(error.reason, pattern);
}

// ---------------------------------------------------------------- tests

describe("readRingDump: a single ring", () => {
  const first = packet({ type: 0x6, flags: 1, transId: 7n, body: filled(16, 0xa0) });
  const second = packet({ type: 0xb, transId: 7n });
  const dump = ring({
    dataSize: 4096,
    readIndex: 0,
    writeIndex: 64,
    packets: [
      { at: 0, bytes: first },
      { at: 40, bytes: second },
    ],
  });

  it("yields the header record, then the pending packets in order", () => {
    const records = read(dump, { direction: Direction.HostToGuest });
    assert.equal(records.length, 3);
    const [header, one, two] = records as [VmbusRecord, VmbusRecord, VmbusRecord];
    assert.equal(header.kind, RecordKind.RingHeader);
    assert.equal(header.payload.length, 128);
    assert.deepEqual(header.payload, dump.subarray(0, 128));
    assert.deepEqual(header.ring, { index: 0, dataSize: 4096, offset: 0 });
    assert.equal(header.origin.note, "ring 0 header (host→guest)");
    assert.deepEqual(one.payload, first);
    assert.deepEqual(two.payload, second);
    assert.deepEqual(one.ring, { index: 0, dataSize: 4096, offset: 0 });
    assert.deepEqual(two.ring, { index: 0, dataSize: 4096, offset: 40 });
    assert.deepEqual(
      records.map((record) => [record.origin.number, record.origin.fileOffset, record.origin.note]),
      [
        [1, 0, "ring 0 header (host→guest)"],
        [2, 4096, "pending"],
        [3, 4096 + 40, "pending"],
      ],
    );
    for (const record of [one, two]) {
      assert.equal(record.kind, RecordKind.RingPacket);
      assert.equal(record.direction, Direction.HostToGuest);
      assert.equal(record.relid, 0);
      assert.equal(record.flags, 0);
      assert.equal(record.readerProblems, undefined);
      assert.deepEqual(record.attached, []);
    }
  });

  it("says a single ring's direction is unknown unless told", () => {
    const records = read(dump);
    assert.ok(records.every((record) => record.direction === Direction.Unknown));
    assert.match(records[0]!.origin.note!, /direction unknown/);
  });

  it("copies payloads, so the records do not alias the dump", () => {
    const records = read(dump);
    records[1]!.payload[0] = 0xff;
    assert.equal(dump[4096], 0x6);
  });

  it("decodes the core.md 3.7 worked example descriptor", () => {
    const example = Uint8Array.from([0x06, 0x00, 0x02, 0x00, 0x04, 0x00, 0x01, 0x00, 0x2a, 0, 0, 0, 0, 0, 0, 0]);
    const whole = concat(example, filled(16, 0x10));
    const following = packet({ type: 0xb });
    const exampleDump = ring({
      dataSize: 4096,
      readIndex: 0,
      writeIndex: 40 + 24,
      packets: [
        { at: 0, bytes: whole },
        { at: 40, bytes: following },
      ],
    });
    const [example1, next] = packetsOf(read(exampleDump)) as [VmbusRecord, VmbusRecord];
    const view = new DataView(example1.payload.buffer, example1.payload.byteOffset);
    assert.equal(view.getUint16(0, true), 0x6, "in-band");
    assert.equal(view.getUint16(2, true) * 8, 16, "payload at +16");
    assert.equal(example1.payload.length, 32, "total 32 bytes");
    assert.equal(view.getUint16(6, true) & 1, 1, "completion requested");
    assert.equal(view.getBigUint64(8, true), 42n, "trans_id 42");
    assert.deepEqual(example1.payload.subarray(16), filled(16, 0x10));
    assert.equal(example1.readerProblems, undefined, "trailer 00 00 00 00 <start> accepted");
    assert.equal(next.ring!.offset, 40, "next packet starts after len8 × 8 + 8");
  });
});

describe("readRingDump: wrap-around", () => {
  it("unwraps a packet that straddles the end of the data area", () => {
    const straddling = packet({ type: 0x6, body: filled(32, 0x30) });
    const after = packet({ type: 0x6, body: filled(16, 0x80) });
    const dump = ring({
      dataSize: 4096,
      readIndex: 4064,
      writeIndex: 56 + 8,
      packets: [
        { at: 4064, bytes: straddling },
        { at: 24, bytes: after },
      ],
    });
    const [one, two] = packetsOf(read(dump)) as [VmbusRecord, VmbusRecord];
    assert.equal(straddling.length, 48);
    assert.deepEqual(one.payload, straddling);
    assert.equal(one.origin.fileOffset, 4096 + 4064);
    assert.equal(one.readerProblems, undefined, "trailer at data offset 16 found");
    assert.deepEqual(two.payload, after);
    assert.equal(two.ring!.offset, 24);
  });

  it("finds the trailer wrapped to offset 0 when a packet ends exactly at the data end", () => {
    const atEnd = packet({ type: 0x6, body: filled(16, 0x50) });
    const after = packet({ type: 0xb });
    const dump = ring({
      dataSize: 4096,
      readIndex: 4064,
      writeIndex: 8 + 24,
      packets: [
        { at: 4064, bytes: atEnd },
        { at: 8, bytes: after },
      ],
    });
    const records = packetsOf(read(dump));
    assert.equal(records.length, 2);
    assert.equal(records[0]!.readerProblems, undefined);
    assert.deepEqual(records[0]!.payload, atEnd);
    assert.equal(records[1]!.ring!.offset, 8);
  });

  it("works with an 8192-byte header page and a 12288-byte (not power of two) data area", () => {
    const straddling = packet({ type: 0x6, body: filled(24, 0x11) });
    const dump = ring({
      pageSize: 8192,
      dataSize: 12288,
      readIndex: 12288 - 16,
      writeIndex: 32,
      packets: [{ at: 12288 - 16, bytes: straddling }],
    });
    const layout = describeRingLayout(dump, { file: "dump.bin", pageSize: 8192 });
    assert.equal(layout.layout, "single");
    assert.deepEqual(layout.rings, [{ index: 0, fileOffset: 0, headerSize: 8192, dataSize: 12288, writeIndex: 32, readIndex: 12272 }]);
    const records = read(dump, { pageSize: 8192 });
    assert.equal(records[0]!.ring!.dataSize, 12288);
    const [only] = packetsOf(records) as [VmbusRecord];
    assert.deepEqual(only.payload, straddling);
    assert.equal(only.origin.fileOffset, 8192 + 12272);
    assert.equal(only.readerProblems, undefined);
  });
});

describe("readRingDump: history", () => {
  it("recovers consumed packets oldest first and stops at the zeros of a never-wrapped ring", () => {
    const a = packet({ type: 0x6, transId: 1n, body: filled(16, 1) });
    const b = packet({ type: 0xb, transId: 2n, body: filled(8, 2) });
    const c = packet({ type: 0x6, transId: 3n, body: filled(16, 3) });
    const d = packet({ type: 0x6, transId: 4n, body: filled(16, 4) });
    const dump = ring({
      dataSize: 4096,
      readIndex: 112,
      writeIndex: 152,
      packets: [
        { at: 0, bytes: a },
        { at: 40, bytes: b },
        { at: 72, bytes: c },
        { at: 112, bytes: d },
      ],
    });
    const records = read(dump, { history: true });
    assert.deepEqual(
      records.map((record) => [record.kind, record.ring!.offset, record.flags, record.origin.note, record.origin.number]),
      [
        [RecordKind.RingHeader, 0, 0, "ring 0 header (direction unknown)", 1],
        [RecordKind.RingPacket, 0, RecordFlags.Recovered, "recovered", 2],
        [RecordKind.RingPacket, 40, RecordFlags.Recovered, "recovered", 3],
        [RecordKind.RingPacket, 72, RecordFlags.Recovered, "recovered", 4],
        [RecordKind.RingPacket, 112, 0, "pending", 5],
      ],
    );
    assert.deepEqual(records[1]!.payload, a);
    assert.deepEqual(records[2]!.payload, b);
    assert.deepEqual(records[3]!.payload, c);
  });

  it("recovers nothing without the history option", () => {
    const a = packet({ type: 0x6, body: filled(16, 1) });
    const dump = ring({ dataSize: 4096, readIndex: 40, writeIndex: 40, packets: [{ at: 0, bytes: a }] });
    assert.equal(read(dump).length, 1);
    assert.equal(read(dump, { history: true }).length, 2);
  });

  it("stops before a walk would cross write_index into overwritten bytes", () => {
    // Data area of 256 bytes. Pending: X at 200 (wraps to 0), Y at 0..40, W = 48.
    // Stale: 48..200 holding C1, C2, C3; before C1 a trailer names start 16, which lies in Y's
    // bytes (overwritten). Y's payload is made to look like a sane descriptor there so that only
    // the write_index rule can stop the walk.
    const fakeDescriptor = packet({ type: 0x6, len8: 7 }).subarray(0, 16);
    const y = packet({ type: 0x6, body: concat(fakeDescriptor, filled(8, 0x77)) });
    const x = packet({ type: 0x6, body: filled(32, 0x58) });
    const consumed = (n: number) => packet({ type: 0x6, transId: BigInt(n), body: filled(16, n) });
    const dump = ring({
      dataSize: 256,
      readIndex: 200,
      writeIndex: 48,
      packets: [
        { at: 80, bytes: consumed(1) },
        { at: 120, bytes: consumed(2) },
        { at: 160, bytes: consumed(3) },
        { at: 200, bytes: x },
        { at: 0, bytes: y },
      ],
      raw: [{ at: 72, bytes: trailerBytes(0, 16) }],
    });
    assert.equal(y.length, 40);
    assert.equal(x.length, 48);
    const records = packetsOf(read(dump, { history: true }));
    assert.deepEqual(
      records.map((record) => [record.ring!.offset, record.flags]),
      [
        [80, RecordFlags.Recovered],
        [120, RecordFlags.Recovered],
        [160, RecordFlags.Recovered],
        [200, 0],
        [0, 0],
      ],
    );
  });

  it("walks back across the end of the data area", () => {
    const old = packet({ type: 0x6, body: filled(8, 0x44) });
    const pending = packet({ type: 0xb });
    const dump = ring({
      dataSize: 256,
      readIndex: 16,
      writeIndex: 40,
      packets: [
        { at: 240, bytes: old },
        { at: 16, bytes: pending },
      ],
    });
    const records = packetsOf(read(dump, { history: true }));
    assert.equal(records.length, 2);
    assert.equal(records[0]!.ring!.offset, 240);
    assert.equal(records[0]!.flags, RecordFlags.Recovered);
    assert.deepEqual(records[0]!.payload, old);
  });

  it("stops at a trailer whose descriptor does not fit or whose reserved word is not zero", () => {
    const a = packet({ type: 0x6, body: filled(16, 1) });
    const b = packet({ type: 0x6, body: filled(16, 2) });
    const badLength = ring({
      dataSize: 4096,
      readIndex: 80,
      writeIndex: 80,
      packets: [
        { at: 0, bytes: a },
        { at: 40, bytes: b, trailer: { start: 32 } },
      ],
    });
    assert.equal(packetsOf(read(badLength, { history: true })).length, 0);
    const badReserved = ring({
      dataSize: 4096,
      readIndex: 80,
      writeIndex: 80,
      packets: [
        { at: 0, bytes: a },
        { at: 40, bytes: b, trailer: { reserved: 1 } },
      ],
    });
    assert.equal(packetsOf(read(badReserved, { history: true })).length, 0);
  });
});

describe("readRingDump: a ring pair", () => {
  const outbound = packet({ type: 0x6, flags: 1, transId: 9n, body: filled(8, 0x0a) });
  const inbound = packet({ type: 0xb, transId: 9n, body: filled(8, 0x0b) });
  const guestToHost = ring({ dataSize: 4096, readIndex: 0, writeIndex: 32, packets: [{ at: 0, bytes: outbound }] });
  const hostToGuest = ring({ dataSize: 4096, readIndex: 64, writeIndex: 96, packets: [{ at: 64, bytes: inbound }] });
  const dump = concat(guestToHost, hostToGuest);

  it("detects the pair and reads the outbound ring first", () => {
    const layout = describeRingLayout(dump, { file: "dump.bin" });
    assert.equal(layout.layout, "pair");
    assert.match(layout.reason, /both halves/);
    assert.deepEqual(
      layout.rings.map((ring) => [ring.index, ring.fileOffset, ring.dataSize]),
      [
        [0, 0, 4096],
        [1, 8192, 4096],
      ],
    );
    const records = read(dump, { direction: Direction.Unknown });
    assert.deepEqual(
      records.map((record) => [record.kind, record.direction, record.ring!.index, record.origin.fileOffset, record.origin.number]),
      [
        [RecordKind.RingHeader, Direction.GuestToHost, 0, 0, 1],
        [RecordKind.RingPacket, Direction.GuestToHost, 0, 4096, 2],
        [RecordKind.RingHeader, Direction.HostToGuest, 1, 8192, 3],
        [RecordKind.RingPacket, Direction.HostToGuest, 1, 8192 + 4096 + 64, 4],
      ],
    );
    assert.equal(records[0]!.origin.note, "ring 0 header (guest→host)");
    assert.equal(records[2]!.origin.note, "ring 1 header (host→guest)");
    assert.deepEqual(records[1]!.payload, outbound);
    assert.deepEqual(records[3]!.payload, inbound);
  });

  it("splits unequal rings at the given page", () => {
    const bigger = ring({ dataSize: 8192, readIndex: 0, writeIndex: 32, packets: [{ at: 0, bytes: outbound }] });
    const unequal = concat(bigger, hostToGuest);
    const layout = describeRingLayout(unequal, { file: "dump.bin", secondRingPage: 3 });
    assert.equal(layout.layout, "pair");
    assert.deepEqual(
      layout.rings.map((ring) => [ring.fileOffset, ring.dataSize]),
      [
        [0, 8192],
        [12288, 4096],
      ],
    );
    const records = read(unequal, { secondRingPage: 3 });
    assert.equal(records[2]!.ring!.dataSize, 4096);
    assert.equal(records[3]!.origin.fileOffset, 12288 + 4096 + 64);
  });

  it("falls back to a single ring when the second half is no ring header, and says why", () => {
    const single = ring({
      dataSize: 12288,
      readIndex: 0,
      writeIndex: 32,
      packets: [{ at: 0, bytes: outbound }],
      raw: [{ at: 4096, bytes: u32s(0x13, 0) }],
    });
    const layout = describeRingLayout(single, { file: "dump.bin" });
    assert.equal(layout.layout, "single");
    assert.match(layout.reason, /ring 1 .*write_index 0x13/);
    assert.equal(read(single).length, 2);
  });

  it("is not a pair when a half's packet at read_index has an impossible descriptor", () => {
    const garbage = ring({ dataSize: 4096, readIndex: 0, writeIndex: 32, raw: [{ at: 0, bytes: u32s(0x00010006, 0x7) }] });
    const layout = describeRingLayout(concat(garbage, hostToGuest), { file: "dump.bin" });
    assert.equal(layout.layout, "single");
    assert.match(layout.reason, /ring 0 at 0: .*offset8 1 is below 2/);
  });

  it("takes an all-zero second header page for the middle of one ring, and says so", () => {
    const zeroSecondHalf = concat(guestToHost, new Uint8Array(8192));
    const layout = describeRingLayout(zeroSecondHalf, { file: "dump.bin" });
    assert.equal(layout.layout, "single");
    assert.match(layout.reason, /all zero/);
    assert.equal(describeRingLayout(zeroSecondHalf, { file: "dump.bin", layout: "pair" }).layout, "pair");
  });

  it("forced pair: the first ring's records come before the second ring's error", () => {
    const broken = ring({ dataSize: 4096, readIndex: 12, writeIndex: 16 });
    const { records, error } = readUntilError(concat(guestToHost, broken), { layout: "pair" });
    assert.equal(records.length, 2);
    assertCaptureError(error, 8192 + 4, /read_index 0xc is not a multiple of 8/);
  });
});

describe("readRingDump: not a ring", () => {
  it("rejects a write_index beyond the data size with the field's offset", () => {
    const dump = ring({ dataSize: 4096, readIndex: 0, writeIndex: 4096 });
    const { records, error } = readUntilError(dump, {});
    assert.equal(records.length, 0);
    assertCaptureError(error, 0, /not a VMBus ring: write_index 0x1000 beyond data size 0x1000/);
    assertCaptureError(readUntilError(dump, { layout: "single" }).error, 0, /write_index 0x1000 beyond/);
  });

  it("rejects a misaligned read_index with the field's offset", () => {
    const dump = ring({ dataSize: 4096, readIndex: 20, writeIndex: 0 });
    assertCaptureError(readUntilError(dump, {}).error, 4, /read_index 0x14 is not a multiple of 8/);
  });

  it("rejects a dump smaller than a page and 8 bytes, and a page smaller than the header", () => {
    assertCaptureError(readUntilError(new Uint8Array(4100), {}).error, 0, /too small to be a ring/);
    assertCaptureError(readUntilError(new Uint8Array(8192), { pageSize: 64 }).error, 0, /page size 64/);
    assert.throws(() => describeRingLayout(new Uint8Array(100), { file: "x" }), CaptureError);
  });

  it("keeps a header record short when the page is shorter than 128 bytes", () => {
    const dump = ring({ pageSize: 0x44, dataSize: 256, readIndex: 0, writeIndex: 0 });
    const [header] = read(dump, { pageSize: 0x44, layout: "single" });
    assert.equal(header!.payload.length, 0x44);
  });
});

describe("readRingDump: framing problems", () => {
  const good = packet({ type: 0x6, body: filled(16, 0x61) });

  it("yields a truncated record with an error when len8 runs past the pending data, and stops", () => {
    const overlong = packet({ type: 0x6, len8: 100 }).subarray(0, 32);
    const dump = ring({
      dataSize: 4096,
      readIndex: 0,
      writeIndex: 72,
      packets: [
        { at: 0, bytes: good },
        { at: 40, bytes: overlong, trailer: "none" },
      ],
    });
    const records = packetsOf(read(dump));
    assert.equal(records.length, 2);
    assert.deepEqual(records[0]!.payload, good);
    assert.equal(records[0]!.flags, 0);
    const truncated = records[1]!;
    assert.equal(truncated.flags, RecordFlags.Truncated);
    assert.equal(truncated.payload.length, 32);
    assert.equal(truncated.originalLength, 800);
    assert.equal(truncated.readerProblems!.length, 1);
    const [problem] = truncated.readerProblems!;
    assert.equal(problem!.severity, "error");
    assert.equal(problem!.offset, 4);
    assert.match(problem!.text, /len8 100 .* runs past the 32 pending bytes/);
    assert.match(problem!.text, /stops/);
  });

  it("stops at a descriptor with offset8 below 2 or len8 below offset8", () => {
    for (const [bad, pattern] of [
      [packet({ type: 0x6, offset8: 1, len8: 4 }), /offset8 1 is below 2/],
      [packet({ type: 0x6, offset8: 3, len8: 2 }).subarray(0, 24), /len8 2 is below offset8 3/],
    ] as const) {
      const dump = ring({
        dataSize: 4096,
        readIndex: 0,
        writeIndex: 40 + 40,
        packets: [
          { at: 0, bytes: good },
          { at: 40, bytes: bad },
        ],
      });
      const records = packetsOf(read(dump));
      assert.equal(records.length, 2);
      assert.equal(records[1]!.flags, RecordFlags.Truncated);
      assert.match(records[1]!.readerProblems![0]!.text, pattern);
    }
  });

  it("yields the last bytes as truncated when fewer than a descriptor remain", () => {
    const dump = ring({ dataSize: 4096, readIndex: 0, writeIndex: 48, packets: [{ at: 0, bytes: good }] });
    const records = packetsOf(read(dump));
    assert.equal(records.length, 2);
    assert.equal(records[1]!.payload.length, 8);
    assert.match(records[1]!.readerProblems![0]!.text, /only 8 pending bytes/);
  });

  it("warns about a trailer that names the wrong start and reads on", () => {
    const dump = ring({
      dataSize: 4096,
      readIndex: 0,
      writeIndex: 80,
      packets: [
        { at: 0, bytes: good, trailer: { start: 8 } },
        { at: 40, bytes: good },
      ],
    });
    const records = packetsOf(read(dump));
    assert.equal(records.length, 2);
    assert.equal(records[0]!.flags, 0);
    assert.deepEqual(
      records[0]!.readerProblems!.map((problem) => problem.severity),
      ["warn"],
    );
    assert.match(records[0]!.readerProblems![0]!.text, /start 0x8/);
    assert.equal(records[1]!.readerProblems, undefined);
  });

  it("accepts packet types it does not know", () => {
    const odd = packet({ type: 0x77, body: filled(8, 1) });
    const dump = ring({ dataSize: 4096, readIndex: 0, writeIndex: 32, packets: [{ at: 0, bytes: odd }] });
    const [record] = packetsOf(read(dump));
    assert.deepEqual(record!.payload, odd);
    assert.equal(record!.readerProblems, undefined);
  });
});

describe("readRingDump: attached data", () => {
  const memory = filled(16 * 4096, 0).map((_, index) => (index * 7 + (index >> 12)) & 0xff);
  const single = (bytes: Uint8Array) =>
    ring({ dataSize: 4096, readIndex: 0, writeIndex: bytes.length + 8, packets: [{ at: 0, bytes }] });

  function transferPagePacket(rangeCount: number, ranges: Array<[number, number]>): Uint8Array {
    const typeHeader = concat(u32s(0x1234, rangeCount), ...ranges.map(([count, offset]) => u32s(count, offset)));
    return packet({ type: 0x7, flags: 1, typeHeader, body: filled(8, 0xee) });
  }

  function gpaDirectPacket(rangeCount: number, ranges: Uint8Array[]): Uint8Array {
    return packet({ type: 0x9, flags: 1, typeHeader: concat(u32s(0, rangeCount), ...ranges), body: filled(16, 0xdd) });
  }

  function gpaRange(byteCount: number, byteOffset: number, pfns: bigint[]): Uint8Array {
    return concat(u32s(byteCount, byteOffset), ...pfns.map(u64));
  }

  it("attaches transfer-page ranges from the receive buffer", () => {
    const bytes = transferPagePacket(2, [
      [100, 0x100],
      [50, 0x2000],
    ]);
    const [record] = packetsOf(read(single(bytes), { memory: { recvBuffer: bufferRandomAccess(memory) } }));
    assert.equal(record!.flags, RecordFlags.AttachedData);
    assert.deepEqual(record!.payload, bytes);
    assert.deepEqual(record!.attached, [
      { source: AttachedSource.TransferPageRange, index: 0, offset: 0, data: memory.slice(0x100, 0x100 + 100) },
      { source: AttachedSource.TransferPageRange, index: 1, offset: 0, data: memory.slice(0x2000, 0x2000 + 50) },
    ]);
    assert.equal(record!.readerProblems, undefined);
  });

  it("attaches nothing without the memory", () => {
    const bytes = transferPagePacket(1, [[100, 0]]);
    const [record] = packetsOf(read(single(bytes)));
    assert.equal(record!.flags, 0);
    assert.deepEqual(record!.attached, []);
  });

  it("clips a transfer-page range that runs past the receive buffer, with a warning", () => {
    const bytes = transferPagePacket(1, [[100, memory.length - 10]]);
    const [record] = packetsOf(read(single(bytes), { memory: { recvBuffer: bufferRandomAccess(memory) } }));
    assert.deepEqual(record!.attached[0]!.data, memory.slice(memory.length - 10));
    assert.equal(record!.readerProblems![0]!.severity, "warn");
    assert.match(record!.readerProblems![0]!.text, /runs past the 65536-byte receive buffer/);
  });

  it("caps a chunk at maxAttachedBytes", () => {
    const bytes = transferPagePacket(1, [[5000, 0]]);
    const [record] = packetsOf(read(single(bytes), { memory: { recvBuffer: bufferRandomAccess(memory) }, maxAttachedBytes: 1000 }));
    assert.equal(record!.attached[0]!.data.length, 1000);
    assert.equal(record!.readerProblems![0]!.severity, "note");
  });

  it("assembles a GPA range from two non-contiguous guest pages", () => {
    const bytes = gpaDirectPacket(2, [gpaRange(6000, 100, [7n, 3n]), gpaRange(10, 0, [12n])]);
    const [record] = packetsOf(read(single(bytes), { memory: { guestMemory: bufferRandomAccess(memory) } }));
    const expected = concat(memory.slice(7 * 4096 + 100, 8 * 4096), memory.slice(3 * 4096, 3 * 4096 + 6000 - 3996));
    assert.equal(record!.flags, RecordFlags.AttachedData);
    assert.deepEqual(record!.attached, [
      { source: AttachedSource.GpaRange, index: 0, offset: 0, data: expected },
      { source: AttachedSource.GpaRange, index: 1, offset: 0, data: memory.slice(12 * 4096, 12 * 4096 + 10) },
    ]);
    assert.equal(record!.readerProblems, undefined);
  });

  it("keeps what lies inside the guest memory image when a page is beyond it", () => {
    const bytes = gpaDirectPacket(1, [gpaRange(5000, 0, [2n, 0xffff_ffff_ffffn])]);
    const [record] = packetsOf(read(single(bytes), { memory: { guestMemory: bufferRandomAccess(memory) } }));
    assert.deepEqual(record!.attached[0]!.data, memory.slice(2 * 4096, 3 * 4096));
    assert.match(record!.readerProblems![0]!.text, /beyond the 65536-byte guest memory image/);
  });

  it("survives a range count of 0xFFFFFFFF in either packet type without a huge allocation", () => {
    const before = process.memoryUsage().arrayBuffers;
    const transfer = transferPagePacket(0xffff_ffff, [[16, 0]]);
    const [transferRecord] = packetsOf(read(single(transfer), { memory: { recvBuffer: bufferRandomAccess(memory) } }));
    assert.equal(transferRecord!.attached.length, 1);
    assert.match(transferRecord!.readerProblems![0]!.text, /range_cnt 4294967295 .* attaching the 1 that fit/);

    const gpa = gpaDirectPacket(0xffff_ffff, [gpaRange(16, 0, [1n])]);
    const [gpaRecord] = packetsOf(read(single(gpa), { memory: { guestMemory: bufferRandomAccess(memory) } }));
    assert.equal(gpaRecord!.attached.length, 1);
    assert.match(gpaRecord!.readerProblems![0]!.text, /range 1 of range_cnt 4294967295: .* runs past the type-specific header/);

    const hugeRange = gpaDirectPacket(1, [gpaRange(0xffff_ffff, 0, [1n])]);
    const [hugeRecord] = packetsOf(read(single(hugeRange), { memory: { guestMemory: bufferRandomAccess(memory) } }));
    assert.deepEqual(hugeRecord!.attached, []);
    assert.match(hugeRecord!.readerProblems![0]!.text, /its 1048576 page numbers runs past/);
    assert.ok(process.memoryUsage().arrayBuffers - before < 8 * 1024 * 1024);
  });

  it("notes that a recovered packet's attached bytes may have been reused", () => {
    const bytes = transferPagePacket(1, [[16, 0]]);
    const dump = ring({ dataSize: 4096, readIndex: bytes.length + 8, writeIndex: bytes.length + 8, packets: [{ at: 0, bytes }] });
    const [record] = packetsOf(read(dump, { history: true, memory: { recvBuffer: bufferRandomAccess(memory) } }));
    assert.equal(record!.flags, RecordFlags.Recovered | RecordFlags.AttachedData);
    assert.equal(record!.readerProblems![0]!.severity, "note");
  });
});

describe("random access", () => {
  it("reads a file by offset, short at the end, and reports open failures as CaptureError", () => {
    const directory = mkdtempSync(join(tmpdir(), "ring-reader-"));
    try {
      const path = join(directory, "memory.bin");
      writeFileSync(path, filled(10000, 0));
      const file = fileRandomAccess(path);
      assert.equal(file.size, 10000);
      assert.deepEqual(file.read(4096, 4), filled(4, 4096));
      assert.deepEqual(file.read(9998, 10), filled(2, 9998));
      assert.equal(file.read(20000, 10).length, 0);
      file.close();
      assert.throws(() => fileRandomAccess(join(directory, "missing.bin")), CaptureError);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it("reads past 4 GiB in a (sparse) file", () => {
    const directory = mkdtempSync(join(tmpdir(), "ring-reader-"));
    try {
      const path = join(directory, "sparse.bin");
      const far = 2 ** 32 + 4096;
      const descriptor = openSync(path, "w");
      writeSync(descriptor, filled(16, 0x40), 0, 16, far);
      closeSync(descriptor);
      const file = fileRandomAccess(path);
      assert.equal(file.size, far + 16);
      assert.deepEqual(file.read(far, 16), filled(16, 0x40));
      file.close();
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it("reads a buffer by offset, short at the end", () => {
    const buffer = bufferRandomAccess(filled(100, 0));
    assert.deepEqual(buffer.read(98, 10), filled(2, 98));
    assert.equal(buffer.read(200, 10).length, 0);
  });
});
