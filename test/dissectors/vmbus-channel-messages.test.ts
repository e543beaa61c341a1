// Channel-management messages 1..29 (core.md 4.3-4.5) decoded from bytes written by hand from the
// reference tables. Frame offsets: pseudo-header 0..27, msgtype at 28, padding at 32, body from 36.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Direction, RecordKind } from "../../capture/record.js";
import { Dissector } from "../../dissectors/index.js";
import {
  BODY, Bytes, FRAME, channelMessage, errors, expectAbsent, expectBits, expectChildrenInside, expectClean, expectField,
  expectMalformedAt, expectNode, findAll, guidBytes, hex, messageRecord, node, packetRecord, record,
} from "./tree-helpers.js";

const NIC = "f8615163-df3e-46c5-913f-f2d2f965ed0e";
const SCSI = "ba6163d9-04a1-4d29-b605-72e2ffb1dc7f";
const INSTANCE = "6a1d0001-3c2b-4f6e-9a7d-00155d10abcd";
const SERVICE_22 = "00000016-facb-11e6-bd58-64006a7986d3";
const ENDPOINT = "0a0b0c0d-1e1f-4a4b-8c8d-0e0f10111213";
const SILO = "5ca1ab1e-0102-4304-8506-0708090a0b0c";
const OPENHCL_CLIENT = "ceb1cd55-6a3b-41c5-9473-4dd30624c3d8";

const decode = (payload: Uint8Array, direction = Direction.GuestToHost) => new Dissector().dissect(messageRecord(payload, direction));

/** Header (8 bytes) + body: msgtype at frame 28, padding at 32, the body node at 36. */
function expectHeader(d: ReturnType<typeof decode>, msgtype: number, bodyFilter: string, bodyLength: number): void {
  expectField(d, "vmbus.kind", RecordKind.ChannelMessage, 4, 1);
  expectField(d, "vmbus.chan", null, FRAME, 8 + bodyLength);
  expectField(d, "vmbus.chan.msgtype", msgtype, FRAME, 4);
  expectField(d, "vmbus.chan.padding", 0, FRAME + 4, 4);
  expectField(d, bodyFilter, null, BODY, bodyLength);
  expectChildrenInside(d);
}

describe("GUID helper (core.md 1.2 worked examples)", () => {
  test("text to mixed-endian bytes", () => {
    assert.deepEqual(guidBytes(NIC), hex("63 51 61 f8 3e df c5 46 91 3f f2 d2 f9 65 ed 0e"));
    assert.deepEqual(guidBytes("628180B8-308D-4c5e-B7DB-1BEB62E62EF4"), hex("b8 80 81 62 8d 30 5e 4c b7 db 1b eb 62 e6 2e f4"));
    assert.deepEqual(guidBytes(SERVICE_22), hex("16 00 00 00 cb fa e6 11 bd 58 64 00 6a 79 86 d3"));
  });
});

/** OFFER_CHANNEL body common to all forms (offsets from the message start, core.md 4.5.1). */
function offer(size: number, flags: number, relid = 7, classGuid = NIC): Bytes {
  return channelMessage(1, size)
    .guid(8, classGuid)
    .guid(24, INSTANCE)
    .u64(40, 0x0102030405060708n)
    .u32(48, 0x11121314)
    .u32(52, 0x21222324)
    .u16(56, flags)
    .u16(58, 8)
    .u16(180, 3)
    .u16(182, 0x0203)
    .u32(184, relid)
    .u8(188, 0x25)
    .u8(189, 0x01);
}

