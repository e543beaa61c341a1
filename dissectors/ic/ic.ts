// The Integration Components (devices.md §3–§10): heartbeat, shutdown, time sync, KVP, VSS and file
// copy share one framing: an 8-byte pipe header, the 20-byte IC message header, then a body of
// `message_size` bytes chosen by the IC message type. One description serves all six channels.
// Offsets in comments are from the start of the IC body unless said otherwise.

import {
  add, and, array, bitSet, bool8, bytes, choice, computed, digits, enumOf, eq, filetime, flagsOf, ge, gt, guid, hasBytes, hex, ipv4, ipv6, isUnknown, le, min, mul, mux, ne, not, offset, peek, ref,
  remaining, reserved, sameBytes, sizeAtLeast, state, struct, sub, u16, u32, u64, u8, utf16,
} from "../describe/dsl.js";
import { registerField } from "../describe/fields.js";
import type { Expr, Field, ProtocolDescription, StructCheck, StructDescription, ValueStrings } from "../describe/types.js";

export const FRAMEWORK_STATE = "channel.ic.framework_version";
export const SERVICE_STATE = "channel.ic.service_version";

/** §2.1 */
export const pipeTypes: ValueStrings = { 0: "INVALID", 1: "DATA", 2: "PARTIAL", 3: "SETUP_GPA_DIRECT", 4: "TEARDOWN_GPA_DIRECT" };

/** §3.3 */
export const icMessageTypes: ValueStrings = {
  0: "NEGOTIATE", 1: "HEARTBEAT", 2: "KVP_EXCHANGE", 3: "SHUTDOWN", 4: "TIMESYNC", 5: "VSS", 6: "RDV", 7: "FCOPY", 8: "VM_SESSION",
};

/** What an answer's pairing shows of its request. */
registerField({ filter: "ic.request_message_type", label: "Request message type", kind: "uint", width: 2, values: icMessageTypes });

/** §3.5 */
export const icStatus: ValueStrings = {
  0x00000000: "S_OK", 0x80004005: "E_FAIL", 0x80070103: "S_CONT (no more items)", 0x80070032: "ERROR_NOT_SUPPORTED",
  0x80041002: "GUID_NOTFOUND (not found)", 0x800704f7: "ERROR_MACHINE_LOCKED", 0x8007048f: "ERROR_DEVICE_NOT_CONNECTED",
  0x80070057: "E_INVALIDARG", 0x80070050: "ERROR_ALREADY_EXISTS", 0x80070070: "ERROR_DISK_FULL",
};

/** Versions as (major << 16) | minor, the form the session state keeps. */
export const icVersions: ValueStrings = {
  0x00010000: "1.0", 0x00010001: "1.1", 0x00030000: "3.0", 0x00030001: "3.1", 0x00030002: "3.2", 0x00040000: "4.0", 0x00050000: "5.0",
  0x00060000: "6.0", 0x00070000: "7.0",
};

export const version = (major: number, minor: number): number => major * 0x10000 + minor;

/** The layout version: the negotiated service version, else the version the header states (§3.2 tip). */
const serviceVersion: Expr = mux(isUnknown(state(SERVICE_STATE)), add(mul(ref("msg_major"), 0x10000), ref("msg_minor")), state(SERVICE_STATE));
const atLeast = (major: number): Expr => ge(serviceVersion, version(major, 0));

const utf16z = (key: string, label: string, length: Expr | number, extra: Partial<Field> = {}): Field =>
  ({ ...utf16(key, label, length), nulTerminated: true, ...extra } as Field);

// §2.1 pipe header: two words before the IC header, when present.
/** A pipe header is there when the first word is a pipe type and the second a plausible length (an IC header would put message type and version there). */
const hasPipe: Expr = and(and(ge(peek("u32", 0), 1), ge(4, peek("u32", 0))), and(ge(peek("u32", 4), 20), ge(16384, peek("u32", 4))));
const pipeFields: Field[] = [
  enumOf("u32", pipeTypes)("pipe_type", "Pipe packet type", { filter: "ic.pipe.type", when: hasPipe }),
  u32("pipe_len", "Pipe length (bytes after the pipe header)", { filter: "ic.pipe.len", unit: "bytes", when: hasPipe }),
];
/** Where the IC header starts in the payload. */
const H: Expr = mux(isUnknown(ref("pipe_len")), 0, 8);

