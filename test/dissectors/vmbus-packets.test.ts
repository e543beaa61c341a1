// Ring packets (core.md 3.1-3.7) decoded from bytes written by hand from the reference tables.
// Frame offsets: pseudo-header 0..27, the 16-byte descriptor at 28 (type 28, offset8 30, len8 32,
// flags 34, trans_id 36), the type-specific header from 44.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { AttachedSource, RecordFlags } from "../../capture/record.js";
import { Dissector } from "../../dissectors/index.js";
import {
  Bytes, FRAME, errors, expectAbsent, expectBits, expectChildrenInside, expectClean, expectField, expectMalformedAt, expectNode,
  findAll, hex, node, packetRecord,
} from "./tree-helpers.js";

const decode = (payload: Uint8Array, options: Parameters<typeof packetRecord>[2] = {}) => new Dissector().dissect(packetRecord(3, payload, options));

/** A packet of len8 * 8 bytes with its descriptor written (core.md 3.1). */
function packet(type: number, offset8: number, len8: number, flags: number, transId: number | bigint): Bytes {
  return new Bytes(len8 * 8).u16(0, type).u16(2, offset8).u16(4, len8).u16(6, flags).u64(8, transId);
}

function expectDescriptor(d: ReturnType<typeof decode>, type: number, offset8: number, len8: number, flags: number, transId: number | bigint): void {
  expectField(d, "vmbus.kind", 2, 4, 1);
  expectField(d, "vmbus.relid", 3, 8, 4);
  expectField(d, "vmbus.pkt.type", type, 28, 2);
  expectField(d, "vmbus.pkt.offset8", offset8, 30, 2);
  expectField(d, "vmbus.pkt.len8", len8, 32, 2);
  expectField(d, "vmbus.pkt.flags", flags, 34, 2);
  expectBits(d, "vmbus.pkt.flags", { completion_requested: (flags & 1) !== 0 });
  expectField(d, "vmbus.pkt.trans_id", transId, 36, 8);
}

/** The payload went to the "data" layer (no device known) with exactly these bytes. */
function expectDataLayer(d: ReturnType<typeof decode>, offset: number, bytes: Uint8Array): void {
  const layer = d.layers.find((l) => l.field.filter === "data");
  assert.ok(layer, `no data layer; layers ${d.layers.map((l) => l.field.filter).join(",")}`);
  assert.equal(layer.offset, offset);
  assert.equal(layer.length, bytes.length);
  expectField(layer, "data.data", bytes, offset, bytes.length);
}

const legacyNote = (d: ReturnType<typeof decode>) => d.experts.find((e) => e.severity === "note" && /legacy/i.test(e.text));

describe("in-band (0x6): core.md 3.7 worked example", () => {
  test("descriptor bytes, completion requested, trans_id 42, 16 payload bytes to a data layer", () => {
    const payload = hex("00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff");
    const bytes = new Uint8Array([...hex("06 00 02 00 04 00 01 00 2a 00 00 00 00 00 00 00"), ...payload]);
    const d = decode(bytes);
    expectClean(d);
    expectChildrenInside(d);
    expectField(d, "vmbus.pkt", null, FRAME, 32);
    expectDescriptor(d, 6, 2, 4, 1, 42);
    assert.equal(node(d, "vmbus.pkt.type").field.values?.[6], "DataInBand");
    expectAbsent(d, "vmbus.pkt.gpa_direct_hdr");
    expectAbsent(d, "vmbus.pkt.xfer_hdr");
    assert.equal(d.layers[0].field.filter, "vmbus");
    assert.equal(d.layers[1].field.filter, "data");
    expectDataLayer(d, 44, payload);
    expectField(d.layers[1], "data.len", 16, 44, 0);
    assert.equal(d.device, undefined);
    assert.equal(legacyNote(d), undefined);
    // No device known: a note says why the payload is bytes.
    assert.ok(d.experts.some((e) => e.severity === "note" && e.offset === 44));
  });
});

