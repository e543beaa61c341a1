// Dynamic memory messages (devices.md §15) decoded from bytes written by hand at the offsets of the
// reference tables. Frame offsets: pseudo-header 0..27, packet descriptor 28..43, payload from 44
// (in-band packets, offset8 = 2). `at` below is the payload offset; the frame offset is 44 + at.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Direction } from "../../capture/record.js";
import { Dissector } from "../../dissectors/dissect.js";
import { encodeStruct } from "../../dissectors/describe/encode.js";
import { recogniseDm } from "../../dissectors/balloon/index.js";
import { dmBodies, dmMessage, dmTypes } from "../../dissectors/balloon/dm.js";
import type { FieldValue } from "../../dissectors/tree.js";
import { pciMemorySession } from "../../samples/pci-memory.js";
import {
  Bytes, errors, expectAbsent, expectBits, expectChildrenInside, expectClean, expectField, expectMalformedAt, findAll, findNode, guidBytes, node, packetRecord,
} from "./tree-helpers.js";

const DM = guidBytes("525074dc-8985-46e2-8057-a307dc18a502");
const PAY = 44;
const RELID = 32;
const G2H = Direction.GuestToHost;
const H2G = Direction.HostToGuest;

function record(payload: Uint8Array, direction: Direction, options: { len8?: number; timestampNs?: bigint } = {}) {
  const len8 = options.len8 ?? 2 + Math.ceil(payload.length / 8);
  const bytes = new Bytes(len8 * 8).u16(0, 6).u16(2, 2).u16(4, len8).u16(6, 0).u64(8, 0);
  bytes.raw(16, payload.subarray(0, len8 * 8 - 16));
  return packetRecord(RELID, bytes.bytes, { classGuid: DM, direction, timestampNs: options.timestampNs });
}

/** A DM message of `size` bytes with its header (§15.2) written; the body by the caller. */
const dm = (type: number, size: number, transId = 0x10): Bytes => new Bytes(size).u16(0, type).u16(2, size).u32(4, transId);
/** A page range (§15.4): PFN in bits 0–39, count in bits 40–63. */
const range = (pfn: number, count: number): bigint => (BigInt(count) << 40n) | BigInt(pfn);

type Expect = [filter: string, value: FieldValue, at: number, length: number];
interface Case { name: string; type: number; direction: Direction; bytes: Bytes; expect: Expect[]; info?: string }

