// NVSP messages (net-storage.md A2) decoded from bytes written by hand at the offsets of the
// reference tables. Frame offsets: pseudo-header 0..27, packet descriptor 28..43, NVSP from 44
// (in-band and completion packets, offset8 = 2). `at` below is the NVSP offset; the frame offset
// is 44 + at.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { AttachedSource, Direction, RecordFlags, type AttachedChunk } from "../../capture/record.js";
import { Dissector } from "../../dissectors/dissect.js";
import { encodeStruct, type EncodeValues } from "../../dissectors/describe/encode.js";
import { nvspBodies, nvspMessage, nvspTypes } from "../../dissectors/netvsc/nvsp.js";
import { recogniseNvsp, sendBufferSection } from "../../dissectors/netvsc/index.js";
import type { FieldValue } from "../../dissectors/tree.js";
import {
  Bytes, errors, expectAbsent, expectBits, expectChildrenInside, expectClean, expectField, expectMalformedAt, findAll, findNode, guidBytes, node,
  packetRecord,
} from "./tree-helpers.js";

const NETVSC = guidBytes("f8615163-df3e-46c5-913f-f2d2f965ed0e");
const NVSP = 44;
const RELID = 7;
let transIds = 0x40;

/** A ring packet of type `type` (6 in-band, 11 completion) whose payload is the NVSP bytes. */
function ringPacket(type: number, nvsp: Uint8Array, options: { flags?: number; transId?: number; len8?: number } = {}): Uint8Array {
  const len8 = options.len8 ?? 2 + Math.ceil(nvsp.length / 8);
  const bytes = new Bytes(len8 * 8).u16(0, type).u16(2, 2).u16(4, len8).u16(6, options.flags ?? (type === 11 ? 0 : 1))
    .u64(8, options.transId ?? ++transIds);
  bytes.raw(16, nvsp.subarray(0, len8 * 8 - 16));
  return bytes.bytes;
}

function record(type: number, nvsp: Uint8Array, options: { flags?: number; transId?: number; direction?: Direction; attached?: AttachedChunk[]; len8?: number; timestampNs?: bigint } = {}) {
  const attached = options.attached ?? [];
  return packetRecord(RELID, ringPacket(type, nvsp, options), {
    classGuid: NETVSC, direction: options.direction ?? (type === 11 ? Direction.HostToGuest : Direction.GuestToHost),
    attached, flags: attached.length > 0 ? RecordFlags.AttachedData : 0, timestampNs: options.timestampNs,
  });
}

const words = (...values: number[]): Bytes => {
  const bytes = new Bytes(values.length * 4);
  values.forEach((value, i) => bytes.u32(i * 4, value));
  return bytes;
};

type Expect = [filter: string, value: FieldValue, at: number, length: number];

interface Case { name: string; type: number; packet?: number; bytes: Bytes; expect: Expect[]; info?: string }

