// Paravisor channels (devices.md §18): GET and its log channel, crash dump, VMBus serial, decoded
// from bytes written by hand. Frame offsets: pseudo-header 0..27, descriptor 28..43, pipe header
// 44..51, device message from 52 (the reference's offset 0 of each message).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Direction } from "../../capture/record.js";
import { Dissector } from "../../dissectors/dissect.js";
import { encodeStruct } from "../../dissectors/describe/encode.js";
import { recogniseCrashdump, recogniseGet, recogniseSerial } from "../../dissectors/paravisor/index.js";
import { crashdumpMessage } from "../../dissectors/paravisor/crashdump.js";
import { getMessage } from "../../dissectors/paravisor/get.js";
import { serialMessage } from "../../dissectors/paravisor/serial.js";
import type { FieldValue } from "../../dissectors/tree.js";
import {
  Bytes, channelMessage, expectChildrenInside, expectClean, expectField, expectMalformedAt, findNode, guidBytes, messageRecord, packetRecord,
} from "./tree-helpers.js";

const GET = "8dedd1aa-9056-49e4-bfd6-1bf90dc38ef0";
const CRASHDUMP = "427b03e7-4ceb-4286-b5fc-486f4a1dd439";
const SERIAL = "8b60ccf6-709f-4c11-90b5-229c959a9e6a";
const M = 52;
const G2H = Direction.GuestToHost;
const H2G = Direction.HostToGuest;

function ring(message: Uint8Array, size = message.length): Uint8Array {
  const payload = new Bytes(8 + message.length).u32(0, 1).u32(4, size).raw(8, message).bytes;
  const len8 = 2 + Math.ceil(payload.length / 8);
  return new Bytes(len8 * 8).u16(0, 6).u16(2, 2).u16(4, len8).raw(16, payload).bytes;
}
const rec = (relid: number, guid: string, message: Uint8Array, direction: Direction, size?: number) =>
  packetRecord(relid, ring(message, size), { classGuid: guidBytes(guid), direction });

/** The 4-byte header of GET and serial: version 1, type, id; then the body. */
const header = (type: number, id: number, length = 4): Bytes => new Bytes(length).u8(0, 1).u8(1, type).u16(2, id);

type Expect = [filter: string, value: FieldValue, at: number, length: number];
const check = (d: ReturnType<Dissector["dissect"]>, expects: Expect[], info: RegExp): void => {
  expectClean(d);
  for (const [filter, value, at, length] of expects) expectField(d, filter, value, M + at, length);
  assert.match(d.info, info);
  expectChildrenInside(d);
};