const cases: Case[] = [
  { name: "ERROR (no layout)", type: 0, direction: H2G, bytes: dm(0, 12).u32(8, 0xabcd), info: "DM ERROR", expect: [["dm.body_data", Uint8Array.of(0xcd, 0xab, 0, 0), 8, 4]] },
  { name: "VERSION_REQUEST", type: 1, direction: G2H, bytes: dm(1, 16).u16(8, 0).u16(10, 2).u32(12, 1), info: "DM VERSION_REQUEST 2.0 (WIN10) [Last attempt]", expect: [
    ["dm.trans_id", 0x10, 4, 4], ["dm.version", 0x00020000, 8, 4], ["dm.version_minor", 0, 8, 4], ["dm.version_major", 2, 8, 4], ["dm.version_bits", 1, 12, 4]] },
  { name: "VERSION_RESPONSE", type: 2, direction: H2G, bytes: dm(2, 16).u64(8, 1), info: "DM VERSION_RESPONSE [Accepted]", expect: [["dm.response_bits", 1, 8, 8]] },
  { name: "CAPABILITIES_REPORT", type: 3, direction: G2H, bytes: dm(3, 32).u64(8, 0x3 | (7 << 2)).u64(16, 0).u64(24, 0xffffffffffffffffn),
    info: "DM CAPABILITIES_REPORT [Balloon, Hot add] alignment 2^7 MiB", expect: [
      ["dm.hot_add_alignment", 7, 8, 4], ["dm.caps_reserved", 0, 8, 4], ["dm.caps", 0x1f, 8, 8], ["dm.min_page_cnt", 0, 16, 8], ["dm.max_page_number", 0xffffffffffffffffn, 24, 8]] },
  { name: "CAPABILITIES_RESPONSE", type: 4, direction: H2G, bytes: dm(4, 16).u64(8, 0), info: "DM CAPABILITIES_RESPONSE", expect: [["dm.response_bits", 0, 8, 8]] },
  { name: "STATUS_REPORT", type: 5, direction: G2H, bytes: dm(5, 48).u64(8, 786432).u64(16, 262144).u64(24, 131072).u64(32, 1000).u32(40, 17).u32(44, 3),
    info: "DM STATUS_REPORT committed 1024 MiB, available 3072 MiB", expect: [
      ["dm.num_avail", 786432, 8, 8], ["dm.num_committed", 262144, 16, 8], ["dm.page_file_size", 131072, 24, 8], ["dm.zero_free", 1000, 32, 8],
      ["dm.page_file_writes", 17, 40, 4], ["dm.io_diff", 3, 44, 4], ["dm.committed_mib", 1024, 48, 0]] },
  { name: "BALLOON_REQUEST", type: 6, direction: H2G, bytes: dm(6, 16).u32(8, 131072), info: "DM BALLOON_REQUEST 131072 pages (512 MiB)", expect: [
    ["dm.num_pages", 131072, 8, 4], ["dm.reservedz", 0, 12, 4]] },
  { name: "BALLOON_RESPONSE (3 ranges)", type: 7, direction: G2H,
    bytes: dm(7, 40).u32(12, 3 << 1).u64(16, range(0x12c000, 32768)).u64(24, range(0x13c000, 32768)).u64(32, range(0x15a000, 65536)),
    info: "DM BALLOON_RESPONSE 512 MiB in 3 ranges", expect: [
      ["dm.more_pages", 0, 12, 4], ["dm.response.range_count", 3, 12, 4], ["dm.ranges", 3, 16, 24],
      ["dm.range.start_page_low", 0x12c000, 16, 4], ["dm.range.start_page_high", 0, 20, 4], ["dm.range.page_cnt", 32768, 20, 4], ["dm.range.raw", range(0x12c000, 32768), 16, 8],
      ["dm.range.start_page", 0x12c000, 24, 0], ["dm.range.range_bytes", 128 * 2 ** 20, 24, 0],
      ["dm.total_pages", 131072, 40, 0], ["dm.total_mib", 512, 40, 0]] },
  { name: "UNBALLOON_REQUEST (PFN above 2^32)", type: 8, direction: H2G, bytes: dm(8, 24).u32(8, 1).u32(12, 1).u64(16, range(0x1_2345_6000, 0xfffff)),
    info: "DM UNBALLOON_REQUEST 4095 MiB in 1 ranges", expect: [
      ["dm.more_pages", 1, 8, 4], ["dm.range_count", 1, 12, 4], ["dm.range.start_page_high", 1, 20, 4], ["dm.range.page_cnt", 0xfffff, 20, 4],
      ["dm.range.start_page", 0x1_2345_6000, 24, 0], ["dm.total_pages", 0xfffff, 24, 0]] },
  { name: "UNBALLOON_RESPONSE", type: 9, direction: G2H, bytes: dm(9, 8), info: "DM UNBALLOON_RESPONSE", expect: [] },
  { name: "MEM_HOT_ADD_REQUEST (range only)", type: 10, direction: H2G, bytes: dm(10, 16).u64(8, range(0x140000, 262144)),
    info: "DM MEM_HOT_ADD_REQUEST 1024 MiB at PFN 0x140000", expect: [["dm.range.page_cnt", 262144, 12, 4], ["dm.add_mib", 1024, 16, 0]] },
  { name: "MEM_HOT_ADD_RESPONSE", type: 11, direction: G2H, bytes: dm(11, 16).u32(8, 262144).u32(12, 1), info: "DM MEM_HOT_ADD_RESPONSE 1024 MiB success", expect: [
    ["dm.page_count", 262144, 8, 4], ["dm.result", 1, 12, 4]] },
  { name: "INFO_MESSAGE (MAX_PAGE_CNT)", type: 12, direction: H2G, bytes: dm(12, 32).u32(12, 16).u32(16, 0).u32(20, 8).u64(24, 4194304),
    info: "DM INFO_MESSAGE max 16384 MiB", expect: [
      ["dm.info_size", 16, 12, 4], ["dm.info.info_type", 0, 16, 4], ["dm.info.data_size", 8, 20, 4], ["dm.info.max_page_count", 4194304, 24, 8]] },
];