const GPADL = 0xe1e20;
const cases: Case[] = [
  { name: "INIT", type: 1, bytes: words(1, 0x00060001, 0x00060001), info: "NVSP INIT 6.1", expect: [
    ["nvsp.protocol_version", 0x00060001, 4, 4], ["nvsp.protocol_version2", 0x00060001, 8, 4]] },
  { name: "INIT_COMPLETE", type: 2, packet: 11, bytes: words(2, 0xffffffff, 34, 1), info: "NVSP INIT_COMPLETE SUCCESS", expect: [
    ["nvsp.negotiated_protocol_ver", 0xffffffff, 4, 4], ["nvsp.max_mdl_chain_len", 34, 8, 4], ["nvsp.status", 1, 12, 4]] },
  { name: "SEND_NDIS_VERSION", type: 100, bytes: words(100, 6, 30), info: "NVSP SEND_NDIS_VERSION 6.30", expect: [
    ["nvsp.ndis_major_ver", 6, 4, 4], ["nvsp.ndis_minor_ver", 30, 8, 4]] },
  { name: "SEND_RECV_BUF", type: 101, bytes: new Bytes(12).u32(0, 101).u32(4, GPADL).u16(8, 0xcafe), info: "NVSP SEND_RECV_BUF gpadl 0xe1e20 id 0xcafe", expect: [
    ["nvsp.gpadl_handle", GPADL, 4, 4], ["nvsp.id", 0xcafe, 8, 2], ["nvsp.reserved_u16", 0, 10, 2]] },
  { name: "SEND_RECV_BUF_COMPLETE", type: 102, packet: 11, bytes: words(102, 1, 1, 0, 1728, 9709, 1728 * 9709), expect: [
    ["nvsp.status", 1, 4, 4], ["nvsp.num_sections", 1, 8, 4], ["nvsp.sections", 1, 12, 16], ["nvsp.section.entry", null, 12, 16],
    ["nvsp.section.offset", 0, 12, 4], ["nvsp.section.sub_alloc_size", 1728, 16, 4], ["nvsp.section.num_sub_allocs", 9709, 20, 4],
    ["nvsp.section.end_offset", 1728 * 9709, 24, 4]] },
  { name: "REVOKE_RECV_BUF", type: 103, bytes: new Bytes(8).u32(0, 103).u16(4, 0xcafe), expect: [["nvsp.id", 0xcafe, 4, 2]] },
  { name: "SEND_SEND_BUF", type: 104, bytes: new Bytes(12).u32(0, 104).u32(4, GPADL + 1).u16(8, 0xface), expect: [
    ["nvsp.gpadl_handle", GPADL + 1, 4, 4], ["nvsp.id", 0xface, 8, 2]] },
  { name: "SEND_SEND_BUF_COMPLETE", type: 105, packet: 11, bytes: words(105, 1, 6144), info: "NVSP SEND_SEND_BUF_COMPLETE SUCCESS section size 6144", expect: [
    ["nvsp.status", 1, 4, 4], ["nvsp.section_size", 6144, 8, 4]] },
  { name: "REVOKE_SEND_BUF", type: 106, bytes: new Bytes(8).u32(0, 106).u16(4, 0xface), expect: [["nvsp.id", 0xface, 4, 2]] },
  { name: "SEND_RNDIS_PKT", type: 107, bytes: words(107, 0, 17, 1514), info: "NVSP SEND_RNDIS_PKT data section 17", expect: [
    ["nvsp.channel_type", 0, 4, 4], ["nvsp.send_buf_section_index", 17, 8, 4], ["nvsp.send_buf_section_size", 1514, 12, 4]] },
  { name: "SEND_RNDIS_PKT_COMPLETE", type: 108, packet: 11, bytes: words(108, 1), info: "NVSP SEND_RNDIS_PKT_COMPLETE SUCCESS", expect: [["nvsp.status", 1, 4, 4]] },
  { name: "SEND_CHIMNEY_DELEGATED_BUF", type: 109, bytes: new Bytes(12).u32(0, 109).u16(4, 0x100).u16(6, 2).u32(8, GPADL + 2), expect: [
    ["nvsp.delegated_obj_max_size", 0x100, 4, 2], ["nvsp.revision", 2, 6, 2], ["nvsp.gpadl_handle", GPADL + 2, 8, 4]] },
  { name: "SEND_CHIMNEY_DELEGATED_BUF_COMP", type: 110, packet: 11, bytes: words(110, 0, 64, 32), expect: [
    ["nvsp.ndis_status", 0, 4, 4], ["nvsp.send_quota", 64, 8, 4], ["nvsp.rx_quota", 32, 12, 4]] },
  { name: "REVOKE_CHIMNEY_DELEGATED_BUF", type: 111, bytes: words(111, GPADL + 2), expect: [["nvsp.gpadl_handle", GPADL + 2, 4, 4]] },
  { name: "RESUME_CHIMNEY_RX_INDICATION", type: 112, bytes: words(112, 0x55), expect: [["nvsp.vsp_tcp_handle", 0x55, 4, 4]] },
  { name: "TERMINATE_CHIMNEY (index)", type: 113, bytes: words(113, 0x66, 0, 9), expect: [
    ["nvsp.vsp_handle", 0x66, 4, 4], ["nvsp.terminate_flags", 0, 8, 4], ["nvsp.delegated_index", 9, 12, 4]] },
  { name: "TERMINATE_CHIMNEY (first stage: sequence number)", type: 113, bytes: new Bytes(20).u32(0, 113).u32(4, 0x66).u32(8, 1).u64(12, 0x1_0000_0002), expect: [
    ["nvsp.terminate_flags", 1, 8, 4], ["nvsp.last_accepted_rx_seq_no", 0x1_0000_0002, 12, 8]] },
  { name: "TERMINATE_CHIMNEY_COMP", type: 114, bytes: new Bytes(16).u32(0, 114).u64(4, 0xabcdef).u32(12, 1), expect: [
    ["nvsp.vsc_context", 0xabcdef, 4, 8], ["nvsp.terminate_comp_flags", 1, 12, 4]] },
  { name: "INDICATE_CHIMNEY_EVENT", type: 115, bytes: new Bytes(20).u32(0, 115).u32(4, 0x4001000b).u32(8, 3).u64(12, 0), expect: [
    ["nvsp.event_type", 0x4001000b, 4, 4], ["nvsp.event_specific_info", 3, 8, 4], ["nvsp.vsc_tcp_context", 0, 12, 8]] },
  { name: "SEND_CHIMNEY_PKT", type: 116, bytes: new Bytes(20).u32(0, 116).u32(4, 0x77).u16(8, 4).u16(10, 300).u16(12, 0xffff).u16(14, 1).u32(16, 1000), expect: [
    ["nvsp.vsp_tcp_handle", 0x77, 4, 4], ["nvsp.chimney_section_index", 4, 8, 2], ["nvsp.chimney_section_size", 300, 10, 2],
    ["nvsp.oob_data_index", 0xffff, 12, 2], ["nvsp.disconnect_flags", 1, 14, 2], ["nvsp.seq_no", 1000, 16, 4]] },
  { name: "SEND_CHIMNEY_PKT_COMP", type: 117, bytes: words(117, 0, 300), expect: [["nvsp.ndis_status", 0, 4, 4], ["nvsp.bytes_transferred", 300, 8, 4]] },
  { name: "POST_CHIMNEY_RECV_REQ (packed: seq_no at 14)", type: 118, bytes: new Bytes(20).u32(0, 118).u32(4, 0x77).u32(8, 0xffffffff).u16(12, 1).u32(14, 2000), expect: [
    ["nvsp.vsp_tcp_handle", 0x77, 4, 4], ["nvsp.recv_oob_data_index", 0xffffffff, 8, 4], ["nvsp.recv_flags", 1, 12, 2], ["nvsp.seq_no", 2000, 14, 4]] },
  { name: "POST_CHIMNEY_RECV_REQ_COMP", type: 119, bytes: words(119, 0, 5), expect: [["nvsp.ndis_status", 0, 4, 4], ["nvsp.bytes_transferred", 5, 8, 4]] },
  { name: "ALLOC_RXBUF", type: 120, bytes: words(120, 7, 65536), expect: [["nvsp.alloc_id", 7, 4, 4], ["nvsp.len", 65536, 8, 4]] },
  { name: "ALLOC_RXBUF_COMP", type: 121, bytes: new Bytes(24).u32(0, 121).u32(4, 0).u32(8, 7).u32(12, GPADL + 3).u64(16, 0x1234), expect: [
    ["nvsp.ndis_status", 0, 4, 4], ["nvsp.alloc_id", 7, 8, 4], ["nvsp.gpadl_handle", GPADL + 3, 12, 4], ["nvsp.recv_buf_id", 0x1234, 16, 8]] },
  { name: "FREE_RXBUF", type: 122, bytes: new Bytes(12).u32(0, 122).u64(4, 0x1234), expect: [["nvsp.recv_buf_id", 0x1234, 4, 8]] },
  { name: "SEND_VMQ_RNDIS_PKT", type: 123, bytes: new Bytes(24).u32(0, 123).u32(4, 0).u64(8, 0x1234).u32(16, 60).u32(20, 0x800), expect: [
    ["nvsp.channel_type", 0, 4, 4], ["nvsp.transfer_page_set_id", 0x1234, 8, 8], ["nvsp.byte_count", 60, 16, 4], ["nvsp.byte_offset", 0x800, 20, 4]] },
  { name: "SEND_VMQ_RNDIS_PKT_COMP", type: 124, bytes: words(124, 1), expect: [["nvsp.status", 1, 4, 4]] },
  { name: "SEND_NDIS_CONFIG", type: 125, bytes: new Bytes(20).u32(0, 125).u32(4, 1514).u64(12, 0xac), info: "NVSP SEND_NDIS_CONFIG MTU 1514 [SR-IOV, IEEE 802.1Q, Teaming, RSC over VMBus]", expect: [
    ["nvsp.mtu", 1514, 4, 4], ["nvsp.reserved_u32", 0, 8, 4], ["nvsp.capabilities", 0xac, 12, 8]] },
  { name: "ALLOC_CHIMNEY_HANDLE", type: 126, bytes: new Bytes(16).u32(0, 126).u64(4, 0x99).u32(12, 3), expect: [["nvsp.vsc_context", 0x99, 4, 8], ["nvsp.object_type", 3, 12, 4]] },
  { name: "ALLOC_CHIMNEY_HANDLE_COMP", type: 127, bytes: words(127, 0x88), expect: [["nvsp.vsp_handle", 0x88, 4, 4]] },
  { name: "SEND_VF_ASSOCIATION", type: 128, bytes: words(128, 1, 0x1234), info: "NVSP SEND_VF_ASSOCIATION VF present serial 0x1234", expect: [
    ["nvsp.allocated", 1, 4, 4], ["nvsp.serial", 0x1234, 8, 4]] },
  { name: "SWITCH_DATA_PATH", type: 129, bytes: words(129, 1), info: "NVSP SWITCH_DATA_PATH VF", expect: [["nvsp.active_datapath", 1, 4, 4]] },
  { name: "UPLINK_CONNECT_STATE_DEPRECATED", type: 130, bytes: words(130, 0xabcd), expect: [["nvsp.body_data", new Bytes(4).u32(0, 0xabcd).bytes, 4, 4]] },
  { name: "OID_QUERY_EX", type: 131, bytes: new Bytes(12).u32(0, 131).u8(4, 0x96).u8(5, 1).u16(6, 8).u32(8, 0x00010107), info: "NVSP OID_QUERY_EX OID_GEN_LINK_SPEED", expect: [
    ["ndis.hdr.type", 0x96, 4, 1], ["ndis.hdr.revision", 1, 5, 1], ["ndis.hdr.size", 8, 6, 2], ["nvsp.oid", 0x00010107, 8, 4]] },
  { name: "OID_QUERY_EX_COMP", type: 132, packet: 11, bytes: words(132, 0xc00000bb, 0), info: "NVSP OID_QUERY_EX_COMP NOT_SUPPORTED", expect: [
    ["nvsp.ndis_status", 0xc00000bb, 4, 4], ["nvsp.bytes", 0, 8, 4]] },
  { name: "SUBCHANNEL request", type: 133, bytes: words(133, 1, 3), info: "NVSP SUBCHANNEL 3 sub-channel(s)", expect: [
    ["nvsp.subchannel_op", 1, 4, 4], ["nvsp.num_subchannels", 3, 8, 4]] },
  { name: "SUBCHANNEL completion", type: 133, packet: 11, bytes: words(133, 1, 3), expect: [["nvsp.status", 1, 4, 4], ["nvsp.num_subchannels", 3, 8, 4]] },
  { name: "SEND_INDIRECTION_TABLE (OpenVMM: 16 entries at 12)", type: 134, bytes: words(134, 16, 12, ...Array.from({ length: 16 }, (_, i) => i % 4)), info: "NVSP SEND_INDIRECTION_TABLE 16 entries", expect: [
    ["nvsp.count", 16, 4, 4], ["nvsp.table_offset", 12, 8, 4], ["nvsp.table", 16, 12, 64], ["nvsp.send_table.channel", 0, 12, 4]] },
  { name: "PD_API request CREATE_QUEUE", type: 135,
    bytes: new Bytes(40).u32(0, 135).u32(4, 5).u32(8, 2).u16(12, 3).u16(14, 256).u8(16, 1).u8(17, 0).u32(18, 2048).u64(22, 0xff).u16(30, 1),
    info: "NVSP PD_API CREATE_QUEUE", expect: [
      ["nvsp.pd_op", 5, 4, 4], ["nvsp.pd.prov_id", 2, 8, 4], ["nvsp.pd.q_id", 3, 12, 2], ["nvsp.pd.q_size", 256, 14, 2], ["nvsp.pd.is_recv_q", 1, 16, 1],
      ["nvsp.pd.is_rss_q", 0, 17, 1], ["nvsp.pd.recv_data_len", 2048, 18, 4], ["nvsp.pd.affinity_mask", 0xff, 22, 8], ["nvsp.pd.affinity_group", 1, 30, 2],
      ["nvsp.pd.affinity_reserved", new Uint8Array(6), 32, 6]] },
  { name: "PD_API completion CONFIG", type: 135, packet: 11, bytes: new Bytes(20).u32(0, 135).u32(4, 1).u32(8, 0).u16(12, 4).u8(14, 2).u8(15, 1).u8(16, 1), expect: [
    ["nvsp.pd_op", 1, 4, 4], ["nvsp.nt_status", 0, 8, 4], ["nvsp.pd.num_pd_q", 4, 12, 2], ["nvsp.pd.num_rss_q", 2, 14, 1],
    ["nvsp.pd.is_supported", 1, 15, 1], ["nvsp.pd.is_enabled", 1, 16, 1]] },
  { name: "PD_POST_BATCH", type: 136, bytes: new Bytes(24).u32(0, 136).u16(4, 2).u16(6, 3).u32(8, 0x1000).u16(12, 1).u16(14, 1).u32(16, 0x2000).u16(20, 1).u16(22, 0),
    info: "NVSP PD_POST_BATCH 2 buffer(s)", expect: [
      ["nvsp.buffer_count", 2, 4, 2], ["nvsp.batch_flags", 3, 6, 2], ["nvsp.pd_buffers", 2, 8, 16], ["nvsp.pd_buf.region_offset", 0x1000, 8, 4],
      ["nvsp.pd_buf.region_id", 1, 12, 2], ["nvsp.pd_buf.buf_flags", 1, 14, 2]] },
  { name: "unknown type 200", type: 200, bytes: words(200, 0x11223344), info: "NVSP 200", expect: [["nvsp.body_data", new Bytes(4).u32(0, 0x11223344).bytes, 4, 4]] },
];

