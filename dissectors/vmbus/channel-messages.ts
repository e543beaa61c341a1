// VMBus channel-management messages 0..29 (core.md §4.3-4.5), as carried in SynIC messages.
// Offsets in the comments are from the start of the 8-byte channel message header.

import {
  add, and, array, bitSet, bytes, choice, isUnknown, lookup, enumOf, eq, flagsOf, ge, gt, guid, hasBytes, hex, i32, lt, mul, mux, onlyWhen, peek, ref, reserved, sizeAtLeast, state, u16, u32, u8,
} from "../describe/dsl.js";
import type { Expr, Pairing, StructDescription, ValueStrings } from "../describe/types.js";
import { gpaRangeContinued, pfnEntry } from "./gpa.js";
import { versionName } from "./versions.js";

export const channelMessageTypes: ValueStrings = {
  0: "Invalid", 1: "OfferChannel", 2: "RescindChannelOffer", 3: "RequestOffers", 4: "AllOffersDelivered",
  5: "OpenChannel", 6: "OpenChannelResult", 7: "CloseChannel", 8: "GpadlHeader", 9: "GpadlBody",
  10: "GpadlCreated", 11: "GpadlTeardown", 12: "GpadlTorndown", 13: "RelIdReleased", 14: "InitiateContact",
  15: "VersionResponse", 16: "Unload", 17: "UnloadComplete", 18: "OpenReservedChannel",
  19: "CloseReservedChannel", 20: "CloseReservedResponse", 21: "TlConnectRequest", 22: "ModifyChannel",
  23: "TlConnectRequestResult", 24: "ModifyChannelResponse", 25: "ModifyConnection",
  26: "ModifyConnectionResponse", 27: "Pause", 28: "PauseResponse", 29: "Resume",
};

/** Offer flags (§4.5.1); 0x2/0x4 carry two meanings depending on the negotiated features, so both are named. */
const offerFlags = flagsOf("u16", [
  { mask: 0x0001, key: "enumerate_device_interface", label: "Enumerate device interface" },
  { mask: 0x0002, key: "confidential_ring_buffer", label: "Confidential ring buffer", alternate: "server supports transfer pages (pre-2025 Linux, QEMU)" },
  { mask: 0x0004, key: "confidential_external_memory", label: "Confidential external memory", alternate: "server supports GPADLs (pre-2025 Linux, QEMU)" },
  { mask: 0x0008, key: "require_pinned_external_memory", label: "Require pinned external memory (OpenVMM)" },
  { mask: 0x0010, key: "named_pipe_mode", label: "Named pipe mode" },
  { mask: 0x0100, key: "loopback_offer", label: "Loopback offer (Linux; meaning undocumented)" },
  { mask: 0x0200, key: "parent_offer", label: "Parent offer (Linux; meaning undocumented)" },
  { mask: 0x0400, key: "request_monitored_notification", label: "Request monitored notification (Linux; meaning undocumented)" },
  { mask: 0x2000, key: "tlnpi_provider", label: "Hyper-V socket (TLNPI provider)" },
]);

const P = "vmbus.chan";
const msg = (name: string, key: string, fields: StructDescription["fields"], extra: Partial<StructDescription> = {}): StructDescription =>
  ({ name, key, prefix: P, fields, ...extra });

const childRelid = u32("child_relid", "Child relid");
const gpadlHandle = hex("u32")("gpadl", "GPADL handle");
const targetVp = u32("target_vp", "Target VP", { description: "0xFFFFFFFF = interrupts disabled" });
const pipeModes: ValueStrings = { 0: "Byte", 4: "Message" };

const pipeArea: StructDescription = {
  name: "PipeUserDefined", key: "pipe", prefix: `${P}.pipe`, label: "Pipe user-defined area", size: 120,
  fields: [
    enumOf("u32", pipeModes)("mode", "Pipe mode"),
    bytes("user_defined", "Pipe user-defined data", 112),
    hex("u32")("flags", "Pipe flags (OpenVMM; Linux: part of user data)", { description: "bit 0 = supports GPA-direct transfers" }),
  ],
};

