// The vstor packet (net-storage.md Part B): shared by the synthetic SCSI, IDE and Fibre Channel
// controllers. Operation, flags, status, then the payload chosen by the operation; a completion's
// payload is chosen by the operation of the request it answers (paired by transaction id in hooks).

import { registerField } from "../describe/fields.js";
import {
  and, bitAnd, bitSet, bytes, choice, computedText, digits, enumOf, eq, flagsOf, ge, gt, handoff, hasBytes, hex, isUnknown, join, le, min, mux, ne, not, onlyWhen, or, peek, ref,
  shr, sizeAtLeast, state, struct, structSize, textIf, u16, u32, u8,
} from "../describe/dsl.js";
import type { Expr, StructDescription } from "../describe/types.js";
import {
  dataDirections, ntStatus, queueActions, scsiStatus, srbFlagBits, srbStatus, srbStatusBits, vstorOperations, vstorVersions,
} from "./names.js";

export const VERSION_STATE = "channel.vstor.version";
export const PROPOSED_STATE = "channel.vstor.proposed_version";
export const WIN8_STATE = "channel.vstor.win8";
export const ANSWER_STATE = "channel.vstor.answer_op";
export const DATA_KEY_STATE = "channel.vscsi.data_key";

export const WIN8_VERSION = 0x0501;
/** Sizes of B3.1: request block and whole packet, before and from 5.1. */
export const SRB_SIZE = { pre: 0x24, win8: 0x34 } as const;
export const PACKET_SIZE = { pre: 0x30, win8: 0x40 } as const;
export const SENSE_AREA = 0x14;

const P = "vstor";
const win8 = eq(state(WIN8_STATE), 1);

/** The vmscsi fields common to requests and responses (B3.1, rel. offsets 0..15). */
const srbCommon = [
  u16("length", "Length (of the request block)", { unit: "bytes" }),
  flagsOf("u8", srbStatusBits)("srb_status", "SRB status", { values: srbStatus }),
  enumOf("u8", scsiStatus)("scsi_status", "SCSI status", { base: "hex" }),
  u8("port_number", "Port number (MSVM/OpenVMM: Reserved1)"),
  u8("path_id", "Path id (bus)"),
  u8("target_id", "Target id"),
  u8("lun", "LUN"),
  u8("cdb_length", "CDB length", { unit: "bytes" }),
  u8("sense_info_length", "Sense info length", { unit: "bytes" }),
  enumOf("u8", dataDirections)("data_in", "Data direction"),
  hex("u8")("properties", "Reserved (MSVM/OpenVMM: Properties)"),
  u32("data_transfer_length", "Data transfer length", { unit: "bytes" }),
];

/** The Win8 extension (16 bytes at rel. 36), present from protocol 5.1. */
const win8Extension = onlyWhen(win8,
  hex("u16")("reserve", "Reserve", { at: SRB_SIZE.pre }),
  hex("u8")("queue_tag", "Queue tag", { description: "0xFF = SP_UNTAGGED" }),
  enumOf("u8", queueActions)("queue_action", "Queue action", { base: "hex" }),
  flagsOf("u32", srbFlagBits)("srb_flags", "SRB flags"),
  u32("time_out_value", "Time-out value", { unit: "s" }),
  hex("u32")("queue_sort_key", "Queue sort key"),
);

const srbSize: Expr = mux(win8, SRB_SIZE.win8, SRB_SIZE.pre);

const srbChecks = [
  { fails: gt(ref("cdb_length"), 16), field: "cdb_length", text: "CDB length {cdb_length:raw} is beyond the 16-byte CDB area" },
  { fails: gt(ref("sense_info_length"), SENSE_AREA), field: "sense_info_length", text: "sense length {sense_info_length:raw} is beyond the 20-byte sense area" },
];

