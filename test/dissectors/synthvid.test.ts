// Synthetic video (devices.md §13) decoded from bytes written by hand at the offsets of the
// reference tables, the sample session of samples/input-video.ts, round trips and malformed input.
// Frame offsets: pseudo-header 0..27, packet descriptor 28..43, payload from 44: pipe header at
// payload 0, synthvid header at 8, body at 16. `at` below is the payload offset.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Direction } from "../../capture/record.js";
import { Dissector } from "../../dissectors/dissect.js";
import { encodeStruct } from "../../dissectors/describe/encode.js";
import "../../dissectors/input/index.js";
import "../../dissectors/synthvid/index.js";
import { recogniseSynthvid } from "../../dissectors/synthvid/index.js";
import { synthvidPacket, synthvidTypes } from "../../dissectors/synthvid/synthvid.js";
import type { FieldValue } from "../../dissectors/tree.js";
import { inputVideoSession, sampleEdid } from "../../samples/input-video.js";
import {
  Bytes, errors, expectAbsent, expectBits, expectChildrenInside, expectClean, expectField, expectMalformedAt, findAll, guidBytes, node, packetRecord,
} from "./tree-helpers.js";

const VIDEO = guidBytes("da0a7802-e377-4aac-8e77-0558eb1073f8");
const PAYLOAD = 44;
const G2H = Direction.GuestToHost;
const H2G = Direction.HostToGuest;
let transIds = 0x300;
let now = 2_000_000_000n;

function ringPacket(payload: Uint8Array): Uint8Array {
  const len8 = 2 + Math.ceil(payload.length / 8);
  return new Bytes(len8 * 8).u16(0, 6).u16(2, 2).u16(4, len8).u64(8, ++transIds).raw(16, payload).bytes;
}
const record = (payload: Uint8Array, direction: Direction) => packetRecord(23, ringPacket(payload), { classGuid: VIDEO, direction, timestampNs: (now += 500_000n) });

/** Pipe header (type 1, len = 8 + body), synthvid header (type, size = 8 + body as Linux sets it), body. */
function vid(type: number, body: Uint8Array, options: { pipeLen?: number; size?: number } = {}): Uint8Array {
  return new Bytes(16 + body.length).u32(0, 1).u32(4, options.pipeLen ?? 8 + body.length).u32(8, type).u32(12, options.size ?? 8 + body.length).raw(16, body).bytes;
}

const EDID = sampleEdid();
type Expect = [filter: string, value: FieldValue, at: number, length: number];
interface Case { name: string; type: number; direction: Direction; body: Uint8Array; expect: Expect[]; info?: string; absent?: string[] }