// §3.6 negotiation.
const versionEntry = (prefix: string, label: string, word: string): StructDescription => ({
  name: "IcVersion", key: "version", prefix, label, size: 4,
  fields: [u16("major", "Major"), u16("minor", "Minor")], info: `${word} {major:raw}.{minor:raw}`,
});
const isResponse = bitSet("flags", 4);
const negotiate: StructDescription = {
  name: "Negotiate", key: "negotiate", prefix: "ic.negotiate", label: "Version negotiation",
  fields: [
    u16("framework_version_count", "Framework version count"),
    u16("message_version_count", "Service version count"),
    reserved("u32"),
    array("framework_versions", "Framework versions", versionEntry("ic.negotiate.framework", "Framework version", "framework"), { count: ref("framework_version_count") }),
    array("service_versions", "Service versions", versionEntry("ic.negotiate.service", "Service version", "service"), { count: ref("message_version_count") }),
    computed("u32")("chosen_framework", "Chosen framework version", add(mul(peek("u16", 8), 0x10000), peek("u16", 10)), {
      base: "hex", when: and(isResponse, ge(ref("framework_version_count"), 1)),
    }),
    computed("u32")("chosen_service", "Chosen service version",
      add(mul(peek("u16", add(8, mul(ref("framework_version_count"), 4))), 0x10000), peek("u16", add(10, mul(ref("framework_version_count"), 4)))), {
        base: "hex", when: and(isResponse, ge(ref("message_version_count"), 1)),
      }),
  ],
  minSize: 8,
  info: "IC negotiate",
  // The guest's answer (one framework and one service version) fixes the versions of the channel (§3.6),
  // kept as (major << 16) | minor.
  effects: [
    { set: FRAMEWORK_STATE, value: ref("chosen_framework"), when: and(isResponse, and(eq(ref("framework_version_count"), 1), eq(ref("message_version_count"), 1))), negotiated: "major.minor" },
    { set: SERVICE_STATE, value: ref("chosen_service"), when: and(isResponse, and(eq(ref("framework_version_count"), 1), eq(ref("message_version_count"), 1))), negotiated: "major.minor" },
  ],
  checks: [
    { fails: gt(ref("framework_version_count"), 100), field: "framework_version_count", text: "framework version count {framework_version_count:raw} is above 100 (Linux rejects it)" },
    { fails: gt(ref("message_version_count"), 100), field: "message_version_count", text: "service version count {message_version_count:raw} is above 100 (Linux rejects it)" },
  ],
};

// §4 heartbeat. Host requests count on from the previous request (the guest answers request + 1,
// and the host continues from that answer): a gap is a missed beat, the same or a lower number a
// repeat. Guest responses carry request + 1.
const LAST_REQUEST = "channel.heartbeat.last_request_seq";
const RESPONSE_DUE = "channel.heartbeat.expected_response_seq";
const seq = ref("seq_num");
const previous = state(LAST_REQUEST);
const heartbeatCheck = (fails: Expr, text: string, args: Record<string, Expr>): StructCheck => ({
  fails, text, field: "seq_num", severity: "warn", group: "sequence", args: Object.fromEntries(Object.entries(args).map(([name, value]) => [name, digits(value)])),
});
const heartbeatSequence: StructCheck[] = [
  heartbeatCheck(and(isResponse, and(not(isUnknown(state(RESPONSE_DUE))), ne(seq, state(RESPONSE_DUE)))),
    "heartbeat response carries {seq_num:raw}, expected {due} (request + 1)", { due: state(RESPONSE_DUE) }),
  heartbeatCheck(and(not(isResponse), gt(seq, add(previous, 1))),
    "heartbeat sequence {seq_num:raw} after {previous}: {missed} beat(s) missed", { previous, missed: sub(sub(seq, previous), 1) }),
  heartbeatCheck(and(not(isResponse), le(seq, previous)),
    "heartbeat sequence {seq_num:raw} repeats or goes back (previous {previous})", { previous }),
];
const heartbeat: StructDescription = {
  name: "Heartbeat", key: "heartbeat", prefix: "heartbeat", label: "Heartbeat",
  fields: [
    u64("seq_num", "Sequence number"),
    enumOf("u32", { 0: "unknown", 1: "healthy", 2: "critical", 3: "stopped" })("application_state", "Application state (OVMM; reserved in Linux/FreeBSD)", { when: hasBytes(4) }),
    bytes("reserved", "Reserved", "rest", { when: hasBytes(1) }),
  ],
  minSize: 8,
  info: "IC heartbeat seq {seq_num:raw}",
  checks: heartbeatSequence,
  effects: [
    { set: LAST_REQUEST, value: ref("seq_num"), when: not(isResponse) },
    { set: RESPONSE_DUE, value: add(ref("seq_num"), 1), when: not(isResponse) },
  ],
};

