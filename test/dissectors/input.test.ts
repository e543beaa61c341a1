// Synthetic keyboard and mouse (devices.md §11, §12) decoded from bytes written by hand at the
// offsets of the reference tables. Frame offsets: pseudo-header 0..27, packet descriptor 28..43,
// payload from 44 (in-band packets, offset8 = 2).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Direction } from "../../capture/record.js";
import { Dissector } from "../../dissectors/dissect.js";
import { encodeStruct } from "../../dissectors/describe/encode.js";
import "../../dissectors/input/index.js";
import { recogniseKeyboard, recogniseSynthhid } from "../../dissectors/input/index.js";
import { keyboardMessage } from "../../dissectors/input/keyboard.js";
import { synthhidMessage } from "../../dissectors/input/synthhid.js";
import type { FieldValue } from "../../dissectors/tree.js";
import { MOUSE_REPORT_DESCRIPTOR, REPORT_ID_MOUSE_DESCRIPTOR } from "../../samples/input-video.js";
import {
  Bytes, expectAbsent, expectBits, expectChildrenInside, expectClean, expectField, expectMalformedAt, findAll, guidBytes, node, packetRecord,
} from "./tree-helpers.js";

const KEYBOARD = guidBytes("f912ad6d-2b17-48ea-bd65-f927a61c7684");
const MOUSE = guidBytes("cfa8b69e-5b4a-4cc0-b98b-8ba1a1f3f95a");
const PAYLOAD = 44;
let transIds = 0x100;
let now = 1_000_000_000n;

/** An in-band ring packet (type 6, offset8 2) around the payload, padded to 8 bytes. */
function ringPacket(payload: Uint8Array, flags = 0): Uint8Array {
  const len8 = 2 + Math.ceil(payload.length / 8);
  return new Bytes(len8 * 8).u16(0, 6).u16(2, 2).u16(4, len8).u16(6, flags).u64(8, ++transIds).raw(16, payload).bytes;
}
const record = (guid: Uint8Array, relid: number, payload: Uint8Array, direction = Direction.HostToGuest) =>
  packetRecord(relid, ringPacket(payload), { classGuid: guid, direction, timestampNs: (now += 1_000_000n) });
const kbdRecord = (payload: Uint8Array, direction = Direction.HostToGuest) => record(KEYBOARD, 21, payload, direction);
const hidRecord = (payload: Uint8Array, direction = Direction.HostToGuest) => record(MOUSE, 22, payload, direction);

const words = (...values: number[]): Bytes => {
  const bytes = new Bytes(values.length * 4);
  values.forEach((value, i) => bytes.u32(i * 4, value));
  return bytes;
};

type Expect = [filter: string, value: FieldValue, at: number, length: number];
interface Case { name: string; bytes: Uint8Array; direction?: Direction; expect: Expect[]; info?: string; absent?: string[] }