describe("every dynamic-memory message type, bytes by hand", () => {
  for (const c of cases) {
    test(`${c.type} ${c.name}`, () => {
      const d = new Dissector().dissect(record(c.bytes.bytes, c.direction));
      expectClean(d);
      expectChildrenInside(d);
      assert.deepEqual(d.layers.map((l) => l.field.filter), ["vmbus", "dm"]);
      expectField(d, "dm.msg_type", c.type, PAY, 2);
      expectField(d, "dm.size", c.bytes.bytes.length, PAY + 2, 2);
      for (const [filter, value, at, length] of c.expect) expectField(d, filter, value, PAY + at, length);
      if (c.info) assert.ok(d.info.includes(c.info), `info "${d.info}" should contain "${c.info}"`);
    });
  }

  test("types 0–12 are named and covered", () => {
    for (let type = 0; type <= 12; type++) {
      assert.ok(dmTypes[type] && dmBodies[type], `${type}`);
      assert.ok(cases.some((c) => c.type === type), `case for ${type}`);
    }
  });

  test("hot add with a region (size 24)", () => {
    const d = new Dissector().dissect(record(dm(10, 24).u64(8, range(0x140000, 262144)).u64(16, range(0x140000, 524288)).bytes, H2G));
    expectClean(d);
    const ranges = findAll(d, "dm.range.page_cnt");
    assert.equal(ranges.length, 2);
    assert.equal(ranges[1].value, 524288);
    expectField(d, "dm.region", null, PAY + 16, 8);
    expectField(d, "dm.add_mib", 1024, PAY + 16, 0);
  });

  test("capability bits", () => {
    const d = new Dissector().dissect(record(dm(3, 32).u64(8, 0x2).bytes, G2H));
    expectBits(d, "dm.caps", { balloon: false, hot_add: true });
  });
});

describe("session state and pairing", () => {
  test("version accepted: learned; refused: not", () => {
    const dissector = new Dissector();
    dissector.dissect(record(dm(1, 16).u16(10, 2).bytes, G2H));
    dissector.dissect(record(dm(2, 16).u64(8, 0).bytes, H2G));
    assert.equal(dissector.session.snapshot().channels[RELID]?.["channel.dm.version"], undefined);
    dissector.dissect(record(dm(1, 16).u16(10, 1).bytes, G2H));
    const d = dissector.dissect(record(dm(2, 16).u64(8, 1).bytes, H2G));
    assert.ok(d.info.includes("for VERSION_REQUEST"), d.info);
    assert.equal(dissector.session.snapshot().channels[RELID]["channel.dm.version"], 0x00010000);
  });

  test("a balloon request answered by two responses (more_pages); each names the request", () => {
    const dissector = new Dissector();
    const request = dissector.dissect(record(dm(6, 16).u32(8, 1024).bytes, H2G, { timestampNs: 1_000_000_000n }));
    expectClean(request);
    const first = dissector.dissect(record(dm(7, 24).u32(12, (1 << 1) | 1).u64(16, range(0x1000, 512)).bytes, G2H, { timestampNs: 1_020_000_000n }));
    const second = dissector.dissect(record(dm(7, 24).u32(12, 1 << 1).u64(16, range(0x3000, 512)).bytes, G2H, { timestampNs: 1_030_000_000n }));
    for (const d of [first, second]) {
      expectClean(d);
      assert.ok(d.info.includes("DM BALLOON_RESPONSE 2 MiB in 1 ranges for BALLOON_REQUEST"), d.info);
      assert.equal(findNode(d, "dm.request_in")?.value, findNode(d, "dm.request_in")?.value);
      assert.ok(findNode(d, "dm.request_in"));
    }
    assert.equal(findNode(second, "dm.time")?.value, 0.03);
    assert.equal(node(first, "dm.more_pages").value, 1);
    // Each message's total starts from zero.
    expectField(second, "dm.total_pages", 512, PAY + 24, 0);
  });

  test("a response with no request seen is a note, not an error", () => {
    const d = new Dissector().dissect(record(dm(11, 16).u32(8, 0).u32(12, 1).bytes, G2H));
    expectClean(d);
    expectAbsent(d, "dm.request_in");
  });
});

describe("malformed dynamic memory", () => {
  test("range count beyond the message; the next record decodes", () => {
    const dissector = new Dissector();
    const d = dissector.dissect(record(dm(7, 24).u32(12, 5 << 1).u64(16, range(0x1000, 512)).bytes, G2H));
    expectMalformedAt(d, PAY + 24);
    assert.ok(findAll(d, "dm.range.range").length <= 1);
    expectClean(dissector.dissect(record(dm(9, 8).bytes, G2H)));
  });

  test("range count inside the padding but beyond the stated size", () => {
    const bytes = dm(8, 24).u32(12, 2).u64(16, range(0x1000, 512));
    const d = new Dissector().dissect(record(new Bytes(32).raw(0, bytes.bytes).u64(24, range(0x2000, 1)).bytes, H2G));
    assert.ok(errors(d).some((e) => /stated size/.test(e.text)), JSON.stringify(errors(d)));
  });

  test("a huge range count does not loop or allocate", () => {
    const d = new Dissector().dissect(record(dm(8, 24).u32(12, 0xffffffff).u64(16, range(0x1000, 512)).bytes, H2G));
    assert.ok(d.malformed);
    assert.ok(findAll(d, "dm.range.range").length <= 2);
  });

  test("a short message: STATUS_REPORT cut after 24 bytes", () => {
    const d = new Dissector().dissect(record(dm(5, 48).u64(8, 1).bytes.subarray(0, 24), G2H));
    expectMalformedAt(d, PAY + 24);
  });

  test("a stated size below the header", () => {
    const d = new Dissector().dissect(record(dm(9, 8).u16(2, 4).bytes, G2H));
    assert.ok(errors(d).some((e) => /smaller than the 8-byte header/.test(e.text)));
  });

  test("info size beyond the data", () => {
    const d = new Dissector().dissect(record(dm(12, 24).u32(12, 16).u32(16, 0).u32(20, 8).bytes, H2G));
    assert.ok(d.malformed);
  });
});