describe("every NVSP message type, bytes by hand", () => {
  for (const c of cases) {
    test(`${c.type} ${c.name}`, () => {
      const d = new Dissector().dissect(record(c.packet ?? 6, c.bytes.bytes));
      if (c.type !== 107) expectClean(d);
      expectChildrenInside(d);
      assert.deepEqual(d.layers.map((l) => l.field.filter), ["vmbus", "nvsp"]);
      expectField(d, "nvsp.msg_type", c.type, NVSP, 4);
      for (const [filter, value, at, length] of c.expect) expectField(d, filter, value, NVSP + at, length);
      if (c.info) assert.ok(d.info.includes(c.info), `info "${d.info}" should contain "${c.info}"`);
    });
  }

  test("every type of versions 1–6.1 has a body description and a name", () => {
    for (const type of [1, 2, ...Array.from({ length: 37 }, (_, i) => 100 + i)]) {
      assert.ok(nvspTypes[type], `name of ${type}`);
      assert.ok(nvspBodies[type], `body of ${type}`);
    }
    assert.equal(cases.filter((c) => c.type !== 200).map((c) => c.type).filter((t, i, all) => all.indexOf(t) === i).length, 39);
  });

  test("capability, flag and status names", () => {
    const d = new Dissector().dissect(record(6, new Bytes(20).u32(0, 125).u32(4, 9014).u64(12, 0x84).bytes));
    expectBits(d, "nvsp.capabilities", { vmq: false, chimney: false, sriov: true, ieee8021q: false, teaming: false, rsc: true });
    assert.equal(node(d, "nvsp.msg_type").field.values?.[107], "SEND_RNDIS_PKT");
    assert.equal(node(d, "nvsp.msg_type").field.values?.[108], "SEND_RNDIS_PKT_COMPLETE");
    const c = new Dissector().dissect(record(11, words(108, 5).bytes));
    assert.equal(node(c, "nvsp.status").field.values?.[5], "INVALID_RNDIS_PKT");
    assert.ok(c.info.endsWith("NVSP SEND_RNDIS_PKT_COMPLETE INVALID_RNDIS_PKT"), c.info);
  });

  test("trailing bytes of a padded message are shown as padding, not required", () => {
    const d = new Dissector().dissect(record(6, words(1, 2, 2, 0, 0, 0, 0, 0, 0, 0).bytes));
    expectClean(d);
    expectField(d, "nvsp.padding", new Uint8Array(28), NVSP + 12, 28);
  });
});