describe("OFFER_CHANNEL (1)", () => {
  test("196-byte form: every field at its offset", () => {
    const bytes = offer(196, 0x0001).fill(60, 120, 0x40).u16(190, 0x0001).u32(192, 0x00002007).bytes;
    const d = decode(bytes, Direction.HostToGuest);
    expectClean(d);
    expectHeader(d, 1, "vmbus.chan.offer", 188);
    expectField(d, "vmbus.chan.if_type", NIC, 36, 16);
    expectField(d, "vmbus.chan.if_instance", INSTANCE, 52, 16);
    expectField(d, "vmbus.chan.reserved1", 0x0102030405060708n, 68, 8);
    expectField(d, "vmbus.chan.reserved2_low", 0x11121314, 76, 4);
    expectField(d, "vmbus.chan.reserved2_high", 0x21222324, 80, 4);
    expectField(d, "vmbus.chan.flags", 0x0001, 84, 2);
    expectBits(d, "vmbus.chan.flags", { enumerate_device_interface: true, named_pipe_mode: false, tlnpi_provider: false, confidential_ring_buffer: false });
    expectField(d, "vmbus.chan.mmio_megabytes", 8, 86, 2);
    expectField(d, "vmbus.chan.user_defined_area", null, 88, 120);
    const user = expectField(d, "vmbus.chan.user_defined", bytes.subarray(60, 180), 88, 120);
    assert.equal((user.value as Uint8Array)[0], 0x40);
    expectAbsent(d, "vmbus.chan.pipe");
    expectAbsent(d, "vmbus.chan.hvsock");
    expectField(d, "vmbus.chan.sub_channel_index", 3, 208, 2);
    expectField(d, "vmbus.chan.mmio_megabytes_optional", 0x0203, 210, 2);
    expectField(d, "vmbus.chan.child_relid", 7, 212, 4);
    expectField(d, "vmbus.chan.monitor_id", 0x25, 216, 1);
    expectField(d, "vmbus.chan.monitor_flags", 1, 217, 1);
    expectBits(d, "vmbus.chan.monitor_flags", { allocated: true });
    expectField(d, "vmbus.chan.interrupt_flags", 1, 218, 2);
    expectBits(d, "vmbus.chan.interrupt_flags", { dedicated: true });
    expectField(d, "vmbus.chan.connection_id", 0x2007, 220, 4);
    assert.match(d.info, /OfferChannel/);
  });

  test("pre-1.1 190-byte form has no interrupt flags or connection id, and is not malformed", () => {
    const d = decode(offer(190, 0x0000, 2, SCSI).bytes, Direction.HostToGuest);
    expectClean(d);
    expectHeader(d, 1, "vmbus.chan.offer", 182);
    expectField(d, "vmbus.chan.if_type", SCSI, 36, 16);
    expectField(d, "vmbus.chan.child_relid", 2, 212, 4);
    expectField(d, "vmbus.chan.monitor_flags", 1, 217, 1);
    expectAbsent(d, "vmbus.chan.interrupt_flags");
    expectAbsent(d, "vmbus.chan.connection_id");
  });

  test("pipe mode (flag 0x10): pipe mode, 112 user bytes, pipe flags", () => {
    const bytes = offer(196, 0x0011).u32(60, 4).fill(64, 112, 0x90).u32(176, 0x00000001).u16(190, 1).u32(192, 0x2005).bytes;
    const d = decode(bytes, Direction.HostToGuest);
    expectClean(d);
    expectBits(d, "vmbus.chan.flags", { enumerate_device_interface: true, named_pipe_mode: true, tlnpi_provider: false });
    expectField(d, "vmbus.chan.pipe", null, 88, 120);
    expectField(d, "vmbus.chan.pipe.mode", 4, 88, 4);
    assert.equal(node(d, "vmbus.chan.pipe.mode").field.values?.[4], "Message");
    expectField(d, "vmbus.chan.pipe.user_defined", bytes.subarray(64, 176), 92, 112);
    expectField(d, "vmbus.chan.pipe.flags", 1, 204, 4);
    expectAbsent(d, "vmbus.chan.user_defined_area");
    expectAbsent(d, "vmbus.chan.hvsock");
    expectField(d, "vmbus.chan.sub_channel_index", 3, 208, 2);
    expectField(d, "vmbus.chan.child_relid", 7, 212, 4);
  });

  test("hv_sock offer (flags 0x2011): guest-accept, version, silo id", () => {
    const bytes = channelMessage(1, 196)
      .guid(8, SERVICE_22).guid(24, ENDPOINT)
      .u16(56, 0x2011)
      .u32(60, 0)       // PipeType: byte pipe
      .u8(64, 1)        // IsForGuestAccept
      .u8(65, 0)        // IsForGuestContainer
      .u32(66, 1)       // Version (unaligned)
      .guid(70, SILO)   // SiloId (unaligned)
      .u32(184, 0x31).u8(188, 0xff).u8(189, 0).u16(190, 1).u32(192, 0x2031).bytes;
    const d = decode(bytes, Direction.HostToGuest);
    expectClean(d);
    expectField(d, "vmbus.chan.flags", 0x2011, 84, 2);
    expectBits(d, "vmbus.chan.flags", { enumerate_device_interface: true, named_pipe_mode: true, tlnpi_provider: true, confidential_ring_buffer: false, confidential_external_memory: false });
    expectField(d, "vmbus.chan.if_type", SERVICE_22, 36, 16);
    expectField(d, "vmbus.chan.if_instance", ENDPOINT, 52, 16);
    expectField(d, "vmbus.chan.hvsock", null, 88, 120);
    expectField(d, "vmbus.chan.hvsock.pipe_mode", 0, 88, 4);
    expectField(d, "vmbus.chan.hvsock.is_for_guest_accept", 1, 92, 1);
    expectField(d, "vmbus.chan.hvsock.is_for_guest_container", 0, 93, 1);
    expectField(d, "vmbus.chan.hvsock.version", 1, 94, 4);
    expectField(d, "vmbus.chan.hvsock.silo_id", SILO, 98, 16);
    expectAbsent(d, "vmbus.chan.pipe");
    expectField(d, "vmbus.chan.child_relid", 0x31, 212, 4);
    expectField(d, "vmbus.chan.monitor_id", 0xff, 216, 1);
    expectBits(d, "vmbus.chan.monitor_flags", { allocated: false });
  });
});

