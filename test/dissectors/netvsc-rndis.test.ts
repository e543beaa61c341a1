// RNDIS messages (net-storage.md A5–A7) decoded from bytes written by hand at the offsets of the
// reference tables. The RNDIS bytes travel as an attached chunk of an NVSP SEND_RNDIS_PKT packet;
// offsets below are within that chunk (data source 1).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { AttachedSource, Direction, RecordFlags } from "../../capture/record.js";
import { Dissector, type Dissection } from "../../dissectors/dissect.js";
import { encodeStruct } from "../../dissectors/describe/encode.js";
import { newScope } from "../../dissectors/describe/expr.js";
import "../../dissectors/netvsc/index.js";
import { rndisMessage, rndisTypes } from "../../dissectors/netvsc/rndis.js";
import type { FieldValue } from "../../dissectors/tree.js";
import {
  Bytes, errors, expectAbsent, expectBits, expectChildrenInside, expectClean, expectField, findAll, findNode, guidBytes, node, packetRecord,
} from "./tree-helpers.js";

const NETVSC = guidBytes("f8615163-df3e-46c5-913f-f2d2f965ed0e");
const RELID = 4;
let transIds = 0x100;

const words = (...values: number[]): Bytes => {
  const bytes = new Bytes(values.length * 4);
  values.forEach((value, i) => bytes.u32(i * 4, value));
  return bytes;
};

/** Guest→host: NVSP 107 in-band naming send-buffer section 3; the RNDIS bytes as a protocol-buffer chunk. */
function fromGuest(rndis: Uint8Array, timestampNs?: bigint) {
  const nvsp = words(107, 1, 3, rndis.length).bytes;
  const packet = new Bytes(32).u16(0, 6).u16(2, 2).u16(4, 4).u16(6, 1).u64(8, ++transIds).raw(16, nvsp);
  return packetRecord(RELID, packet.bytes, {
    classGuid: NETVSC, direction: Direction.GuestToHost, flags: RecordFlags.AttachedData, timestampNs,
    attached: [{ source: AttachedSource.ProtocolBuffer, index: 0, offset: 0, data: rndis }],
  });
}

/** Host→guest: NVSP 107 in a transfer-page packet, one range per chunk. */
function fromHost(chunks: Uint8Array[], timestampNs?: bigint) {
  const nvsp = words(107, 0, 0xffffffff, 0).bytes;
  const header = 8 + 8 * chunks.length;
  const offset8 = Math.ceil((16 + header) / 8);
  const packet = new Bytes((offset8 + 2) * 8).u16(0, 7).u16(2, offset8).u16(4, offset8 + 2).u16(6, 1).u64(8, ++transIds)
    .u16(16, 0xcafe).u32(20, chunks.length);
  chunks.forEach((chunk, i) => packet.u32(24 + 8 * i, 1728).u32(28 + 8 * i, 1728 * i));
  packet.raw(offset8 * 8, nvsp);
  return packetRecord(RELID, packet.bytes, {
    classGuid: NETVSC, direction: Direction.HostToGuest, flags: RecordFlags.AttachedData, timestampNs,
    attached: chunks.map((data, index) => ({ source: AttachedSource.TransferPageRange, index, offset: 0, data })),
  });
}

type Expect = [filter: string, value: FieldValue, at: number, length: number];

function expectAll(d: Dissection, expected: Expect[]): void {
  for (const [filter, value, at, length] of expected) {
    const found = expectField(d, filter, value, at, length);
    assert.equal(found.source, 1, `${filter}: source`);
  }
}

const utf16 = (text: string): number[] => Array.from(text).flatMap((c) => [c.charCodeAt(0), 0]);