describe("where the RNDIS bytes are (A4)", () => {
  const missing = (d: ReturnType<Dissector["dissect"]>) => d.experts.find((e) => e.group === "undecoded")?.text;

  test("send-buffer section, not captured", () => {
    const d = new Dissector().dissect(record(6, words(107, 0, 17, 1514).bytes));
    assert.equal(d.malformed, false);
    assert.equal(missing(d), "RNDIS message in send-buffer section 17, 1514 bytes, not captured");
    assert.ok(d.info.includes("NVSP SEND_RNDIS_PKT data section 17 RNDIS message in send-buffer section 17, 1514 bytes, not captured"), d.info);
    expectField(d, "nvsp.in_section", null, NVSP + 8, 8);
  });

  test("GPA-direct pages, not captured", () => {
    const nvsp = words(107, 1, 0xffffffff, 0).bytes;
    const bytes = new Bytes(56).u16(0, 9).u16(2, 5).u16(4, 7).u16(6, 1).u64(8, 9)
      .u32(16, 0).u32(20, 1).u32(24, 100).u32(28, 0x10).u64(32, 0x4567).raw(40, nvsp);
    const d = new Dissector().dissect(packetRecord(RELID, bytes.bytes, { classGuid: NETVSC }));
    assert.equal(missing(d), "RNDIS message in guest pages (GPA-direct ranges), not captured");
    assert.ok(d.info.includes("NVSP SEND_RNDIS_PKT control GPA direct"), d.info);
  });

  test("receive buffer (transfer pages), not captured", () => {
    const nvsp = words(107, 0, 0xffffffff, 0).bytes;
    const bytes = new Bytes(48).u16(0, 7).u16(2, 4).u16(4, 6).u16(6, 1).u64(8, 10)
      .u16(16, 0xcafe).u32(20, 1).u32(24, 1728).u32(28, 0x6c0).raw(32, nvsp);
    const d = new Dissector().dissect(packetRecord(RELID, bytes.bytes, { classGuid: NETVSC, direction: Direction.HostToGuest }));
    assert.equal(missing(d), "RNDIS message in the receive buffer (transfer-page ranges), not captured");
    assert.ok(d.info.includes("NVSP SEND_RNDIS_PKT data receive buffer"), d.info);
  });

  test("an attached chunk goes to the RNDIS layer (source 1 = the chunk)", () => {
    const halt = words(3, 12, 5).bytes;
    const d = new Dissector().dissect(record(6, words(107, 1, 3, 12).bytes, { attached: [{ source: AttachedSource.ProtocolBuffer, index: 0, offset: 0, data: halt }] }));
    expectClean(d);
    assert.deepEqual(d.layers.map((l) => l.field.filter), ["vmbus", "nvsp", "rndis"]);
    const type = node(d, "rndis.msg_type");
    assert.equal(type.source, 1);
    assert.equal(type.offset, 0);
    assert.ok(d.info.includes("NVSP SEND_RNDIS_PKT control section 3 → RNDIS HALT id 5"), d.info);
  });
});