describe("messages with a relid or handle", () => {
  test("RESCIND_CHANNELOFFER (2)", () => {
    const d = decode(channelMessage(2, 12).u32(8, 0x12345678).bytes, Direction.HostToGuest);
    expectClean(d);
    expectHeader(d, 2, "vmbus.chan.rescind", 4);
    expectField(d, "vmbus.chan.child_relid", 0x12345678, 36, 4);
  });

  test("OPEN_CHANNEL (5), 148 bytes", () => {
    const bytes = channelMessage(5, 148).u32(8, 7).u32(12, 0x0a0b).u32(16, 0xe1e10).u32(20, 0xffffffff).u32(24, 128).fill(28, 120, 3).bytes;
    const d = decode(bytes);
    expectClean(d);
    expectHeader(d, 5, "vmbus.chan.open", 140);
    expectField(d, "vmbus.chan.child_relid", 7, 36, 4);
    expectField(d, "vmbus.chan.open_id", 0x0a0b, 40, 4);
    expectField(d, "vmbus.chan.gpadl", 0xe1e10, 44, 4);
    expectField(d, "vmbus.chan.target_vp", 0xffffffff, 48, 4);
    expectField(d, "vmbus.chan.downstream_ring_page_offset", 128, 52, 4);
    expectField(d, "vmbus.chan.user_data", bytes.subarray(28, 148), 56, 120);
    expectAbsent(d, "vmbus.chan.connection_id");
    expectAbsent(d, "vmbus.chan.event_flag");
    expectAbsent(d, "vmbus.chan.open_flags");
  });

  test("OPEN_CHANNEL (5), 156-byte OpenChannel2", () => {
    const bytes = channelMessage(5, 156).u32(8, 9).u32(12, 9).u32(16, 0xe1e11).u32(20, 2).u32(24, 64)
      .u32(148, 0x00801234).u16(152, 0x0009).u16(154, 0x0001).bytes;
    const d = decode(bytes);
    expectClean(d);
    expectHeader(d, 5, "vmbus.chan.open", 148);
    expectField(d, "vmbus.chan.target_vp", 2, 48, 4);
    expectField(d, "vmbus.chan.downstream_ring_page_offset", 64, 52, 4);
    expectField(d, "vmbus.chan.connection_id", 0x00801234, 176, 4);
    expectField(d, "vmbus.chan.event_flag", 9, 180, 2);
    expectField(d, "vmbus.chan.open_flags", 1, 182, 2);
    expectBits(d, "vmbus.chan.open_flags", { redirect_interrupt: true });
  });

  test("OPENCHANNEL_RESULT (6)", () => {
    const d = decode(channelMessage(6, 20).u32(8, 7).u32(12, 0x77).u32(16, 0xc0000001).bytes, Direction.HostToGuest);
    expectClean(d);
    expectHeader(d, 6, "vmbus.chan.open_result", 12);
    expectField(d, "vmbus.chan.child_relid", 7, 36, 4);
    expectField(d, "vmbus.chan.open_id", 0x77, 40, 4);
    expectField(d, "vmbus.chan.status", 0xc0000001, 44, 4);
  });

  test("CLOSECHANNEL (7)", () => {
    const d = decode(channelMessage(7, 12).u32(8, 0x0d).bytes);
    expectClean(d);
    expectHeader(d, 7, "vmbus.chan.close", 4);
    expectField(d, "vmbus.chan.child_relid", 0x0d, 36, 4);
  });

  test("GPADL_CREATED (10)", () => {
    const d = decode(channelMessage(10, 20).u32(8, 7).u32(12, 0xe1e10).u32(16, 0x8000ffff).bytes, Direction.HostToGuest);
    expectClean(d);
    expectHeader(d, 10, "vmbus.chan.gpadl_created", 12);
    expectField(d, "vmbus.chan.child_relid", 7, 36, 4);
    expectField(d, "vmbus.chan.gpadl", 0xe1e10, 40, 4);
    expectField(d, "vmbus.chan.creation_status", 0x8000ffff, 44, 4);
  });

  test("GPADL_TEARDOWN (11)", () => {
    const d = decode(channelMessage(11, 16).u32(8, 7).u32(12, 0xe1e12).bytes);
    expectClean(d);
    expectHeader(d, 11, "vmbus.chan.gpadl_teardown", 8);
    expectField(d, "vmbus.chan.child_relid", 7, 36, 4);
    expectField(d, "vmbus.chan.gpadl", 0xe1e12, 40, 4);
  });

  test("GPADL_TORNDOWN (12)", () => {
    const d = decode(channelMessage(12, 12).u32(8, 0xe1e12).bytes, Direction.HostToGuest);
    expectClean(d);
    expectHeader(d, 12, "vmbus.chan.gpadl_torndown", 4);
    expectField(d, "vmbus.chan.gpadl", 0xe1e12, 36, 4);
    expectAbsent(d, "vmbus.chan.child_relid");
  });

  test("RELID_RELEASED (13)", () => {
    const d = decode(channelMessage(13, 12).u32(8, 0x2a).bytes);
    expectClean(d);
    expectHeader(d, 13, "vmbus.chan.relid_released", 4);
    expectField(d, "vmbus.chan.child_relid", 0x2a, 36, 4);
  });

  test("OPEN_RESERVED_CHANNEL (18)", () => {
    const d = decode(channelMessage(18, 28).u32(8, 0x40).u32(12, 3).u32(16, 2).u32(20, 0xe1e20).u32(24, 5).bytes);
    expectClean(d);
    expectHeader(d, 18, "vmbus.chan.open_reserved", 20);
    expectField(d, "vmbus.chan.channel_id", 0x40, 36, 4);
    expectField(d, "vmbus.chan.reserved_target_vp", 3, 40, 4);
    expectField(d, "vmbus.chan.target_sint", 2, 44, 4);
    expectField(d, "vmbus.chan.ring_gpadl", 0xe1e20, 48, 4);
    expectField(d, "vmbus.chan.downstream_ring_page_offset", 5, 52, 4);
  });

  test("CLOSE_RESERVED_CHANNEL (19)", () => {
    const d = decode(channelMessage(19, 20).u32(8, 0x40).u32(12, 3).u32(16, 7).bytes);
    expectClean(d);
    expectHeader(d, 19, "vmbus.chan.close_reserved", 12);
    expectField(d, "vmbus.chan.channel_id", 0x40, 36, 4);
    expectField(d, "vmbus.chan.reserved_target_vp", 3, 40, 4);
    expectField(d, "vmbus.chan.target_sint", 7, 44, 4);
  });

  test("CLOSE_RESERVED_RESPONSE (20)", () => {
    const d = decode(channelMessage(20, 12).u32(8, 0x41).bytes, Direction.HostToGuest);
    expectClean(d);
    expectHeader(d, 20, "vmbus.chan.close_reserved_response", 4);
    expectField(d, "vmbus.chan.channel_id", 0x41, 36, 4);
  });

  test("MODIFYCHANNEL (22)", () => {
    const d = decode(channelMessage(22, 16).u32(8, 7).u32(12, 5).bytes);
    expectClean(d);
    expectHeader(d, 22, "vmbus.chan.modify", 8);
    expectField(d, "vmbus.chan.child_relid", 7, 36, 4);
    expectField(d, "vmbus.chan.target_vp", 5, 40, 4);
  });

  test("MODIFYCHANNEL_RESPONSE (24): status is a signed i32", () => {
    const d = decode(channelMessage(24, 16).u32(8, 7).i32(12, -1073741823).bytes, Direction.HostToGuest);
    expectClean(d);
    expectHeader(d, 24, "vmbus.chan.modify_response", 8);
    expectField(d, "vmbus.chan.child_relid", 7, 36, 4);
    expectField(d, "vmbus.chan.modify_status", -1073741823, 40, 4);
  });

  test("MODIFY_CONNECTION (25)", () => {
    const d = decode(channelMessage(25, 24).u64(8, 0x0000000123456000n).u64(16, 0x8000000000001000n).bytes);
    expectClean(d);
    expectHeader(d, 25, "vmbus.chan.modify_connection", 16);
    expectField(d, "vmbus.chan.monitor_page1", 0x0000000123456000n, 36, 8);
    expectField(d, "vmbus.chan.monitor_page2", 0x8000000000001000n, 44, 8);
  });

  test("MODIFY_CONNECTION_RESPONSE (26): 9 bytes", () => {
    const d = decode(channelMessage(26, 9).u8(8, 1).bytes, Direction.HostToGuest);
    expectClean(d);
    expectHeader(d, 26, "vmbus.chan.modify_connection_response", 1);
    expectField(d, "vmbus.chan.connection_state", 1, 36, 1);
  });
});