/** EXECUTE_SRB and the resets: the CDB (first cdb_length bytes of the 20-byte area at rel. 16) goes to vscsi. */
export const srbRequest: StructDescription = {
  name: "VmscsiRequest", key: "srb", prefix: `${P}.srb`, label: "SCSI request block (vmscsi request)",
  fields: [
    ...srbCommon,
    handoff("cdb", "CDB", "vscsi.cdb", { at: 16, length: min(ref("cdb_length"), 16), by: 0, when: ne(ref("cdb_length"), 0) }),
    ...win8Extension,
  ],
  sizeFrom: srbSize,
  checks: srbChecks,
  info: "{path_id:raw}:{target_id:raw}:{lun:raw}",
};

/** COMPLETE_IO of an EXECUTE_SRB: the same block with status, and sense data in the CDB area when AUTOSENSE_VALID. */
export const srbResponse: StructDescription = {
  name: "VmscsiResponse", key: "srb_response", prefix: `${P}.srb`, label: "SCSI request block (vmscsi response)",
  fields: [
    ...srbCommon,
    handoff("sense", "Sense data", "vscsi.sense", {
      at: 16, length: min(ref("sense_info_length"), SENSE_AREA), by: 0,
      when: and(bitSet("srb_status", 0x80), and(eq(ref("scsi_status"), 2), ne(ref("sense_info_length"), 0))),
    }),
    ...win8Extension,
  ],
  sizeFrom: srbSize,
  checks: [srbChecks[1]],
  info: "srb {srb_status} scsi {scsi_status}, {data_transfer_length:raw} bytes",
};

/** B3.3 */
const versionFields = [
  enumOf("u16", vstorVersions)("major_minor", "Protocol version", { base: "hex" }),
  u16("revision", "Revision (Linux/FreeBSD) / Build (MSVM)"),
];
export const versionRequest: StructDescription = {
  name: "ProtocolVersion", key: "version", prefix: `${P}.version`, label: "Protocol version",
  fields: versionFields,
  effects: [{ set: PROPOSED_STATE, value: ref("major_minor") }],
  info: "{major_minor}",
};
/** The accepted version (status 0) becomes the channel's: the echo, or the proposal when the host echoes zero. */
export const versionResponse: StructDescription = {
  ...versionRequest,
  effects: [
    { set: VERSION_STATE, value: ref("major_minor"), when: and(eq(ref("status"), 0), ne(ref("major_minor"), 0)), negotiated: "major8.minor8" },
    { set: VERSION_STATE, value: state(PROPOSED_STATE), when: and(eq(ref("status"), 0), eq(ref("major_minor"), 0)), negotiated: "major8.minor8" },
  ],
};

/** B3.2 (MSVM names; FreeBSD's in the labels) */
export const channelProperties: StructDescription = {
  name: "ChannelProperties", key: "properties", prefix: `${P}.props`, label: "Storage channel properties",
  fields: [
    hex("u32")("reserved", "Reserved (FreeBSD: proto_ver u16, path_id u8, target_id u8)"),
    u16("max_sub_channels", "Maximum sub-channel count"),
    hex("u16")("reserved2", "Reserved2 (FreeBSD: port)"),
    flagsOf("u32", [{ mask: 1, key: "multi_channel", label: "STORAGE_CHANNEL_SUPPORTS_MULTI_CHANNEL" }])("flags", "Flags"),
    u32("max_transfer_bytes", "Maximum transfer bytes", { unit: "bytes" }),
    hex("u64")("reserved3", "Reserved3 (FreeBSD: unique_id)"),
  ],
  info: "max {max_transfer_bytes:raw} bytes, {max_sub_channels:raw} sub-channels",
};

/** B3.6 (carrier unconfirmed; shown for the QUERY_PROPERTIES request, whose payload is otherwise zero) */
export const clientProperties: StructDescription = {
  name: "ClientProperties", key: "client_properties", prefix: `${P}.client`, label: "Client properties (carrier unconfirmed)",
  fields: [flagsOf("u32", [{ mask: 1, key: "async_notify_capable", label: "AsyncNotifyCapable" }])("flags", "Flags")],
};