// §5 shutdown.
const shutdownFlagBits = [
  { mask: 1, key: "force", label: "FORCE" }, { mask: 2, key: "restart", label: "RESTART" }, { mask: 4, key: "hibernate", label: "HIBERNATE" },
];
const shutdownActions: ValueStrings = { 0: "shutdown", 1: "forced shutdown", 2: "restart", 3: "forced restart", 4: "hibernate", 5: "forced hibernate", 6: "restart+hibernate (invalid)", 7: "forced restart+hibernate (invalid)" };
const shutdown: StructDescription = {
  name: "Shutdown", key: "shutdown", prefix: "shutdown", label: "Shutdown",
  fields: [
    hex("u32")("reason_code", "Reason code (SHTDN_REASON_*)", { values: { 0x80000000: "SHTDN_REASON_FLAG_PLANNED" } }),
    u32("timeout_seconds", "Timeout", { unit: "s" }),
    ...sameBytes(
      enumOf("u32", shutdownActions)("action", "Action", { mask: 0x7 }),
      flagsOf("u32", shutdownFlagBits)("flags", "Flags"),
    ),
    utf16z("message", "Display message (UTF-16)", min(2048, remaining), { when: hasBytes(2) }),
    bytes("padding", "Padding", "rest", { when: hasBytes(1) }),
  ],
  minSize: 12,
  info: "Shutdown {action} timeout {timeout_seconds:raw}s",
  checks: [{ fails: gt(ref("flags"), 7), field: "flags", text: "shutdown flags {flags} has reserved bits set (Linux answers E_FAIL)" }],
};

// §6 time sync.
const tsFlags = flagsOf("u8", [{ mask: 1, key: "sync", label: "SYNC" }, { mask: 2, key: "sample", label: "SAMPLE" }]);
const timeSyncV1: StructDescription = {
  name: "TimeSyncV1", key: "v1", prefix: "timesync", label: "Time sample (versions 1.0 and 3.0)",
  fields: [
    filetime("parent_time", "Host time (UTC)"),
    hex("u64")("child_time", "Child time (unused)"),
    u64("round_trip_time", "Round-trip time", { unit: "× 100 ns" }),
    tsFlags("flags", "Flags"),
    bytes("reserved", "Reserved", "rest", { when: hasBytes(1) }),
  ],
  minSize: 25,
  info: "TimeSync host {parent_time} {flags:bits}",
};
const timeSyncV4: StructDescription = {
  name: "TimeSyncV4", key: "v4", prefix: "timesync", label: "Time sample with reference time (version 4.0 and later)",
  fields: [
    filetime("parent_time", "Host time (UTC)"),
    u64("vm_reference_time", "VM reference time", { unit: "× 100 ns", description: "the partition reference counter when the host read its clock" }),
    computed("filetime")("reference_zero", "Host time − reference time (when the reference counter was zero)", sub(ref("parent_time"), ref("vm_reference_time")), {
      description: "computed in double precision: within a few 100-ns units",
    }),
    tsFlags("flags", "Flags"),
    u8("leap_flags", "Leap indicator"),
    u8("stratum", "Stratum"),
    bytes("reserved", "Reserved", "rest", { when: hasBytes(1) }),
  ],
  minSize: 19,
  info: "TimeSync host {parent_time} {flags:bits}",
};
const timeSync: StructDescription = {
  name: "TimeSync", key: "timesync", prefix: "timesync", label: "Time synchronization",
  fields: [choice("sample", "Time sample", mux(atLeast(4), 4, 1), { 1: timeSyncV1, 4: timeSyncV4 })],
};

