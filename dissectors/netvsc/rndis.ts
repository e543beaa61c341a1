// RNDIS messages (net-storage.md A5, A7). One attached chunk may hold several messages back to
// back: the protocol's root is the list of them, each as long as its MessageLength says.
// Offsets inside a message body are relative to byte 8 (RequestId / DataOffset / Status), which is
// where each body struct starts, so `at: ref("..._offset")` places the data exactly.

import {
  add, and, array, bytes, choice, enumOf, flagsOf, ge, gt, handoff, hex, lt, or, ref, state, struct, sub, u32,
} from "../describe/dsl.js";
import type { Expr, Field, Pairing, ProtocolDescription, StructDescription, ValueStrings } from "../describe/types.js";
import { informationBuffer, media, ndisOffload, oidNames } from "./oids.js";
import { ppiList } from "./ppi.js";

export const rndisTypes: ValueStrings = {
  0x00000001: "PACKET", 0x00000002: "INITIALIZE", 0x80000002: "INITIALIZE_CMPLT", 0x00000003: "HALT",
  0x00000004: "QUERY", 0x80000004: "QUERY_CMPLT", 0x00000005: "SET", 0x80000005: "SET_CMPLT",
  0x00000006: "RESET", 0x80000006: "RESET_CMPLT", 0x00000007: "INDICATE_STATUS", 0x00000008: "KEEPALIVE",
  0x80000008: "KEEPALIVE_CMPLT", 0x00000009: "SET_EX", 0x80000009: "SET_EX_CMPLT",
  0x00008001: "CONDIS_CREATE_VC", 0x80008001: "CONDIS_CREATE_VC_CMPLT", 0x00008002: "CONDIS_DELETE_VC",
  0x80008002: "CONDIS_DELETE_VC_CMPLT", 0x00008005: "CONDIS_ACTIVATE_VC", 0x80008005: "CONDIS_ACTIVATE_VC_CMPLT",
  0x00008006: "CONDIS_DEACTIVATE_VC", 0x80008006: "CONDIS_DEACTIVATE_VC_CMPLT", 0x00008007: "CONDIS_INDICATE_STATUS",
  0xff000001: "BUS_MSG",
};

