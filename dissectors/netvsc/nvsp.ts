// NVSP, the network VSP protocol (net-storage.md A1, A2, A4): a u32 message type, then a body per
// type. Offsets in the comments are from the start of the NVSP message (type at 0).
// Layouts that depend on the VMBus packet read its fields through the scope chain: `type` is the
// ring packet's type (11 = completion, 7 = transfer pages, 9 = GPA direct).

import {
  add, and, array, bitSet, bytes, choice, digits, enumOf, eq, flagsOf, ge, gt, handoff, hasBytes, hex, lookup, lt, mul, mux, ne, not, offset, onlyWhen, peek, ref, remaining, reserved, state, struct, u16, u32, u64, u8,
} from "../describe/dsl.js";
import type { Field, ProtocolDescription, StructDescription, ValueStrings } from "../describe/types.js";
import { ndisHeader, oidNames } from "./oids.js";
import { ndisStatus } from "./rndis.js";

export const nvspTypes: ValueStrings = {
  0: "NONE", 1: "INIT", 2: "INIT_COMPLETE",
  100: "SEND_NDIS_VERSION", 101: "SEND_RECV_BUF", 102: "SEND_RECV_BUF_COMPLETE", 103: "REVOKE_RECV_BUF",
  104: "SEND_SEND_BUF", 105: "SEND_SEND_BUF_COMPLETE", 106: "REVOKE_SEND_BUF", 107: "SEND_RNDIS_PKT", 108: "SEND_RNDIS_PKT_COMPLETE",
  109: "SEND_CHIMNEY_DELEGATED_BUF", 110: "SEND_CHIMNEY_DELEGATED_BUF_COMP", 111: "REVOKE_CHIMNEY_DELEGATED_BUF",
  112: "RESUME_CHIMNEY_RX_INDICATION", 113: "TERMINATE_CHIMNEY", 114: "TERMINATE_CHIMNEY_COMP", 115: "INDICATE_CHIMNEY_EVENT",
  116: "SEND_CHIMNEY_PKT", 117: "SEND_CHIMNEY_PKT_COMP", 118: "POST_CHIMNEY_RECV_REQ", 119: "POST_CHIMNEY_RECV_REQ_COMP",
  120: "ALLOC_RXBUF", 121: "ALLOC_RXBUF_COMP", 122: "FREE_RXBUF", 123: "SEND_VMQ_RNDIS_PKT", 124: "SEND_VMQ_RNDIS_PKT_COMP",
  125: "SEND_NDIS_CONFIG", 126: "ALLOC_CHIMNEY_HANDLE", 127: "ALLOC_CHIMNEY_HANDLE_COMP",
  128: "SEND_VF_ASSOCIATION", 129: "SWITCH_DATA_PATH", 130: "UPLINK_CONNECT_STATE_DEPRECATED",
  131: "OID_QUERY_EX", 132: "OID_QUERY_EX_COMP", 133: "SUBCHANNEL", 134: "SEND_INDIRECTION_TABLE",
  135: "PD_API", 136: "PD_POST_BATCH",
};

export const nvspVersions: ValueStrings = {
  0x00000002: "1", 0x00030002: "2", 0x00040000: "4", 0x00050000: "5", 0x00060000: "6", 0x00060001: "6.1", 0xffffffff: "invalid",
};

export const nvspStatus: ValueStrings = {
  0: "NONE", 1: "SUCCESS", 2: "FAIL", 3: "PROTOCOL_TOO_NEW", 4: "PROTOCOL_TOO_OLD", 5: "INVALID_RNDIS_PKT", 6: "BUSY",
  7: "PROTOCOL_UNSUPPORTED", 8: "MAX",
};

const N = "nvsp";
const COMPLETION = 11;
const isCompletion = eq(ref("type"), COMPLETION);
const NO_SECTION = 0xffffffff;

const msg = (name: string, key: string, fields: Field[], extra: Partial<StructDescription> = {}): StructDescription =>
  ({ name, key, prefix: N, label: name, fields, ...extra });

const status = enumOf("u32", nvspStatus)("status", "Status");
const ndisStatusField = enumOf("u32", ndisStatus)("ndis_status", "Status (NDIS_STATUS)", { base: "hex" });
const gpadl = hex("u32")("gpadl_handle", "GPADL handle");
const bufferId = hex("u16")("id", "Buffer id");
const vspTcpHandle = hex("u32")("vsp_tcp_handle", "VSP TCP handle");
const bytesTransferred = u32("bytes_transferred", "Bytes transferred");
const channelTypes: ValueStrings = { 0: "data", 1: "control" };