describe("REMOTE_NDIS_PACKET_MSG with every PPI type Hyper-V uses (A5.5–A5.7)", () => {
  // PPIs from byte 44: checksum, LSO, VLAN, hash value, hash info, packet id (16 bytes each), then an IPsec PPI of 20.
  const frame = Uint8Array.from({ length: 60 }, (_, i) => i + 1);
  const message = new Bytes(224)
    .u32(0, 1).u32(4, 224).u32(8, 152).u32(12, 60).u32(28, 36).u32(32, 116)
    .u32(44, 16).u32(48, 0).u32(52, 12).u32(56, 0x00220005)
    .u32(60, 16).u32(64, 2).u32(68, 12).u32(72, 1460 | (34 << 20) | 0x40000000)
    .u32(76, 16).u32(80, 6).u32(84, 12).u32(88, 3 | (10 << 4))
    .u32(92, 16).u32(96, 8).u32(100, 12).u32(104, 0x5a5a1234)
    .u32(108, 16).u32(112, 9).u32(116, 12).u32(120, 0x201)
    .u32(124, 16).u32(128, 0x80000001).u32(132, 12).u8(136, 1).u8(137, 3).u16(138, 7)
    .u32(140, 20).u32(144, 1).u32(148, 12).u32(152, 0xaabbccdd).u32(156, 0x11223344)
    .raw(160, frame);

  test("fields, PPIs and the frame at 8 + DataOffset", () => {
    const d = new Dissector().dissect(fromGuest(message.bytes));
    expectClean(d);
    expectChildrenInside(d);
    assert.deepEqual(d.layers.map((l) => l.field.filter), ["vmbus", "nvsp", "rndis", "data"]);
    expectAll(d, [
      ["rndis.msg_type", 1, 0, 4], ["rndis.message_length", 224, 4, 4], ["rndis.packet", null, 8, 212],
      ["rndis.data_offset", 152, 8, 4], ["rndis.data_length", 60, 12, 4], ["rndis.oob_data_offset", 0, 16, 4],
      ["rndis.oob_data_length", 0, 20, 4], ["rndis.num_oob_data_elements", 0, 24, 4], ["rndis.ppi_offset", 36, 28, 4],
      ["rndis.ppi_length", 116, 32, 4], ["rndis.vc_handle", 0, 36, 4], ["rndis.reserved", 0, 40, 4],
      ["rndis.ppi", null, 44, 116], ["rndis.ppis", 7, 44, 116], ["rndis.ppi.record", null, 44, 16],
      ["rndis.ppi.size", 16, 44, 4], ["rndis.ppi.type", 0, 48, 4], ["rndis.ppi.offset", 12, 52, 4],
      ["rndis.ppi.csum.tx", 0x00220005, 56, 4], ["rndis.ppi.csum.tcp_header_offset", 34, 56, 4],
      ["rndis.ppi.lso.mss", 1460, 72, 4], ["rndis.ppi.lso.tcp_header_offset", 34, 72, 4], ["rndis.ppi.lso.lso_type", 1, 72, 4], ["rndis.ppi.lso.ip_version", 0, 72, 4],
      ["rndis.ppi.vlan.priority", 3, 88, 4], ["rndis.ppi.vlan.cfi", 0, 88, 4], ["rndis.ppi.vlan.id", 10, 88, 4],
      ["rndis.ppi.hash_value", 0x5a5a1234, 104, 4], ["rndis.ppi.hash_info", 0x201, 120, 4],
      ["rndis.ppi.pkt_id.ver", 1, 136, 1], ["rndis.ppi.pkt_id.flag", 3, 137, 1], ["rndis.ppi.pkt_id.id", 7, 138, 2],
      ["rndis.ppi.data", new Bytes(8).u32(0, 0xaabbccdd).u32(4, 0x11223344).bytes, 152, 8],
    ]);
    expectBits(d, "rndis.ppi.csum.tx", { is_ipv4: true, is_ipv6: false, tcp_checksum: true, udp_checksum: false, ip_header_checksum: false });
    expectAbsent(d, "rndis.ppi.csum.rx");
    expectBits(d, "rndis.ppi.hash_info", { toeplitz: true, tcp_ipv4: true, ipv4: false });
    expectBits(d, "rndis.ppi.pkt_id.flag", { suballoc: true, first_frag: true, last_frag: false });
    const types = findAll(d, "rndis.ppi.type").map((n) => n.value);
    assert.deepEqual(types, [0, 2, 6, 8, 9, 0x80000001, 1]);
    expectBits(d, "rndis.ppi.type", { internal: false });
    assert.equal(findAll(d, "rndis.ppi.type.internal")[5].value, true);
    const data = d.layers[3];
    expectField(data, "data.data", frame, 160, 60);
    assert.equal(data.source, 1);
    assert.ok(d.info.includes("NVSP SEND_RNDIS_PKT control section 3 → RNDIS PACKET 60 bytes → 60 bytes of payload"), d.info);
  });

  test("host→guest: the checksum PPI is the receive result", () => {
    const rx = new Bytes(80).u32(0, 1).u32(4, 80).u32(8, 52).u32(12, 20).u32(28, 36).u32(32, 16)
      .u32(44, 16).u32(48, 0).u32(52, 12).u32(56, 0x128).raw(60, new Uint8Array(20).fill(0xee));
    const d = new Dissector().dissect(fromHost([rx.bytes]));
    expectClean(d);
    expectField(d, "rndis.ppi.csum.rx", 0x128, 56, 4);
    expectBits(d, "rndis.ppi.csum.rx", { tcp_succeeded: true, ip_succeeded: true, ip_value_invalid: true, tcp_failed: false });
    expectAbsent(d, "rndis.ppi.csum.tx");
  });

  test("two messages back to back in one chunk (each walked by MessageLength), and a second chunk", () => {
    const one = (byte: number) => new Bytes(56).u32(0, 1).u32(4, 56).u32(8, 36).u32(12, 10).raw(44, new Uint8Array(10).fill(byte)).bytes;
    const chunk = new Uint8Array([...one(0xa1), ...one(0xb2)]);
    const d = new Dissector().dissect(fromHost([chunk, one(0xc3)]));
    expectClean(d);
    expectField(d, "rndis.messages", 2, 0, 112);
    const messages = findAll(d, "rndis.msg");
    assert.deepEqual(messages.map((m) => [m.source, m.offset, m.length]), [[1, 0, 56], [1, 56, 56], [2, 0, 56]]);
    const frames = d.layers.filter((l) => l.field.filter === "data");
    assert.deepEqual(frames.map((f) => [f.source, f.offset, f.length]), [[1, 44, 10], [1, 100, 10], [2, 44, 10]]);
    assert.deepEqual(d.layers.map((l) => l.field.filter), ["vmbus", "nvsp", "rndis", "data", "data", "rndis", "data"]);
  });
});