// §7 KVP.
const kvpOperations: ValueStrings = { 0: "GET", 1: "SET", 2: "DELETE", 3: "ENUMERATE", 4: "GET_IP_INFO", 5: "SET_IP_INFO" };
const kvpPools: ValueStrings = { 0: "EXTERNAL", 1: "GUEST", 2: "AUTO", 3: "AUTO_EXTERNAL", 4: "AUTO_INTERNAL" };
const kvpValueTypes: ValueStrings = { 1: "REG_SZ", 2: "REG_EXPAND_SZ", 4: "REG_DWORD", 8: "u64 (Linux numbering)", 11: "REG_QWORD" };
const K = "kvp";
const valueCase = (name: string, key: string, field: Field, info: string): StructDescription =>
  ({ name, key, prefix: K, label: "Value", fields: [field], info });
const stringValue = valueCase("KvpString", "string", utf16z("value_string", "Value", min(ref("value_size"), 2048)), "{value_string}");
const kvpValue = (at: number): Field => choice("value", "Value", ref("value_type"), {
  1: stringValue, 2: stringValue,
  4: valueCase("KvpDword", "dword", u32("value_u32", "Value"), "{value_u32:raw}"),
  8: valueCase("KvpQword", "qword", u64("value_u64", "Value"), "{value_u64:raw}"),
  11: valueCase("KvpQword", "qword", u64("value_u64", "Value"), "{value_u64:raw}"),
}, { default: valueCase("KvpBytes", "bytes", bytes("value_bytes", "Value", min(ref("value_size"), 2048)), ""), at, when: gt(ref("value_size"), 0) });
const sizeChecks = (keyMax: number, valueMax?: number): StructDescription["checks"] => [
  { fails: gt(ref("key_size"), keyMax), field: "key_size", text: `key size {key_size:raw} is beyond the ${keyMax}-byte key field` },
  ...(valueMax === undefined ? [] : [{ fails: gt(ref("value_size"), valueMax), field: "value_size", text: `value size {value_size:raw} is beyond the ${valueMax}-byte value field` }]),
];
const pad = reserved("u16", "padding", "Padding");
const keyField = (at: number): Field => utf16z("key", "Key", min(ref("key_size"), 512), { at });
const kvpRecord: StructDescription = {
  name: "KvpValueRecord", key: "record", prefix: K, label: "Value record",
  fields: [
    pad, enumOf("u32", kvpValueTypes)("value_type", "Value type"),
    u32("key_size", "Key size", { unit: "bytes" }), u32("value_size", "Value size", { unit: "bytes" }),
    keyField(14), kvpValue(526),
    bytes("trailing", "Trailing bytes", "rest", { at: 2574, when: sizeAtLeast(2575) }),
  ],
  minSize: 14,
  info: "key {key} =",
  checks: sizeChecks(512, 2048),
};
const kvpDelete: StructDescription = {
  name: "KvpDelete", key: "delete", prefix: K, label: "Delete",
  fields: [pad, u32("key_size", "Key size", { unit: "bytes" }), keyField(6)],
  minSize: 6, info: "key {key}", checks: sizeChecks(512),
};
const kvpEnumerate: StructDescription = {
  name: "KvpEnumerate", key: "enumerate", prefix: K, label: "Enumerate",
  fields: [
    pad, u32("index", "Index"), enumOf("u32", kvpValueTypes)("value_type", "Value type"),
    u32("key_size", "Key size", { unit: "bytes" }), u32("value_size", "Value size", { unit: "bytes" }),
    keyField(18), kvpValue(530),
  ],
  minSize: 18, info: "index {index:raw} key {key} =", checks: sizeChecks(512, 2048),
};
const addressFamilies: ValueStrings = { 0: "none", 1: "IPv4", 2: "IPv6", 3: "IPv4 and IPv6" };
const IP = "kvp.ip";
const ipString: StructDescription = {
  name: "KvpIpInfoString", key: "ip_string", prefix: IP, label: "IP address info (string form)",
  fields: [
    utf16z("adapter_id", "Adapter id", 256),
    enumOf("u8", addressFamilies)("address_family", "Address family"),
    bool8("dhcp_enabled", "DHCP enabled"),
    utf16z("ip_addresses", "IP addresses", 2048),
    utf16z("subnets", "Subnets", 2048),
    utf16z("gateways", "Gateways", 1024),
    utf16z("dns_servers", "DNS servers", 2048),
  ],
  minSize: 258,
  info: "adapter {adapter_id} addresses {ip_addresses}",
};
const one = (name: string, _key: string, prefix: string, field: Field, size: number): StructDescription =>
  ({ name, key: "entry", prefix, label: name, fields: [field], size });