describe("transfer-page packet (0x7)", () => {
  test("two ranges, payload after them", () => {
    const payload = hex("01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10");
    const bytes = packet(7, 5, 7, 1, 0x100)
      .u16(16, 0xcafe).u8(18, 1).u8(19, 0).u32(20, 2)
      .u32(24, 1514).u32(28, 0x0)
      .u32(32, 60).u32(36, 0x1800)
      .raw(40, payload).bytes;
    const d = decode(bytes, { direction: 1 });
    expectClean(d);
    expectChildrenInside(d);
    expectDescriptor(d, 7, 5, 7, 1, 0x100);
    expectField(d, "vmbus.pkt.xfer_hdr", null, 44, 24);
    expectField(d, "vmbus.pkt.xfer_pageset_id", 0xcafe, 44, 2);
    expectField(d, "vmbus.pkt.sender_owns_set", 1, 46, 1);
    expectField(d, "vmbus.pkt.reserved_u8", 0, 47, 1);
    expectField(d, "vmbus.pkt.range_count", 2, 48, 4);
    expectField(d, "vmbus.pkt.xfer_ranges", 2, 52, 16);
    const ranges = findAll(d, "vmbus.pkt.xfer.xfer_range");
    assert.equal(ranges.length, 2);
    expectNode(ranges[0], "vmbus.pkt.xfer.xfer_range", null, 52, 8);
    expectNode(ranges[1], "vmbus.pkt.xfer.xfer_range", null, 60, 8);
    const counts = findAll(d, "vmbus.pkt.xfer.byte_count");
    const offsets = findAll(d, "vmbus.pkt.xfer.byte_offset");
    expectNode(counts[0], "vmbus.pkt.xfer.byte_count", 1514, 52, 4);
    expectNode(offsets[0], "vmbus.pkt.xfer.byte_offset", 0, 56, 4);
    expectNode(counts[1], "vmbus.pkt.xfer.byte_count", 60, 60, 4);
    expectNode(offsets[1], "vmbus.pkt.xfer.byte_offset", 0x1800, 64, 4);
    expectDataLayer(d, 68, payload);
  });
});

describe("GPA-direct packet (0x9)", () => {
  test("two ranges of 1 and 2 PFNs: n = ceil((byte_offset + byte_count) / 4096)", () => {
    const payload = hex("de ad be ef 00 00 00 01");
    const bytes = packet(9, 8, 9, 1, 0xfffffffffffffffdn)
      .u32(16, 0xdeadbeef).u32(20, 2)
      .u32(24, 100).u32(28, 0x10).u64(32, 0xabc)                       // 0x10 + 100 < 4096: one PFN
      .u32(40, 4096).u32(44, 0x800).u64(48, 0x1000).u64(56, 0x123456789) // 0x800 + 4096 > 4096: two PFNs
      .raw(64, payload).bytes;
    const d = decode(bytes);
    expectClean(d);
    expectChildrenInside(d);
    expectDescriptor(d, 9, 8, 9, 1, 0xfffffffffffffffdn);
    expectField(d, "vmbus.pkt.gpa_direct_hdr", null, 44, 48);
    expectField(d, "vmbus.pkt.gpa_reserved", 0xdeadbeef, 44, 4);
    expectField(d, "vmbus.pkt.range_count", 2, 48, 4);
    expectField(d, "vmbus.pkt.gpa_ranges", 2, 52, 40);
    const ranges = findAll(d, "vmbus.gpa.range");
    assert.equal(ranges.length, 2);
    expectNode(ranges[0], "vmbus.gpa.range", null, 52, 16);
    expectNode(ranges[1], "vmbus.gpa.range", null, 68, 24);
    const counts = findAll(d, "vmbus.gpa.byte_count");
    const offsets = findAll(d, "vmbus.gpa.byte_offset");
    expectNode(counts[0], "vmbus.gpa.byte_count", 100, 52, 4);
    expectNode(offsets[0], "vmbus.gpa.byte_offset", 0x10, 56, 4);
    expectNode(counts[1], "vmbus.gpa.byte_count", 4096, 68, 4);
    expectNode(offsets[1], "vmbus.gpa.byte_offset", 0x800, 72, 4);
    const lists = findAll(d, "vmbus.gpa.pfns");
    expectNode(lists[0], "vmbus.gpa.pfns", 1, 60, 8);
    expectNode(lists[1], "vmbus.gpa.pfns", 2, 76, 16);
    const pfns = findAll(d, "vmbus.gpa.pfn");
    assert.equal(pfns.length, 3);
    expectNode(pfns[0], "vmbus.gpa.pfn", 0xabc, 60, 8);
    expectNode(pfns[1], "vmbus.gpa.pfn", 0x1000, 76, 8);
    expectNode(pfns[2], "vmbus.gpa.pfn", 0x123456789, 84, 8);
    expectDataLayer(d, 92, payload);
  });

  test("a range of exactly two pages (offset 0, 8192 bytes) has two PFNs, not three", () => {
    const bytes = packet(9, 6, 6, 1, 1).u32(16, 0).u32(20, 1).u32(24, 8192).u32(28, 0).u64(32, 7).u64(40, 8).bytes;
    const d = decode(bytes);
    expectClean(d);
    assert.equal(findAll(d, "vmbus.gpa.pfn").length, 2);
    expectField(d, "vmbus.gpa.pfns", 2, 60, 16);
  });
});