describe("synthetic keyboard, bytes by hand (§11.2)", () => {
  const cases: Case[] = [
    { name: "PROTOCOL_REQUEST", direction: Direction.GuestToHost, bytes: words(1, 0x00010000).bytes, info: "KBD PROTOCOL_REQUEST version 1.0", expect: [
      ["kbd.msg_type", 1, 0, 4], ["kbd.version", 0x00010000, 4, 4]] },
    { name: "PROTOCOL_RESPONSE", bytes: words(2, 1).bytes, info: "KBD PROTOCOL_RESPONSE [Accepted]", expect: [["kbd.msg_type", 2, 0, 4], ["kbd.status", 1, 4, 4]] },
    { name: "EVENT A make", bytes: new Bytes(12).u32(0, 3).u16(4, 0x1e).u32(8, 0).bytes, info: "KBD EVENT key A down", expect: [
      ["kbd.make_code", 0x1e, 4, 2], ["kbd.key", 0x1e, 4, 2], ["kbd.transition", 0, 8, 4], ["kbd.info", 0, 8, 4]], absent: ["kbd.key_e0", "kbd.character"] },
    { name: "EVENT A break", bytes: new Bytes(12).u32(0, 3).u16(4, 0x1e).u32(8, 2).bytes, info: "KBD EVENT key A up", expect: [
      ["kbd.key", 0x1e, 4, 2], ["kbd.transition", 1, 8, 4], ["kbd.info", 2, 8, 4]] },
    { name: "EVENT E0 48 (Up) break", bytes: new Bytes(12).u32(0, 3).u16(4, 0x48).u32(8, 0x6).bytes, info: "KBD EVENT key Up up", expect: [
      ["kbd.make_code", 0x48, 4, 2], ["kbd.key_e0", 0x48, 4, 2], ["kbd.transition", 1, 8, 4]], absent: ["kbd.key"] },
    { name: "EVENT E1 1D (Pause)", bytes: new Bytes(12).u32(0, 3).u16(4, 0x1d).u32(8, 0x8).bytes, info: "key Pause (E1 1D) down", expect: [
      ["kbd.key_e1", 0x1d, 4, 2]], absent: ["kbd.key", "kbd.key_e0"] },
    { name: "EVENT Unicode €", bytes: new Bytes(12).u32(0, 3).u16(4, 0x20ac).u32(8, 0x1).bytes, info: "key 0x20ac down", expect: [
      ["kbd.character", 0x20ac, 4, 2], ["kbd.make_code_high", 0x20ac >> 7, 4, 2]], absent: ["kbd.key"] },
    { name: "SET_LED_INDICATORS", direction: Direction.GuestToHost, bytes: new Bytes(8).u32(0, 4).u16(4, 0x5).bytes, info: "KBD SET_LED_INDICATORS LEDs [Scroll Lock, Caps Lock]", expect: [
      ["kbd.led_flags", 5, 4, 2], ["kbd.led_padding", 0, 6, 2]] },
    { name: "unknown type 9", bytes: words(9, 0xabcd).bytes, info: "KBD 9", expect: [["kbd.body_data", new Bytes(4).u32(0, 0xabcd).bytes, 4, 4]] },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const d = new Dissector().dissect(kbdRecord(c.bytes, c.direction));
      expectClean(d);
      expectChildrenInside(d);
      assert.deepEqual(d.layers.map((l) => l.field.filter), ["vmbus", "kbd"]);
      for (const [filter, value, at, length] of c.expect) expectField(d, filter, value, PAYLOAD + at, length);
      for (const filter of c.absent ?? []) expectAbsent(d, filter);
      if (c.info) assert.ok(d.info.includes(c.info), `info "${d.info}" should contain "${c.info}"`);
    });
  }

  test("flags bits and LED bits", () => {
    const d = new Dissector().dissect(kbdRecord(new Bytes(12).u32(0, 3).u16(4, 0x1d).u32(8, 0x6).bytes));
    expectBits(d, "kbd.info", { unicode: false, break: true, e0: true, e1: false });
    assert.ok(d.info.includes("key Right Ctrl up"), d.info);
    const leds = new Dissector().dissect(kbdRecord(new Bytes(8).u32(0, 4).u16(4, 0x2).bytes, Direction.GuestToHost));
    expectBits(leds, "kbd.led_flags", { scroll_lock: false, num_lock: true, caps_lock: false });
  });

  test("the response pairs with the request and sets the channel version", () => {
    const dissector = new Dissector();
    const request = dissector.dissect(kbdRecord(words(1, 0x00010000).bytes, Direction.GuestToHost));
    const response = dissector.dissect(kbdRecord(words(2, 1).bytes));
    assert.equal(node(response, "kbd.request_in").value, request.record.origin.number);
    assert.equal(dissector.session.get("channel.kbd.version"), 0x00010000);
  });

  test("a short EVENT is malformed and the next record decodes", () => {
    const dissector = new Dissector();
    const short = dissector.dissect(kbdRecord(words(3, 0x1e).bytes));
    expectMalformedAt(short, PAYLOAD + 4);
    expectClean(dissector.dissect(kbdRecord(new Bytes(12).u32(0, 3).u16(4, 0x1e).bytes)));
  });

  test("round trip through the encoder", () => {
    const bytes = encodeStruct(keyboardMessage, { msg_type: 3, body: { make_code: 0x53, transition: 1, info: 0x6 } });
    assert.deepEqual([...bytes], [...new Bytes(12).u32(0, 3).u16(4, 0x53).u32(8, 6).bytes]);
    const d = new Dissector().dissect(kbdRecord(bytes));
    expectClean(d);
    expectField(d, "kbd.key_e0", 0x53, PAYLOAD + 4, 2);
    assert.ok(d.info.includes("key Delete up"), d.info);
  });

  test("recogniser", () => {
    assert.ok(recogniseKeyboard(words(1, 0x00010000).bytes, 6));
    assert.ok(recogniseKeyboard(new Bytes(12).u32(0, 3).u16(4, 0x1e).u32(8, 2).bytes, 6));
    assert.ok(!recogniseKeyboard(words(1, 0x00020000).bytes, 6));
    assert.ok(!recogniseKeyboard(words(7, 0).bytes, 6));
  });
});