interface Case { name: string; bytes: Bytes; expect: Expect[]; info?: string; host?: boolean }
const LINK_SPEED = 0x00010107;

const control: Case[] = [
  { name: "INITIALIZE", bytes: words(2, 24, 1, 1, 0, 0x4000), info: "RNDIS INITIALIZE id 1 v1.0", expect: [
    ["rndis.request_id", 1, 8, 4], ["rndis.major_version", 1, 12, 4], ["rndis.minor_version", 0, 16, 4], ["rndis.max_transfer_size", 0x4000, 20, 4]] },
  { name: "INITIALIZE_CMPLT", host: true, bytes: words(0x80000002, 52, 1, 0, 1, 0, 1, 0, 8, 0xefffffff, 3, 0, 0), info: "RNDIS INITIALIZE_CMPLT id 1 SUCCESS", expect: [
    ["rndis.request_id", 1, 8, 4], ["rndis.status", 0, 12, 4], ["rndis.major_version", 1, 16, 4], ["rndis.minor_version", 0, 20, 4],
    ["rndis.device_flags", 1, 24, 4], ["rndis.medium", 0, 28, 4], ["rndis.max_packets_per_message", 8, 32, 4],
    ["rndis.max_transfer_size", 0xefffffff, 36, 4], ["rndis.packet_alignment_factor", 3, 40, 4], ["rndis.af_list_offset", 0, 44, 4], ["rndis.af_list_size", 0, 48, 4]] },
  { name: "HALT", bytes: words(3, 12, 5), info: "RNDIS HALT id 5", expect: [["rndis.request_id", 5, 8, 4]] },
  { name: "QUERY", bytes: words(4, 28, 7, LINK_SPEED, 0, 0, 0), info: "RNDIS QUERY OID_GEN_LINK_SPEED id 7", expect: [
    ["rndis.request_id", 7, 8, 4], ["rndis.oid", LINK_SPEED, 12, 4], ["rndis.info_buffer_length", 0, 16, 4], ["rndis.info_buffer_offset", 0, 20, 4],
    ["rndis.device_vc_handle", 0, 24, 4]] },
  { name: "QUERY with an NDIS object header as input", bytes: words(4, 32, 8, 0xfc01020d, 4, 20, 0, 0x009c03a7), expect: [
    ["rndis.info_buffer", null, 28, 4], ["rndis.offload", null, 28, 4], ["ndis.hdr.type", 0xa7, 28, 1], ["ndis.hdr.revision", 3, 29, 1], ["ndis.hdr.size", 156, 30, 2]] },
  { name: "SET packet filter", bytes: words(5, 32, 8, 0x0001010e, 4, 20, 0, 0x0d), info: "RNDIS SET OID_GEN_CURRENT_PACKET_FILTER id 8 0xd [DIRECTED, ALL_MULTICAST, BROADCAST]", expect: [
    ["rndis.oid", 0x0001010e, 12, 4], ["rndis.info_buffer_length", 4, 16, 4], ["rndis.info_buffer_offset", 20, 20, 4], ["rndis.oid_data.packet_filter", 0x0d, 28, 4]] },
  { name: "SET_CMPLT", host: true, bytes: words(0x80000005, 16, 8, 0xc00000bb), info: "RNDIS SET_CMPLT", expect: [["rndis.request_id", 8, 8, 4], ["rndis.status", 0xc00000bb, 12, 4]] },
  { name: "RESET", bytes: words(6, 12, 0), info: "RNDIS RESET", expect: [["rndis.reserved", 0, 8, 4]] },
  { name: "RESET_CMPLT (no RequestId)", host: true, bytes: words(0x80000006, 16, 0, 1), info: "RNDIS RESET_CMPLT SUCCESS", expect: [["rndis.status", 0, 8, 4], ["rndis.addressing_reset", 1, 12, 4]] },
  { name: "INDICATE_STATUS MEDIA_CONNECT (no buffer)", host: true, bytes: words(7, 20, 0x4001000b, 0, 0), info: "RNDIS INDICATE_STATUS MEDIA_CONNECT", expect: [
    ["rndis.status", 0x4001000b, 8, 4], ["rndis.status_buffer_length", 0, 12, 4], ["rndis.status_buffer_offset", 0, 16, 4]] },
  { name: "INDICATE_STATUS LINK_SPEED_CHANGE", host: true, bytes: words(7, 24, 0x40010013, 4, 12, 100_000), info: "RNDIS INDICATE_STATUS LINK_SPEED_CHANGE 10000000 bit/s", expect: [
    ["rndis.status_buffer", null, 20, 4], ["rndis.indication.link_speed", 10_000_000, 20, 4]] },
  { name: "INDICATE_STATUS NETWORK_CHANGE", host: true, bytes: words(7, 24, 0x40010018, 4, 12, 2), info: "RNDIS INDICATE_STATUS NETWORK_CHANGE DEFINITE", expect: [
    ["rndis.indication.change_type", 2, 20, 4]] },
  { name: "KEEPALIVE", bytes: words(8, 12, 9), info: "RNDIS KEEPALIVE id 9", expect: [["rndis.request_id", 9, 8, 4]] },
  { name: "KEEPALIVE_CMPLT", host: true, bytes: words(0x80000008, 16, 9, 0), info: "RNDIS KEEPALIVE_CMPLT id 9 SUCCESS", expect: [["rndis.request_id", 9, 8, 4], ["rndis.status", 0, 12, 4]] },
  { name: "SET_EX", bytes: words(9, 32, 10, 0x0001021c, 4, 20, 0, 42), info: "RNDIS SET_EX OID_GEN_VLAN_ID id 10", expect: [
    ["rndis.oid", 0x0001021c, 12, 4], ["rndis.oid_data.vlan_id", 42, 28, 4]] },
  { name: "SET_EX_CMPLT", host: true, bytes: words(0x80000009, 28, 10, 0, 4, 16, 42), expect: [
    ["rndis.status", 0, 12, 4], ["rndis.info_buffer_length", 4, 16, 4], ["rndis.info_buffer_offset", 16, 20, 4], ["rndis.info_buffer_data", new Bytes(4).u32(0, 42).bytes, 24, 4]] },
  { name: "CONDIS_CREATE_VC", bytes: words(0x8001, 16, 1, 0x10), expect: [["rndis.request_id", 1, 8, 4], ["rndis.ndis_vc_handle", 0x10, 12, 4]] },
  { name: "CONDIS_CREATE_VC_CMPLT", host: true, bytes: words(0x80008001, 20, 1, 0x20, 0), expect: [["rndis.device_vc_handle", 0x20, 12, 4], ["rndis.status", 0, 16, 4]] },
  { name: "CONDIS_DELETE_VC", bytes: words(0x8002, 16, 2, 0x20), expect: [["rndis.device_vc_handle", 0x20, 12, 4]] },
  { name: "CONDIS_DELETE_VC_CMPLT", host: true, bytes: words(0x80008002, 16, 2, 0), expect: [["rndis.status", 0, 12, 4]] },
  { name: "CONDIS_ACTIVATE_VC", bytes: words(0x8005, 36, 3, 1, 0x20, 40, 8, 48, 4), expect: [
    ["rndis.vc_flags", 1, 12, 4], ["rndis.device_vc_handle", 0x20, 16, 4], ["rndis.media_params_offset", 40, 20, 4], ["rndis.media_params_length", 8, 24, 4],
    ["rndis.call_mgr_params_offset", 48, 28, 4], ["rndis.call_mgr_params_length", 4, 32, 4]] },
  { name: "CONDIS_ACTIVATE_VC_CMPLT", host: true, bytes: words(0x80008005, 16, 3, 0), expect: [["rndis.status", 0, 12, 4]] },
  { name: "CONDIS_DEACTIVATE_VC", bytes: words(0x8006, 20, 4, 0, 0x20), expect: [["rndis.vc_flags", 0, 12, 4], ["rndis.device_vc_handle", 0x20, 16, 4]] },
  { name: "CONDIS_DEACTIVATE_VC_CMPLT", host: true, bytes: words(0x80008006, 16, 4, 0), expect: [["rndis.status", 0, 12, 4]] },
  { name: "CONDIS_INDICATE_STATUS", host: true, bytes: words(0x8007, 24, 0x20, 0x4001000b, 0, 0), expect: [["rndis.ndis_vc_handle", 0x20, 8, 4], ["rndis.status", 0x4001000b, 12, 4]] },
  { name: "BUS_MSG", bytes: words(0xff000001, 16, 0xaabbccdd, 0x11223344), expect: [["rndis.message_data", new Bytes(8).u32(0, 0xaabbccdd).u32(4, 0x11223344).bytes, 8, 8]] },
  { name: "unknown type", bytes: words(0x1234, 12, 0x55), info: "RNDIS 4660", expect: [["rndis.message_data", new Bytes(4).u32(0, 0x55).bytes, 8, 4]] },
];