describe("completion (0xB)", () => {
  test("echoed trans_id, no type-specific header", () => {
    const bytes = packet(0xb, 2, 3, 0, 42).u32(16, 0x01020304).bytes;
    const d = decode(bytes, { direction: 1 });
    expectClean(d);
    expectDescriptor(d, 0xb, 2, 3, 0, 42);
    assert.equal(node(d, "vmbus.pkt.type").field.values?.[0xb], "Completion");
    expectDataLayer(d, 44, bytes.subarray(16, 24));
    assert.equal(legacyNote(d), undefined);
  });
});

describe("legacy packet types (Linux definitions only): decoded, with a note", () => {
  test("0x2 AddTransferPageSet and 0x3 RemoveTransferPageSet", () => {
    for (const type of [2, 3]) {
      const bytes = packet(type, 3, 4, 0, 5).u32(16, 0xe1e10).u16(20, 0x77).u16(22, 0).u64(24, 0x1122).bytes;
      const d = decode(bytes);
      expectClean(d);
      expectDescriptor(d, type, 3, 4, 0, 5);
      expectField(d, "vmbus.pkt.xfer_pageset_hdr", null, 44, 8);
      expectField(d, "vmbus.pkt.gpadl", 0xe1e10, 44, 4);
      expectField(d, "vmbus.pkt.xfer_pageset_id", 0x77, 48, 2);
      expectField(d, "vmbus.pkt.reserved_u16", 0, 50, 2);
      expectDataLayer(d, 52, bytes.subarray(24, 32));
      assert.ok(legacyNote(d), `type ${type}: ${JSON.stringify(d.experts)}`);
    }
  });

  test("0x4 EstablishGpadl with one range of two PFNs", () => {
    const bytes = packet(4, 6, 6, 0, 0).u32(16, 0xe1e11).u32(20, 1).u32(24, 8192).u32(28, 0).u64(32, 0x5000).u64(40, 0x5001).bytes;
    const d = decode(bytes);
    expectClean(d);
    expectField(d, "vmbus.pkt.establish_gpadl_hdr", null, 44, 32);
    expectField(d, "vmbus.pkt.gpadl", 0xe1e11, 44, 4);
    expectField(d, "vmbus.pkt.range_count", 1, 48, 4);
    expectField(d, "vmbus.gpa.byte_count", 8192, 52, 4);
    const pfns = findAll(d, "vmbus.gpa.pfn");
    expectNode(pfns[0], "vmbus.gpa.pfn", 0x5000, 60, 8);
    expectNode(pfns[1], "vmbus.gpa.pfn", 0x5001, 68, 8);
    assert.ok(legacyNote(d));
  });

  test("0x5 TeardownGpadl", () => {
    const d = decode(packet(5, 3, 3, 0, 0).u32(16, 0xe1e12).u32(20, 0).bytes);
    expectClean(d);
    expectField(d, "vmbus.pkt.teardown_gpadl_hdr", null, 44, 8);
    expectField(d, "vmbus.pkt.gpadl", 0xe1e12, 44, 4);
    expectField(d, "vmbus.pkt.reserved_u32", 0, 48, 4);
    assert.ok(legacyNote(d));
  });

  test("0x8 DataUsingGpadl", () => {
    const bytes = packet(8, 3, 4, 1, 9).u32(16, 0xe1e13).u32(20, 0).fill(24, 8, 0x30).bytes;
    const d = decode(bytes);
    expectClean(d);
    expectDescriptor(d, 8, 3, 4, 1, 9);
    expectField(d, "vmbus.pkt.gpadl_hdr", null, 44, 8);
    expectField(d, "vmbus.pkt.gpadl", 0xe1e13, 44, 4);
    expectField(d, "vmbus.pkt.reserved_u32", 0, 48, 4);
    expectDataLayer(d, 52, bytes.subarray(24, 32));
    assert.ok(legacyNote(d));
  });

  test("0xD AdditionalData: total_bytes u64 at 16, offset at 24, byte count at 28, data from 32", () => {
    const bytes = packet(0xd, 4, 5, 0, 0).u64(16, 0x0000000300000010n).u32(24, 0x40).u32(28, 8).fill(32, 8, 0x50).bytes;
    const d = decode(bytes);
    expectClean(d);
    expectField(d, "vmbus.pkt.additional_data_hdr", null, 44, 16);
    expectField(d, "vmbus.pkt.total_bytes_low", 0x10, 44, 4);
    expectField(d, "vmbus.pkt.total_bytes_high", 3, 48, 4);
    expectField(d, "vmbus.pkt.data_offset", 0x40, 52, 4);
    expectField(d, "vmbus.pkt.data_byte_count", 8, 56, 4);
    expectDataLayer(d, 60, bytes.subarray(32, 40));
    assert.ok(legacyNote(d));
  });

  test("0x1 Synch, 0xA CancelRequest, 0xC DataUsingAdditionalPacket: no header layout, a note, not malformed", () => {
    for (const type of [1, 0xa, 0xc]) {
      const bytes = packet(type, 2, 3, 0, 77).fill(16, 8, type).bytes;
      const d = decode(bytes);
      expectClean(d);
      expectDescriptor(d, type, 2, 3, 0, 77);
      assert.equal(typeof node(d, "vmbus.pkt.type").field.values?.[type], "string");
      const item = d.experts.find((e) => e.severity === "note" && e.offset === 28);
      assert.ok(item, `type ${type}: ${JSON.stringify(d.experts)}`);
      // No type-specific header: the payload starts right after the descriptor.
      expectDataLayer(d, 44, bytes.subarray(16, 24));
    }
  });
});