export const ndisStatus: ValueStrings = {
  0x00000000: "SUCCESS", 0x00000103: "PENDING", 0x00010001: "NOT_RECOGNIZED", 0x00010002: "NOT_COPIED", 0x00010003: "NOT_ACCEPTED",
  0x00010007: "CALL_ACTIVE", 0x40010003: "ONLINE", 0x40010004: "RESET_START", 0x40010005: "RESET_END", 0x40010006: "RING_STATUS",
  0x40010007: "CLOSED", 0x40010008: "WAN_LINE_UP", 0x40010009: "WAN_LINE_DOWN", 0x4001000a: "WAN_FRAGMENT",
  0x4001000b: "MEDIA_CONNECT", 0x4001000c: "MEDIA_DISCONNECT", 0x4001000d: "HARDWARE_LINE_UP", 0x4001000e: "HARDWARE_LINE_DOWN",
  0x4001000f: "INTERFACE_UP", 0x40010010: "INTERFACE_DOWN", 0x40010011: "MEDIA_BUSY", 0x40010012: "MEDIA_SPECIFIC_INDICATION",
  0x40010013: "LINK_SPEED_CHANGE", 0x40010018: "NETWORK_CHANGE", 0x40020006: "TASK_OFFLOAD_CURRENT_CONFIG",
  0x80000005: "BUFFER_OVERFLOW", 0x80010001: "NOT_RESETTABLE", 0x80010003: "SOFT_ERRORS", 0x80010004: "HARD_ERRORS",
  0xc0000001: "FAILURE", 0xc000009a: "RESOURCES", 0xc00000bb: "NOT_SUPPORTED", 0xc0010002: "CLOSING", 0xc0010004: "BAD_VERSION",
  0xc0010005: "BAD_CHARACTERISTICS", 0xc0010006: "ADAPTER_NOT_FOUND", 0xc0010007: "OPEN_FAILED", 0xc0010008: "DEVICE_FAILED",
  0xc0010009: "MULTICAST_FULL", 0xc001000a: "MULTICAST_EXISTS", 0xc001000b: "MULTICAST_NOT_FOUND", 0xc001000c: "REQUEST_ABORTED",
  0xc001000d: "RESET_IN_PROGRESS", 0xc001000e: "CLOSING_INDICATING", 0xc001000f: "INVALID_PACKET", 0xc0010010: "OPEN_LIST_FULL",
  0xc0010011: "ADAPTER_NOT_READY", 0xc0010012: "ADAPTER_NOT_OPEN", 0xc0010013: "NOT_INDICATING", 0xc0010014: "INVALID_LENGTH",
  0xc0010015: "INVALID_DATA", 0xc0010016: "BUFFER_TOO_SHORT", 0xc0010017: "INVALID_OID", 0xc0010018: "ADAPTER_REMOVED",
  0xc0010019: "UNSUPPORTED_MEDIA", 0xc001001a: "GROUP_ADDRESS_IN_USE", 0xc001001b: "FILE_NOT_FOUND", 0xc001001c: "ERROR_READING_FILE",
  0xc001001d: "ALREADY_MAPPED", 0xc001001e: "RESOURCE_CONFLICT", 0xc001001f: "NO_CABLE", 0xc0010020: "INVALID_SAP",
  0xc0010021: "SAP_IN_USE", 0xc0010022: "INVALID_ADDRESS", 0xc0010023: "VC_NOT_ACTIVATED", 0xc0010024: "DEST_OUT_OF_ORDER",
  0xc0010025: "VC_NOT_AVAILABLE", 0xc0010026: "CELLRATE_NOT_AVAILABLE", 0xc0010027: "INCOMPATIBLE_QOS",
  0xc0010028: "AAL_PARAMS_UNSUPPORTED", 0xc0010029: "NO_ROUTE_TO_DESTINATION", 0xc0011000: "TOKEN_RING_OPEN_ERROR",
};

const R = "rndis";
const le = (a: Expr, b: Expr): Expr => ({ op: "<=", a, b });
const requestId = u32("request_id", "Request id");
const status = enumOf("u32", ndisStatus)("status", "Status", { base: "hex" });
const oid = enumOf("u32", oidNames)("oid", "OID", { base: "hex" });
const vcHandle = hex("u32")("device_vc_handle", "Device VC handle");
const messageLength = ref("message_length");

const body = (name: string, key: string, fields: Field[], extra: Partial<StructDescription> = {}): StructDescription =>
  ({ name, key, prefix: R, label: name, fields, ...extra });

/** A completion: which request it answers (request_in, time, the OID asked about) is added here by a hook. */
/** Requests are answered by their completions with the same RequestId; the OID asked about goes along. */
const rndisRequest: Pairing = { namespace: "rndis", role: "request", id: ref("request_id"), keep: { oid: ref("oid") } };

const answer: StructDescription = {
  name: "Answer", key: "answer", prefix: R, label: "Request", fields: [],
  pairing: { namespace: "rndis", role: "response", id: ref("request_id"), show: { oid: "rndis.oid" }, state: ["oid"] },
};
const answered = struct("answer", "Request", answer);

/** A buffer at `offset` (relative to byte 8) of `length` bytes, decoded only when it lies inside the message. */
const inMessage = (offset: string, length: string): Expr =>
  and(gt(ref(length), 0), le(add(add(ref(offset), 8), ref(length)), messageLength));
const bufferChecks = (offset: string, length: string, fixed: number, what: string): StructDescription["checks"] => [
  { fails: and(gt(ref(length), 0), gt(add(add(ref(offset), 8), ref(length)), messageLength)), field: offset, text: `${what} at {${offset}:raw}+{${length}:raw} runs past the message` },
  { fails: and(gt(ref(length), 0), lt(ref(offset), fixed - 8)), field: offset, text: `${what} offset {${offset}:raw} overlaps the message's fixed fields` },
];