describe("header-only messages", () => {
  const cases: [number, string][] = [
    [3, "vmbus.chan.request_offers"], [4, "vmbus.chan.all_offers_delivered"], [16, "vmbus.chan.unload"],
    [17, "vmbus.chan.unload_complete"], [27, "vmbus.chan.pause"], [28, "vmbus.chan.pause_response"], [29, "vmbus.chan.resume"],
  ];
  for (const [msgtype, filter] of cases) {
    test(`${filter.slice("vmbus.chan.".length)} (${msgtype})`, () => {
      const d = decode(channelMessage(msgtype, 8).bytes);
      expectClean(d);
      expectHeader(d, msgtype, filter, 0);
      expectAbsent(d, "vmbus.chan.unknown");
    });
  }
});

describe("GPADL_HEADER (8) and GPADL_BODY (9)", () => {
  test("header with one complete range of 3 PFNs", () => {
    const bytes = channelMessage(8, 52).u32(8, 7).u32(12, 0xe1e10).u16(16, 32).u16(18, 1)
      .u32(20, 3 * 4096).u32(24, 0).u64(28, 0x1000).u64(36, 0x1001).u64(44, 0xfedcba9876n).bytes;
    const d = decode(bytes);
    expectClean(d);
    expectHeader(d, 8, "vmbus.chan.gpadl_header", 44);
    expectField(d, "vmbus.chan.child_relid", 7, 36, 4);
    expectField(d, "vmbus.chan.gpadl", 0xe1e10, 40, 4);
    expectField(d, "vmbus.chan.range_buflen", 32, 44, 2);
    expectField(d, "vmbus.chan.range_count", 1, 46, 2);
    expectField(d, "vmbus.chan.ranges", 1, 48, 32);
    expectField(d, "vmbus.gpa.byte_count", 3 * 4096, 48, 4);
    expectField(d, "vmbus.gpa.byte_offset", 0, 52, 4);
    const pfns = findAll(d, "vmbus.gpa.pfn");
    assert.equal(pfns.length, 3);
    expectNode(pfns[0], "vmbus.gpa.pfn", 0x1000, 56, 8);
    expectNode(pfns[1], "vmbus.gpa.pfn", 0x1001, 64, 8);
    expectNode(pfns[2], "vmbus.gpa.pfn", 0xfedcba9876n, 72, 8);
    assert.equal(node(d, "vmbus.gpa.pfns").note, undefined);
  });

  test("header whose range continues in GPADL_BODY: 26 PFNs here, clipped, not malformed", () => {
    // A 40-page ring GPADL: range buffer = 8 + 40 * 8 = 328 bytes; 236-byte header holds 26 PFNs.
    const message = channelMessage(8, 236).u32(8, 7).u32(12, 0xe1e10).u16(16, 328).u16(18, 1).u32(20, 40 * 4096).u32(24, 0);
    for (let k = 0; k < 26; k++) message.u64(28 + 8 * k, 0x20000 + k);
    const d = decode(message.bytes);
    expectClean(d);
    expectHeader(d, 8, "vmbus.chan.gpadl_header", 228);
    expectField(d, "vmbus.chan.range_buflen", 328, 44, 2);
    expectField(d, "vmbus.gpa.byte_count", 40 * 4096, 48, 4);
    const pfns = findAll(d, "vmbus.gpa.pfn");
    assert.equal(pfns.length, 26);
    expectNode(pfns[0], "vmbus.gpa.pfn", 0x20000, 56, 8);
    expectNode(pfns[25], "vmbus.gpa.pfn", 0x20019, 256, 8);
    const list = expectField(d, "vmbus.gpa.pfns", 26, 56, 208);
    assert.match(list.note ?? "", /GPADL_BODY/);
  });

  test("body: PFN count = (size - 16) / 8", () => {
    const message = channelMessage(9, 16 + 8 * 14).u32(8, 0).u32(12, 0xe1e10);
    for (let k = 0; k < 14; k++) message.u64(16 + 8 * k, 0x2001a + k);
    const d = decode(message.bytes);
    expectClean(d);
    expectHeader(d, 9, "vmbus.chan.gpadl_body", 8 + 8 * 14);
    expectField(d, "vmbus.chan.message_number", 0, 36, 4);
    expectField(d, "vmbus.chan.gpadl", 0xe1e10, 40, 4);
    expectField(d, "vmbus.chan.pfns", 14, 44, 112);
    const pfns = findAll(d, "vmbus.gpa.pfn");
    assert.equal(pfns.length, 14);
    expectNode(pfns[0], "vmbus.gpa.pfn", 0x2001a, 44, 8);
    expectNode(pfns[13], "vmbus.gpa.pfn", 0x20027, 148, 8);
  });

  test("body at the 28-PFN maximum (240 bytes)", () => {
    const message = channelMessage(9, 240).u32(8, 5).u32(12, 0x10000);
    for (let k = 0; k < 28; k++) message.u64(16 + 8 * k, k + 1);
    const d = decode(message.bytes);
    expectClean(d);
    expectField(d, "vmbus.chan.message_number", 5, 36, 4);
    expectField(d, "vmbus.chan.pfns", 28, 44, 224);
  });
});