describe("invalid packet types", () => {
  test("type 0 is malformed", () => {
    const d = decode(packet(0, 2, 2, 0, 0).bytes);
    const item = expectMalformedAt(d, 28);
    assert.equal(item.filter, "vmbus.pkt.type");
  });

  test("unknown types 0xE and 0x20 are malformed", () => {
    for (const type of [0xe, 0x20]) {
      const d = decode(packet(type, 2, 3, 0, 0).bytes);
      const item = expectMalformedAt(d, 28);
      assert.match(item.text, new RegExp(String(type)));
      expectField(d, "vmbus.pkt.type", type, 28, 2);
    }
  });

  test("undefined flag bits are warned about", () => {
    const d = decode(packet(6, 2, 2, 0x8001, 1).bytes);
    assert.ok(d.experts.some((e) => e.severity === "warn" && e.offset === 34), JSON.stringify(d.experts));
    expectBits(d, "vmbus.pkt.flags", { completion_requested: true });
  });
});

describe("attached data (capture-formats.md 2.1)", () => {
  test("chunks after the packet: source, index, offset, length, data", () => {
    // A transfer-page packet with two ranges (48 bytes), then two chunks from frame offset 28 + 48 = 76.
    const bytes = packet(7, 5, 6, 1, 0x200).u16(16, 1).u32(20, 2).u32(24, 5).u32(28, 0).u32(32, 4).u32(36, 0x1000).fill(40, 8, 1).bytes;
    const first = hex("aa bb cc dd ee");
    const second = hex("01 02 03 04");
    const d = decode(bytes, {
      direction: 1,
      flags: RecordFlags.AttachedData,
      attached: [
        { source: AttachedSource.TransferPageRange, index: 0, offset: 0, data: first },
        { source: AttachedSource.TransferPageRange, index: 1, offset: 0x10, data: second },
      ],
    });
    expectClean(d);
    expectField(d, "vmbus.flags", 4, 5, 1);
    expectBits(d, "vmbus.flags", { attached: true, truncated: false, recovered: false });
    expectField(d, "vmbus.pkt.attached", 2, 76, 36);
    const chunks = findAll(d, "vmbus.attached.chunk");
    assert.equal(chunks.length, 2);
    expectNode(chunks[0], "vmbus.attached.chunk", null, 76, 20);
    expectNode(chunks[1], "vmbus.attached.chunk", null, 96, 16);
    const [source0, source1] = findAll(d, "vmbus.attached.source");
    expectNode(source0, "vmbus.attached.source", 1, 76, 1);
    expectNode(source1, "vmbus.attached.source", 1, 96, 1);
    const [index0, index1] = findAll(d, "vmbus.attached.index");
    expectNode(index0, "vmbus.attached.index", 0, 78, 2);
    expectNode(index1, "vmbus.attached.index", 1, 98, 2);
    const [offset0, offset1] = findAll(d, "vmbus.attached.offset");
    expectNode(offset0, "vmbus.attached.offset", 0, 80, 4);
    expectNode(offset1, "vmbus.attached.offset", 0x10, 100, 4);
    const [length0, length1] = findAll(d, "vmbus.attached.length");
    expectNode(length0, "vmbus.attached.length", 5, 84, 4);
    expectNode(length1, "vmbus.attached.length", 4, 104, 4);
    const [data0, data1] = findAll(d, "vmbus.attached.data");
    expectNode(data0, "vmbus.attached.data", first, 88, 5);
    expectNode(data1, "vmbus.attached.data", second, 108, 4);
    expectField(d, "vmbus.attached.padding", new Uint8Array(3), 93, 3);
    // The packet's own payload is still its 8 bytes, not the chunks.
    expectDataLayer(d, 68, bytes.subarray(40, 48));
    assert.equal(d.sources.length, 3);
  });

  test("a GPA-direct packet with one chunk of source 2", () => {
    const bytes = packet(9, 5, 5, 1, 3).u32(20, 1).u32(24, 16).u32(28, 0).u64(32, 0x99).bytes;
    const data = hex("10 20 30 40 50 60 70 80 90 a0 b0 c0 d0 e0 f0 ff");
    const d = decode(bytes, { flags: RecordFlags.AttachedData, attached: [{ source: AttachedSource.GpaRange, index: 0, offset: 0, data }] });
    expectClean(d);
    expectField(d, "vmbus.attached.source", 2, 68, 1);
    expectField(d, "vmbus.attached.length", 16, 76, 4);
    expectField(d, "vmbus.attached.data", data, 80, 16);
  });
});