const infoBufferLength = u32("info_buffer_length", "Information buffer length", { unit: "bytes" });
const infoBufferOffset = u32("info_buffer_offset", "Information buffer offset", { description: "relative to the RequestId field (byte 8)" });
const requestBuffer = struct("info_buffer", "Information buffer", informationBuffer("RequestInformation", ref("oid")), {
  at: ref("info_buffer_offset"), length: ref("info_buffer_length"), when: inMessage("info_buffer_offset", "info_buffer_length"),
});
const resultBuffer = struct("info_buffer", "Information buffer", informationBuffer("ResultInformation", state("channel.rndis.request.oid")), {
  at: ref("info_buffer_offset"), length: ref("info_buffer_length"), when: inMessage("info_buffer_offset", "info_buffer_length"),
});

const deviceFlags = flagsOf("u32", [
  { mask: 1, key: "connectionless", label: "CONNECTIONLESS" }, { mask: 2, key: "connection_oriented", label: "CONNECTION_ORIENTED" },
  { mask: 4, key: "raw_data", label: "RAW_DATA" },
]);

const initialize = body("Initialize", "initialize", [
  requestId, u32("major_version", "Major version"), u32("minor_version", "Minor version"),
  u32("max_transfer_size", "Max transfer size", { unit: "bytes" }),
], { info: "id {request_id:raw} v{major_version:raw}.{minor_version:raw}", pairing: rndisRequest, minSize: 16 });

const initializeComplete = body("InitializeComplete", "initialize_cmplt", [
  requestId, answered, status, u32("major_version", "Major version"), u32("minor_version", "Minor version"),
  deviceFlags("device_flags", "Device flags"), enumOf("u32", media)("medium", "Medium"),
  u32("max_packets_per_message", "Max packets per message"), u32("max_transfer_size", "Max transfer size", { unit: "bytes" }),
  u32("packet_alignment_factor", "Packet alignment factor", { description: "each concatenated PACKET_MSG starts at a multiple of 2^n" }),
  u32("af_list_offset", "AF list offset"), u32("af_list_size", "AF list size", { when: ge(messageLength, 52) }),
], {
  info: "id {request_id:raw} {status}",
  effects: [
    { set: "channel.ndis.max_packets_per_message", value: ref("max_packets_per_message") },
    { set: "channel.ndis.packet_alignment_factor", value: ref("packet_alignment_factor") },
    { set: "channel.ndis.max_transfer_size", value: ref("max_transfer_size") },
  ],
});

const halt = body("Halt", "halt", [requestId], { info: "id {request_id:raw}" });

const queryOrSet = (name: string, key: string): StructDescription => body(name, key, [
  requestId, oid, infoBufferLength, infoBufferOffset, vcHandle, requestBuffer,
], {
  info: "{oid} id {request_id:raw}", pairing: rndisRequest, minSize: 20,
  checks: bufferChecks("info_buffer_offset", "info_buffer_length", 28, "information buffer"),
});

const queryComplete = body("QueryComplete", "query_cmplt", [requestId, answered, status, infoBufferLength, infoBufferOffset, resultBuffer], {
  info: "{oid} {status} id {request_id:raw}", minSize: 16,
  checks: bufferChecks("info_buffer_offset", "info_buffer_length", 24, "information buffer"),
});
const setComplete = body("SetComplete", "set_cmplt", [requestId, answered, status], { info: "{oid} {status} id {request_id:raw}" });
const setExComplete = body("SetExComplete", "set_ex_cmplt", [
  requestId, answered, status, infoBufferLength, infoBufferOffset,
  bytes("info_buffer_data", "Information buffer", ref("info_buffer_length"), { at: ref("info_buffer_offset"), when: inMessage("info_buffer_offset", "info_buffer_length") }),
], { info: "{oid} {status} id {request_id:raw}", checks: bufferChecks("info_buffer_offset", "info_buffer_length", 24, "information buffer") });