describe("session state and pairing", () => {
  test("INIT / INIT_COMPLETE, NDIS version, buffers and sub-channels are learned per channel", () => {
    const dissector = new Dissector();
    dissector.dissect(record(6, words(1, 0x00050000, 0x00050000).bytes, { transId: 1 }));
    dissector.dissect(record(11, words(2, 0xffffffff, 34, 1).bytes, { transId: 1 }));
    dissector.dissect(record(6, words(100, 6, 30).bytes));
    dissector.dissect(record(6, new Bytes(12).u32(0, 101).u32(4, GPADL).u16(8, 0xcafe).bytes));
    dissector.dissect(record(11, words(102, 1, 1, 0, 1728, 9709, 1728 * 9709).bytes));
    dissector.dissect(record(6, new Bytes(12).u32(0, 104).u32(4, GPADL + 1).u16(8, 0).bytes));
    dissector.dissect(record(11, words(105, 1, 6144).bytes));
    dissector.dissect(record(11, words(133, 1, 4).bytes));
    const state = dissector.session.snapshot().channels[RELID];
    assert.equal(state["channel.nvsp.version_requested"], 0x00050000);
    assert.equal(state["channel.nvsp.version"], 0x00050000);
    assert.equal(state["channel.ndis.version"], 0x0006001e);
    assert.equal(state["channel.nvsp.recv_buf_gpadl"], GPADL);
    assert.equal(state["channel.nvsp.recv_buf_id"], 0xcafe);
    assert.equal(state["channel.nvsp.recv_section_size"], 1728);
    assert.equal(state["channel.nvsp.recv_section_count"], 9709);
    assert.equal(state["channel.nvsp.send_buf_gpadl"], GPADL + 1);
    assert.equal(state["channel.nvsp.send_section_size"], 6144);
    assert.equal(state["channel.nvsp.subchannel_count"], 4);
  });

  test("a type above the negotiated version's last one is flagged, not rejected", () => {
    const dissector = new Dissector();
    dissector.dissect(record(6, words(1, 0x00040000, 0x00040000).bytes, { transId: 1 }));
    dissector.dissect(record(11, words(2, 0xffffffff, 34, 1).bytes, { transId: 1 }));
    const d = dissector.dissect(record(6, words(133, 1, 3).bytes));
    assert.equal(d.malformed, false);
    assert.ok(d.experts.some((e) => e.severity === "note" && /above 130/.test(e.text)), JSON.stringify(d.experts));
    assert.equal(dissector.dissect(record(6, words(129, 1).bytes)).experts.length, 0);
  });

  test("a refused version is not taken as negotiated", () => {
    const dissector = new Dissector();
    dissector.dissect(record(6, words(1, 0x00060001, 0x00060001).bytes, { transId: 1 }));
    dissector.dissect(record(11, words(2, 0xffffffff, 34, 0).bytes, { transId: 1 }));
    assert.equal(dissector.session.snapshot().channels[RELID]["channel.nvsp.version"], undefined);
  });

  test("send indirection table at byte 40 when version ≤ 6.0 and the message is long enough (Linux rule)", () => {
    const dissector = new Dissector();
    dissector.dissect(record(6, words(1, 0x00060000, 0x00060000).bytes, { transId: 1 }));
    dissector.dissect(record(11, words(2, 0xffffffff, 34, 1).bytes, { transId: 1 }));
    const table = words(134, 16, 12, ...Array(7).fill(0), ...Array.from({ length: 16 }, (_, i) => 100 + i));
    const d = dissector.dissect(record(6, table.bytes));
    expectClean(d);
    const entries = findAll(d, "nvsp.send_table.channel");
    assert.equal(entries.length, 16);
    expectField(d, "nvsp.send_table.channel", 100, NVSP + 40, 4);
    // The same bytes on a 6.1 channel: the stated offset (12) is used.
    const fresh = new Dissector().dissect(record(6, table.bytes));
    expectField(fresh, "nvsp.send_table.channel", 0, NVSP + 12, 4);
  });

  test("a completion names its request and the time between them", () => {
    const dissector = new Dissector();
    const request = record(6, new Bytes(12).u32(0, 104).u32(4, GPADL).bytes, { transId: 0x77, timestampNs: 1_000_000n });
    const completion = record(11, words(105, 1, 6144).bytes, { transId: 0x77, timestampNs: 1_250_000n });
    dissector.dissect(request);
    const d = dissector.dissect(completion);
    expectField(d, "nvsp.request_in", request.origin.number, NVSP, 0);
    assert.equal(findNode(d, "nvsp.time")?.value, 0.00025);
    // A completion from the wrong direction or with another id is not paired.
    const other = dissector.dissect(record(11, words(105, 1, 6144).bytes, { transId: 0x78 }));
    expectAbsent(other, "nvsp.request_in");
  });
});