const hvsockArea: StructDescription = {
  name: "HvSocketParameters", key: "hvsock", prefix: `${P}.hvsock`, label: "Hyper-V socket parameters", size: 120,
  fields: [
    enumOf("u32", pipeModes)("pipe_mode", "Pipe mode"),
    u8("is_for_guest_accept", "Is for guest accept", { values: { 0: "answer to a guest connect", 1: "host connects to a guest listener" } }),
    u8("is_for_guest_container", "Is for guest container"),
    u32("version", "Parameters version", { values: { 0: "pre-RS5", 1: "RS5 (with silo id)" } }),
    guid("silo_id", "Silo id"),
    bytes("unused", "Unused", 94),
  ],
};

const standardArea: StructDescription = {
  name: "UserDefined", key: "user_defined_area", prefix: P, label: "User-defined area", size: 120,
  fields: [bytes("user_defined", "User-defined data", 120)],
};

/**
 * A TL_CONNECT request, its failure result and the offer that answers it name the same service:
 * the service GUID's first word (the AF_VSOCK port, for Linux) is the pairing id.
 */
function hvSocketService(serviceIdOffset: number): Expr {
  return peek("u32", serviceIdOffset);
}

/** The user area's layout follows the flags: 2 = hv_sock (0x2000), 1 = pipe mode (0x10), 0 = opaque. */
const userAreaLayout = mux(bitSet("flags", 0x2000), 2, mux(bitSet("flags", 0x10), 1, 0));

export const offerChannel = msg("OfferChannel", "offer", [
  guid("if_type", "Interface type (device class / hv_sock service id)"),
  guid("if_instance", "Interface instance (device instance / hv_sock endpoint id)"),
  hex("u64")("reserved1", "Reserved (FreeBSD: interrupt latency, 100 ns)"),
  hex("u32")("reserved2_low", "Reserved (FreeBSD: channel revision)"),
  hex("u32")("reserved2_high", "Reserved (FreeBSD: server context size)"),
  offerFlags("flags", "Offer flags"),
  u16("mmio_megabytes", "MMIO space", { unit: "MiB" }),
  choice("user_area", "User-defined area", userAreaLayout, { 0: standardArea, 1: pipeArea, 2: hvsockArea }),
  u16("sub_channel_index", "Sub-channel index"),
  u16("mmio_megabytes_optional", "Optional MMIO (Microsoft; Linux: reserved)", { unit: "MiB" }),
  childRelid,
  u8("monitor_id", "Monitor id", { description: "0xFF = none" }),
  flagsOf("u8", [{ mask: 1, key: "allocated", label: "Monitor allocated" }])("monitor_flags", "Monitor flags"),
  flagsOf("u16", [{ mask: 1, key: "dedicated", label: "Dedicated interrupt" }])("interrupt_flags", "Interrupt flags (1.1+)", { when: hasBytes(2) }),
  hex("u32")("connection_id", "Connection id (1.1+)", { when: hasBytes(4) }),
], {
  minSize: 182,
  info: "relid {child_relid} {if_type} sub-channel {sub_channel_index}",
  hooks: ["vmbus.offer"],
  // A Hyper-V socket offered in answer to the guest's TL_CONNECT_REQUEST (is_for_guest_accept 0).
  pairing: {
    namespace: "vmbus.tl_connect", role: "response", id: hvSocketService(0), say: "for {answers}",
    when: and(bitSet("flags", 0x2000), eq(peek("u8", 56), 0)),
  },
});


const rescind = msg("RescindChannelOffer", "rescind", [childRelid], { minSize: 4, info: "relid {child_relid}", hooks: ["vmbus.rescind"] });
const headerOnly = (name: string, key: string): StructDescription => msg(name, key, []);

const openChannel = msg("OpenChannel", "open", [
  childRelid,
  u32("open_id", "Open id"),
  gpadlHandle,
  targetVp,
  u32("downstream_ring_page_offset", "Downstream (host→guest) ring page offset", { unit: "pages" }),
  bytes("user_data", "User data", 120),
  hex("u32")("connection_id", "Connection id (OpenChannel2)", { when: sizeAtLeast(144) }),
  u16("event_flag", "Event flag (OpenChannel2)", { when: sizeAtLeast(146) }),
  flagsOf("u16", [{ mask: 1, key: "redirect_interrupt", label: "Redirect interrupt" }])("open_flags", "Open flags (OpenChannel2)", { when: sizeAtLeast(148) }),
], { minSize: 140, info: "relid {child_relid} gpadl {gpadl} host→guest ring at {downstream_ring_page_offset}" });