const v4 = (key: string, label: string, prefix: string) => one(label, key, prefix, ipv4("address", label), 4);
const v6 = (key: string, label: string, prefix: string) => one(label, key, prefix, ipv6("address", label), 16);
const ipArray = (key: string, label: string, element: StructDescription, count: Expr, at: number): Field =>
  array(key, label, element, { count, at });
const countChecks = (pairs: [string, number][]): StructDescription["checks"] =>
  pairs.map(([key, max]) => ({ fails: gt(ref(key), max), field: key, text: `${key.replace(/_/g, " ")} {${key}:raw} is above ${max}` }));
// Offsets from the struct start (body offset 2).
const ipBinary: StructDescription = {
  name: "KvpIpInfoBinary", key: "ip_binary", prefix: IP, label: "IP address info (binary form, KVP 5.0)",
  fields: [
    pad,
    u32("ipv4_address_count", "IPv4 address count"), u32("ipv6_address_count", "IPv6 address count"),
    u32("ipv4_gateway_count", "IPv4 gateway count"), u32("ipv6_gateway_count", "IPv6 gateway count"),
    u32("ipv4_dns_server_count", "IPv4 DNS server count"), u32("ipv6_dns_server_count", "IPv6 DNS server count"),
    utf16z("adapter_id", "Adapter id", 256),
    enumOf("u8", addressFamilies)("address_family", "Address family"),
    bool8("dhcp_enabled", "DHCP enabled"),
    reserved("u16", "padding2", "Padding"),
    ipArray("ipv4_addresses", "IPv4 addresses", v4("ipv4_address", "IPv4 address", "kvp.ip.ipv4_address"), ref("ipv4_address_count"), 286),
    ipArray("ipv6_addresses", "IPv6 addresses", v6("ipv6_address", "IPv6 address", "kvp.ip.ipv6_address"), ref("ipv6_address_count"), 542),
    ipArray("ipv4_subnets", "IPv4 subnet masks", v4("ipv4_subnet", "IPv4 subnet mask", "kvp.ip.ipv4_subnet"), ref("ipv4_address_count"), 1566),
    array("ipv6_subnets", "IPv6 subnets (prefix lengths)", one("IPv6 subnet", "ipv6_subnet", "kvp.ip.ipv6_subnet", u32("prefix_length", "Prefix length"), 4), { count: ref("ipv6_address_count"), at: 1822 }),
    ipArray("ipv4_gateways", "IPv4 gateways", v4("ipv4_gateway", "IPv4 gateway", "kvp.ip.ipv4_gateway"), ref("ipv4_gateway_count"), 2078),
    ipArray("ipv6_gateways", "IPv6 gateways", v6("ipv6_gateway", "IPv6 gateway", "kvp.ip.ipv6_gateway"), ref("ipv6_gateway_count"), 2098),
    ipArray("ipv4_dns_servers", "IPv4 DNS servers", v4("ipv4_dns", "IPv4 DNS server", "kvp.ip.ipv4_dns"), ref("ipv4_dns_server_count"), 2178),
    ipArray("ipv6_dns_servers", "IPv6 DNS servers", v6("ipv6_dns", "IPv6 DNS server", "kvp.ip.ipv6_dns"), ref("ipv6_dns_server_count"), 2434),
    array("origins", "Address origins", one("Origin", "origin", "kvp.ip.origin",
      enumOf("u16", { 0: "unknown", 1: "other (e.g. DHCP)", 2: "static" })("origin", "Origin"), 2), {
      count: add(ref("ipv4_address_count"), ref("ipv6_address_count")), at: 3458,
    }),
  ],
  minSize: 286,
  info: "adapter {adapter_id} {ipv4_address_count:raw} IPv4 {ipv6_address_count:raw} IPv6 DHCP {dhcp_enabled}",
  checks: countChecks([["ipv4_address_count", 64], ["ipv6_address_count", 64], ["ipv4_gateway_count", 5], ["ipv6_gateway_count", 5], ["ipv4_dns_server_count", 64], ["ipv6_dns_server_count", 64]]),
};
const ipInfo: StructDescription = {
  name: "KvpIpInfo", key: "ip_info", prefix: IP, label: "IP address info",
  fields: [choice("form", "IP address info", mux(atLeast(5), 1, 0), { 0: ipString, 1: ipBinary })],
};
const kvp: StructDescription = {
  name: "Kvp", key: "kvp", prefix: K, label: "Key-value pair exchange",
  fields: [
    enumOf("u8", kvpOperations)("operation", "Operation"),
    enumOf("u8", kvpPools)("pool", "Pool"),
    choice("data", "Operation data", ref("operation"), { 0: kvpRecord, 1: kvpRecord, 2: kvpDelete, 3: kvpEnumerate, 4: ipInfo, 5: ipInfo }, {
      default: { name: "KvpUnknown", key: "unknown", prefix: K, label: "Data (unknown operation)", fields: [bytes("data_bytes", "Data", "rest")] },
    }),
  ],
  minSize: 2,
  info: "KVP {operation} pool {pool:raw}",
};

