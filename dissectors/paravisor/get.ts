// Guest Emulation Transport (devices.md §18.1) and its log channel (§18.2): message-mode pipe,
// pipe header at payload offset 0, then the GET message from 8. Offsets in the comments are from
// the start of the GET message (its 4-byte header at 0), as the reference gives them.

import { add, ascii, bytes, choice, enumOf, eq, flagsOf, guid, hasBytes, hex, i16, i64, mux, ref, reserved, state, struct, u16, u64, u8 } from "../describe/dsl.js";
import type { Field, ProtocolDescription, StructDescription, ValueStrings } from "../describe/types.js";
import { instanceState } from "../devices.js";
import { pipeDataLength, pipeHeader, trailingPadding } from "../hvsock/pipe.js";

const P = "get";

export const getMessageTypes: ValueStrings = { 1: "host notification", 2: "host request", 3: "host response", 4: "guest notification" };

export const hostRequests: ValueStrings = {
  1: "VERSION", 2: "TIME", 3: "BIOS_BOOT_FINALIZE", 4: "VMGS_GET_DEVICE_INFO", 5: "VMGS_READ", 6: "VMGS_WRITE", 7: "VMGS_FLUSH",
  8: "IGVM_ATTEST", 9: "GUEST_STATE_PROTECTION_BY_ID", 10: "VMGS_KEYS_READ", 11: "LOG_TRACE (deprecated)", 12: "ACTIVITY_TRACE_START",
  13: "ACTIVITY_TRACE_OP", 14: "EVENT_TRACE", 15: "DEVICE_PLATFORM_SETTINGS (deprecated)", 16: "ADVISORY_PLATFORM_SETTINGS (deprecated)",
  17: "GUEST_STATE_PROTECTION", 18: "DEVICE_PLATFORM_SETTINGS_V2", 19: "VPCI_DEVICE_CONTROL", 20: "SAVE_GUEST_VTL2_STATE",
  21: "RESTORE_GUEST_VTL2_STATE", 22: "VPCI_DEVICE_BINDING_CHANGE", 23: "VGA_PROXY_PCI_READ", 24: "VGA_PROXY_PCI_WRITE",
  25: "reserved", 26: "reserved", 27: "DEVICE_PLATFORM_SETTINGS_V2_REV1", 28: "CREATE_RAM_GPA_RANGE", 29: "RESET_RAM_GPA_RANGE",
  30: "LOAD_FIRMWARE", 0xffff: "MAP_FRAMEBUFFER (experimental)", 0xfffe: "UNMAP_FRAMEBUFFER (experimental)",
};
export const hostNotifications: ValueStrings = {
  1: "POWER_OFF", 2: "RESET", 3: "EVENT_LOG", 4: "LOG_TRACE", 5: "RESTORE_GUEST_VTL2_STATE_COMPLETED", 6: "MODIFY_VTL2_SETTINGS_COMPLETED",
  7: "START_VTL0_COMPLETED", 8: "VTL_CRASH", 9: "TRIPLE_FAULT",
};
export const guestNotifications: ValueStrings = {
  1: "UPDATE_GENERATION_ID", 2: "SAVE_GUEST_VTL2_STATE", 3: "reserved", 4: "VPCI_DEVICE_NOTIFICATION", 5: "MODIFY_VTL2_SETTINGS",
  6: "MODIFY_VTL2_SETTINGS_REV1", 7: "BATTERY_STATUS", 8: "INJECT_DEBUG_INTERRUPT", 9: "NOTIFY_POST_LIVE_MIGRATION",
};
const versions: ValueStrings = { 0x00010000: "RS5 (1.0)", 0x00030000: "IRON (3.0)", 0x00040002: "NICKEL_REV2 (4.2)" };

export const HOST_NOTIFICATION = 1;
export const HOST_REQUEST = 2;
export const HOST_RESPONSE = 3;
export const GUEST_NOTIFICATION = 4;

export interface ParavisorMessageSpec {
  prefix: string;
  name: string;
  label: string;
  ids: { request: ValueStrings; hostNotification: ValueStrings; guestNotification: ValueStrings };
  /** Bodies by message type, then by message id. */
  bodies: Record<number, Record<number, StructDescription>>;
  /** Body for ids without one. */
  other: StructDescription;
}

/**
 * GET and the VMBus serial port share the 4-byte header (devices.md §18.1, §18.4): version u8 at 0,
 * type u8 at 1, message id u16 at 2 (named after the type), then the body from 4. A host response
 * reuses its request's id, so requests and responses pair by id.
 */