const ntStatus = hex("u32");

const openResult = msg("OpenChannelResult", "open_result", [
  childRelid, u32("open_id", "Open id"), ntStatus("status", "Status", { description: "0 = success" }),
], { minSize: 12, info: "relid {child_relid} status {status}" });

const closeChannel = msg("CloseChannel", "close", [childRelid], { minSize: 4, info: "relid {child_relid}" });

export const gpadlHeader = msg("GpadlHeader", "gpadl_header", [
  childRelid,
  gpadlHandle,
  u16("range_buflen", "Range buffer length (all ranges)", { unit: "bytes" }),
  u16("range_count", "Range count"),
  array("ranges", "GPA ranges", gpaRangeContinued, { count: ref("range_count"), clipToEnd: true, clipNote: "(continues in GPADL_BODY)" }),
], {
  minSize: 12,
  info: "relid {child_relid} gpadl {gpadl} {range_count} range(s)",
  // Every range takes at least its 8-byte header of range_buflen.
  checks: [{ fails: gt(mul(ref("range_count"), 8), ref("range_buflen")), field: "range_count", text: "range count {range_count:raw} does not fit in range_buflen {range_buflen:raw} (8 bytes per range at least)" }],
});

const gpadlBody = msg("GpadlBody", "gpadl_body", [
  u32("message_number", "Message number"),
  gpadlHandle,
  array("pfns", "PFNs (continued)", pfnEntry),
], { minSize: 8, info: "gpadl {gpadl} {pfns} more PFN(s)" });

const gpadlCreated = msg("GpadlCreated", "gpadl_created", [
  childRelid, gpadlHandle, ntStatus("creation_status", "Creation status", { description: "0 = success" }),
], { minSize: 12, info: "relid {child_relid} gpadl {gpadl} status {creation_status}" });

const gpadlTeardown = msg("GpadlTeardown", "gpadl_teardown", [childRelid, gpadlHandle], { minSize: 8, info: "relid {child_relid} gpadl {gpadl}" });
const gpadlTorndown = msg("GpadlTorndown", "gpadl_torndown", [gpadlHandle], { minSize: 4, info: "gpadl {gpadl}" });
const relidReleased = msg("RelIdReleased", "relid_released", [childRelid], { minSize: 4, info: "relid {child_relid}" });

const featureFlags = flagsOf("u32", [
  { mask: 0x01, key: "guest_specified_signal_parameters", label: "Guest-specified signal parameters" },
  { mask: 0x02, key: "channel_interrupt_redirection", label: "Channel interrupt redirection" },
  { mask: 0x04, key: "modify_connection", label: "Modify connection" },
  { mask: 0x08, key: "client_id", label: "Client id" },
  { mask: 0x10, key: "confidential_channels", label: "Confidential channels" },
  { mask: 0x20, key: "pause_resume", label: "Pause/resume" },
  { mask: 0x40, key: "server_specified_monitor_pages", label: "Server-specified monitor pages" },
  { mask: 0x80, key: "gpa_pinning", label: "GPA pinning" },
]);

const V5_0 = 0x00050000;
const V6_0 = 0x00060000;

const initiateContact = msg("InitiateContact", "initiate_contact", [
  u32("version_requested", "Version requested", { values: versionName, base: "hex" }),
  u32("target_vcpu", "Target VP for messages"),
  hex("u64")("interrupt_page", "Interrupt page GPA (< 5.0)", { when: lt(ref("version_requested"), V5_0) }),
  ...onlyWhen(ge(ref("version_requested"), V5_0),
    u8("message_sint", "Message SINT (≥ 5.0)"),
    u8("message_vtl", "Message VTL (≥ 5.1)"),
    reserved("u16", "reserved_sint", "Reserved"),
    featureFlags("feature_flags", "Feature flags (≥ 6.0)"),
  ),
  hex("u64")("monitor_page1", "Parent→child monitor page GPA"),
  hex("u64")("monitor_page2", "Child→parent monitor page GPA"),
  guid("client_id", "Client id (6.0, feature 0x8)", { when: hasBytes(16) }),
], {
  minSize: 32,
  info: "version {version_requested}",
  effects: [
    { set: "vmbus.requested_version", value: ref("version_requested") },
    { set: "vmbus.requested_features", value: ref("feature_flags"), when: ge(ref("version_requested"), V6_0) },
  ],
});