describe("INITIATE_CONTACT (14)", () => {
  test("version 4.0 (< 5.0): interrupt page GPA", () => {
    const bytes = channelMessage(14, 40).u32(8, 0x00040000).u32(12, 1).u64(16, 0x0000000012345000n).u64(24, 0x1000000).u64(32, 0x1001000).bytes;
    const d = decode(bytes);
    expectClean(d);
    expectHeader(d, 14, "vmbus.chan.initiate_contact", 32);
    expectField(d, "vmbus.chan.version_requested", 0x00040000, 36, 4);
    expectField(d, "vmbus.chan.target_vcpu", 1, 40, 4);
    expectField(d, "vmbus.chan.interrupt_page", 0x12345000, 44, 8);
    expectAbsent(d, "vmbus.chan.message_sint");
    expectAbsent(d, "vmbus.chan.message_vtl");
    expectAbsent(d, "vmbus.chan.feature_flags");
    expectField(d, "vmbus.chan.monitor_page1", 0x1000000, 52, 8);
    expectField(d, "vmbus.chan.monitor_page2", 0x1001000, 60, 8);
    expectAbsent(d, "vmbus.chan.client_id");
  });

  test("version 5.3 (>= 5.0): message SINT and VTL replace the interrupt page", () => {
    const bytes = channelMessage(14, 40).u32(8, 0x00050003).u32(12, 0).u8(16, 2).u8(17, 1).u64(24, 0x2000000).u64(32, 0x2001000).bytes;
    const d = decode(bytes);
    expectClean(d);
    expectField(d, "vmbus.chan.version_requested", 0x00050003, 36, 4);
    expectAbsent(d, "vmbus.chan.interrupt_page");
    expectField(d, "vmbus.chan.message_sint", 2, 44, 1);
    expectField(d, "vmbus.chan.message_vtl", 1, 45, 1);
    expectField(d, "vmbus.chan.reserved_sint", 0, 46, 2);
    expectField(d, "vmbus.chan.feature_flags", 0, 48, 4);
    expectField(d, "vmbus.chan.monitor_page1", 0x2000000, 52, 8);
    expectField(d, "vmbus.chan.monitor_page2", 0x2001000, 60, 8);
  });

  test("version 6.0: feature flags, and the 56-byte form with a client id", () => {
    const bytes = channelMessage(14, 56).u32(8, 0x00060000).u32(12, 3).u8(16, 2).u8(17, 0).u32(20, 0x0000002c)
      .u64(24, 0x3000000).u64(32, 0x3001000).guid(40, OPENHCL_CLIENT).bytes;
    const d = decode(bytes);
    expectClean(d);
    expectHeader(d, 14, "vmbus.chan.initiate_contact", 48);
    expectField(d, "vmbus.chan.version_requested", 0x00060000, 36, 4);
    expectField(d, "vmbus.chan.target_vcpu", 3, 40, 4);
    expectField(d, "vmbus.chan.message_sint", 2, 44, 1);
    expectField(d, "vmbus.chan.message_vtl", 0, 45, 1);
    expectField(d, "vmbus.chan.feature_flags", 0x2c, 48, 4);
    expectBits(d, "vmbus.chan.feature_flags", {
      guest_specified_signal_parameters: false, channel_interrupt_redirection: false, modify_connection: true,
      client_id: true, confidential_channels: false, pause_resume: true, server_specified_monitor_pages: false,
    });
    expectField(d, "vmbus.chan.monitor_page1", 0x3000000, 52, 8);
    expectField(d, "vmbus.chan.monitor_page2", 0x3001000, 60, 8);
    expectField(d, "vmbus.chan.client_id", OPENHCL_CLIENT, 68, 16);
  });
});