/** Pipe header (type 1, len), synthhid header (type, size), body: §12.1. */
function hid(type: number, body: Uint8Array, options: { pipeLen?: number; size?: number } = {}): Uint8Array {
  return new Bytes(16 + body.length).u32(0, 1).u32(4, options.pipeLen ?? 8 + body.length).u32(8, type).u32(12, options.size ?? body.length).raw(16, body).bytes;
}

/** INITIAL_DEVICE_INFO by hand: attributes at 16, HID descriptor at 48, report descriptor at 57. */
function deviceInfo(descriptor: number[]): Uint8Array {
  const body = new Bytes(32 + 9 + descriptor.length)
    .u32(0, 32).u16(4, 0x045e).u16(6, 0x0621).u16(8, 0x0001)
    .u8(32, 9).u8(33, 0x21).u16(34, 0x0101).u8(36, 0).u8(37, 1).u8(38, 0x22).u16(39, descriptor.length)
    .raw(41, descriptor);
  return hid(2, body.bytes);
}

const REPORT_DESCRIPTOR = [0x05, 0x01, 0x09, 0x02, 0xa1, 0x01, 0x15, 0x81, 0x26, 0xff, 0x7f, 0x75, 0x10, 0x95, 0x02, 0x81, 0x02, 0xc0];