/** B3.4: WWNs are big-endian 64-bit names. */
export const fcHbaData: StructDescription = {
  name: "FcWwnPacket", key: "fc_wwn", prefix: `${P}.fc`, label: "Fibre Channel WWNs",
  fields: [
    u8("primary_active", "Primary active", { values: { 0: "secondary WWNs active", 1: "primary WWNs active" } }),
    bytes("reserved", "Reserved", 3),
    hex("u64be")("primary_port_wwn", "Primary port WWN"),
    hex("u64be")("primary_node_wwn", "Primary node WWN"),
    hex("u64be")("secondary_port_wwn", "Secondary port WWN"),
    hex("u64be")("secondary_node_wwn", "Secondary node WWN"),
  ],
  info: "WWPN {primary_port_wwn}",
};

/** B3.5 */
export const subChannels: StructDescription = {
  name: "SubChannelCount", key: "sub_channels", prefix: `${P}.subch`, label: "Sub-channel count",
  fields: [u16("count", "Sub-channel count")],
  info: "{count:raw} sub-channels",
};

/** B3.7 (flag values unconfirmed) */
export const notification: StructDescription = {
  name: "Notification", key: "notification", prefix: `${P}.notify`, label: "Event notification",
  fields: [u8("lun", "LUN"), u8("target", "Target"), u8("path", "Path"), hex("u8")("flags", "Flags (values unconfirmed)")],
  info: "{path:raw}:{target:raw}:{lun:raw}",
};

/** Operations without a payload. */
const noPayload: StructDescription = { name: "NoPayload", key: "no_payload", prefix: P, label: "No payload", fields: [] };

/** A completion whose request was not seen and that does not look like a vmscsi response. */
const unknownAnswer: StructDescription = {
  name: "UnpairedCompletion", key: "unpaired", prefix: P, label: "Completion payload (request not seen)",
  fields: [bytes("payload_bytes", "Payload", "rest")],
};

const unknownPayload: StructDescription = {
  name: "UnknownPayload", key: "unknown", prefix: P, label: "Payload (unknown operation)",
  fields: [bytes("payload_bytes", "Payload", "rest")],
};

/** The operation a completion answers: its request's; with no request seen, a vmscsi response is recognised by its length field. */
const REQUEST_OPERATION = "channel.vstor.request.operation";
const REQUEST_DATA_KEY = "channel.vstor.request.data_key";
const looksLikeSrb = or(eq(peek("u16"), SRB_SIZE.pre), eq(peek("u16"), SRB_SIZE.win8));
const answeredOperation = mux(isUnknown(state(REQUEST_OPERATION)), mux(looksLikeSrb, 3, 0), state(REQUEST_OPERATION));

registerField({ filter: "vstor.request_operation", label: "Request operation", kind: "uint", width: 4, values: vstorOperations });

/** A completion's payload answers its request: chosen by the operation of the request (paired by transaction id). */
const completion: StructDescription = {
  name: "Completion", key: "completion", prefix: P, label: "Completion payload",
  fields: [choice("answer", "Answer", answeredOperation, {
    3: srbResponse, 4: noPayload, 5: noPayload, 6: noPayload, 7: noPayload, 8: noPayload, 9: versionResponse,
    10: channelProperties, 12: fcHbaData, 13: noPayload,
  }, { default: unknownAnswer })],
};

/** Payloads by operation; COMPLETE_IO (1) by the operation it answers. */
const bodies: Record<number, StructDescription> = {
  1: completion, 2: noPayload, 3: srbRequest, 4: srbRequest, 5: srbRequest, 6: srbRequest, 7: noPayload, 8: noPayload,
  9: versionRequest, 10: clientProperties, 11: noPayload, 12: fcHbaData, 13: subChannels, 14: notification,
};