// A2.1–A2.11: version 1.
const init = msg("Init", "init", [
  hex("u32")("protocol_version", "Protocol version", { values: nvspVersions }),
  hex("u32")("protocol_version2", "Protocol version 2 (max)", { values: nvspVersions }),
], { info: "{protocol_version}", effects: [{ set: "channel.nvsp.version_requested", value: ref("protocol_version") }] });

const initComplete = msg("InitComplete", "init_complete", [
  hex("u32")("negotiated_protocol_ver", "Negotiated version (deprecated)"),
  u32("max_mdl_chain_len", "Max MDL chain length"),
  status,
], {
  info: "{status}",
  effects: [{ set: "channel.nvsp.version", value: state("channel.nvsp.version_requested"), when: eq(ref("status"), 1), negotiated: "major.minor" }],
});

const ndisVersion = msg("SendNdisVersion", "ndis_version", [u32("ndis_major_ver", "NDIS major version"), u32("ndis_minor_ver", "NDIS minor version")], {
  info: "{ndis_major_ver:raw}.{ndis_minor_ver:raw}",
  effects: [{ set: "channel.ndis.version", value: add(mul(ref("ndis_major_ver"), 0x10000), ref("ndis_minor_ver")), negotiated: "major.minor" }],
});

const sendRecvBuf = msg("SendReceiveBuffer", "send_recv_buf", [gpadl, bufferId, reserved("u16")], {
  info: "gpadl {gpadl_handle} id {id}",
  effects: [{ set: "channel.nvsp.recv_buf_gpadl", value: ref("gpadl_handle") }, { set: "channel.nvsp.recv_buf_id", value: ref("id") }],
});

const section: StructDescription = {
  name: "ReceiveSection", key: "entry", prefix: "nvsp.section", label: "Receive-buffer section", size: 16,
  fields: [
    hex("u32")("offset", "Offset"), u32("sub_alloc_size", "Sub-allocation size", { unit: "bytes" }),
    u32("num_sub_allocs", "Sub-allocation count"), hex("u32")("end_offset", "End offset"),
  ],
  effects: [
    { set: "channel.nvsp.recv_section_size", value: ref("sub_alloc_size") },
    { set: "channel.nvsp.recv_section_count", value: ref("num_sub_allocs") },
  ],
};
const recvBufComplete = msg("SendReceiveBufferComplete", "recv_buf_complete", [
  status, u32("num_sections", "Section count"), array("sections", "Sections", section, { count: ref("num_sections") }),
], { info: "{status} {num_sections:raw} section(s)" });

const revokeRecvBuf = msg("RevokeReceiveBuffer", "revoke_recv_buf", [bufferId], { info: "id {id}" });
const sendSendBuf = msg("SendSendBuffer", "send_send_buf", [gpadl, bufferId, reserved("u16")], {
  info: "gpadl {gpadl_handle} id {id}",
  effects: [{ set: "channel.nvsp.send_buf_gpadl", value: ref("gpadl_handle") }, { set: "channel.nvsp.send_buf_id", value: ref("id") }],
});
const sendBufComplete = msg("SendSendBufferComplete", "send_buf_complete", [status, u32("section_size", "Section size", { unit: "bytes" })], {
  info: "{status} section size {section_size:raw}",
  effects: [{ set: "channel.nvsp.send_section_size", value: ref("section_size"), when: eq(ref("status"), 1) }],
});
const revokeSendBuf = msg("RevokeSendBuffer", "revoke_send_buf", [bufferId], { info: "id {id}" });

// A2.10, A4: where the RNDIS bytes are. In our records they come as attached chunks; the layout
// after channel_type is chosen by peeking at the section index (and the VMBus packet type).
const rndisHandoff = (missing: string): Field =>
  handoff("rndis", "RNDIS message", "netvsc.rndis", { by: 0, attached: [1, 2, 3], missing });
const sectionFields = (): Field[] => [
  u32("send_buf_section_index", "Send-buffer section index", { description: "0xFFFFFFFF = the send buffer is not used" }),
  u32("send_buf_section_size", "Send-buffer section bytes used", { unit: "bytes" }),
];
const location = (name: string, key: string, label: string, info: string, missing: string): StructDescription =>
  ({ name, key, prefix: N, label, fields: [...sectionFields(), rndisHandoff(missing)], info });