describe("synthetic mouse (synthhid), bytes by hand (§12.2)", () => {
  const cases: Case[] = [
    { name: "PROTOCOL_REQUEST", direction: Direction.GuestToHost, bytes: hid(0, words(0x00020000).bytes), info: "SYNTHHID PROTOCOL_REQUEST version 2.0", expect: [
      ["synthhid.pipe.type", 1, 0, 4], ["synthhid.pipe.len", 12, 4, 4], ["synthhid.msg_type", 0, 8, 4], ["synthhid.size", 4, 12, 4],
      ["synthhid.version_requested", 0x00020000, 16, 4]] },
    { name: "PROTOCOL_RESPONSE", bytes: hid(1, new Bytes(5).u32(0, 0x00020000).u8(4, 1).bytes), info: "SYNTHHID PROTOCOL_RESPONSE 2.0 accepted", expect: [
      ["synthhid.version_requested", 0x00020000, 16, 4], ["synthhid.approved", 1, 20, 1]] },
    { name: "INITIAL_DEVICE_INFO", bytes: deviceInfo(REPORT_DESCRIPTOR), info: "INITIAL_DEVICE_INFO vendor Microsoft product 0x621, report descriptor 18 bytes", expect: [
      ["synthhid.attr.size", 32, 16, 4], ["synthhid.attr.vendor_id", 0x045e, 20, 2], ["synthhid.attr.product_id", 0x0621, 22, 2], ["synthhid.attr.version", 1, 24, 2],
      ["synthhid.attr.reserved", new Uint8Array(22), 26, 22],
      ["synthhid.hid.b_length", 9, 48, 1], ["synthhid.hid.b_descriptor_type", 0x21, 49, 1], ["synthhid.hid.bcd_hid", 0x0101, 50, 2],
      ["synthhid.hid.b_country_code", 0, 52, 1], ["synthhid.hid.b_num_descriptors", 1, 53, 1], ["synthhid.hid.desc.type", 0x22, 54, 1],
      ["synthhid.hid.desc.length", 18, 55, 2], ["synthhid.rd.bytes", Uint8Array.from(REPORT_DESCRIPTOR), 57, 18], ["synthhid.rd.items", 9, 57, 18],
      ["synthhid.rd.usage_page", 1, 58, 1], ["synthhid.rd.usage_gd", 2, 60, 1], ["synthhid.rd.collection_type", 1, 62, 1]] },
    { name: "INITIAL_DEVICE_INFO_ACK", direction: Direction.GuestToHost, bytes: hid(3, Uint8Array.of(0)), info: "INITIAL_DEVICE_INFO_ACK", expect: [
      ["synthhid.ack_reserved", 0, 16, 1]] },
    { name: "INPUT_REPORT (standard mouse)", bytes: hid(4, new Bytes(7).u8(0, 0x05).u16(1, 16384).u16(3, 8192).u16(5, 0xffff).bytes),
      info: "SYNTHHID INPUT_REPORT mouse X=16384 Y=8192 buttons [left, middle]", expect: [
        ["synthhid.mouse.buttons", 5, 16, 1], ["synthhid.mouse.x", 16384, 17, 2], ["synthhid.mouse.y", 8192, 19, 2], ["synthhid.mouse.wheel", -1, 21, 2],
        ["synthhid.report", new Bytes(7).u8(0, 0x05).u16(1, 16384).u16(3, 8192).u16(5, 0xffff).bytes, 16, 7]] },
    { name: "INPUT_REPORT (other size: bytes only)", bytes: hid(4, Uint8Array.of(1, 2, 3)), expect: [["synthhid.report", Uint8Array.of(1, 2, 3), 16, 3]], absent: ["synthhid.mouse.x"] },
    { name: "unknown type 7", bytes: hid(7, words(0x1234).bytes), expect: [["synthhid.body_data", words(0x1234).bytes, 16, 4]] },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const d = new Dissector().dissect(hidRecord(c.bytes, c.direction));
      expectClean(d);
      expectChildrenInside(d);
      assert.deepEqual(d.layers.map((l) => l.field.filter), ["vmbus", "synthhid"]);
      for (const [filter, value, at, length] of c.expect) expectField(d, filter, value, PAYLOAD + at, length);
      for (const filter of c.absent ?? []) expectAbsent(d, filter);
      if (c.info) assert.ok(d.info.includes(c.info), `info "${d.info}" should contain "${c.info}"`);
    });
  }

  test("report descriptor items: prefix parts, sizes and signed values", () => {
    const d = new Dissector().dissect(hidRecord(deviceInfo(REPORT_DESCRIPTOR)));
    const items = findAll(d, "synthhid.rd.entry");
    assert.deepEqual(items.map((i) => [i.offset - PAYLOAD - 57, i.length]), [[0, 2], [2, 2], [4, 2], [6, 2], [8, 3], [11, 2], [13, 2], [15, 2], [17, 1]]);
    const names = findAll(d, "synthhid.rd.item").map((n) => n.field.values?.[Number(n.value)]);
    assert.deepEqual(names, ["Usage Page", "Usage", "Collection", "Logical Minimum", "Logical Maximum", "Report Size", "Report Count", "Input", "End Collection"]);
    const logicalMin = items[3].children!;
    assert.equal(logicalMin.find((c) => c.field.filter === "synthhid.rd.signed_value")?.value, -127);
    assert.equal(logicalMin.find((c) => c.field.filter === "synthhid.rd.item_type")?.value, 1);
    assert.equal(logicalMin.find((c) => c.field.filter === "synthhid.rd.tag")?.value, 1);
    assert.equal(logicalMin.find((c) => c.field.filter === "synthhid.rd.size_code")?.value, 1);
    const logicalMax = items[4].children!;
    assert.equal(logicalMax.find((c) => c.field.filter === "synthhid.rd.value")?.value, 0x7fff);
    assert.equal(logicalMax.find((c) => c.field.filter === "synthhid.rd.signed_value")?.value, 0x7fff);
    expectBits(items[7], "synthhid.rd.main_flags", { constant: false, variable: true, relative: false });
  });

  test("a bad item (data past the descriptor's end) is malformed; the next record decodes", () => {
    const dissector = new Dissector();
    const bad = dissector.dissect(hidRecord(deviceInfo([0x05, 0x01, 0x26, 0xff])));
    assert.equal(bad.malformed, true);
    expectMalformedAt(bad, PAYLOAD + 57 + 3);
    expectClean(dissector.dissect(hidRecord(hid(4, new Bytes(7).u16(1, 1).bytes))));
  });

  test("OpenVMM's device info: size 108, a 169-byte body (descriptor area padded to 128)", () => {
    const body = new Bytes(169).u32(0, 32).u16(4, 0x045e).u16(6, 0x0621).u16(8, 1)
      .u8(32, 9).u8(33, 0x21).u16(34, 0x0101).u8(37, 1).u8(38, 0x22).u16(39, REPORT_DESCRIPTOR.length).raw(41, REPORT_DESCRIPTOR);
    const d = new Dissector().dissect(hidRecord(hid(2, body.bytes, { size: 108 })));
    expectClean(d);
    expectField(d, "synthhid.size", 108, PAYLOAD + 12, 4);
    expectField(d, "synthhid.rd.items", 9, PAYLOAD + 57, 18);
    expectField(d, "synthhid.device_info_padding", new Uint8Array(169 - 41 - 18), PAYLOAD + 57 + 18, 169 - 41 - 18);
  });

  test("an item of the reserved type 3 is malformed", () => {
    const d = new Dissector().dissect(hidRecord(deviceInfo([0x05, 0x01, 0x0d, 0x00])));
    expectMalformedAt(d, PAYLOAD + 57 + 2);
  });

  test("a pipe length or body size past the packet is malformed", () => {
    const dissector = new Dissector();
    expectMalformedAt(dissector.dissect(hidRecord(hid(0, words(0x00020000).bytes, { pipeLen: 64 }))), PAYLOAD + 4);
    expectMalformedAt(dissector.dissect(hidRecord(hid(4, Uint8Array.of(1, 2, 3), { size: 40 }))), PAYLOAD + 16);
    expectMalformedAt(dissector.dissect(hidRecord(hid(3, Uint8Array.of(0), { size: 40 }))), PAYLOAD + 12);
    expectClean(dissector.dissect(hidRecord(hid(0, words(0x00020000).bytes), Direction.GuestToHost)));
  });

  test("a short message is malformed", () => {
    const d = new Dissector().dissect(hidRecord(hid(1, Uint8Array.of(0, 0))));
    assert.equal(d.malformed, true);
  });

  test("pairing: request/response and device info/ack; the version becomes the channel's", () => {
    const dissector = new Dissector();
    const request = dissector.dissect(hidRecord(hid(0, words(0x00020000).bytes), Direction.GuestToHost));
    const response = dissector.dissect(hidRecord(hid(1, new Bytes(5).u32(0, 0x00020000).u8(4, 1).bytes)));
    assert.equal(node(response, "synthhid.request_in").value, request.record.origin.number);
    assert.equal(dissector.session.get("channel.synthhid.version"), 0x00020000);
    const info = dissector.dissect(hidRecord(deviceInfo(REPORT_DESCRIPTOR)));
    const ack = dissector.dissect(hidRecord(hid(3, Uint8Array.of(0)), Direction.GuestToHost));
    assert.equal(node(ack, "synthhid.info.request_in").value, info.record.origin.number);
  });

  test("round trip through the encoder", () => {
    const body = { attributes: { size: 32, vendor_id: 0x045e, product_id: 0x0621, version: 1 },
      hid_descriptor: { b_length: 9, b_descriptor_type: 0x21, bcd_hid: 0x0101, b_country_code: 0, b_num_descriptors: 1, descriptors: [{ type: 0x22, length: REPORT_DESCRIPTOR.length }] },
      report_descriptor: { bytes: Uint8Array.from(REPORT_DESCRIPTOR) } };
    const encoded = encodeStruct(synthhidMessage, { pipe_type: 1, pipe_len: 8 + 59, message: { msg_type: 2, size: 59, body } });
    assert.deepEqual([...encoded], [...deviceInfo(REPORT_DESCRIPTOR)]);
    const report = encodeStruct(synthhidMessage, { pipe_type: 1, pipe_len: 15, message: { msg_type: 4, size: 7, body: { report: Uint8Array.of(2, 0, 0x40, 0, 0x20, 1, 0) } } });
    const d = new Dissector().dissect(hidRecord(report));
    expectClean(d);
    assert.ok(d.info.includes("mouse X=16384 Y=8192 buttons [right]"), d.info);
  });

  test("recogniser", () => {
    assert.ok(recogniseSynthhid(ringPayload(hid(0, words(0x00020000).bytes)), 6));
    assert.ok(recogniseSynthhid(ringPayload(hid(4, new Bytes(7).bytes)), 6));
    assert.ok(!recogniseSynthhid(ringPayload(hid(9, new Bytes(7).bytes)), 6));
  });
});