const reset = body("Reset", "reset", [hex("u32")("reserved", "Reserved")]);
const resetComplete = body("ResetComplete", "reset_cmplt", [status, u32("addressing_reset", "Addressing reset")], { info: "{status}" });

// A7: the status buffer by indication code.
const speedChange: StructDescription = {
  name: "LinkSpeedChange", key: "link_speed_change", prefix: "rndis.indication", label: "Link speed",
  fields: [u32("link_speed", "Link speed", { scale: 100, unit: "bit/s", description: "sent in units of 100 bit/s" })], info: "{link_speed}",
};
const networkChange: StructDescription = {
  name: "NetworkChange", key: "network_change", prefix: "rndis.indication", label: "Network change",
  fields: [enumOf("u32", { 1: "POSSIBLE", 2: "DEFINITE", 3: "FROMMEDIA" })("change_type", "Change type")], info: "{change_type}",
};
const statusRaw: StructDescription = { name: "StatusData", key: "status_data", prefix: "rndis.indication", label: "Status data", fields: [bytes("data", "Data", "rest")] };
const statusBuffer: StructDescription = {
  name: "StatusBuffer", key: "status_buffer", prefix: R, label: "Status buffer",
  fields: [choice("status_data", "Status data", ref("status"), { 0x40010013: speedChange, 0x40010018: networkChange, 0x40020006: ndisOffload }, { default: statusRaw })],
};
const statusBufferFields = (): Field[] => [
  u32("status_buffer_length", "Status buffer length", { unit: "bytes" }),
  u32("status_buffer_offset", "Status buffer offset", { description: "relative to the Status field (byte 8)" }),
  struct("status_buffer", "Status buffer", statusBuffer, {
    at: ref("status_buffer_offset"), length: ref("status_buffer_length"), when: inMessage("status_buffer_offset", "status_buffer_length"),
  }),
];
const indicateStatus = body("IndicateStatus", "indicate_status", [status, ...statusBufferFields()], {
  info: "{status}", minSize: 12,
  checks: bufferChecks("status_buffer_offset", "status_buffer_length", 20, "status buffer"),
});

const keepalive = body("Keepalive", "keepalive", [requestId], { info: "id {request_id:raw}", pairing: rndisRequest });
const keepaliveComplete = body("KeepaliveComplete", "keepalive_cmplt", [requestId, answered, status], { info: "id {request_id:raw} {status}" });

// Connection-oriented messages (not used by Hyper-V).
const ndisVcHandle = hex("u32")("ndis_vc_handle", "NDIS VC handle");
const vcFlags = hex("u32")("vc_flags", "Flags");
const createVc = body("CreateVc", "create_vc", [requestId, ndisVcHandle]);
const createVcComplete = body("CreateVcComplete", "create_vc_cmplt", [requestId, vcHandle, status], { info: "{status}" });
const deleteVc = body("DeleteVc", "delete_vc", [requestId, vcHandle]);
const vcComplete = (name: string, key: string) => body(name, key, [requestId, status], { info: "{status}" });
const activateVc = body("ActivateVc", "activate_vc", [
  requestId, vcFlags, vcHandle, u32("media_params_offset", "Media parameters offset"), u32("media_params_length", "Media parameters length"),
  u32("call_mgr_params_offset", "Call manager parameters offset"), u32("call_mgr_params_length", "Call manager parameters length"),
]);
const deactivateVc = body("DeactivateVc", "deactivate_vc", [requestId, vcFlags, vcHandle]);
const condisIndicateStatus = body("CondisIndicateStatus", "condis_indicate_status", [ndisVcHandle, status, u32("status_buffer_length", "Status buffer length", { unit: "bytes" }), u32("status_buffer_offset", "Status buffer offset")], { info: "{status}" });
const opaque = (name: string, key: string) => body(name, key, [bytes("message_data", "Message data", sub(messageLength, 8))]);