describe("every RNDIS control message, bytes by hand (A5.4, A7)", () => {
  for (const c of control) {
    test(c.name, () => {
      const d = new Dissector().dissect(c.host ? fromHost([c.bytes.bytes]) : fromGuest(c.bytes.bytes));
      expectClean(d);
      expectChildrenInside(d);
      expectField(d, "rndis.msg_type", new DataView(c.bytes.bytes.buffer).getUint32(0, true), 0, 4);
      expectField(d, "rndis.message_length", c.bytes.bytes.length, 4, 4);
      expectAll(d, c.expect);
      if (c.info) assert.ok(d.info.includes(c.info), `info "${d.info}" should contain "${c.info}"`);
    });
  }

  test("every message type of A5.2 is covered (PACKET and QUERY_CMPLT have tests of their own)", () => {
    const covered = new Set([1, 0x80000004, ...control.map((c) => new DataView(c.bytes.bytes.buffer).getUint32(0, true))]);
    for (const type of Object.keys(rndisTypes).map(Number)) assert.ok(covered.has(type), `type 0x${type.toString(16)}`);
  });

  test("INITIALIZE_CMPLT of 48 bytes (FreeBSD accepts it without AFListSize)", () => {
    const d = new Dissector().dissect(fromHost([words(0x80000002, 48, 1, 0, 1, 0, 1, 0, 8, 0x4000, 3, 0).bytes]));
    expectClean(d);
    expectAbsent(d, "rndis.af_list_size");
  });

  test("INITIALIZE_CMPLT teaches the session the host's packet limits", () => {
    const dissector = new Dissector();
    dissector.dissect(fromHost([words(0x80000002, 52, 1, 0, 1, 0, 1, 0, 8, 0xefffffff, 3, 0, 0).bytes]));
    const state = dissector.session.snapshot().channels[RELID];
    assert.equal(state["channel.ndis.max_packets_per_message"], 8);
    assert.equal(state["channel.ndis.packet_alignment_factor"], 3);
  });
});

