// Hyper-V sockets (core.md §7.1, §7.2) decoded from bytes written by hand at the offsets of the
// reference tables. Frame offsets: pseudo-header 0..27, packet descriptor 28..43, pipe header from
// 44 (offset8 = 2), socket data from 52.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Direction } from "../../capture/record.js";
import { Dissector } from "../../dissectors/dissect.js";
import { encodeStruct } from "../../dissectors/describe/encode.js";
import { hvsockMessage, recogniseHvsock } from "../../dissectors/hvsock/index.js";
import { findDevice } from "../../dissectors/devices.js";
import {
  Bytes, channelMessage, expectChildrenInside, expectClean, expectField, expectMalformedAt, findNode, messageRecord, packetRecord,
} from "./tree-helpers.js";

const RELID = 41;
const PIPE = 44;
const SERVICE = "00000016-facb-11e6-bd58-64006a7986d3";
const ENDPOINT = "5e1f0a3c-7b2d-4c8e-9f01-23456789abcd";

/** OFFER_CHANNEL by hand (core.md §4.5.1, §7.2): flags 0x2011, hv_sock user area at 60. */
function offer(relid: number, isForGuestAccept: number): Uint8Array {
  return channelMessage(1, 196).guid(8, SERVICE).guid(24, ENDPOINT).u16(56, 0x2011)
    .u32(60, 0).u8(64, isForGuestAccept).u8(65, 0).u32(66, 1)
    .u32(184, relid).u8(188, 0xff).bytes;
}

/** An in-band packet (type 6, offset8 2, flags 0, trans_id 0) carrying the payload, padded to 8. */
function ring(payload: Uint8Array, len8 = 2 + Math.ceil(payload.length / 8)): Uint8Array {
  return new Bytes(len8 * 8).u16(0, 6).u16(2, 2).u16(4, len8).u16(6, 0).u64(8, 0).raw(16, payload.subarray(0, len8 * 8 - 16)).bytes;
}

const pipe = (type: number, size: number, body: ArrayLike<number> = []): Uint8Array =>
  new Bytes(8 + body.length).u32(0, type).u32(4, size).raw(8, body).bytes;

function session(): Dissector {
  const dissector = new Dissector();
  expectClean(dissector.dissect(messageRecord(offer(RELID, 1), Direction.HostToGuest)));
  return dissector;
}

const packet = (payload: Uint8Array, direction = Direction.HostToGuest) => packetRecord(RELID, ring(payload), { direction });

describe("hv_sock offer", () => {
  test("the offer's hv_sock area is decoded and the channel becomes hvsock", () => {
    const dissector = new Dissector();
    const d = dissector.dissect(messageRecord(offer(RELID, 1), Direction.HostToGuest));
    expectClean(d);
    // Channel message at frame offset 28; the area at message offset 60.
    expectField(d, "vmbus.chan.hvsock.is_for_guest_accept", 1, 28 + 64, 1);
    expectField(d, "vmbus.chan.hvsock.version", 1, 28 + 66, 4);
    const data = dissector.dissect(packet(pipe(1, 3, [1, 2, 3])));
    assert.equal(data.device?.short, "hvsock");
    assert.equal(findDevice("vsock")?.protocol?.name, "hvsock");
  });
});