describe("malformed NVSP", () => {
  test("short message: INIT_COMPLETE whose status lies beyond the packet", () => {
    const dissector = new Dissector();
    const d = dissector.dissect(record(11, words(2, 0xffffffff).bytes, { len8: 3 }));
    expectMalformedAt(d, NVSP + 8);
    // The next record decodes normally.
    expectClean(dissector.dissect(record(11, words(108, 1).bytes)));
  });

  test("a message type only, then nothing (SEND_RNDIS_PKT cut after its type)", () => {
    const d = new Dissector().dissect(record(6, words(107).bytes, { len8: 2 + 1 }));
    assert.ok(d.malformed);
  });

  test("a section count far beyond the bytes does not loop or allocate", () => {
    const d = new Dissector().dissect(record(11, words(102, 1, 0xffffffff, 0, 1728, 10, 17280).bytes));
    assert.ok(d.malformed);
    assert.ok(findAll(d, "nvsp.section.entry").length <= 2);
  });

  test("an indirection table whose offset points past the message", () => {
    const d = new Dissector().dissect(record(6, words(134, 16, 0x10000).bytes));
    assert.ok(errors(d).length > 0);
  });
});

describe("encode then decode", () => {
  const simple = (type: number): EncodeValues => {
    const values: EncodeValues = {};
    nvspBodies[type].fields.forEach((field, i) => {
      if (field.kind !== "scalar" || field.when !== undefined || field.at !== undefined || field.mask !== undefined) return;
      const max = { u8: 0xff, u16: 0xffff, u32: 0xffffffff, u64: 0xffffffff }[field.type as "u8"] ?? 0xff;
      values[field.key] = field.key === "num_sections" ? 0 : ((type * 7919 + i * 104729) % max) + (field.type === "u64" ? 0x1_0000_0000 : 0);
    });
    return values;
  };
  for (const type of Object.keys(nvspBodies).map(Number).filter((t) => ![107, 113, 134, 135, 136].includes(t))) {
    test(`${type} ${nvspTypes[type]}`, () => {
      const body = simple(type);
      const bytes = encodeStruct(nvspMessage, { msg_type: type, body });
      const d = new Dissector().dissect(record(6, bytes));
      expectField(d, "nvsp.msg_type", type, NVSP, 4);
      const bodyNode = d.layers[1].children!.find((c) => c.field.kind === "struct")!;
      for (const [key, value] of Object.entries(body)) {
        const found = bodyNode.children!.find((c) => c.field.filter.endsWith(`.${key}`));
        assert.ok(found, `${key}`);
        assert.equal(BigInt(found.value as number), BigInt(value as number), key);
      }
    });
  }

  test("SEND_RNDIS_PKT and SUBCHANNEL match the hand-written bytes", () => {
    assert.deepEqual(encodeStruct(nvspMessage, { msg_type: 107, body: { channel_type: 0, location: { send_buf_section_index: 17, send_buf_section_size: 1514 } } }), words(107, 0, 17, 1514).bytes);
    assert.deepEqual(encodeStruct(nvspMessage, { msg_type: 133, body: { subchannel_op: 1, num_subchannels: 3 } }), words(133, 1, 3).bytes);
    assert.deepEqual(encodeStruct(nvspMessage, { msg_type: 136, body: { buffer_count: 1, batch_flags: 1, pd_buffers: [{ region_offset: 8, region_id: 2, buf_flags: 0 }] } }),
      new Bytes(16).u32(0, 136).u16(4, 1).u16(6, 1).u32(8, 8).u16(12, 2).bytes);
  });
});