// A5.5: the data message. Frame and PPIs sit where their offsets (from byte 8) say.
const packet = body("Packet", "packet", [
  u32("data_offset", "Data offset", { description: "relative to byte 8" }),
  u32("data_length", "Data length", { unit: "bytes" }),
  u32("oob_data_offset", "OOB data offset"), u32("oob_data_length", "OOB data length"), u32("num_oob_data_elements", "OOB data elements"),
  u32("ppi_offset", "Per-packet info offset", { filter: "rndis.ppi_offset", description: "relative to byte 8" }),
  u32("ppi_length", "Per-packet info length", { unit: "bytes" }),
  hex("u32")("vc_handle", "VC handle", { expect: 0 }),
  hex("u32")("reserved", "Reserved", { expect: 0 }),
  struct("ppi", "Per-packet info", ppiList, { at: ref("ppi_offset"), length: ref("ppi_length"), when: inMessage("ppi_offset", "ppi_length") }),
  handoff("frame", "Frame", "rndis.data", { by: 0, at: ref("data_offset"), length: ref("data_length"), when: inMessage("data_offset", "data_length") }),
], {
  info: "{data_length:raw} bytes", minSize: 36,
  checks: [
    ...bufferChecks("data_offset", "data_length", 44, "frame")!,
    ...bufferChecks("ppi_offset", "ppi_length", 44, "per-packet info")!,
    { fails: or(gt(ref("oob_data_offset"), 0), gt(ref("oob_data_length"), 0)), field: "oob_data_offset", text: "out-of-band data is not used by Hyper-V" },
  ],
});

const cases: Record<number, StructDescription> = {
  0x00000001: packet, 0x00000002: initialize, 0x80000002: initializeComplete, 0x00000003: halt,
  0x00000004: queryOrSet("Query", "query"), 0x80000004: queryComplete, 0x00000005: queryOrSet("Set", "set"), 0x80000005: setComplete,
  0x00000006: reset, 0x80000006: resetComplete, 0x00000007: indicateStatus, 0x00000008: keepalive, 0x80000008: keepaliveComplete,
  0x00000009: queryOrSet("SetEx", "set_ex"), 0x80000009: setExComplete,
  0x00008001: createVc, 0x80008001: createVcComplete, 0x00008002: deleteVc, 0x80008002: vcComplete("DeleteVcComplete", "delete_vc_cmplt"),
  0x00008005: activateVc, 0x80008005: vcComplete("ActivateVcComplete", "activate_vc_cmplt"), 0x00008006: deactivateVc,
  0x80008006: vcComplete("DeactivateVcComplete", "deactivate_vc_cmplt"), 0x00008007: condisIndicateStatus,
  0xff000001: opaque("BusMessage", "bus_msg"),
};

export const rndisMessage: StructDescription = {
  name: "RndisMessage", key: "msg", prefix: R, label: "RNDIS message",
  fields: [
    enumOf("u32", rndisTypes)("msg_type", "Message type", { base: "hex" }),
    u32("message_length", "Message length", { unit: "bytes" }),
    choice("body", "Body", ref("msg_type"), cases, { default: opaque("Unknown", "unknown"), when: ge(messageLength, 8) }),
  ],
  sizeFrom: messageLength,
  checks: [{ fails: lt(messageLength, 8), field: "message_length", text: "message length {message_length:raw} is shorter than the 8-byte header" }],
  info: "RNDIS {msg_type}",
};

export const rndisRoot: StructDescription = {
  name: "Rndis", key: "rndis", prefix: R, label: "RNDIS",
  fields: [array("messages", "RNDIS messages", rndisMessage)],
};

export const rndisProtocol: ProtocolDescription = { name: "rndis", label: "RNDIS", root: rndisRoot, messageType: ["rndis.msg_type"] };