// §8 VSS.
const vssOperations: ValueStrings = {
  0: "CREATE", 1: "DELETE", 2: "HOT_BACKUP", 3: "GET_DM_INFO", 4: "BU_COMPLETE", 5: "FREEZE", 6: "THAW", 7: "AUTO_RECOVER",
  8: "QUERY_GUEST_CLUSTER_INFORMATION",
};
const V = "vss";
const lunInfo: StructDescription = {
  name: "LunInfo", key: "lun_info", prefix: "vss.lun", label: "LUN", size: 24,
  fields: [
    enumOf("u8", { 0: "invalid", 1: "SCSI", 2: "IDE" })("bus_type", "Bus type"), bytes("reserved", "Reserved", 3),
    guid("controller", "Controller instance"), u8("port", "Port"), u8("target", "Target"), u8("lun", "LUN"), reserved("u8"),
  ],
};
const vssData = (name: string, key: string, fields: Field[], extra: Partial<StructDescription> = {}): StructDescription =>
  ({ name, key, prefix: V, label: name, fields, ...extra });
const vssFlags = hex("u32")("flags", "Flags");
const lunCount = (key: string) => ({ fails: gt(ref(key), 260), field: key, text: "LUN count {" + key + ":raw} is above 260" });
const vssCases: Record<number, StructDescription> = {
  0: vssData("Create", "create", [guid("snapshot_set_id", "Snapshot set id"), u32("backup_type", "Backup type", { when: hasBytes(4) })], { minSize: 16 }),
  1: vssData("Delete", "delete", [guid("snapshot_set_id", "Snapshot set id")], { minSize: 16 }),
  2: vssData("Flags", "flags_data", [vssFlags], { minSize: 4, info: "flags {flags}" }),
  5: vssData("Message2", "message2", [
    u32("backup_type", "Backup type"),
    flagsOf("u32", [{ mask: 1, key: "auto_recovery", label: "Auto recovery" }, { mask: 2, key: "shared_luns", label: "Includes shared LUNs" }])("backup_flags", "Flags"),
    u32("lun_count", "LUN count"),
    array("luns", "LUNs", lunInfo, { count: ref("lun_count") }),
    array("shadow_luns", "Shadow LUNs (Message2Ex)", lunInfo, { count: ref("lun_count"), at: 6252, when: sizeAtLeast(6252 + 24) }),
  ], { minSize: 12, info: "{lun_count:raw} LUN(s)", checks: [lunCount("lun_count")] }),
  8: vssData("Message3", "message3", [
    guid("cluster_id", "Cluster id"), u32("cluster_size", "Cluster size"), u32("lun_count", "Shared LUN count"),
    array("shared_luns", "Shared LUNs", lunInfo, { count: ref("lun_count") }),
    array("shared_lun_status", "Shared LUN status", one("LUN status", "status_entry", "vss.lun_status", hex("u32")("status", "Status"), 4), {
      count: ref("lun_count"), at: 6264, when: sizeAtLeast(6264 + 4),
    }),
    u64("last_move_time", "Last move time (Message3Ex)", { at: 7304, when: sizeAtLeast(7312) }),
  ], { minSize: 24, info: "{lun_count:raw} shared LUN(s)", checks: [lunCount("lun_count")] }),
};
vssCases[3] = vssCases[2];
vssCases[4] = vssCases[2];
vssCases[6] = vssCases[2];
vssCases[7] = vssCases[5];
const vss: StructDescription = {
  name: "Vss", key: "vss", prefix: V, label: "Backup (VSS)",
  fields: [
    enumOf("u8", vssOperations)("operation", "Operation"), bytes("reserved", "Reserved", 7),
    choice("data", "Operation data", ref("operation"), vssCases, { when: hasBytes(1) }),
  ],
  minSize: 8,
  info: "VSS {operation}",
};