describe("VERSION_RESPONSE (15)", () => {
  test("16 bytes (pre-6.0)", () => {
    const d = decode(channelMessage(15, 16).u8(8, 1).u8(9, 0).u32(12, 0x00000004).bytes, Direction.HostToGuest);
    expectClean(d);
    expectHeader(d, 15, "vmbus.chan.version_response", 8);
    expectField(d, "vmbus.chan.version_supported", 1, 36, 1);
    expectField(d, "vmbus.chan.connection_state", 0, 37, 1);
    expectField(d, "vmbus.chan.response_padding", 0, 38, 2);
    expectField(d, "vmbus.chan.message_connection_id", 4, 40, 4);
    expectAbsent(d, "vmbus.chan.supported_features");
    expectAbsent(d, "vmbus.chan.server_monitor_page1");
  });

  test("20 bytes (6.0): supported features", () => {
    const d = decode(channelMessage(15, 20).u8(8, 1).u8(9, 0).u32(12, 0x00800004).u32(16, 0x00000011).bytes, Direction.HostToGuest);
    expectClean(d);
    expectHeader(d, 15, "vmbus.chan.version_response", 12);
    expectField(d, "vmbus.chan.message_connection_id", 0x00800004, 40, 4);
    expectField(d, "vmbus.chan.supported_features", 0x11, 44, 4);
    expectBits(d, "vmbus.chan.supported_features", { guest_specified_signal_parameters: true, confidential_channels: true, client_id: false });
    expectAbsent(d, "vmbus.chan.server_monitor_page1");
  });

  // Regression: a size-dependent group once re-tested "20 bytes remain" before each of its fields, so after
  // padding2 only 16 remained and both monitor page GPAs were silently dropped.
  test("40 bytes (6.0 + server-specified monitor pages)", () => {
    const bytes = channelMessage(15, 40).u8(8, 1).u8(9, 0).u32(12, 1).u32(16, 0x40).u32(20, 0).u64(24, 0).u64(32, 0x0000000fedcba000n).bytes;
    const d = decode(bytes, Direction.HostToGuest);
    expectClean(d);
    expectHeader(d, 15, "vmbus.chan.version_response", 32);
    expectField(d, "vmbus.chan.supported_features", 0x40, 44, 4);
    expectBits(d, "vmbus.chan.supported_features", { server_specified_monitor_pages: true });
    expectField(d, "vmbus.chan.padding2", 0, 48, 4);
    expectField(d, "vmbus.chan.server_monitor_page1", 0, 52, 8);
    expectField(d, "vmbus.chan.server_monitor_page2", 0x0000000fedcba000n, 60, 8);
  });

  test("QEMU's 10-byte form: only version_supported and the status byte, not malformed", () => {
    const d = decode(channelMessage(15, 10).u8(8, 1).u8(9, 2).bytes, Direction.HostToGuest);
    expectClean(d);
    expectHeader(d, 15, "vmbus.chan.version_response", 2);
    expectField(d, "vmbus.chan.version_supported", 1, 36, 1);
    expectField(d, "vmbus.chan.connection_state", 2, 37, 1);
    expectAbsent(d, "vmbus.chan.message_connection_id");
    expectAbsent(d, "vmbus.chan.supported_features");
  });

  test("a rejection", () => {
    const d = decode(channelMessage(15, 16).bytes, Direction.HostToGuest);
    expectClean(d);
    expectField(d, "vmbus.chan.version_supported", 0, 36, 1);
    assert.equal(node(d, "vmbus.chan.version_supported").field.values?.[0], "Rejected");
  });
});

describe("Hyper-V socket connect (21, 23)", () => {
  test("TL_CONNECT_REQUEST, 40 bytes", () => {
    const d = decode(channelMessage(21, 40).guid(8, ENDPOINT).guid(24, SERVICE_22).bytes);
    expectClean(d);
    expectHeader(d, 21, "vmbus.chan.tl_connect", 32);
    expectField(d, "vmbus.chan.endpoint_id", ENDPOINT, 36, 16);
    expectField(d, "vmbus.chan.service_id", SERVICE_22, 52, 16);
    expectAbsent(d, "vmbus.chan.silo_id");
  });

  test("TL_CONNECT_REQUEST, 56 bytes with silo id", () => {
    const d = decode(channelMessage(21, 56).guid(8, ENDPOINT).guid(24, SERVICE_22).guid(40, SILO).bytes);
    expectClean(d);
    expectHeader(d, 21, "vmbus.chan.tl_connect", 48);
    expectField(d, "vmbus.chan.endpoint_id", ENDPOINT, 36, 16);
    expectField(d, "vmbus.chan.service_id", SERVICE_22, 52, 16);
    expectField(d, "vmbus.chan.silo_id", SILO, 68, 16);
  });

  test("TL_CONNECT_RESULT (23), STATUS_CONNECTION_REFUSED", () => {
    const d = decode(channelMessage(23, 44).guid(8, ENDPOINT).guid(24, SERVICE_22).u32(40, 0xc0000236).bytes, Direction.HostToGuest);
    expectClean(d);
    expectHeader(d, 23, "vmbus.chan.tl_connect_result", 36);
    expectField(d, "vmbus.chan.endpoint_id", ENDPOINT, 36, 16);
    expectField(d, "vmbus.chan.service_id", SERVICE_22, 52, 16);
    const status = expectField(d, "vmbus.chan.tl_status", 0xc0000236, 68, 4);
    assert.equal(status.field.values?.[0xc0000236], "STATUS_CONNECTION_REFUSED");
  });
});