const cases: Case[] = [
  { name: "ERROR (no layout)", type: 0, direction: H2G, body: Uint8Array.of(1, 2, 3, 4), expect: [["synthvid.body_data", Uint8Array.of(1, 2, 3, 4), 16, 4]] },
  { name: "VERSION_REQUEST 3.5", type: 1, direction: G2H, body: new Bytes(4).u16(0, 3).u16(2, 5).bytes, info: "SYNTHVID VERSION_REQUEST 3.5 (WIN10)", expect: [
    ["synthvid.pipe.type", 1, 0, 4], ["synthvid.pipe.len", 12, 4, 4], ["synthvid.msg_type", 1, 8, 4], ["synthvid.size", 12, 12, 4], ["synthvid.version", 0x00050003, 16, 4]] },
  { name: "VERSION_RESPONSE", type: 2, direction: H2G, body: new Bytes(6).u16(0, 3).u16(2, 2).u8(4, 2).u8(5, 1).bytes, info: "VERSION_RESPONSE 3.2 (WIN8) accepted (TRUE_WITH_VERSION_EXCHANGE)", expect: [
    ["synthvid.version", 0x00020003, 16, 4], ["synthvid.is_accepted", 2, 20, 1], ["synthvid.max_video_outputs", 1, 21, 1]] },
  { name: "VRAM_LOCATION (packed: u64 at odd offset)", type: 3, direction: G2H, body: new Bytes(17).u64(0, 0xf8000000).u8(8, 1).u64(9, 0xf8000000).bytes, info: "VRAM_LOCATION GPA 0xf8000000", expect: [
    ["synthvid.user_context", 0xf8000000, 16, 8], ["synthvid.is_vram_gpa_specified", 1, 24, 1], ["synthvid.vram_gpa", 0xf8000000, 25, 8]] },
  { name: "VRAM_LOCATION_ACK", type: 4, direction: H2G, body: new Bytes(8).u64(0, 0xf8000000).bytes, expect: [["synthvid.user_context", 0xf8000000, 16, 8]] },
  { name: "SITUATION_UPDATE", type: 5, direction: G2H,
    body: new Bytes(27).u64(0, 0).u8(8, 1).u8(9, 1).u32(10, 0).u8(14, 32).u32(15, 1024).u32(19, 768).u32(23, 4096).bytes, info: "SITUATION_UPDATE 1 output(s)", expect: [
      ["synthvid.video_output_count", 1, 24, 1], ["synthvid.outputs", 1, 25, 18], ["synthvid.output.active", 1, 25, 1], ["synthvid.output.primary_surface_vram_offset", 0, 26, 4],
      ["synthvid.output.depth_bits", 32, 30, 1], ["synthvid.output.width_pixels", 1024, 31, 4], ["synthvid.output.height_pixels", 768, 35, 4], ["synthvid.output.pitch_bytes", 4096, 39, 4]] },
  { name: "SITUATION_UPDATE_ACK", type: 6, direction: H2G, body: new Bytes(8).u64(0, 7).bytes, expect: [["synthvid.user_context", 7, 16, 8]] },
  { name: "POINTER_POSITION", type: 7, direction: G2H, body: new Bytes(10).u8(0, 1).u8(1, 0).i32(2, -3).i32(6, 200).bytes, info: "POINTER_POSITION (-3,200) visible 1", expect: [
    ["synthvid.is_visible", 1, 16, 1], ["synthvid.video_output", 0, 17, 1], ["synthvid.image_x", -3, 18, 4], ["synthvid.image_y", 200, 22, 4]] },
  { name: "POINTER_SHAPE monochrome 8x2", type: 8, direction: G2H, body: new Bytes(22).u8(0, 0xff).u8(1, 0).u32(2, 8).u32(6, 2).u32(10, 1).u32(14, 1).raw(18, [0xff, 0x00, 0x00, 0xff]).bytes,
    info: "POINTER_SHAPE 8x2 monochrome", expect: [
      ["synthvid.part_index", 0xff, 16, 1], ["synthvid.cursor_flags", 0, 17, 1], ["synthvid.width", 8, 18, 4], ["synthvid.height", 2, 22, 4], ["synthvid.hot_x", 1, 26, 4],
      ["synthvid.hot_y", 1, 30, 4], ["synthvid.pixel_data", Uint8Array.of(0xff, 0, 0, 0xff), 34, 4], ["synthvid.expected_pixel_bytes", 4, 34, 0]] },
  { name: "FEATURE_CHANGE (4 bytes)", type: 9, direction: H2G, body: Uint8Array.of(1, 0, 1, 0), info: "FEATURE_CHANGE dirt 1 position 0 shape 1 situation 0", expect: [
    ["synthvid.is_dirt_needed", 1, 16, 1], ["synthvid.is_pointer_position_needed", 0, 17, 1], ["synthvid.is_pointer_shape_needed", 1, 18, 1], ["synthvid.is_situation_needed", 0, 19, 1]],
    absent: ["synthvid.edid"] },
  { name: "FEATURE_CHANGE with EDID (OVMM V2)", type: 9, direction: H2G, body: new Bytes(132).u8(3, 1).raw(4, EDID).bytes, expect: [
    ["synthvid.is_situation_needed", 1, 19, 1], ["synthvid.edid", EDID, 20, 128], ["synthvid.edid.header", 0x00ffffffffffff00n, 20, 8], ["synthvid.edid.manufacturer", 0x3666, 28, 2],
    ["synthvid.edid.edid_version", 1, 38, 1], ["synthvid.edid.edid_revision", 4, 39, 1], ["synthvid.edid.checksum", EDID[127], 147, 1]] },
  { name: "DIRT", type: 10, direction: G2H, body: new Bytes(34).u8(1, 2).i32(2, 0).i32(6, 0).i32(10, 640).i32(14, 480).i32(18, 10).i32(22, 20).i32(26, 30).i32(30, 40).bytes,
    info: "DIRT 2 rectangle(s)", expect: [
      ["synthvid.video_output", 0, 16, 1], ["synthvid.dirt_count", 2, 17, 1], ["synthvid.rects", 2, 18, 32], ["synthvid.rect.left", 0, 18, 4], ["synthvid.rect.top", 0, 22, 4],
      ["synthvid.rect.right", 640, 26, 4], ["synthvid.rect.bottom", 480, 30, 4]] },
  { name: "BIOS_INFO_REQUEST", type: 11, direction: G2H, body: new Uint8Array(0), info: "SYNTHVID BIOS_INFO_REQUEST", expect: [["synthvid.body_length", 0, 16, 0]] },
  { name: "BIOS_INFO_RESPONSE", type: 12, direction: H2G, body: new Bytes(16).u32(0, 1).bytes, info: "BIOS_INFO_RESPONSE [Stop device supported]", expect: [
    ["synthvid.bios_flags", 1, 16, 4], ["synthvid.reserved", new Uint8Array(12), 20, 12]] },
  { name: "SUPPORTED_RESOLUTIONS_REQUEST", type: 13, direction: G2H, body: Uint8Array.of(64), info: "SUPPORTED_RESOLUTIONS_REQUEST max 64", expect: [
    ["synthvid.maximum_resolution_count", 64, 16, 1]] },
  { name: "SUPPORTED_RESOLUTIONS_RESPONSE", type: 14, direction: H2G,
    body: new Bytes(139).raw(0, EDID).u8(128, 2).u8(129, 1).u8(130, 0).u16(131, 1024).u16(133, 768).u16(135, 1920).u16(137, 1080).bytes,
    info: "SUPPORTED_RESOLUTIONS_RESPONSE 2 resolution(s), default 1", expect: [
      ["synthvid.edid", EDID, 16, 128], ["synthvid.resolution_count", 2, 144, 1], ["synthvid.default_resolution_index", 1, 145, 1], ["synthvid.is_standard", 0, 146, 1],
      ["synthvid.resolutions", 2, 147, 8], ["synthvid.resolution.width", 1024, 147, 2], ["synthvid.resolution.height", 768, 149, 2]] },
  { name: "CAPABILITY_REQUEST", type: 15, direction: G2H, body: new Uint8Array(0), info: "SYNTHVID CAPABILITY_REQUEST", expect: [] },
  { name: "CAPABILITY_RESPONSE", type: 16, direction: H2G, body: new Bytes(64).u32(0, 1).bytes, info: "CAPABILITY_RESPONSE lock on disconnect 1", expect: [
    ["synthvid.lock_on_disconnect", 1, 16, 4], ["synthvid.reserved", new Uint8Array(60), 20, 60]] },
];