describe("device recognition and the send-buffer section", () => {
  test("recognise: known types with consistent fields for their packet type", () => {
    assert.equal(recogniseNvsp(words(1, 0x00060001, 0x00060001, 0).bytes, 6), true);
    assert.equal(recogniseNvsp(words(1, 0x00060001, 0x00060001).bytes, 11), false);
    assert.equal(recogniseNvsp(words(1, 7, 7).bytes, 6), false);
    assert.equal(recogniseNvsp(words(2, 0xffffffff, 34, 1).bytes, 11), true);
    assert.equal(recogniseNvsp(words(107, 0, 0xffffffff, 0).bytes, 7), true);
    assert.equal(recogniseNvsp(words(107, 0, 5, 0).bytes, 7), false);
    assert.equal(recogniseNvsp(words(107, 1, 17, 200).bytes, 6), true);
    assert.equal(recogniseNvsp(words(107, 9, 17, 200).bytes, 6), false);
    assert.equal(recogniseNvsp(words(107, 0, 0xffffffff, 0).bytes, 9), true);
    assert.equal(recogniseNvsp(words(108, 1).bytes, 11), true);
    assert.equal(recogniseNvsp(words(108).bytes.subarray(0, 2), 11), false);
    assert.equal(recogniseNvsp(words(9, 1, 0).bytes, 6), false);
  });

  test("sendBufferSection", () => {
    assert.deepEqual(sendBufferSection(words(107, 0, 17, 1514).bytes), { index: 17, size: 1514 });
    assert.equal(sendBufferSection(words(107, 0, 0xffffffff, 0).bytes), undefined);
    assert.equal(sendBufferSection(words(108, 1).bytes), undefined);
    assert.equal(sendBufferSection(words(107, 0).bytes), undefined);
  });

  test("the device registry says the protocol is decoded", async () => {
    const { findDevice } = await import("../../dissectors/devices.js");
    const netvsc = findDevice("netvsc")!;
    assert.equal(netvsc.protocol?.name, "nvsp");
    assert.ok(netvsc.recognise);
    assert.ok(findNode(new Dissector().dissect(record(6, words(1, 2, 2).bytes)), "nvsp.protocol_version"));
  });
});