describe("session state", () => {
  test("INITIATE_CONTACT 6.0 + accepted VERSION_RESPONSE + network offer relid 7 → packets on relid 7 are netvsc", () => {
    const dissector = new Dissector();
    const contact = channelMessage(14, 40).u32(8, 0x00060000).u8(16, 2).u32(20, 0x1).u64(24, 0x1000).u64(32, 0x2000).bytes;
    expectClean(dissector.dissect(messageRecord(contact)));
    const response = channelMessage(15, 20).u8(8, 1).u32(12, 4).u32(16, 0x1).bytes;
    expectClean(dissector.dissect(messageRecord(response, Direction.HostToGuest)));
    assert.equal(dissector.session.get("vmbus.version"), 0x00060000);
    const offerDissection = dissector.dissect(messageRecord(offer(196, 0x0001, 7, NIC).u16(190, 1).u32(192, 0x2007).bytes, Direction.HostToGuest));
    expectClean(offerDissection);
    assert.equal(dissector.session.channels.get(7)?.classGuid, NIC);

    const packet = hex("06 00 02 00 03 00 00 00 05 00 00 00 00 00 00 00  01 02 03 04 05 06 07 08");
    const d = dissector.dissect(packetRecord(7, packet));
    expectClean(d);
    assert.equal(d.device?.short, "netvsc");
    expectField(d, "vmbus.device", "netvsc", 12, 16);
    assert.equal(node(d, "vmbus.device_name").value, "Synthetic network adapter");
    assert.equal(d.classGuid, NIC);

    // Another relid stays unknown.
    const other = dissector.dissect(packetRecord(8, packet));
    assert.equal(other.device, undefined);
    assert.equal(findAll(other, "vmbus.device").length, 0);
  });

  test("a rejected VERSION_RESPONSE does not set the version", () => {
    const dissector = new Dissector();
    dissector.dissect(messageRecord(channelMessage(14, 40).u32(8, 0x00060000).bytes));
    dissector.dissect(messageRecord(channelMessage(15, 16).u8(8, 0).bytes, Direction.HostToGuest));
    assert.equal(dissector.session.get("vmbus.version"), undefined);
  });

  test("RESCIND marks the channel rescinded", () => {
    const dissector = new Dissector();
    dissector.dissect(messageRecord(offer(196, 1, 9, SCSI).bytes, Direction.HostToGuest));
    const rescind = dissector.dissect(messageRecord(channelMessage(2, 12).u32(8, 9).bytes, Direction.HostToGuest));
    expectClean(rescind);
    assert.ok(dissector.session.channels.get(9)?.rescindedIn !== undefined);
  });
});

describe("SynIC message (kind 3)", () => {
  test("16-byte hypervisor header, then a channel message limited by payload_size", () => {
    // A whole 256-byte slot: header, a 12-byte RESCIND, then stale bytes that must be ignored.
    const slot = new Bytes(256).u32(0, 1).u8(4, 12).u8(5, 0x01).u16(6, 0).u64(8, 0x0000000000000002n)
      .u32(16, 2).u32(24, 0x33).fill(28, 228, 0xa0);
    const d = new Dissector().dissect(record(RecordKind.SynicMessage, slot.bytes, { direction: Direction.HostToGuest }));
    expectClean(d);
    expectField(d, "vmbus.kind", 3, 4, 1);
    expectField(d, "vmbus.synic.message_type", 1, 28, 4);
    expectField(d, "vmbus.synic.payload_size", 12, 32, 1);
    expectField(d, "vmbus.synic.message_flags", 1, 33, 1);
    expectBits(d, "vmbus.synic.message_flags", { pending: true });
    expectField(d, "vmbus.synic.reserved_u16", 0, 34, 2);
    expectField(d, "vmbus.synic.sender", 2, 36, 8);
    expectField(d, "vmbus.synic.message", null, 44, 12);
    expectField(d, "vmbus.chan.msgtype", 2, 44, 4);
    expectField(d, "vmbus.chan.rescind", null, 52, 4);
    expectField(d, "vmbus.chan.child_relid", 0x33, 52, 4);
  });

  test("a SynIC message carrying a 196-byte offer teaches the session too", () => {
    const dissector = new Dissector();
    const slot = new Bytes(16 + 196).u32(0, 1).u8(4, 196).raw(16, offer(196, 1, 11, NIC).bytes);
    const d = dissector.dissect(record(RecordKind.SynicMessage, slot.bytes, { direction: Direction.HostToGuest }));
    expectClean(d);
    expectField(d, "vmbus.chan.child_relid", 11, 44 + 184, 4);
    expectField(d, "vmbus.chan.if_type", NIC, 44 + 8, 16);
    assert.equal(dissector.dissect(packetRecord(11, hex("06 00 02 00 02 00 00 00 00 00 00 00 00 00 00 00"))).device?.short, "netvsc");
  });

  test("a hypervisor (non-VMBus) message type keeps its payload as bytes", () => {
    const slot = new Bytes(40).u32(0, 0x80000010).u8(4, 24).fill(16, 24, 1);
    const d = new Dissector().dissect(record(RecordKind.SynicMessage, slot.bytes));
    expectField(d, "vmbus.synic.message_type", 0x80000010, 28, 4);
    expectAbsent(d, "vmbus.chan");
    expectField(d, "vmbus.synic.payload", slot.bytes.subarray(16), 44, 24);
  });
});