const connectionStates: ValueStrings = { 0: "Successful", 1: "Failed: low resources", 2: "Failed: unknown" };

const versionResponse = msg("VersionResponse", "version_response", [
  u8("version_supported", "Version supported", { values: { 0: "Rejected", 1: "Accepted" } }),
  u8("connection_state", "Connection state", { values: connectionStates, when: sizeAtLeast(2) }),
  { ...reserved("u16", "response_padding", "Padding"), when: sizeAtLeast(4) },
  hex("u32")("message_connection_id", "Message connection id (≥ 5.0; < 5.0 OpenVMM: selected version)", { when: sizeAtLeast(8) }),
  featureFlags("supported_features", "Supported features (6.0)", { when: sizeAtLeast(12) }),
  ...onlyWhen(sizeAtLeast(32),
    reserved("u32", "padding2", "Padding"),
    hex("u64")("server_monitor_page1", "Parent→child monitor page GPA (server-specified)"),
    hex("u64")("server_monitor_page2", "Child→parent monitor page GPA (server-specified)"),
  ),
], {
  minSize: 1,
  info: "{version_supported} {connection_state}",
  effects: [
    { set: "vmbus.version", value: state("vmbus.requested_version"), when: eq(ref("version_supported"), 1), negotiated: versionName },
    { set: "vmbus.features", value: ref("supported_features"), when: ge(state("vmbus.requested_version"), V6_0) },
  ],
});

const openReserved = msg("OpenReservedChannel", "open_reserved", [
  u32("channel_id", "Channel id (relid)"), u32("reserved_target_vp", "Target VP"), u32("target_sint", "Target SINT"),
  hex("u32")("ring_gpadl", "Ring GPADL"), u32("downstream_ring_page_offset", "Downstream (host→guest) ring page offset", { unit: "pages" }),
], { minSize: 20, info: "channel {channel_id}" });

const closeReserved = msg("CloseReservedChannel", "close_reserved", [
  u32("channel_id", "Channel id (relid)"), u32("reserved_target_vp", "Target VP"), u32("target_sint", "Target SINT"),
], { minSize: 12, info: "channel {channel_id}" });

const closeReservedResponse = msg("CloseReservedResponse", "close_reserved_response", [u32("channel_id", "Channel id (relid)")], { minSize: 4, info: "channel {channel_id}" });

const tlConnectRequest = msg("TlConnectRequest", "tl_connect", [
  guid("endpoint_id", "Guest endpoint id"),
  guid("service_id", "Host service id"),
  guid("silo_id", "Silo id (≥ 5.2 form)", { when: hasBytes(16) }),
], {
  minSize: 32, info: "service {service_id} endpoint {endpoint_id}",
  pairing: { namespace: "vmbus.tl_connect", role: "request", id: hvSocketService(16), text: "TL_CONNECT service {service_id}" },
});

const modifyChannel = msg("ModifyChannel", "modify", [childRelid, targetVp], { minSize: 8, info: "relid {child_relid} → VP {target_vp}" });

const tlConnectResult = msg("TlConnectRequestResult", "tl_connect_result", [
  guid("endpoint_id", "Guest endpoint id"),
  guid("service_id", "Host service id"),
  ntStatus("tl_status", "Status (NTSTATUS)", { values: { 0: "Success", 0xc0000236: "STATUS_CONNECTION_REFUSED" } }),
], {
  minSize: 36, info: "service {service_id} status {tl_status}",
  pairing: { namespace: "vmbus.tl_connect", role: "response", id: hvSocketService(16), say: "for {answers}" },
});

const modifyChannelResponse = msg("ModifyChannelResponse", "modify_response", [childRelid, i32("modify_status", "Status")], { minSize: 8, info: "relid {child_relid} status {modify_status}" });

const modifyConnection = msg("ModifyConnection", "modify_connection", [
  hex("u64")("monitor_page1", "Parent→child monitor page GPA"), hex("u64")("monitor_page2", "Child→parent monitor page GPA"),
], { minSize: 16 });