export function paravisorMessage(spec: ParavisorMessageSpec): StructDescription {
  const { prefix, ids, bodies, other } = spec;
  const part = (type: number, name: string, key: string, idKey: string, idLabel: string, values: ValueStrings, extra: Partial<StructDescription> = {}): StructDescription => ({
    name, key, prefix, label: name,
    fields: [u16(idKey, idLabel, { values }), choice("body", "Body", ref(idKey), bodies[type] ?? {}, { default: other })],
    info: `{${idKey}}`, ...extra,
  });
  const namespace = prefix;
  return {
    name: spec.name, key: "msg", prefix, label: spec.label,
    fields: [
      u8("message_version", "Message version", { values: { 1: "HEADER_VERSION_1" }, expect: 1 }),
      enumOf("u8", getMessageTypes)("message_type", "Message type"),
      choice("message", "Message", ref("message_type"), {
        [HOST_NOTIFICATION]: part(HOST_NOTIFICATION, "HostNotification", "host_notification_msg", "host_notification", "Host notification", ids.hostNotification),
        [HOST_REQUEST]: part(HOST_REQUEST, "HostRequest", "host_request", "request_id", "Request", ids.request, {
          pairing: { namespace, role: "request", id: ref("request_id"), text: "{request_id}" },
        }),
        [HOST_RESPONSE]: part(HOST_RESPONSE, "HostResponse", "host_response", "request_id", "Request", ids.request, {
          pairing: { namespace, role: "response", id: ref("request_id") },
        }),
        [GUEST_NOTIFICATION]: part(GUEST_NOTIFICATION, "GuestNotification", "guest_notification_msg", "guest_notification", "Guest notification", ids.guestNotification),
      }, {
        default: {
          name: "UnknownType", key: "unknown_type", prefix, label: "Unknown message type",
          fields: [u16("message_id", "Message id"), bytes("body_data", "Body", "rest", { when: hasBytes(1) })],
          checks: [{ fails: 1, field: "message_id", text: "message type is not 1..4" }],
        },
      }),
    ],
    minSize: 4,
    info: `${spec.label.split(" ")[0]} {message_type}`,
  };
}

const body = (name: string, key: string, fields: Field[], info?: string): StructDescription => ({ name, key, prefix: P, label: name, fields, info });
const rest = (): Field => bytes("body_data", "Body (layout not decoded; see OpenVMM get_protocol)", "rest", { when: hasBytes(1) });

const bodies: Record<number, Record<number, StructDescription>> = {
  [HOST_REQUEST]: { 1: body("VersionRequest", "version_request", [hex("u32")("version", "Requested version", { values: versions })], "{version}"),
  },
  [HOST_RESPONSE]: { 1: body("VersionResponse", "version_response", [
    u8("version_accepted", "Version accepted", { values: { 0: "no", 1: "yes" } }), reserved("u8", "pad_u8", "Padding"),
  ], "accepted {version_accepted}"),
  2: body("TimeResponse", "time_response", [
    reserved("u32", "pad_u32", "Padding"),
    u64("vm_reference_time", "VM reference time (100 ns)"),
    i64("utc", "UTC time (i64)"),
    i16("time_zone", "Time zone (bias, minutes)"),
    u8("daylight_savings", "Daylight savings", { values: { 0: "no", 1: "yes" } }),
    bytes("pad5", "Padding", 5),
  ], "reference time {vm_reference_time:raw}"),
  },
  [HOST_NOTIFICATION]: { 1: body("PowerOffNotification", "power_off", [
    u8("hibernate", "Hibernate", { values: { 0: "no", 1: "yes" } }), reserved("u8", "pad_u8", "Padding"),
  ], "hibernate {hibernate}") },
};

const otherBody: StructDescription = { name: "Body", key: "other_body", prefix: P, label: "Body", fields: [rest()] };

export const getMessage: StructDescription = paravisorMessage({
  prefix: P, name: "GetMessage", label: "GET message",
  ids: { request: hostRequests, hostNotification: hostNotifications, guestNotification: guestNotifications },
  bodies, other: otherBody,
});

// §18.2: the log channel's 80-byte header; the string buffer follows.
const span = (name: string): Field[] => [u16(`${name}_size`, `${name} size`, { unit: "bytes" }), u16(`${name}_offset`, `${name} offset`)];
export const getLogMessage: StructDescription = {
  name: "GetLogMessage", key: "log", prefix: `${P}.log`, label: "GET trace-logging notification",
  fields: [
    enumOf("u8", { 0: "event", 1: "span enter", 2: "span exit" })("log_type", "Log type"),
    u8("level", "Level"),
    flagsOf("u16", [{ mask: 1, key: "kmsg", label: "kmsg" }])("flags", "Flags"),
    ...span("name"), ...span("target"), ...span("fields"), ...span("message"),
    reserved("u32"),
    guid("activity_id", "Activity id"),
    guid("related_activity_id", "Related activity id"),
    guid("correlation_id", "Correlation id"),
    u64("timestamp", "Timestamp"),
    bytes("strings", "String buffer (name, target, fields, message at the offsets above)", "rest"),
    // OpenVMM get_protocol: the offsets are into the buffer after the header.
    ...(["name", "target", "fields", "message"] as const).map((key) =>
      ascii(`${key}_text`, `${key[0].toUpperCase()}${key.slice(1)}`, ref(`${key}_size`), { at: add(80, ref(`${key}_offset`)) })),
  ],
  minSize: 80,
  info: "GET log {log_type} level {level:raw} {name_text:raw}: {message_text:raw}",
};

/** 1 when the channel is the GET log channel (its offer's instance GUID, devices.ts channel instances). */
const isLogChannel = eq(state(instanceState({ short: "get_log" })), 1);

const getChannelMessage: StructDescription = {
  name: "GetChannelMessage", key: "message", prefix: P, label: "GET channel message",
  fields: [choice("kind", "GET or log message", mux(isLogChannel, 1, 0), { 0: getMessage, 1: getLogMessage })],
};

export const getPacket: StructDescription = {
  name: "GetPacket", key: "packet", prefix: P, label: "GET packet",
  fields: [
    struct("pipe", "Pipe header", pipeHeader),
    struct("message", "GET message", getChannelMessage, { length: pipeDataLength }),
    trailingPadding(),
  ],
  minSize: 12,
};

export const getProtocol: ProtocolDescription = { name: "get", label: "Guest Emulation Transport", short: "GET", root: getPacket, messageType: ["get.message_type"] };