describe("OIDs and their data (A6)", () => {
  test("QUERY_CMPLT: the answered OID comes from the request (by RequestId), with request_in and time", () => {
    const dissector = new Dissector();
    const query = fromGuest(words(4, 28, 7, LINK_SPEED, 0, 0, 0).bytes, 5_000_000n);
    const answer = fromHost([words(0x80000004, 28, 7, 0, 4, 16, 100_000_000).bytes], 5_040_000n);
    dissector.dissect(query);
    const d = dissector.dissect(answer);
    expectClean(d);
    expectAll(d, [["rndis.request_id", 7, 8, 4], ["rndis.status", 0, 12, 4], ["rndis.info_buffer_length", 4, 16, 4], ["rndis.info_buffer_offset", 16, 20, 4],
      ["rndis.oid_data.link_speed", 10_000_000_000, 24, 4]]);
    expectField(d, "rndis.oid", LINK_SPEED, 12, 0);
    expectField(d, "rndis.request_in", query.origin.number, 12, 0);
    assert.equal(findNode(d, "rndis.time")?.value, 0.00004);
    assert.ok(d.info.includes("RNDIS QUERY_CMPLT OID_GEN_LINK_SPEED SUCCESS id 7 10000000000 bit/s"), d.info);
  });

  test("QUERY_CMPLT whose request was not seen: the data stays bytes", () => {
    const d = new Dissector().dissect(fromHost([words(0x80000004, 28, 70, 0, 4, 16, 1500).bytes]));
    expectClean(d);
    expectField(d, "rndis.oid_data.data", new Bytes(4).u32(0, 1500).bytes, 24, 4);
    expectAbsent(d, "rndis.request_in");
  });

  const answered = (oid: number, result: Bytes, status = 0): Dissection => {
    const dissector = new Dissector();
    dissector.dissect(fromGuest(words(4, 28, 11, oid, 0, 0, 0).bytes));
    const message = new Bytes(24 + result.bytes.length).u32(0, 0x80000004).u32(4, 24 + result.bytes.length).u32(8, 11).u32(12, status)
      .u32(16, result.bytes.length).u32(20, 16).raw(24, result.bytes);
    return dissector.dissect(fromHost([message.bytes]));
  };

  test("station address", () => {
    const d = answered(0x01010101, new Bytes(8).raw(0, [0x00, 0x15, 0x5d, 0x0a, 0x1b, 0x2c]));
    expectField(d, "rndis.oid_data.mac", "00:15:5d:0a:1b:2c", 24, 6);
  });

  test("media connect status, supported list, friendly name", () => {
    expectField(answered(0x00010114, words(1)), "rndis.oid_data.connect_status", 1, 24, 4);
    const list = answered(0x00010101, words(0x00010101, 0x00010107));
    assert.deepEqual(findAll(list, "rndis.oid_data.supported_oid").map((n) => n.value), [0x00010101, 0x00010107]);
    expectField(answered(0x00020216, new Bytes(8).raw(0, utf16("eth0"))), "rndis.oid_data.friendly_name", "eth0", 24, 8);
  });

  test("RSS capabilities (rev 2, 18 bytes + pad)", () => {
    const caps = new Bytes(20).u8(0, 0x88).u8(1, 2).u16(2, 20).u32(4, 0x01000701).u32(8, 1).u32(12, 8).u16(16, 128);
    const d = answered(0x00010203, caps);
    expectClean(d);
    expectField(d, "rndis.rss_caps.capabilities", 0x01000701, 28, 4);
    expectBits(d, "rndis.rss_caps.capabilities", { toeplitz: true, tcp_ipv4: true, tcp_ipv6: true, tcp_ipv6_ex: true, msi: true, udp_ipv4: false });
    expectField(d, "rndis.rss_caps.receive_queues", 8, 36, 4);
    expectField(d, "rndis.rss_caps.indirection_table_entries", 128, 40, 2);
  });

  test("link state (NDIS_LINK_STATE)", () => {
    const state = new Bytes(40).u8(0, 0x80).u8(1, 1).u16(2, 40).u32(4, 1).u32(8, 2).u64(16, 10_000_000_000).u64(24, 10_000_000_000);
    const d = answered(0x00010207, state);
    expectField(d, "rndis.link_state.media_connect_state", 1, 28, 4);
    expectField(d, "rndis.link_state.media_duplex_state", 2, 32, 4);
    expectField(d, "rndis.link_state.xmit_link_speed", 10_000_000_000, 40, 8);
  });

  test("NDIS_OFFLOAD rev 3 (156 bytes)", () => {
    const offload = new Bytes(156).u8(0, 0xa7).u8(1, 3).u16(2, 156).u32(4, 2).u32(8, 0x155).u32(80, 2).u32(84, 0xf53c).u32(88, 2).u8(144, 1).u8(145, 1);
    const d = answered(0xfc01020d, offload);
    expectClean(d);
    expectField(d, "rndis.offload.ipv4_tx", 0x155, 32, 4);
    expectBits(d, "rndis.offload.ipv4_tx", { ip_options: true, tcp_options: true, tcp: true, udp: true, ip: true });
    expectField(d, "rndis.offload.lsov2_ipv4_max_offload_size", 0xf53c, 108, 4);
    expectField(d, "rndis.offload.rsc_ipv4", 1, 168, 1);
    expectAbsent(d, "rndis.offload.vxlan");
  });

  const set = (oid: number, data: Bytes): Dissection => {
    const message = new Bytes(28 + data.bytes.length).u32(0, 5).u32(4, 28 + data.bytes.length).u32(8, 12).u32(12, oid)
      .u32(16, data.bytes.length).u32(20, 20).raw(28, data.bytes);
    return new Dissector().dissect(fromGuest(message.bytes));
  };

  test("SET OID_GEN_RECEIVE_SCALE_PARAMETERS: indirection table and key located by their offsets", () => {
    const params = new Bytes(144).u8(0, 0x89).u8(1, 2).u16(2, 40).u16(4, 0).u16(6, 0).u32(8, 0x1701)
      .u16(12, 64).u32(16, 40).u16(20, 40).u32(24, 104);
    for (let i = 0; i < 16; i++) params.u32(40 + 4 * i, i % 3);
    params.fill(104, 40, 0x6d);
    const d = set(0x00010204, params);
    expectClean(d);
    expectField(d, "rndis.rss_params.hash_information", 0x1701, 36, 4);
    expectBits(d, "rndis.rss_params.hash_information", { toeplitz: true, ipv4: true, tcp_ipv4: true, ipv6: true, tcp_ipv6: true, udp_ipv4: false });
    expectField(d, "rndis.rss_params.indirection_table_size", 64, 40, 2);
    expectField(d, "rndis.rss_params.indirection_table", 16, 68, 64);
    const entries = findAll(d, "rndis.rss_params.itable.queue");
    assert.deepEqual(entries.map((n) => n.value), Array.from({ length: 16 }, (_, i) => i % 3));
    expectField(d, "rndis.rss_params.hash_secret_key", params.bytes.subarray(104, 144), 132, 40);
    // Revision 2 (Size 40): no DefaultProcessorNumber, although the buffer goes on with the table.
    expectAbsent(d, "rndis.rss_params.default_processor");
    expectField(d, "rndis.rss_params.processor_masks_entry_size", 0, 64, 4);
  });

  test("SET OID_TCP_OFFLOAD_PARAMETERS (rev 3, 28 bytes)", () => {
    const params = new Bytes(28).u8(0, 0x80).u8(1, 3).u16(2, 28).u8(4, 4).u8(5, 4).u8(11, 2).u8(12, 2).u8(22, 2);
    const d = set(0xfc01020c, params);
    expectClean(d);
    expectField(d, "rndis.offload_params.ipv4_checksum", 4, 32, 1);
    expectField(d, "rndis.offload_params.lsov2_ipv4", 2, 39, 1);
    expectField(d, "rndis.offload_params.rsc_ipv4", 2, 50, 1);
    assert.equal(node(d, "rndis.offload_params.ipv4_checksum").field.values?.[4], "TX/RX enabled");
  });

  test("SET OID_GEN_RNDIS_CONFIG_PARAMETER NetworkAddress (Linux layout: name at 20, value at 48)", () => {
    const parameter = new Bytes(72).u32(0, 20).u32(4, 28).u32(8, 2).u32(12, 48).u32(16, 24).raw(20, utf16("NetworkAddress")).raw(48, utf16("00155D0A1B2C"));
    const d = set(0x0001021b, parameter);
    expectClean(d);
    expectField(d, "rndis.config.name", "NetworkAddress", 48, 28);
    expectField(d, "rndis.config.string_value", "00155D0A1B2C", 76, 24);
    assert.ok(d.info.includes('NetworkAddress = "00155D0A1B2C"') || d.info.includes("NetworkAddress"), d.info);
  });

  test("unknown OID data stays bytes", () => {
    const d = set(0x12345678, words(1, 2));
    expectClean(d);
    expectField(d, "rndis.oid_data.data", words(1, 2).bytes, 28, 8);
  });
});