describe("every synthvid message type, bytes by hand (§13.4)", () => {
  for (const c of cases) {
    test(`${c.type} ${c.name}`, () => {
      const d = new Dissector().dissect(record(vid(c.type, c.body), c.direction));
      expectClean(d);
      expectChildrenInside(d);
      assert.deepEqual(d.layers.map((l) => l.field.filter), ["vmbus", "synthvid"]);
      expectField(d, "synthvid.msg_type", c.type, PAYLOAD + 8, 4);
      for (const [filter, value, at, length] of c.expect) expectField(d, filter, value, PAYLOAD + at, length);
      for (const filter of c.absent ?? []) expectAbsent(d, filter);
      if (c.info) assert.ok(d.info.includes(c.info), `info "${d.info}" should contain "${c.info}"`);
    });
  }

  test("types 0–16 all have a name and a case", () => {
    for (let type = 0; type <= 16; type++) {
      assert.ok(synthvidTypes[type], `name of ${type}`);
      assert.ok(cases.some((c) => c.type === type), `hand-written case for ${type}`);
    }
  });

  test("OpenVMM's size (body only) decodes the same: the body is pipe.len − 8", () => {
    const d = new Dissector().dissect(record(vid(7, new Bytes(10).u8(0, 1).i32(2, 5).i32(6, 6).bytes, { size: 10 }), G2H));
    expectClean(d);
    expectField(d, "synthvid.size", 10, PAYLOAD + 12, 4);
    expectField(d, "synthvid.image_y", 6, PAYLOAD + 22, 4);
  });

  test("version negotiation sets channel.synthvid.version for each of 3.0–3.5", () => {
    for (const minor of [0, 2, 3, 4, 5]) {
      const dissector = new Dissector();
      dissector.dissect(record(vid(1, new Bytes(4).u16(0, 3).u16(2, minor).bytes), G2H));
      const response = dissector.dissect(record(vid(2, new Bytes(6).u16(0, 3).u16(2, minor).u8(4, 1).u8(5, 1).bytes), H2G));
      assert.equal(dissector.session.get("channel.synthvid.version"), (minor << 16) | 3);
      assert.ok(node(response, "synthvid.request_in"));
      const later = dissector.dissect(record(vid(11, new Uint8Array(0)), G2H));
      expectField(later, "synthvid.negotiated_version", (minor << 16) | 3, PAYLOAD + 16, 0);
    }
  });

  test("a message newer than the negotiated version gets a note (not malformed)", () => {
    const dissector = new Dissector();
    dissector.dissect(record(vid(1, new Bytes(4).u16(0, 3).u16(2, 2).bytes), G2H));
    dissector.dissect(record(vid(2, new Bytes(6).u16(0, 3).u16(2, 2).u8(4, 1).u8(5, 1).bytes), H2G));
    const d = dissector.dissect(record(vid(15, new Uint8Array(0)), G2H));
    expectClean(d);
    assert.ok(d.experts.some((e) => e.group === "protocol" && e.text.includes("needs version 3.5; the channel negotiated 3.2")), JSON.stringify(d.experts));
    const ok = dissector.dissect(record(vid(10, new Bytes(2).bytes), G2H));
    assert.equal(ok.experts.filter((e) => e.group === "protocol").length, 0);
  });

  test("a rejected version leaves the channel version unset", () => {
    const dissector = new Dissector();
    dissector.dissect(record(vid(1, new Bytes(4).u16(0, 3).u16(2, 5).bytes), G2H));
    dissector.dissect(record(vid(2, new Bytes(6).u16(0, 3).u16(2, 5).u8(4, 0).bytes), H2G));
    assert.equal(dissector.session.get("channel.synthvid.version"), undefined);
  });

  test("pairing: VRAM and situation ACKs by user context, resolutions, BIOS info and capability by type", () => {
    const dissector = new Dissector();
    const vram = dissector.dissect(record(vid(3, new Bytes(17).u64(0, 0x1234).u8(8, 1).u64(9, 0xf8000000).bytes), G2H));
    const other = dissector.dissect(record(vid(4, new Bytes(8).u64(0, 0x9999).bytes), H2G));
    assert.equal(findAll(other, "synthvid.vram.request_in").length, 0);
    const ack = dissector.dissect(record(vid(4, new Bytes(8).u64(0, 0x1234).bytes), H2G));
    assert.equal(node(ack, "synthvid.vram.request_in").value, vram.record.origin.number);
    for (const [request, response, body] of [[11, 12, new Bytes(16).bytes], [13, 14, new Bytes(131).raw(0, EDID).bytes], [15, 16, new Bytes(64).bytes]] as const) {
      const req = dissector.dissect(record(vid(request, request === 13 ? Uint8Array.of(64) : new Uint8Array(0)), G2H));
      const res = dissector.dissect(record(vid(response, body), H2G));
      assert.equal(node(res, "synthvid.request_in").value, req.record.origin.number, `type ${response}`);
    }
  });
});