const inSection = location("InSendBufferSection", "in_section", "RNDIS message in a send-buffer section", "section {send_buf_section_index:raw}",
  "RNDIS message in send-buffer section {send_buf_section_index:raw}, {send_buf_section_size:raw} bytes, not captured");
const inReceiveBuffer = location("InReceiveBuffer", "in_recv_buf", "RNDIS message in the receive buffer (transfer-page ranges)", "receive buffer",
  "RNDIS message in the receive buffer (transfer-page ranges), not captured");
const inGuestPages = location("InGuestPages", "in_gpa", "RNDIS message in guest pages (GPA-direct ranges)", "GPA direct",
  "RNDIS message in guest pages (GPA-direct ranges), not captured");
/** 0 = a send-buffer section, 1 = the receive buffer (transfer-page packet), 2 = GPA-direct pages. */
const rndisWhere = mux(ne(peek("u32"), NO_SECTION), 0, mux(eq(ref("type"), 7), 1, 2));
const sendRndisPacket = msg("SendRndisPacket", "send_rndis_pkt", [
  enumOf("u32", channelTypes)("channel_type", "Channel type", { description: "0 data (PACKET_MSG), 1 control; MSVM sends 2 for data" }),
  choice("location", "Where the RNDIS message is", rndisWhere, { 0: inSection, 1: inReceiveBuffer, 2: inGuestPages }),
], { info: "{channel_type}" });

const rndisPacketComplete = msg("SendRndisPacketComplete", "rndis_pkt_complete", [status], { info: "{status}" });

// A2.12–A2.24: version 2 (chimney and VMQ; historic FreeBSD header only).
const chimneyDelegatedBuf = msg("SendChimneyDelegatedBuffer", "chimney_delegated_buf", [
  u16("delegated_obj_max_size", "Delegated object max size"),
  u16("revision", "Chimney revision", { values: { 0: "Win7 beta (unsupported)", 1: "Win7 beta QFE", 2: "Win7 RC and later" } }),
  gpadl,
]);
const chimneyDelegatedBufComp = msg("SendChimneyDelegatedBufferComplete", "chimney_delegated_buf_comp", [
  ndisStatusField, u32("send_quota", "Send quota"), u32("rx_quota", "Receive quota"),
], { info: "{ndis_status}" });
const revokeChimneyDelegatedBuf = msg("RevokeChimneyDelegatedBuffer", "revoke_chimney_delegated_buf", [gpadl]);
const resumeChimneyRx = msg("ResumeChimneyRxIndication", "resume_chimney_rx", [vspTcpHandle]);
const terminateChimney = msg("TerminateChimney", "terminate_chimney", [
  hex("u32")("vsp_handle", "VSP handle"),
  flagsOf("u32", [{ mask: 1, key: "first_stage", label: "First stage" }])("terminate_flags", "Flags"),
  u32("delegated_index", "Index into the delegated-object buffer", { when: not(bitSet("terminate_flags", 1)) }),
  u64("last_accepted_rx_seq_no", "Last accepted receive sequence number", { when: bitSet("terminate_flags", 1) }),
]);
const terminateChimneyComp = msg("TerminateChimneyComplete", "terminate_chimney_comp", [
  hex("u64")("vsc_context", "VSC context"),
  flagsOf("u32", [{ mask: 1, key: "data_corrupted", label: "Data corrupted" }])("terminate_comp_flags", "Flags"),
]);
const chimneyEvent = msg("IndicateChimneyEvent", "chimney_event", [
  hex("u32")("event_type", "Event type"), hex("u32")("event_specific_info", "Event-specific info"), hex("u64")("vsc_tcp_context", "VSC TCP context (0 = global)"),
]);
const sendChimneyPkt = msg("SendChimneyPacket", "send_chimney_pkt", [
  vspTcpHandle, u16("chimney_section_index", "Send-buffer section index", { description: "0xFFFF = send buffer not used" }),
  u16("chimney_section_size", "Send-buffer section size"), u16("oob_data_index", "OOB data index", { description: "0xFFFF = none" }),
  u16("disconnect_flags", "Disconnect flags", { values: { 0: "normal", 1: "graceful close", 2: "abortive close" } }),
  u32("seq_no", "Sequence number"),
]);
const chimneyComp = (name: string, key: string) => msg(name, key, [ndisStatusField, bytesTransferred], { info: "{ndis_status}" });
const postChimneyRecv = msg("PostChimneyReceiveRequest", "post_chimney_recv", [
  vspTcpHandle, hex("u32")("recv_oob_data_index", "OOB data index", { description: "0xFFFFFFFF = none" }),
  flagsOf("u16", [{ mask: 1, key: "no_push", label: "No push" }])("recv_flags", "Flags"),
  u32("seq_no", "Sequence number"),
]);
const allocRxbuf = msg("AllocateReceiveBuffer", "alloc_rxbuf", [u32("alloc_id", "Allocation id"), u32("len", "Length", { unit: "bytes" })]);
const allocRxbufComp = msg("AllocateReceiveBufferComplete", "alloc_rxbuf_comp", [
  ndisStatusField, u32("alloc_id", "Allocation id"), gpadl, hex("u64")("recv_buf_id", "Receive buffer id"),
], { info: "{ndis_status}" });
const freeRxbuf = msg("FreeReceiveBuffer", "free_rxbuf", [hex("u64")("recv_buf_id", "Receive buffer id")]);
const vmqRndisPkt = msg("SendVmqRndisPacket", "vmq_rndis_pkt", [
  enumOf("u32", channelTypes)("channel_type", "Channel type"), hex("u64")("transfer_page_set_id", "Transfer-page set id"),
  u32("byte_count", "Byte count"), hex("u32")("byte_offset", "Byte offset"),
]);
const vmqRndisPktComp = msg("SendVmqRndisPacketComplete", "vmq_rndis_pkt_comp", [status], { info: "{status}" });