describe("malformed RNDIS: marked, bounded, and the next record decodes", () => {
  const good = fromGuest(words(3, 12, 5).bytes);
  const check = (bytes: Uint8Array, host = false): Dissection => {
    const dissector = new Dissector();
    const d = dissector.dissect(host ? fromHost([bytes]) : fromGuest(bytes));
    assert.equal(d.malformed, true, `should be malformed: ${d.info}`);
    expectClean(dissector.dissect(good));
    return d;
  };

  test("information buffer offset pointing outside the message", () => {
    const d = check(words(4, 28, 7, LINK_SPEED, 4, 100, 0).bytes);
    assert.ok(errors(d).some((e) => /runs past the message/.test(e.text)), JSON.stringify(errors(d)));
    expectAbsent(d, "rndis.info_buffer");
  });

  test("information buffer overlapping the fixed fields", () => {
    const d = check(words(5, 32, 8, 0x0001010e, 4, 4, 0, 0xd).bytes);
    assert.ok(errors(d).some((e) => /overlaps/.test(e.text)));
  });

  test("frame offset outside the message", () => {
    const d = check(new Bytes(48).u32(0, 1).u32(4, 48).u32(8, 1000).u32(12, 60).bytes);
    assert.ok(errors(d).some((e) => /frame at 1000\+60 runs past/.test(e.text)), JSON.stringify(errors(d)));
    assert.equal(d.layers.some((l) => l.field.filter === "data"), false);
  });

  test("PPI list outside the message", () => {
    check(new Bytes(48).u32(0, 1).u32(4, 48).u32(8, 36).u32(12, 4).u32(28, 0x7fffffff).u32(32, 16).bytes);
  });

  test("a PPI whose size overruns the list", () => {
    const message = new Bytes(64).u32(0, 1).u32(4, 64).u32(8, 52).u32(12, 4).u32(28, 36).u32(32, 16)
      .u32(44, 0x1000).u32(48, 0).u32(52, 12).u32(56, 1);
    const d = check(message.bytes);
    assert.ok(errors(d).some((e) => /stated size 4096 runs past/.test(e.text)), JSON.stringify(errors(d)));
  });

  test("a PPI of size 0 does not loop", () => {
    const message = new Bytes(76).u32(0, 1).u32(4, 76).u32(8, 68).u32(12, 4).u32(28, 36).u32(32, 32);
    const d = check(message.bytes);
    assert.ok(findAll(d, "rndis.ppi.record").length <= 3);
  });

  test("a PPI data offset outside its record", () => {
    const message = new Bytes(64).u32(0, 1).u32(4, 64).u32(8, 52).u32(12, 4).u32(28, 36).u32(32, 16)
      .u32(44, 16).u32(48, 0).u32(52, 40).u32(56, 1);
    const d = check(message.bytes);
    assert.ok(errors(d).some((e) => /data offset 40 is outside its 16-byte record/.test(e.text)));
  });

  test("message_length 0 does not loop or allocate", () => {
    const d = check(new Uint8Array(4096).fill(0).map((_, i) => (i % 8 === 0 ? 3 : 0)));
    assert.ok(findAll(d, "rndis.msg").length <= 4096 / 8);
  });

  test("message_length beyond the chunk", () => {
    const d = check(words(4, 0x7fffffff, 7, LINK_SPEED, 0, 0, 0).bytes);
    assert.equal(findAll(d, "rndis.msg").length, 1);
    assert.ok(errors(d).some((e) => /runs past the 28 bytes available/.test(e.text)), JSON.stringify(errors(d)));
  });

  test("a message cut short (chunk smaller than the fixed fields)", () => {
    check(words(4, 28, 7).bytes);
  });
});