describe("malformed synthvid input", () => {
  test("a rectangle count beyond the message is malformed; the next record decodes", () => {
    const dissector = new Dissector();
    const bad = dissector.dissect(record(vid(10, new Bytes(18).u8(1, 3).i32(2, 1).i32(6, 2).i32(10, 3).i32(14, 4).bytes), G2H));
    expectMalformedAt(bad, PAYLOAD + 16 + 18);
    expectClean(dissector.dissect(record(vid(10, new Bytes(18).u8(1, 1).bytes), G2H)));
  });

  test("a resolution count beyond the message, and a default index beyond the list", () => {
    const dissector = new Dissector();
    assert.equal(dissector.dissect(record(vid(14, new Bytes(135).u8(128, 5).u16(131, 800).u16(133, 600).bytes), H2G)).malformed, true);
    const index = dissector.dissect(record(vid(14, new Bytes(135).u8(128, 1).u8(129, 4).u16(131, 800).u16(133, 600).bytes), H2G));
    expectMalformedAt(index, PAYLOAD + 16 + 129);
  });

  test("a short message is malformed; the next decodes", () => {
    const dissector = new Dissector();
    const short = dissector.dissect(record(vid(3, new Bytes(9).u64(0, 1).u8(8, 1).bytes), G2H));
    assert.equal(short.malformed, true);
    assert.ok(errors(short).length > 0);
    expectClean(dissector.dissect(record(vid(4, new Bytes(8).u64(0, 1).bytes), H2G)));
  });

  test("a pipe length past the packet is malformed", () => {
    const d = new Dissector().dissect(record(vid(7, new Bytes(10).bytes, { pipeLen: 400 }), G2H));
    expectMalformedAt(d, PAYLOAD + 4);
  });

  test("a payload of 4 bytes is malformed", () => {
    const d = new Dissector().dissect(record(Uint8Array.of(1, 0, 0, 0), G2H));
    assert.equal(d.malformed, true);
  });
});