const capabilityBits = [
  { mask: 0x01, key: "vmq", label: "VMQ" }, { mask: 0x02, key: "chimney", label: "Chimney" }, { mask: 0x04, key: "sriov", label: "SR-IOV" },
  { mask: 0x08, key: "ieee8021q", label: "IEEE 802.1Q" }, { mask: 0x10, key: "correlation_id", label: "CorrelationId" },
  { mask: 0x20, key: "teaming", label: "Teaming" }, { mask: 0x40, key: "virtual_subnet_id", label: "VirtualSubnetId" },
  { mask: 0x80, key: "rsc", label: "RSC over VMBus" },
];
const ndisConfig = msg("SendNdisConfig", "ndis_config", [
  u32("mtu", "MTU (with the 14-byte Ethernet header)", { unit: "bytes" }), reserved("u32"),
  flagsOf("u64", capabilityBits)("capabilities", "Capabilities"),
], { info: "MTU {mtu:raw} {capabilities:bits}", effects: [{ set: "channel.nvsp.mtu", value: ref("mtu") }] });

const allocChimneyHandle = msg("AllocateChimneyHandle", "alloc_chimney_handle", [
  hex("u64")("vsc_context", "VSC context"),
  u32("object_type", "Object type", { values: { 0: "neighbor", 1: "path IPv4", 2: "path IPv6", 3: "TCP" } }),
]);
const allocChimneyHandleComp = msg("AllocateChimneyHandleComplete", "alloc_chimney_handle_comp", [hex("u32")("vsp_handle", "VSP handle")]);

// A2.27–A2.32: versions 4 and 5.
const vfAssociation = msg("SendVfAssociation", "vf_association", [
  u32("allocated", "Allocated", { values: { 0: "VF removed", 1: "VF present" } }), hex("u32")("serial", "VF serial number"),
], { info: "{allocated} serial {serial}" });
const switchDataPath = msg("SwitchDataPath", "switch_data_path", [
  u32("active_datapath", "Active data path", { values: { 0: "synthetic", 1: "VF" } }),
], { info: "{active_datapath}" });
const uplinkConnectState = msg("UplinkConnectStateDeprecated", "uplink_connect_state", [bytes("body_data", "Body (layout unknown)", "rest")]);
const oidQueryEx = msg("OidQueryEx", "oid_query_ex", [
  struct("header", "NDIS object header", ndisHeader), enumOf("u32", oidNames)("oid", "OID", { base: "hex" }),
], { info: "{oid}" });
const oidQueryExComp = msg("OidQueryExComplete", "oid_query_ex_comp", [ndisStatusField, u32("bytes", "Bytes written or needed")], { info: "{ndis_status}" });
const subchannel = msg("Subchannel", "subchannel", [
  u32("subchannel_op", "Operation", { values: { 0: "NONE", 1: "ALLOCATE" }, when: not(isCompletion) }),
  enumOf("u32", nvspStatus)("status", "Status", { when: isCompletion }),
  u32("num_subchannels", "Sub-channel count"),
], {
  info: "{num_subchannels:raw} sub-channel(s)",
  effects: [{ set: "channel.nvsp.subchannel_count", value: ref("num_subchannels"), when: and(isCompletion, eq(ref("status"), 1)) }],
});