describe("malformed packets", () => {
  test("len8 runs past the payload", () => {
    const bytes = hex("06 00 02 00 0a 00 00 00 01 00 00 00 00 00 00 00  01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10");
    const d = decode(bytes);
    const item = expectMalformedAt(d, 32);
    assert.equal(item.filter, "vmbus.pkt.len8");
    // What is there is still shown.
    expectDataLayer(d, 44, bytes.subarray(16));
  });

  test("offset8 < 2 (payload inside the descriptor)", () => {
    const d = decode(packet(6, 1, 3, 0, 0).bytes);
    const item = expectMalformedAt(d, 30);
    assert.equal(item.filter, "vmbus.pkt.offset8");
  });

  test("len8 < offset8", () => {
    const d = decode(packet(6, 4, 3, 0, 0).bytes);
    const item = expectMalformedAt(d, 32);
    assert.equal(item.filter, "vmbus.pkt.len8");
  });

  test("shorter than the 16-byte descriptor", () => {
    const d = decode(hex("06 00 02 00 04 00 01 00"));
    assert.equal(d.malformed, true);
    expectField(d, "vmbus.pkt.len8", 4, 32, 2);
  });

  test("GPA-direct with range_count 0xFFFFFFFF: no allocation, no hang, malformed", () => {
    const bytes = packet(9, 5, 5, 1, 1).u32(20, 0xffffffff).u32(24, 4096).u32(28, 0).u64(32, 0x42).bytes;
    const started = performance.now();
    const d = decode(bytes);
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 1000, `took ${elapsed} ms`);
    assert.equal(d.malformed, true);
    expectField(d, "vmbus.pkt.range_count", 0xffffffff, 48, 4);
    assert.ok(findAll(d, "vmbus.gpa.range").length <= 2);
  });

  test("GPA range with byte_count 0xFFFFFFFF (a million PFNs) in a small packet: quick and malformed", () => {
    const bytes = packet(9, 5, 5, 1, 1).u32(20, 1).u32(24, 0xffffffff).u32(28, 0xfff).u64(32, 0x42).bytes;
    const started = performance.now();
    const d = decode(bytes);
    assert.ok(performance.now() - started < 1000);
    assert.equal(d.malformed, true);
    assert.equal(findAll(d, "vmbus.gpa.pfn").length, 1);
  });

  test("transfer-page packet with range_count 0xFFFFFFFF: quick and malformed", () => {
    const bytes = packet(7, 4, 4, 1, 1).u32(20, 0xffffffff).u32(24, 1).u32(28, 0).bytes;
    const started = performance.now();
    const d = decode(bytes);
    assert.ok(performance.now() - started < 1000);
    assert.equal(d.malformed, true);
  });

  test("one Dissector goes on decoding after a malformed packet", () => {
    const dissector = new Dissector();
    assert.equal(dissector.dissect(packetRecord(3, packet(0x20, 2, 2, 0, 0).bytes)).malformed, true);
    assert.equal(dissector.dissect(packetRecord(3, packet(9, 5, 5, 1, 1).u32(20, 0xffffffff).bytes)).malformed, true);
    const d = dissector.dissect(packetRecord(3, hex("06 00 02 00 03 00 00 00 07 00 00 00 00 00 00 00  01 02 03 04 05 06 07 08")));
    expectClean(d);
    expectField(d, "vmbus.pkt.trans_id", 7, 36, 8);
    assert.deepEqual(errors(d), []);
  });
});