describe("encode then decode", () => {
  const encode = (msgType: number, body: Record<string, unknown>, direction = 0): Uint8Array => {
    const parent = newScope(undefined, 0, Infinity);
    parent.values.direction = direction;
    const bytes = encodeStruct(rndisMessage, { msg_type: msgType, message_length: 0xffffffff, body: body as never }, parent);
    new DataView(bytes.buffer).setUint32(4, bytes.length, true);
    return bytes;
  };

  test("INITIALIZE, QUERY, KEEPALIVE_CMPLT equal the hand-written bytes", () => {
    assert.deepEqual(encode(2, { request_id: 1, major_version: 1, minor_version: 0, max_transfer_size: 0x4000 }), words(2, 24, 1, 1, 0, 0x4000).bytes);
    assert.deepEqual(encode(4, { request_id: 7, oid: LINK_SPEED, info_buffer_length: 0, info_buffer_offset: 0, device_vc_handle: 0 }), words(4, 28, 7, LINK_SPEED, 0, 0, 0).bytes);
    assert.deepEqual(encode(0x80000008, { request_id: 9, status: 0 }), words(0x80000008, 16, 9, 0).bytes);
  });

  test("a PACKET_MSG with LSO and VLAN PPIs round-trips", () => {
    const frame = Uint8Array.from({ length: 20 }, (_, i) => 0xf0 + i);
    const bytes = encode(1, {
      data_offset: 68, data_length: 20, ppi_offset: 36, ppi_length: 32, ppi: {
        ppis: [
          { size: 16, type: 2, offset: 12, info: { mss: 1460, tcp_header_offset: 34, lso_type: 1, ip_version: 1 } },
          { size: 16, type: 6, offset: 12, info: { priority: 5, cfi: 1, id: 4094 } },
        ],
      }, frame,
    });
    assert.equal(new DataView(bytes.buffer).getUint32(56, true), (1460 | (34 << 20) | 0x40000000 | 0x80000000) >>> 0);
    const d = new Dissector().dissect(fromGuest(bytes));
    expectClean(d);
    expectField(d, "rndis.ppi.lso.mss", 1460, 56, 4);
    expectField(d, "rndis.ppi.lso.ip_version", 1, 56, 4);
    expectField(d, "rndis.ppi.vlan.priority", 5, 72, 4);
    expectField(d, "rndis.ppi.vlan.cfi", 1, 72, 4);
    expectField(d, "rndis.ppi.vlan.id", 4094, 72, 4);
    expectField(d.layers[3], "data.data", frame, 76, 20);
  });

  test("INDICATE_STATUS with a link speed round-trips (scaled ×100)", () => {
    const bytes = encode(7, { status: 0x40010013, status_buffer_length: 4, status_buffer_offset: 12, status_buffer: { status_data: { link_speed: 40_000_000_000 } } });
    assert.deepEqual(bytes, words(7, 24, 0x40010013, 4, 12, 400_000_000).bytes);
  });
});