const tableEntry: StructDescription = {
  name: "SendIndirectionEntry", key: "entry", prefix: "nvsp.send_table", label: "Entry", size: 4,
  fields: [u32("channel", "Channel index (0 = primary)")],
};
/** Linux: hosts ≤ 6.0 may state a wrong offset; when the message is long enough the table is at byte 40 (body offset 36). */
const tableAtForty = and(lt(state("channel.nvsp.version"), 0x00060001), ge(add(offset, remaining), add(36, mul(ref("count"), 4))));
const indirectionTable = msg("SendIndirectionTable", "indirection_table", [
  u32("count", "Entry count"), u32("table_offset", "Table offset", { description: "from the start of the NVSP message" }),
  array("table", "Send indirection table", tableEntry, { count: ref("count"), at: 36, when: tableAtForty }),
  array("table", "Send indirection table", tableEntry, {
    count: ref("count"), at: add(ref("table_offset"), -4), when: and(not(tableAtForty), ge(ref("table_offset"), 12)),
  }),
], { info: "{count:raw} entries" });

// A2.33–A2.35: version 6 (PacketDirect).
const pdOps: ValueStrings = {
  1: "CONFIG", 2: "SW_DATAPATH", 3: "OPEN_PROVIDER", 4: "CLOSE_PROVIDER", 5: "CREATE_QUEUE", 6: "FLUSH_QUEUE", 7: "FREE_QUEUE",
  8: "ALLOC_COM_BUF", 9: "FREE_COM_BUF",
};
const PD = "nvsp.pd";
const pd = (name: string, key: string, fields: Field[]): StructDescription => ({ name, key, prefix: PD, label: name, fields });
const provId = u32("prov_id", "Provider id");
const queueId = u16("q_id", "Queue id");
const affinity: Field[] = [hex("u64")("affinity_mask", "Affinity mask"), u16("affinity_group", "Affinity group"), bytes("affinity_reserved", "Reserved", 6)];
const pdRequests: Record<number, StructDescription> = {
  1: pd("PdConfig", "config_req", [hex("u64")("mmio_pa", "MMIO physical address"), u32("mmio_len", "MMIO length"), u16("num_subchn", "Sub-channel hint")]),
  2: pd("PdSwitchDatapath", "sw_datapath_req", [u8("host_dpath_is_pd", "Host data path is PD"), u8("guest_pd_enabled", "Guest PD enabled")]),
  3: pd("PdOpenProvider", "open_provider_req", [provId, hex("u32")("open_flags", "Flags")]),
  4: pd("PdCloseProvider", "close_provider_req", [provId]),
  5: pd("PdCreateQueue", "create_queue_req", [
    provId, queueId, u16("q_size", "Queue size"), u8("is_recv_q", "Is receive queue"), u8("is_rss_q", "Is RSS queue"),
    u32("recv_data_len", "Receive data length"), ...affinity,
  ]),
  6: pd("PdFlushQueue", "flush_queue_req", [provId, queueId]),
  7: pd("PdFreeQueue", "free_queue_req", [provId, queueId]),
  8: pd("PdAllocCommonBuffer", "alloc_com_buf_req", [u32("len", "Length"), u32("pf_node", "Preferred NUMA node"), u16("region_id", "Region id")]),
  9: pd("PdFreeCommonBuffer", "free_com_buf_req", [
    u32("len", "Length"), hex("u64")("pa", "Physical address"), u32("pf_node", "Preferred NUMA node"), u16("region_id", "Region id"), u8("cache_type", "Cache type"),
  ]),
};
const pdCompletions: Record<number, StructDescription> = {
  1: pd("PdConfigComplete", "config_cmplt", [u16("num_pd_q", "PD queues allocated"), u8("num_rss_q", "RSS queues"), u8("is_supported", "Supported"), u8("is_enabled", "Enabled")]),
  3: pd("PdOpenProviderComplete", "open_provider_cmplt", [provId]),
  5: pd("PdCreateQueueComplete", "create_queue_cmplt", [provId, queueId, u16("q_size", "Queue size"), u32("recv_data_len", "Receive data length"), ...affinity]),
  8: pd("PdAllocCommonBufferComplete", "alloc_com_buf_cmplt", [
    hex("u64")("pa", "Physical address"), u32("len", "Length"), u32("pf_node", "Preferred NUMA node"), u16("region_id", "Region id"), u8("cache_type", "Cache type"),
  ]),
};
const pdApi = msg("PdApi", "pd_api", [
  u32("pd_op", "Operation", { values: pdOps }),
  ...onlyWhen(isCompletion, hex("u32")("nt_status", "Status (NTSTATUS)")),
  choice("pd_request", "Request", ref("pd_op"), pdRequests, { when: not(isCompletion) }),
  choice("pd_completion", "Completion", ref("pd_op"), pdCompletions, { when: isCompletion }),
], { info: "{pd_op}" });