// §9 file copy.
const fcopyOperations: ValueStrings = { 0: "START_FILE_COPY", 1: "WRITE_TO_FILE", 2: "COMPLETE_FCOPY", 3: "CANCEL_FCOPY" };
export const FCOPY_FRAGMENT = 6 * 1024;
const F = "fcopy";
const startCopy: StructDescription = {
  name: "StartFileCopy", key: "start", prefix: F, label: "Start file copy",
  fields: [
    utf16z("file_name", "File name", 520), utf16z("path_name", "Destination path", 520),
    flagsOf("u32", [{ mask: 1, key: "overwrite", label: "OVER_WRITE" }, { mask: 2, key: "create_path", label: "CREATE_PATH" }])("copy_flags", "Copy flags"),
    u64("file_size", "File size", { unit: "bytes" }),
  ],
  minSize: 1052,
  info: "{path_name} {file_name} {file_size:raw} bytes",
};
const writeToFile: StructDescription = {
  name: "WriteToFile", key: "write", prefix: F, label: "Write to file",
  fields: [
    reserved("u32", "pad", "Padding"), u64("offset", "File offset"), u32("size", "Size", { unit: "bytes" }),
    bytes("data", "Data", min(ref("size"), FCOPY_FRAGMENT)),
  ],
  minSize: 16,
  info: "offset {offset:raw} size {size:raw}",
  checks: [{ fails: gt(ref("size"), FCOPY_FRAGMENT), field: "size", text: `chunk size {size:raw} is above the ${FCOPY_FRAGMENT}-byte fragment` }],
};
const fcopy: StructDescription = {
  name: "FileCopy", key: "fcopy", prefix: F, label: "File copy",
  fields: [
    enumOf("u32", fcopyOperations)("operation", "Operation"),
    guid("service_id0", "Service id 0 (MILE: service id)"), guid("service_id1", "Service id 1 (MILE: session id)"),
    choice("data", "Operation data", ref("operation"), { 0: startCopy, 1: writeToFile }, { when: hasBytes(1), default: { name: "Extra", key: "extra", prefix: F, label: "Extra bytes", fields: [bytes("extra_bytes", "Extra", "rest")] } }),
  ],
  minSize: 36,
  info: "FCOPY {operation}",
};