describe("GET (devices.md §18.1)", () => {
  const get = (message: Bytes | Uint8Array, direction = G2H, dissector = new Dissector()) =>
    dissector.dissect(rec(44, GET, message instanceof Bytes ? message.bytes : message, direction));

  test("VERSION request: header + version u32 (8 bytes)", () => {
    check(get(header(2, 1, 8).u32(4, 0x00040002)), [
      ["get.message_version", 1, 0, 1], ["get.message_type", 2, 1, 1], ["get.request_id", 1, 2, 2], ["get.version", 0x00040002, 4, 4]], /GET host request VERSION NICKEL_REV2/);
  });
  test("VERSION response: accepted u8 + pad u8 (6 bytes)", () => {
    check(get(header(3, 1, 6).u8(4, 1), H2G), [["get.message_type", 3, 1, 1], ["get.version_accepted", 1, 4, 1], ["get.pad_u8", 0, 5, 1]], /GET host response VERSION accepted yes/);
  });
  test("TIME response: pad u32, reference time u64 at 8, utc i64 at 16, time zone i16 at 24, daylight u8 at 26 (32 bytes)", () => {
    check(get(header(3, 2, 32).u64(8, 0x12345678).u64(16, 134087976000000000n).u16(24, 0xffc4).u8(26, 1), H2G), [
      ["get.pad_u32", 0, 4, 4], ["get.vm_reference_time", 0x12345678, 8, 8], ["get.utc", 134087976000000000n, 16, 8],
      ["get.time_zone", -60, 24, 2], ["get.daylight_savings", 1, 26, 1], ["get.pad5", new Uint8Array(5), 27, 5]], /GET host response TIME/);
  });
  test("POWER_OFF host notification: hibernate u8 + pad u8", () => {
    check(get(header(1, 1, 6).u8(4, 1)), [["get.host_notification", 1, 2, 2], ["get.hibernate", 1, 4, 1]], /GET host notification POWER_OFF hibernate yes/);
  });
  test("guest notification with an undocumented body: bytes", () => {
    check(get(header(4, 5, 12).u32(4, 0xdeadbeef), H2G), [["get.guest_notification", 5, 2, 2], ["get.body_data", Uint8Array.from([0xef, 0xbe, 0xad, 0xde, 0, 0, 0, 0]), 4, 8]],
      /GET guest notification MODIFY_VTL2_SETTINGS/);
  });
  test("a response pairs with the request of the same id", () => {
    const dissector = new Dissector();
    const request = rec(44, GET, header(2, 2).bytes, G2H);
    dissector.dissect(request);
    const answer = dissector.dissect(rec(44, GET, header(3, 2, 32).bytes, H2G));
    expectClean(answer);
    assert.equal(findNode(answer, "get.request_in")?.value, request.origin.number);
  });
  test("malformed: type 7, version response cut short; the next record decodes", () => {
    const dissector = new Dissector();
    expectMalformedAt(get(header(7, 1), G2H, dissector), M + 2);
    assert.equal(get(header(3, 1, 4), H2G, dissector).malformed, true);
    assert.equal(dissector.dissect(rec(44, GET, header(3, 1, 6).bytes, H2G, 40)).malformed, true);
    expectClean(get(header(3, 1, 6).u8(4, 1), H2G, dissector));
  });
  test("round trip", () => {
    const bytes = encodeStruct(getMessage, { message_version: 1, message_type: 2, message: { request_id: 1, body: { version: 0x30000 } } });
    check(get(bytes), [["get.version", 0x30000, 4, 4]], /VERSION IRON/);
  });
  test("recogniser", () => {
    assert.equal(recogniseGet(ring(header(2, 1, 8).bytes).subarray(16), 6), true);
    assert.equal(recogniseGet(ring(header(2, 99, 8).bytes).subarray(16), 6), false);
    assert.equal(recogniseGet(ring(new Bytes(8).u8(0, 2).u8(1, 2).bytes).subarray(16), 6), false);
  });
});

describe("GET log channel (devices.md §18.2)", () => {
  /** OFFER_CHANNEL by hand: GET's class with the log channel's instance GUID. */
  const offer = channelMessage(1, 196).guid(8, GET).guid(24, "aa5de534-d149-487a-9053-05972ba20a7c").u16(56, 0x11).u32(60, 4).u32(184, 45).u8(188, 0xff).bytes;

  test("80-byte trace header then the string buffer", () => {
    const dissector = new Dissector();
    expectClean(dissector.dissect(messageRecord(offer, H2G)));
    const strings = [..."bootVTL0 up"].map((c) => c.charCodeAt(0));
    const log = new Bytes(80 + strings.length).u8(0, 1).u8(1, 4).u16(2, 1)
      .u16(4, 4).u16(6, 0).u16(8, 0).u16(10, 4).u16(12, 0).u16(14, 4).u16(16, 7).u16(18, 4)
      .guid(24, "9a0c6f1e-2b3d-4e5f-8a9b-0c1d2e3f4a5b").u64(72, 0x123456789).raw(80, strings);
    const d = dissector.dissect(rec(45, GET, log.bytes, G2H));
    check(d, [
      ["get.log.log_type", 1, 0, 1], ["get.log.level", 4, 1, 1], ["get.log.flags", 1, 2, 2], ["get.log.name_size", 4, 4, 2],
      ["get.log.message_size", 7, 16, 2], ["get.log.message_offset", 4, 18, 2], ["get.log.reserved_u32", 0, 20, 4],
      ["get.log.activity_id", "9a0c6f1e-2b3d-4e5f-8a9b-0c1d2e3f4a5b", 24, 16], ["get.log.timestamp", 0x123456789, 72, 8],
      ["get.log.strings", Uint8Array.from(strings), 80, strings.length],
      // The {size, offset} pairs point into the buffer after the header (OpenVMM get_protocol).
      ["get.log.name_text", "boot", 80, 4], ["get.log.message_text", "VTL0 up", 84, 7]], /GET log span enter level 4 boot: VTL0 up/);
  });
  test("shorter than 80 bytes is malformed", () => {
    const dissector = new Dissector();
    dissector.dissect(messageRecord(offer, H2G));
    assert.equal(dissector.dissect(rec(45, GET, new Uint8Array(40), G2H)).malformed, true);
  });
});