const pdBuffer: StructDescription = {
  name: "PdBuffer", key: "buffer", prefix: "nvsp.pd_buf", label: "PD buffer", size: 8,
  fields: [hex("u32")("region_offset", "Region offset"), u16("region_id", "Region id"), flagsOf("u16", [{ mask: 1, key: "is_partial", label: "Partial" }])("buf_flags", "Flags")],
};
const pdPostBatch = msg("PdPostBatch", "pd_post_batch", [
  u16("buffer_count", "Buffer count"),
  flagsOf("u16", [{ mask: 1, key: "guest_to_host", label: "Guest to host" }, { mask: 2, key: "is_receive", label: "Is receive" }])("batch_flags", "Flags"),
  array("pd_buffers", "PD buffers", pdBuffer, { count: ref("buffer_count") }),
], { info: "{buffer_count:raw} buffer(s)" });

const unknown = msg("Unknown", "unknown", [bytes("body_data", "Body", "rest")]);

export const nvspBodies: Record<number, StructDescription> = {
  1: init, 2: initComplete,
  100: ndisVersion, 101: sendRecvBuf, 102: recvBufComplete, 103: revokeRecvBuf, 104: sendSendBuf, 105: sendBufComplete, 106: revokeSendBuf,
  107: sendRndisPacket, 108: rndisPacketComplete,
  109: chimneyDelegatedBuf, 110: chimneyDelegatedBufComp, 111: revokeChimneyDelegatedBuf, 112: resumeChimneyRx, 113: terminateChimney,
  114: terminateChimneyComp, 115: chimneyEvent, 116: sendChimneyPkt, 117: chimneyComp("SendChimneyPacketComplete", "send_chimney_pkt_comp"),
  118: postChimneyRecv, 119: chimneyComp("PostChimneyReceiveRequestComplete", "post_chimney_recv_comp"),
  120: allocRxbuf, 121: allocRxbufComp, 122: freeRxbuf, 123: vmqRndisPkt, 124: vmqRndisPktComp,
  125: ndisConfig, 126: allocChimneyHandle, 127: allocChimneyHandleComp,
  128: vfAssociation, 129: switchDataPath, 130: uplinkConnectState,
  131: oidQueryEx, 132: oidQueryExComp, 133: subchannel, 134: indirectionTable,
  135: pdApi, 136: pdPostBatch,
};

/** The last message type each NVSP version defines (net-storage.md A1/A2); a newer type is worth a note. */
const LAST_TYPE_OF_VERSION = { 0x2: 108, 0x30002: 127, 0x40000: 130, 0x50000: 134, 0x60000: 134, 0x60001: 136 };
const lastTypeOfVersion = lookup(LAST_TYPE_OF_VERSION, state("channel.nvsp.version"));

export const nvspMessage: StructDescription = {
  name: "NvspMessage", key: "msg", prefix: N, label: "NVSP message",
  fields: [
    enumOf("u32", nvspTypes)("msg_type", "Message type"),
    choice("body", "Body", ref("msg_type"), nvspBodies, { default: unknown }),
    bytes("padding", "Padding", "rest", { when: hasBytes(1) }),
  ],
  minSize: 4,
  info: "NVSP {msg_type}",
  // A message sent with completion requested is a request; the completion packet (type 0xB) answers it.
  pairing: [
    { namespace: "nvsp", role: "request", id: ref("trans_id"), when: and(ne(ref("type"), 0xb), bitSet("flags", 1)) },
    { namespace: "nvsp", role: "response", id: ref("trans_id"), when: eq(ref("type"), 0xb) },
  ],
  checks: [{
    fails: and(ge(ref("msg_type"), 100), gt(ref("msg_type"), lastTypeOfVersion)), field: "msg_type", severity: "note", group: "protocol",
    text: "NVSP message type {msg_type:raw} is above {last}, the last one of the negotiated version", args: { last: digits(lastTypeOfVersion) },
  }],
};

export const nvspProtocol: ProtocolDescription = { name: "nvsp", label: "NVSP", root: nvspMessage, messageType: ["nvsp.msg_type"] };