const modifyConnectionResponse = msg("ModifyConnectionResponse", "modify_connection_response", [
  u8("connection_state", "Connection state", { values: connectionStates }),
], { minSize: 1, info: "{connection_state}" });

const bodies: Record<number, StructDescription> = {
  1: offerChannel, 2: rescind, 3: headerOnly("RequestOffers", "request_offers"), 4: headerOnly("AllOffersDelivered", "all_offers_delivered"),
  5: openChannel, 6: openResult, 7: closeChannel, 8: gpadlHeader, 9: gpadlBody, 10: gpadlCreated, 11: gpadlTeardown,
  12: gpadlTorndown, 13: relidReleased, 14: initiateContact, 15: versionResponse, 16: headerOnly("Unload", "unload"),
  17: headerOnly("UnloadComplete", "unload_complete"), 18: openReserved, 19: closeReserved, 20: closeReservedResponse,
  21: tlConnectRequest, 22: modifyChannel, 23: tlConnectResult, 24: modifyChannelResponse, 25: modifyConnection,
  26: modifyConnectionResponse, 27: headerOnly("Pause", "pause"), 28: headerOnly("PauseResponse", "pause_response"),
  29: headerOnly("Resume", "resume"),
};

const unknownBody: StructDescription = {
  name: "UnknownMessage", key: "unknown", prefix: P, label: "Unknown message body",
  fields: [bytes("body", "Body", "rest")],
};

/**
 * Channel messages and their answers (core.md §4.3): the request's type and the relid or GPADL
 * handle at a body offset (from the message start) name the exchange on both sides.
 */
const exchanges: ReadonlyArray<{ requests: readonly number[]; response: number; requestIdAt?: number; responseIdAt?: number }> = [
  { requests: [14], response: 15 }, { requests: [3], response: 4 }, { requests: [16], response: 17 },
  { requests: [25], response: 26 }, { requests: [27], response: 28 },
  // OPENCHANNEL_RESULT answers both OPENCHANNEL and OPEN_RESERVED_CHANNEL (relid, resp. channel id, at 8).
  { requests: [5, 18], response: 6, requestIdAt: 8, responseIdAt: 8 },
  { requests: [8], response: 10, requestIdAt: 12, responseIdAt: 12 },
  { requests: [11], response: 12, requestIdAt: 12, responseIdAt: 8 },
  { requests: [2], response: 13, requestIdAt: 8, responseIdAt: 8 },
  { requests: [19], response: 20, requestIdAt: 8, responseIdAt: 8 },
  { requests: [22], response: 24, requestIdAt: 8, responseIdAt: 8 },
];

/** Both sides of an exchange compute the same id: the first request type, then the relid or handle. */
const exchangeId = (exchange: number, idAt: number | undefined): Expr =>
  idAt === undefined ? exchange : add(mul(exchange, 2 ** 32), peek("u32", idAt));

const channelPairings: Pairing[] = exchanges.flatMap(({ requests, response, requestIdAt, responseIdAt }): Pairing[] => [
  ...requests.map((request): Pairing => ({ namespace: P, role: "request", when: eq(ref("msgtype"), request), id: exchangeId(requests[0], requestIdAt), text: "{msgtype}" })),
  { namespace: P, role: "response", when: eq(ref("msgtype"), response), id: exchangeId(requests[0], responseIdAt) },
]);

/** The message types with a body of their own (any other is unknown). */
const DESCRIBED_TYPES = Object.fromEntries(Object.keys(bodies).map((type) => [type, 1]));

/** The channel message: the 8-byte header, then the body chosen by its type. */
export const channelMessage: StructDescription = {
  name: "ChannelMessage", key: "chan", prefix: P, label: "VMBus channel message",
  fields: [
    enumOf("u32", channelMessageTypes)("msgtype", "Message type"),
    reserved("u32", "padding", "Padding"),
    choice("body", "Body", ref("msgtype"), bodies, { default: unknownBody }),
  ],
  minSize: 8,
  info: "{msgtype}",
  checks: [{ fails: isUnknown(lookup(DESCRIBED_TYPES, ref("msgtype"))), field: "msgtype", text: "unknown channel message type {msgtype:raw}" }],
  pairing: channelPairings,
};