describe("encode then decode", () => {
  test("the hand-written bytes equal the encoder's", () => {
    assert.deepEqual(encodeStruct(dmMessage, { msg_type: 6, size: 16, trans_id: 0x10, body: { num_pages: 131072, reservedz: 0 } }), dm(6, 16).u32(8, 131072).bytes);
    assert.deepEqual(encodeStruct(dmMessage, { msg_type: 1, size: 16, trans_id: 0x10, body: { version: 0, version_minor: 0, version_major: 2, version_bits: 1 } }),
      dm(1, 16).u16(10, 2).u32(12, 1).bytes);
    assert.deepEqual(encodeStruct(dmMessage, {
      msg_type: 7, size: 24, trans_id: 0x10,
      body: { reservedz: 0, more_pages: 1, range_count: 1, ranges: [{ start_page_low: 0x2345_6000, start_page_high: 1, page_cnt: 512, raw: range(0x1_2345_6000, 512) }] },
    }), dm(7, 24).u32(12, 3).u64(16, range(0x1_2345_6000, 512)).bytes);
  });

  test("status report and hot-add response", () => {
    for (const [type, body] of [
      [5, { num_avail: 5, num_committed: 6, page_file_size: 7, zero_free: 8, page_file_writes: 9, io_diff: 10 }],
      [11, { page_count: 512, result: 0 }],
    ] as const) {
      const size = type === 5 ? 48 : 16;
      const d = new Dissector().dissect(record(encodeStruct(dmMessage, { msg_type: type, size, trans_id: 1, body }), G2H));
      expectClean(d);
      for (const [key, value] of Object.entries(body)) assert.equal(node(d, `dm.${key}`).value, value, key);
    }
  });
});

describe("device recognition and the sample", () => {
  test("recognise", () => {
    assert.equal(recogniseDm(dm(1, 16).u16(10, 2).bytes, 6), true);
    assert.equal(recogniseDm(dm(1, 16).u16(10, 9).bytes, 6), false);
    assert.equal(recogniseDm(dm(5, 48).bytes, 6), true);
    assert.equal(recogniseDm(dm(5, 48).bytes, 11), false);
    assert.equal(recogniseDm(dm(7, 24).u32(12, 2).bytes, 6), true);
    assert.equal(recogniseDm(dm(7, 24).u32(12, 4).bytes, 6), false);
    assert.equal(recogniseDm(dm(13, 16).bytes, 6), false);
    assert.equal(recogniseDm(dm(5, 64).bytes.subarray(0, 48), 6), false);
  });

  test("the device registry says dynamic memory is decoded", async () => {
    const { findDevice } = await import("../../dissectors/devices.js");
    assert.equal(findDevice("balloon")?.protocol?.name, "dm");
  });

  test("the sample session: no malformed record, answers paired, balloon and hot add summed", () => {
    const dissector = new Dissector();
    const records = pciMemorySession();
    assert.ok(records.every((r, i) => i === 0 || r.timestampNs! > records[i - 1].timestampNs!));
    const infos: string[] = [];
    for (const r of records) {
      const d = dissector.dissect(r);
      expectClean(d);
      if (r.relid === RELID) infos.push(d.info);
    }
    const text = infos.join("\n");
    assert.ok(text.includes("DM BALLOON_RESPONSE 512 MiB in 3 ranges for BALLOON_REQUEST"), text);
    assert.ok(text.includes("DM MEM_HOT_ADD_REQUEST 1024 MiB at PFN 0x140000"), text);
    assert.ok(text.includes("DM MEM_HOT_ADD_RESPONSE 1024 MiB success for MEM_HOT_ADD_REQUEST"), text);
    assert.ok(text.includes("DM STATUS_REPORT committed"), text);
    assert.equal(dissector.session.snapshot().channels[RELID]["channel.dm.version"], 0x00020000);
  });
});