/** The layout rule (B3.1): the negotiated version when seen, else the packet's size (64 bytes or more = Win8+). */
const versionKnown = eq(state(VERSION_STATE), state(VERSION_STATE));
const win8Rule: Expr = or(
  and(versionKnown, { op: ">=", a: state(VERSION_STATE), b: WIN8_VERSION }),
  and(not(versionKnown), sizeAtLeast(SRB_SIZE.win8)),
);

/**
 * Zero bytes long: before the payload is chosen, a completion finds its request (by the VMBus
 * transaction id) and the layout rule is learned; a new packet starts with no CDB data key.
 */
const pairing: StructDescription = {
  name: "Pairing", key: "pairing", prefix: P, label: "Request/response",
  fields: [],
  pairing: {
    namespace: "vstor", role: "response", id: ref("trans_id"), when: eq(ref("operation"), 1),
    show: { operation: "vstor.request_operation" }, state: ["operation", "data_key"], say: "for {answers}",
  },
  effects: [{ set: WIN8_STATE, value: win8Rule }, { set: DATA_KEY_STATE, value: 0 }],
};

/** The operation this packet is about: its own, or for a completion its request's. */
const concernedOperation = mux(eq(ref("operation"), 1), state(REQUEST_OPERATION), ref("operation"));
const version = state(VERSION_STATE);
const layoutName = textIf(win8, `Win8+ (${SRB_SIZE.win8}-byte request block)`, `pre-Win8 (${SRB_SIZE.pre}-byte request block)`);
/** Which vmscsi layout an SRB packet uses and the rule that chose it. */
const layout = computedText("layout", "Request-block layout", textIf(versionKnown,
  join(layoutName, ", negotiated ", digits(shr(version, 8)), ".", digits(bitAnd(version, 0xff))),
  join(layoutName, ", from the ", digits(structSize), `-byte packet (no negotiation seen; ${PACKET_SIZE.win8} bytes or more = Win8+)`),
), { when: and(ge(concernedOperation, 3), le(concernedOperation, 6)), description: "Which vmscsi layout was used and the rule that chose it" });

/** The data buffer's layout: from this packet's CDB, or for a completion from its request's. */
const dataKeyOfPacket = mux(eq(ref("operation"), 1), state(REQUEST_DATA_KEY), state(DATA_KEY_STATE));

export const vstorPacket: StructDescription = {
  name: "VstorPacket", key: "packet", prefix: P, label: "vstor packet",
  fields: [
    enumOf("u32", vstorOperations)("operation", "Operation"),
    flagsOf("u32", [{ mask: 1, key: "request_completion", label: "REQUEST_COMPLETION" }])("flags", "Flags"),
    enumOf("u32", ntStatus)("status", "Status", { base: "hex" }),
    struct("pairing", "Request/response", pairing),
    layout,
    choice("body", "Payload", ref("operation"), bodies, { default: unknownPayload }),
    bytes("padding", "Padding (beyond the payload's layout)", "rest", { when: hasBytes(1) }),
    handoff("data", "SCSI data", "vscsi.data", { attached: [2], by: dataKeyOfPacket, when: gt(dataKeyOfPacket, 0) }),
  ],
  minSize: PACKET_SIZE.pre,
  checks: [
    { fails: and(ne(ref("operation"), 1), gt(ref("operation"), 14)), field: "operation", text: "unknown vstor operation {operation:raw}" },
    { fails: eq(ref("operation"), 0), field: "operation", text: "vstor operation 0 is not valid" },
  ],
  info: "{operation} {status:ifset}",
  // A request waits for its completion; the data layout its CDB implies goes along.
  pairing: {
    namespace: "vstor", role: "request", id: ref("trans_id"), when: and(ge(ref("operation"), 2), ne(ref("trans_id"), 0)),
    keep: { operation: ref("operation"), data_key: state(DATA_KEY_STATE) }, text: "{operation} {layers}",
    // Response times per SCSI command, as tshark's -z scsi,srt.
    type: ["vscsi.opcode", "vstor.operation"],
  },
};