describe("guest crash dump (devices.md §18.3)", () => {
  const ACTIVITY = "3f9a2c1d-5e6b-4a7c-8d9e-0f1a2b3c4d5e";
  const dump = (type: number, length = 24): Bytes => new Bytes(length).guid(0, ACTIVITY).u64(16, type);
  const crash = (message: Bytes, direction = G2H, dissector = new Dissector()) => dissector.dissect(rec(41, CRASHDUMP, message.bytes, direction));

  test("request: activity id, message type", () => {
    check(crash(dump(0x1)), [["crashdump.activity_id", ACTIVITY, 0, 16], ["crashdump.message_type", 1, 16, 8]], /crash dump GET_CAPABILITIES_V1 request/);
  });
  test("capabilities response: u64 at 24", () => {
    check(crash(dump(0x10001, 32).u64(24, 2), H2G), [["crashdump.capabilities", 2, 24, 8]], /GET_CAPABILITIES_V1 response \[Linux config v1\]/);
  });
  test("dump config v1 response: max_dump_size u64, dump_type u32", () => {
    check(crash(dump(0x10002, 36).u64(24, 0x40000000).u32(32, 2), H2G), [["crashdump.max_dump_size", 0x40000000, 24, 8], ["crashdump.dump_type", 2, 32, 4]],
      /GET_WINDOWS_DUMP_CONFIG_V1 response kdump/);
  });
  test("other bodies stay bytes; a response pairs with its request", () => {
    const dissector = new Dissector();
    const request = rec(41, CRASHDUMP, dump(0x104, 32).u64(24, 7).bytes, G2H);
    check(dissector.dissect(request), [["crashdump.body_data", Uint8Array.from([7, 0, 0, 0, 0, 0, 0, 0]), 24, 8]], /NIX_DUMP_WRITE_V1 request/);
    const answer = crash(dump(0x10104), H2G, dissector);
    assert.equal(findNode(answer, "crashdump.request_in")?.value, request.origin.number);
  });
  test("malformed: header cut short; the next record decodes", () => {
    const dissector = new Dissector();
    assert.equal(crash(new Bytes(20), G2H, dissector).malformed, true);
    expectClean(crash(dump(0x5), G2H, dissector));
  });
  test("round trip and recogniser", () => {
    const bytes = encodeStruct(crashdumpMessage, { activity_id: ACTIVITY, message_type: 0x10102, body: { max_dump_size: 4096, dump_type: 1 } });
    check(crash(new Bytes(bytes.length).raw(0, bytes), H2G), [["crashdump.dump_type", 1, 32, 4]], /GET_NIX_DUMP_CONFIG_V1 response ELF/);
    assert.equal(recogniseCrashdump(ring(dump(0x103).bytes).subarray(16), 6), true);
    assert.equal(recogniseCrashdump(ring(dump(0x7).bytes).subarray(16), 6), false);
  });
});