// §10 other types.
const rdv: StructDescription = {
  name: "Rdv", key: "rdv", prefix: "ic.rdv", label: "RDV (layout unconfirmed)",
  fields: [hex("u32")("flags", "Flags"), bytes("message", "Message", "rest")], minSize: 4,
};
const rawBody: StructDescription = { name: "RawBody", key: "raw", prefix: "ic", label: "Body (no public layout)", fields: [bytes("body_bytes", "Body", "rest")] };

export const icBodies: Record<number, StructDescription> = { 0: negotiate, 1: heartbeat, 2: kvp, 3: shutdown, 4: timeSync, 5: vss, 6: rdv, 7: fcopy };

const body: StructDescription = {
  name: "IcBody", key: "body", prefix: "ic", label: "IC body",
  fields: [choice("message", "Message", ref("message_type"), icBodies, { default: rawBody })],
};

/** Requests show a status only when it is not S_OK; responses always. */
const requestStatus: StructDescription = { name: "RequestStatus", key: "request_status", prefix: "ic", label: "Status", fields: [enumOf("u32", icStatus)("status", "Status", { base: "hex" })], info: "{status:ifset}" };
const responseStatus: StructDescription = { name: "ResponseStatus", key: "response_status", prefix: "ic", label: "Status", fields: [enumOf("u32", icStatus)("status", "Status", { base: "hex" })], info: "response {status}" };

const icFlagBits = [
  { mask: 1, key: "transaction", label: "TRANSACTION" }, { mask: 2, key: "request", label: "REQUEST" }, { mask: 4, key: "response", label: "RESPONSE" },
];

/** The IC message (pipe header when present, IC header, body). The status (header offset 12) is shown after the body so that the summary ends with it. */
export const icMessage: StructDescription = {
  name: "IcMessage", key: "msg", prefix: "ic", label: "IC message",
  fields: [
    ...pipeFields,
    u16("framework_major", "Framework version major"), u16("framework_minor", "Framework version minor"),
    enumOf("u16", icMessageTypes)("message_type", "Message type"),
    u16("msg_major", "Message version major"), u16("msg_minor", "Message version minor"),
    u16("message_size", "Message size", { unit: "bytes", description: "the body's size, without this header" }),
    u8("transaction_id", "Transaction id", { at: add(H, 16) }),
    flagsOf("u8", icFlagBits)("flags", "Flags"),
    reserved("u16"),
    struct("body", "IC body", body, { length: ref("message_size"), when: gt(ref("message_size"), 0) }),
    choice("outcome", "Status", mux(isResponse, 1, 0), { 0: requestStatus, 1: responseStatus }, { at: add(H, 12) }),
    bytes("padding", "Padding (after the body)", "rest", { at: add(add(H, 20), ref("message_size")), when: gt(sub(add(offset, remaining), add(add(H, 20), ref("message_size"))), 0) }),
  ],
  minSize: 20,
  // The fields above end at the status (read out of order): the message spans the header, the body and any padding.
  sizeFrom: mux(gt(add(add(H, 20), ref("message_size")), add(offset, remaining)), add(add(H, 20), ref("message_size")), add(offset, remaining)),
  checks: [
    { fails: gt(add(add(H, 20), ref("message_size")), add(offset, remaining)), field: "message_size", text: "message size {message_size:raw} runs past the packet" },
  ],
  // §3.1: the guest answers a host request with the request's buffer and VMBus transaction id.
  pairing: [
    { namespace: "ic", role: "request", id: ref("trans_id"), when: and(bitSet("flags", 2), not(isResponse)), keep: { message_type: ref("message_type") }, text: "{layers}" },
    { namespace: "ic", role: "response", id: ref("trans_id"), when: isResponse, show: { message_type: "ic.request_message_type" } },
  ],
};

export const icProtocol: ProtocolDescription = { name: "ic", short: "IC", label: "Hyper-V Integration Components", root: icMessage, messageType: ["ic.message_type"] };