describe("malformed channel messages", () => {
  test("unknown message type 30 is malformed, and the next record still decodes with the same Dissector", () => {
    const dissector = new Dissector();
    const bad = dissector.dissect(messageRecord(channelMessage(30, 16).u32(8, 0xdeadbeef).bytes));
    expectField(bad, "vmbus.chan.msgtype", 30, 28, 4);
    const item = expectMalformedAt(bad, 28);
    assert.match(item.text, /30/);
    expectField(bad, "vmbus.chan.body", hex("ef be ad de 00 00 00 00"), 36, 8);

    const good = dissector.dissect(messageRecord(channelMessage(7, 12).u32(8, 5).bytes));
    expectClean(good);
    expectField(good, "vmbus.chan.child_relid", 5, 36, 4);
  });

  test("message type 0 (Invalid) is malformed", () => {
    const d = decode(channelMessage(0, 8).bytes);
    assert.equal(d.malformed, true);
  });

  test("OFFER_CHANNEL of 100 bytes: malformed, expert where the bytes ran out", () => {
    const bytes = offer(196, 1).bytes.slice(0, 100);
    const dissector = new Dissector();
    const d = dissector.dissect(messageRecord(bytes, Direction.HostToGuest));
    assert.equal(d.malformed, true);
    // The short layout is reported at the body; the field that could not be read is the user area at 88
    // (frame end is 128: only 40 of its 120 bytes are there).
    expectMalformedAt(d, BODY);
    const runOut = expectMalformedAt(d, 88);
    assert.match(runOut.text, /120/);
    // The partial user area is shown with the 40 bytes that are there.
    expectField(d, "vmbus.chan.user_defined", bytes.subarray(60, 100), 88, 40);
    expectField(d, "vmbus.chan.flags", 1, 84, 2);
    expectAbsent(d, "vmbus.chan.child_relid");
    // A truncated offer must not register a channel.
    assert.equal(dissector.session.channels.size, 0);
  });

  test("OPEN_CHANNEL of 20 bytes: malformed, expert at the first field that does not fit", () => {
    const d = decode(channelMessage(5, 20).u32(8, 7).u32(12, 7).u32(16, 0xe1e10).bytes);
    assert.equal(d.malformed, true);
    expectField(d, "vmbus.chan.child_relid", 7, 36, 4);
    expectField(d, "vmbus.chan.gpadl", 0xe1e10, 44, 4);
    expectAbsent(d, "vmbus.chan.target_vp");
    // The bytes run out at frame offset 48 (28 + 20), where target_vp would start.
    expectMalformedAt(d, 48);
  });

  test("message shorter than its 8-byte header", () => {
    const d = decode(hex("05 00 00 00"));
    assert.equal(d.malformed, true);
    expectField(d, "vmbus.chan.msgtype", 5, 28, 4);
  });

  test("GPADL_HEADER with range_count 0xFFFF finishes quickly", () => {
    const bytes = channelMessage(8, 36).u32(8, 7).u32(12, 0xe1e10).u16(16, 16).u16(18, 0xffff).u32(20, 4096).u32(24, 0).u64(28, 0x1234).bytes;
    const started = performance.now();
    const d = decode(bytes);
    assert.ok(performance.now() - started < 1000);
    expectField(d, "vmbus.chan.range_count", 0xffff, 46, 2);
    expectField(d, "vmbus.gpa.pfn", 0x1234, 56, 8);
    assert.equal(findAll(d, "vmbus.gpa.range").length, 1);
  });

  // range_buflen (u16) bounds the ranges: each range is at least 8 bytes, so range_count 0xFFFF can never be
  // consistent, and here range_buflen = 16 says one range (the range count field is at frame offset 46).
  test("GPADL_HEADER with range_count 0xFFFF is flagged", () => {
    const bytes = channelMessage(8, 36).u32(8, 7).u32(12, 0xe1e10).u16(16, 16).u16(18, 0xffff).u32(20, 4096).u32(24, 0).u64(28, 0x1234).bytes;
    const d = decode(bytes);
    assert.equal(d.malformed, true);
    assert.ok(errors(d).some((e) => e.offset === 46), JSON.stringify(d.experts));
  });

  test("GPADL_HEADER whose range says more PFNs than range_buflen allows is at least not decoded past the message", () => {
    const bytes = channelMessage(8, 36).u32(8, 7).u32(12, 1).u16(16, 16).u16(18, 1).u32(20, 0xffffffff).u32(24, 0xfff).u64(28, 9).bytes;
    const started = performance.now();
    const d = decode(bytes);
    assert.ok(performance.now() - started < 1000);
    assert.equal(findAll(d, "vmbus.gpa.pfn").length, 1);
  });
});

describe("all 29 message types", () => {
  test("each known type is named and does not fall to the unknown body", () => {
    const sizes: Record<number, number> = {
      1: 196, 2: 12, 3: 8, 4: 8, 5: 148, 6: 20, 7: 12, 8: 20, 9: 16, 10: 20, 11: 16, 12: 12, 13: 12, 14: 40, 15: 16,
      16: 8, 17: 8, 18: 28, 19: 20, 20: 12, 21: 40, 22: 16, 23: 44, 24: 16, 25: 24, 26: 9, 27: 8, 28: 8, 29: 8,
    };
    for (let msgtype = 1; msgtype <= 29; msgtype++) {
      const d = decode(channelMessage(msgtype, sizes[msgtype]).bytes);
      expectClean(d);
      const type = expectField(d, "vmbus.chan.msgtype", msgtype, 28, 4);
      assert.equal(typeof type.field.values?.[msgtype], "string", `msgtype ${msgtype} has a name`);
      expectAbsent(d, "vmbus.chan.unknown");
      const body = node(d, "vmbus.chan").children?.[2];
      assert.ok(body, `msgtype ${msgtype} has a body node`);
      assert.equal(body.offset, 36);
      assert.equal(body.length, sizes[msgtype] - 8, `msgtype ${msgtype} body length`);
    }
  });
});