describe("VMBus serial (devices.md §18.4)", () => {
  const serial = (message: Bytes, direction = G2H, dissector = new Dissector()) => dissector.dissect(rec(42, SERIAL, message.bytes, direction));
  const text = [..."login: "].map((c) => c.charCodeAt(0));

  test("TX_DATA_AVAILABLE: length u8 at 4, buffer[64] at 5, pad at 69 (70 bytes)", () => {
    check(serial(header(1, 2, 70).u8(4, text.length).raw(5, text)), [
      ["serial.host_notification", 2, 2, 2], ["serial.buffer_length", 7, 4, 1], ["serial.data", Uint8Array.from(text), 5, 7],
      ["serial.buffer_unused", new Uint8Array(57), 12, 57], ["serial.pad_u8", 0, 69, 1]], /serial host notification TX_DATA_AVAILABLE 7 bytes/);
  });
  test("VERSION request and response", () => {
    check(serial(header(2, 1, 8).u32(4, 0x10000)), [["serial.requested_version", 0x10000, 4, 4]], /serial host request VERSION MANGANESE/);
    check(serial(header(3, 1, 6).u8(4, 0), H2G), [["serial.version_accepted", 0, 4, 1]], /serial host response VERSION accepted no/);
  });
  test("GET_RX_DATA response: length u8 at 4, more u8 at 5, buffer at 6 (70 bytes)", () => {
    check(serial(header(3, 2, 70).u8(4, 2).u8(5, 1).raw(6, [0x6f, 0x6b]), H2G), [
      ["serial.buffer_length", 2, 4, 1], ["serial.more_data_available", 1, 5, 1], ["serial.data", Uint8Array.from([0x6f, 0x6b]), 6, 2]], /GET_RX_DATA 2 bytes/);
  });
  test("SET_MODEM_STATUS: modem status u8, is_connected u8 (6 bytes)", () => {
    check(serial(header(4, 2, 6).u8(4, 0xb0).u8(5, 1), H2G), [["serial.guest_notification", 2, 2, 2], ["serial.modem_status", 0xb0, 4, 1], ["serial.is_connected", 1, 5, 1]],
      /SET_MODEM_STATUS modem status 0xb0 connected yes/);
  });
  test("header-only messages: RX_CLEAR_BUFFER, GET_RX_DATA request, RX_DATA_AVAILABLE, TX_COMPLETED", () => {
    check(serial(header(1, 1)), [["serial.host_notification", 1, 2, 2]], /RX_CLEAR_BUFFER$/);
    check(serial(header(2, 2)), [["serial.request_id", 2, 2, 2]], /host request GET_RX_DATA$/);
    check(serial(header(4, 1), H2G), [["serial.guest_notification", 1, 2, 2]], /RX_DATA_AVAILABLE$/);
    check(serial(header(4, 3), H2G), [["serial.guest_notification", 3, 2, 2]], /TX_COMPLETED$/);
  });
  test("malformed: buffer length 65, message cut short; the next record decodes", () => {
    const dissector = new Dissector();
    expectMalformedAt(serial(header(1, 2, 70).u8(4, 65), G2H, dissector), M + 4);
    assert.equal(serial(header(1, 2, 30).u8(4, 1), G2H, dissector).malformed, true);
    expectClean(serial(header(1, 1), G2H, dissector));
  });
  test("round trip, pairing and recogniser", () => {
    const dissector = new Dissector();
    const request = rec(42, SERIAL, encodeStruct(serialMessage, { message_version: 1, message_type: 2, message: { request_id: 2, body: {} } }), G2H);
    expectClean(dissector.dissect(request));
    const bytes = encodeStruct(serialMessage, { message_version: 1, message_type: 3, message: { request_id: 2, body: { buffer_length: 1, more_data_available: 0, data: Uint8Array.from([0x41]), buffer_unused: new Uint8Array(63) } } });
    assert.equal(bytes.length, 70);
    const answer = serial(new Bytes(70).raw(0, bytes), H2G, dissector);
    check(answer, [["serial.data", Uint8Array.from([0x41]), 6, 1]], /GET_RX_DATA 1 bytes/);
    assert.equal(findNode(answer, "serial.request_in")?.value, request.origin.number);
    assert.equal(recogniseSerial(ring(header(3, 2, 70).bytes).subarray(16), 6), true);
    assert.equal(recogniseSerial(ring(header(3, 2, 8).bytes).subarray(16), 6), false);
  });
});
