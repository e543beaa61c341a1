// vmbfs / IMC (devices.md §16) decoded from bytes written by hand. Frame offsets: pseudo-header
// 0..27, packet descriptor 28..43, pipe header 44..51, vmbfs header 52..59, body from 60
// (devices.md offsets 0, 8 and 16 of the payload).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Direction } from "../../capture/record.js";
import { Dissector } from "../../dissectors/dissect.js";
import { encodeStruct, type EncodeValues } from "../../dissectors/describe/encode.js";
import { recogniseVmbfs, vmbfsMessage, vmbfsTypes } from "../../dissectors/vmbfs/index.js";
import type { FieldValue } from "../../dissectors/tree.js";
import { Bytes, expectChildrenInside, expectClean, expectField, expectMalformedAt, findNode, guidBytes, packetRecord } from "./tree-helpers.js";

const VMBFS = guidBytes("c376c1c3-d276-48d2-90a9-c04748072c60");
const RELID = 43;
const PAYLOAD = 44;
const BODY = PAYLOAD + 16;

function ring(payload: Uint8Array): Uint8Array {
  const len8 = 2 + Math.ceil(payload.length / 8);
  return new Bytes(len8 * 8).u16(0, 6).u16(2, 2).u16(4, len8).raw(16, payload).bytes;
}

/** Pipe header (type 1, size) + vmbfs header (type, reserved 0) + body, all by hand. */
function vmbfs(type: number, body: Bytes | Uint8Array, size?: number): Uint8Array {
  const raw = body instanceof Bytes ? body.bytes : body;
  return new Bytes(16 + raw.length).u32(0, 1).u32(4, size ?? 8 + raw.length).u32(8, type).u32(12, 0).raw(16, raw).bytes;
}

const record = (payload: Uint8Array, direction: Direction) => packetRecord(RELID, ring(payload), { classGuid: VMBFS, direction });
const utf16 = (text: string): Uint8Array => {
  const out = new Bytes(text.length * 2);
  [...text].forEach((c, i) => out.u16(i * 2, c.charCodeAt(0)));
  return out.bytes;
};
const G2H = Direction.GuestToHost;
const H2G = Direction.HostToGuest;

type Expect = [filter: string, value: FieldValue, at: number, length: number];
interface Case { type: number; direction: Direction; body: Uint8Array; expect: Expect[]; info: RegExp }

const path = utf16("imc.hiv");
const cases: Case[] = [
  { type: 1, direction: G2H, body: new Bytes(4).u32(0, 0x00010000).bytes, info: /vmbfs VERSION_REQUEST 1\.0/, expect: [["vmbfs.requested_version", 0x00010000, BODY, 4]] },
  { type: 2, direction: H2G, body: new Bytes(4).u32(0, 1).bytes, info: /VERSION_RESPONSE unsupported/, expect: [["vmbfs.version_status", 1, BODY, 4]] },
  { type: 3, direction: G2H, body: path, info: /GET_FILE_INFO "imc.hiv"/, expect: [["vmbfs.path", "imc.hiv", BODY, 14]] },
  { type: 4, direction: H2G, body: new Bytes(16).u32(0, 0).u32(4, 3).u64(8, 20480).bytes, info: /GET_FILE_INFO_RESPONSE success size 20480/, expect: [
    ["vmbfs.status", 0, BODY, 4], ["vmbfs.file_flags", 3, BODY + 4, 4], ["vmbfs.file_size", 20480, BODY + 8, 8]] },
  { type: 5, direction: G2H, body: new Bytes(12 + path.length).u32(0, 4096).u64(4, 8192).raw(12, path).bytes, info: /READ_FILE "imc.hiv" 4096 bytes at 8192/, expect: [
    ["vmbfs.byte_count", 4096, BODY, 4], ["vmbfs.offset", 8192, BODY + 4, 8], ["vmbfs.path", "imc.hiv", BODY + 12, 14]] },
  { type: 6, direction: H2G, body: new Bytes(8).u32(0, 2).raw(4, [0x72, 0x65, 0x67, 0x66]).bytes, info: /READ_FILE_RESPONSE end of file 4 bytes/, expect: [
    ["vmbfs.status", 2, BODY, 4], ["vmbfs.file_data", Uint8Array.from([0x72, 0x65, 0x67, 0x66]), BODY + 4, 4]] },
  { type: 7, direction: G2H, body: new Bytes(24 + path.length).u32(0, 0x11).u32(4, 16384).u64(8, 4096).u64(16, 0x1000).raw(24, path).bytes, info: /READ_FILE_RDMA/, expect: [
    ["vmbfs.handle", 0x11, BODY, 4], ["vmbfs.byte_count", 16384, BODY + 4, 4], ["vmbfs.offset", 4096, BODY + 8, 8],
    ["vmbfs.token_offset", 0x1000, BODY + 16, 8], ["vmbfs.path", "imc.hiv", BODY + 24, 14]] },
  { type: 8, direction: H2G, body: new Bytes(8).u32(0, 3).u32(4, 0).bytes, info: /READ_FILE_RDMA_RESPONSE error 0 bytes/, expect: [
    ["vmbfs.status", 3, BODY, 4], ["vmbfs.byte_count", 0, BODY + 4, 4]] },
];