describe("round trips and the recogniser", () => {
  test("encoder output equals the hand-written bytes", () => {
    const dirt = encodeStruct(synthvidPacket, { pipe_type: 1, pipe_len: 8 + 18, message: { msg_type: 10, size: 8 + 18, body: { video_output: 0, rects: [{ left: 1, top: 2, right: 3, bottom: 4 }] } } });
    assert.deepEqual([...dirt], [...vid(10, new Bytes(18).u8(1, 1).i32(2, 1).i32(6, 2).i32(10, 3).i32(14, 4).bytes)]);
    const resolutions = encodeStruct(synthvidPacket, {
      pipe_type: 1, pipe_len: 8 + 135, message: { msg_type: 14, size: 8 + 135, body: { edid: EDID, default_resolution_index: 0, is_standard: 0, resolutions: [{ width: 800, height: 600 }] } },
    });
    assert.deepEqual([...resolutions], [...vid(14, new Bytes(135).raw(0, EDID).u8(128, 1).u16(131, 800).u16(133, 600).bytes)]);
    const vram = encodeStruct(synthvidPacket, { pipe_type: 1, pipe_len: 25, message: { msg_type: 3, size: 25, body: { user_context: 5, is_vram_gpa_specified: 1, vram_gpa: 0xf8000000 } } });
    const d = new Dissector().dissect(record(vram, G2H));
    expectClean(d);
    expectField(d, "synthvid.vram_gpa", 0xf8000000, PAYLOAD + 25, 8);
  });

  test("recogniser", () => {
    const padded = (bytes: Uint8Array) => { const out = new Uint8Array(Math.ceil(bytes.length / 8) * 8); out.set(bytes); return out; };
    assert.ok(recogniseSynthvid(padded(vid(1, new Bytes(4).u16(0, 3).u16(2, 5).bytes)), 6));
    assert.ok(recogniseSynthvid(padded(vid(7, new Bytes(10).bytes, { size: 10 })), 6));
    assert.ok(!recogniseSynthvid(padded(vid(17, new Bytes(4).bytes)), 6));
    assert.ok(!recogniseSynthvid(padded(vid(7, new Bytes(10).bytes, { size: 99 })), 6));
  });
});

describe("the sample session (samples/input-video.ts)", () => {
  const dissector = new Dissector();
  const records = inputVideoSession();
  const dissections = records.map((r) => dissector.dissect(r));

  test("no record is malformed; every record is decoded by its device", () => {
    for (const d of dissections) {
      expectClean(d);
      expectChildrenInside(d);
      assert.ok(["synthvid", "kbd", "synthhid"].includes(d.layers[1]?.field.filter ?? ""), d.info);
    }
    assert.deepEqual([...new Set(records.map((r) => r.relid))].sort(), [21, 22, 23, 24]);
    for (let i = 1; i < records.length; i++) assert.ok(records[i].timestampNs! > records[i - 1].timestampNs!);
  });

  test("the summaries tell the story", () => {
    const infos = dissections.map((d) => d.info);
    for (const wanted of ["VERSION_REQUEST 3.5", "SUPPORTED_RESOLUTIONS_RESPONSE 6 resolution(s), default 5", "VRAM_LOCATION GPA 0xf8000000", "POINTER_SHAPE 1x1",
      "DIRT 2 rectangle(s)", "KBD EVENT key A down", "KBD EVENT key A up", "KBD EVENT key Up down", "LEDs [Num Lock, Caps Lock]",
      "INITIAL_DEVICE_INFO vendor Microsoft", "mouse X=16384 Y=8192 buttons [left]"]) {
      assert.ok(infos.some((info) => info.includes(wanted)), `no summary with "${wanted}"`);
    }
  });

  test("answers pair with their requests", () => {
    for (const filter of ["synthvid.request_in", "synthvid.vram.request_in", "synthvid.situation.request_in", "kbd.request_in", "synthhid.request_in", "synthhid.info.request_in"]) {
      assert.ok(dissections.some((d) => findAll(d, filter).length > 0), filter);
    }
  });

  test("the HID descriptor in the sample parses to 33 items", () => {
    const info = dissections.find((d) => d.info.includes("INITIAL_DEVICE_INFO vendor"))!;
    expectField(info, "synthhid.rd.items", 33, node(info, "synthhid.rd.bytes").offset, 67);
    expectBits(findAll(info, "synthhid.rd.entry")[30], "synthhid.rd.main_flags", { relative: true, variable: true });
  });
});