describe("hv_sock pipe messages (core.md §7.1)", () => {
  test("Data: type 1, size, bytes, padding", () => {
    const bytes = Array.from({ length: 512 }, (_, i) => i & 0xff);
    const d = session().dissect(packet(pipe(1, 512, bytes)));
    expectClean(d);
    expectField(d, "hvsock.packet_type", 1, PIPE, 4);
    expectField(d, "hvsock.data_size", 512, PIPE + 4, 4);
    expectField(d, "hvsock.data", Uint8Array.from(bytes), PIPE + 8, 512);
    assert.match(d.info, /hv_sock data 512 bytes$/);
    expectChildrenInside(d);
  });

  test("Data with padding: 3 bytes then 5 padding bytes", () => {
    const d = session().dissect(packet(pipe(1, 3, [0x61, 0x62, 0x63]), Direction.GuestToHost));
    expectClean(d);
    expectField(d, "hvsock.data", Uint8Array.from([0x61, 0x62, 0x63]), PIPE + 8, 3);
    expectField(d, "hvsock.padding", new Uint8Array(5), PIPE + 11, 5);
  });

  test("zero-length Data is the FIN", () => {
    const d = session().dissect(packet(pipe(1, 0)));
    expectClean(d);
    expectField(d, "hvsock.data_size", 0, PIPE + 4, 4);
    assert.ok(findNode(d, "hvsock.fin"));
    assert.equal(findNode(d, "hvsock.data"), undefined);
    assert.match(d.info, /hv_sock FIN$/);
  });

  test("Partial: low u16 total size, high u16 consumed", () => {
    const body = Array.from({ length: 24 }, (_, i) => i);
    const d = session().dissect(packet(new Bytes(32).u32(0, 2).u16(4, 24).u16(6, 10).raw(8, body).bytes));
    expectClean(d);
    expectField(d, "hvsock.packet_type", 2, PIPE, 4);
    expectField(d, "hvsock.partial_size", 24, PIPE + 4, 2);
    expectField(d, "hvsock.partial_offset", 10, PIPE + 6, 2);
    expectField(d, "hvsock.partial_left", 14, PIPE + 8, 0);
    assert.match(d.info, /partial: 10 of 24 bytes consumed/);
  });

  test("SetupGpaDirect: handle at 8, is_writable at 12, range count at 13 (packed), ranges at 17", () => {
    // One range: byte_count 0x2000 at 17, byte_offset 0 at 21, two PFNs at 25 and 33.
    const body = new Bytes(33).u32(0, 0x77).u8(4, 1).u32(5, 1).u32(9, 0x2000).u32(13, 0).u64(17, 0x1234).u64(25, 0x1235).bytes;
    const d = session().dissect(packet(pipe(3, body.length, body), Direction.GuestToHost));
    expectClean(d);
    expectField(d, "hvsock.handle", 0x77, PIPE + 8, 4);
    expectField(d, "hvsock.is_writable", 1, PIPE + 12, 1);
    expectField(d, "hvsock.range_count", 1, PIPE + 13, 4);
    expectField(d, "vmbus.gpa.byte_count", 0x2000, PIPE + 17, 4);
    expectField(d, "vmbus.gpa.pfn", 0x1234, PIPE + 25, 8);
  });

  test("TeardownGpaDirect: handle at 8", () => {
    const d = session().dissect(packet(pipe(4, 4, [0x77, 0, 0, 0]), Direction.GuestToHost));
    expectClean(d);
    expectField(d, "hvsock.packet_type", 4, PIPE, 4);
    expectField(d, "hvsock.handle", 0x77, PIPE + 8, 4);
    assert.match(d.info, /teardown GPA direct handle 0x77/);
  });

  test("IndicationComplete: body as bytes", () => {
    const d = session().dissect(packet(pipe(5, 2, [9, 8])));
    expectClean(d);
    expectField(d, "hvsock.body_data", Uint8Array.from([9, 8]), PIPE + 8, 2);
  });
});

describe("hv_sock malformed input", () => {
  test("type 0 (Invalid) is malformed and the next packet decodes", () => {
    const dissector = session();
    const bad = dissector.dissect(packet(pipe(0, 0)));
    expectMalformedAt(bad, PIPE + 4);
    const good = dissector.dissect(packet(pipe(1, 2, [1, 2])));
    expectClean(good);
    assert.match(good.info, /hv_sock data 2 bytes/);
  });

  test("data size past the packet is malformed", () => {
    const dissector = session();
    const bad = dissector.dissect(packet(pipe(1, 100, [1, 2, 3, 4, 5, 6, 7, 8])));
    assert.equal(bad.malformed, true);
    expectClean(dissector.dissect(packet(pipe(1, 0))));
  });

  test("data size above the 16384-byte pipe maximum is malformed", () => {
    const bytes = new Uint8Array(16385);
    const d = session().dissect(packet(pipe(1, bytes.length, bytes)));
    expectMalformedAt(d, PIPE + 4);
  });

  test("a GPA-direct setup whose range count exceeds its bytes is malformed", () => {
    const body = new Bytes(9).u32(0, 0x77).u8(4, 1).u32(5, 5).bytes;
    const d = session().dissect(packet(pipe(3, body.length, body)));
    assert.equal(d.malformed, true);
  });
});

describe("hv_sock round trip and recogniser", () => {
  test("encode then decode", () => {
    const values = [
      { packet_type: 1, body: { kind: { data_size: 4, data: Uint8Array.from([1, 2, 3, 4]) } } },
      { packet_type: 1, body: { kind: { data_size: 0 } } },
      { packet_type: 4, body: { data_size: 4, handle: 0x55 } },
      { packet_type: 2, body: { partial_size: 4, partial_offset: 1, partial_data: Uint8Array.from([1, 2, 3, 4]) } },
    ];
    for (const value of values) {
      const bytes = encodeStruct(hvsockMessage, value);
      const d = session().dissect(packet(bytes));
      expectClean(d);
      expectField(d, "hvsock.packet_type", value.packet_type, PIPE, 4);
    }
  });

  test("recognises Data packets by their pipe header", () => {
    assert.equal(recogniseHvsock(ring(pipe(1, 5, [1, 2, 3, 4, 5])).subarray(16), 6), true);
    assert.equal(recogniseHvsock(ring(pipe(1, 5, [1, 2, 3, 4, 5])).subarray(16), 11), false);
    assert.equal(recogniseHvsock(ring(pipe(1, 500, [1])).subarray(16), 6), false);
    assert.equal(recogniseHvsock(ring(pipe(4, 4, [1, 0, 0, 0])).subarray(16), 6), true);
  });
});