describe("vmbfs messages (devices.md §16)", () => {
  for (const c of cases) {
    test(`${vmbfsTypes[c.type]} from hand-written bytes`, () => {
      const d = new Dissector().dissect(record(vmbfs(c.type, c.body), c.direction));
      expectClean(d);
      expectField(d, "pipe.type", 1, PAYLOAD, 4);
      expectField(d, "pipe.data_size", 8 + c.body.length, PAYLOAD + 4, 4);
      expectField(d, "vmbfs.message_type", c.type, PAYLOAD + 8, 4);
      expectField(d, "vmbfs.reserved_u32", 0, PAYLOAD + 12, 4);
      for (const [filter, value, at, length] of c.expect) expectField(d, filter, value, at, length);
      assert.match(d.info, c.info);
      expectChildrenInside(d);
    });
  }

  test("a response pairs with its request (type + 1)", () => {
    const dissector = new Dissector();
    const request = record(vmbfs(3, path), G2H);
    dissector.dissect(request);
    const answer = dissector.dissect(record(vmbfs(4, new Bytes(16).u32(0, 1).bytes), H2G));
    expectClean(answer);
    assert.equal(findNode(answer, "vmbfs.request_in")?.value, request.origin.number);
  });

  test("round trip: every message type encoded then decoded", () => {
    const values: Record<number, EncodeValues> = {
      1: { requested_version: 0x10000 }, 2: { version_status: 0 }, 3: { path: "a.txt" }, 4: { status: 0, file_flags: 1, file_size: 7 },
      5: { byte_count: 1, offset: 2, path: "b" }, 6: { status: 0, file_data: Uint8Array.from([5]) },
      7: { handle: 1, byte_count: 2, offset: 3, token_offset: 4, path: "c" }, 8: { status: 0, byte_count: 9 },
    };
    for (const [type, body] of Object.entries(values)) {
      const message = encodeStruct(vmbfsMessage, { message_type: Number(type), body });
      const d = new Dissector().dissect(record(new Bytes(8 + message.length).u32(0, 1).u32(4, message.length).raw(8, message).bytes, G2H));
      expectClean(d);
      for (const [key, value] of Object.entries(body)) expectField(d, `vmbfs.${key}`, value as FieldValue, node(d, key), (findNode(d, `vmbfs.${key}`)!).length);
    }
  });

  test("malformed: unknown type, short body, size past the packet; the next record decodes", () => {
    const dissector = new Dissector();
    expectMalformedAt(dissector.dissect(record(vmbfs(9, new Uint8Array(4)), G2H)), BODY);
    assert.equal(dissector.dissect(record(vmbfs(4, new Uint8Array(4)), H2G)).malformed, true);
    assert.equal(dissector.dissect(record(vmbfs(1, new Bytes(4).u32(0, 0x10000).bytes, 200), G2H)).malformed, true);
    expectClean(dissector.dissect(record(vmbfs(1, new Bytes(4).u32(0, 0x10000).bytes), G2H)));
  });

  test("recogniser", () => {
    assert.equal(recogniseVmbfs(vmbfs(1, new Bytes(4).u32(0, 0x10000).bytes), 6), true);
    assert.equal(recogniseVmbfs(vmbfs(1, new Bytes(4).u32(0, 0x10000).bytes), 11), false);
    assert.equal(recogniseVmbfs(vmbfs(12, new Uint8Array(4)), 6), false);
  });
});

const node = (d: Parameters<typeof findNode>[0], key: string): number => findNode(d, `vmbfs.${key}`)!.offset;