const ringPayload = (bytes: Uint8Array): Uint8Array => {
  const out = new Uint8Array(Math.ceil(bytes.length / 8) * 8);
  out.set(bytes);
  return out;
};

describe("input reports read by the captured report descriptor (HID 1.11 §6.2.2, §8.4)", () => {
  // Report id 1, X and Y (16 bits each) first, 5 buttons and 3 bits of padding, then an 8-bit signed wheel.
  const descriptor = [...REPORT_ID_MOUSE_DESCRIPTOR];
  const report = Uint8Array.of(0x01, 0xe8, 0x03, 0xd0, 0x07, 0x03, 0xfd); // X 1000, Y 2000, left and right, wheel -3
  const withDescriptor = (): Dissector => {
    const dissector = new Dissector();
    expectClean(dissector.dissect(hidRecord(deviceInfo(descriptor))));
    return dissector;
  };

  test("each field at the bits the descriptor gives it, with its signedness", () => {
    const d = withDescriptor().dissect(hidRecord(hid(4, report)));
    expectClean(d);
    expectChildrenInside(d);
    for (const [filter, value, at, length] of [
      ["synthhid.input.report_id", 1, 16, 1], ["synthhid.input.x", 1000, 17, 2], ["synthhid.input.y", 2000, 19, 2],
      ["synthhid.input.buttons", 3, 21, 1], ["synthhid.input.wheel", -3, 22, 1],
    ] as Expect[]) expectField(d, filter, value, PAYLOAD + at, length);
    expectBits(d, "synthhid.input.buttons", { left: true, right: true, middle: false });
    assert.equal(node(d, "synthhid.input.layout").value, "report id 1; X 16 bits at bit 8, Y 16 bits at bit 24, buttons 5 bits at bit 40, wheel 8 bits at bit 48");
    assert.match(node(d, "synthhid.input").field.label, /captured report descriptor/);
    expectAbsent(d, "synthhid.mouse.x");
    assert.ok(d.info.includes("mouse X=1000 Y=2000 buttons [left, right]"), d.info);
  });

  test("the standard descriptor gives the standard layout; with none, the 7-byte layout is used and says so", () => {
    const dissector = new Dissector();
    dissector.dissect(hidRecord(deviceInfo([...MOUSE_REPORT_DESCRIPTOR])));
    const standard = dissector.dissect(hidRecord(hid(4, new Bytes(7).u8(0, 0x05).u16(1, 16384).u16(3, 8192).u16(5, 0xffff).bytes)));
    assert.equal(node(standard, "synthhid.input.layout").value, "X 16 bits at bit 8, Y 16 bits at bit 24, buttons 5 bits at bit 0, wheel 16 bits at bit 40");
    expectField(standard, "synthhid.input.wheel", -1, PAYLOAD + 21, 2);
    const fallback = new Dissector().dissect(hidRecord(hid(4, report)));
    expectClean(fallback);
    expectAbsent(fallback, "synthhid.input.x");
    expectField(fallback, "synthhid.mouse.x", 1000, PAYLOAD + 17, 2);
    assert.match(node(fallback, "synthhid.mouse").field.label, /standard Hyper-V 7-byte layout: no report descriptor/);
  });

  test("the real host's descriptor defect (byte 14 Logical Maximum for Usage Maximum, devices.md §12.3) still places the buttons", () => {
    const dissector = new Dissector();
    dissector.dissect(hidRecord(deviceInfo([...MOUSE_REPORT_DESCRIPTOR].map((byte, i) => (i === 14 ? 0x25 : byte)))));
    const d = dissector.dissect(hidRecord(hid(4, new Bytes(7).u8(0, 0x02).u16(1, 100).u16(3, 200).bytes)));
    expectBits(d, "synthhid.input.buttons", { left: false, right: true });
    expectField(d, "synthhid.input.y", 200, PAYLOAD + 19, 2);
  });

  test("round trip through the encoder, with the layout the session learned", () => {
    const dissector = withDescriptor();
    const input = { report_id: 1, x: 1200, y: 2100, buttons: 0x12, wheel: -3 };
    const encoded = encodeStruct(synthhidMessage, { pipe_type: 1, pipe_len: 15, message: { msg_type: 4, size: 7, body: { input } } }, undefined, dissector.session);
    assert.deepEqual([...encoded.subarray(16, 23)], [1, 0xb0, 0x04, 0x34, 0x08, 0x12, 0xfd]);
    const d = dissector.dissect(hidRecord(encoded));
    expectClean(d);
    for (const [key, value] of Object.entries(input)) assert.equal(node(d, `synthhid.input.${key}`).value, value, key);
  });

  test("a report shorter than its layout is malformed; a report id other than the descriptor's is a warning", () => {
    const dissector = withDescriptor();
    expectMalformedAt(dissector.dissect(hidRecord(hid(4, report.subarray(0, 5)))), PAYLOAD + 21);
    const other = dissector.dissect(hidRecord(hid(4, Uint8Array.of(2, ...report.subarray(1)))));
    assert.equal(other.malformed, false);
    assert.ok(other.experts.some((e) => e.severity === "warn" && /report id 2 is not the one the descriptor gives X and Y \(1\)/.test(e.text)), JSON.stringify(other.experts));
  });
});
