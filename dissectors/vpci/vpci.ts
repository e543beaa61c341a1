// vPCI, the PCI pass-through protocol (devices.md §14): raw in-band packets starting with a u32
// message type (0x42490000 + n); requests that want an answer set the VMBus "completion requested"
// flag and are answered by a completion packet (type 11) with the same transaction id, whose layout
// is the request's (paired by transaction id; the request's message type chooses the reply layout).
// Offsets in the comments are from the start of the payload.

import { registerField } from "../describe/fields.js";
import {
  add, and, array, bitAnd, bitSet, bytes, choice, computedText, digits, enumOf, eq, flagsOf, gt, hasBytes, hex, isUnknown, join, known, lt, min, mul, mux, nameIn, ne,
  not, or, peek, ref, remaining, state, struct, textIf, u16, u32, u64, u8,
} from "../describe/dsl.js";
import { pciDeviceNames } from "./names.js";
import type { Expr, Field, ProtocolDescription, ScalarField, StructDescription, ValueStrings } from "../describe/types.js";

const P = "vpci";
export const VPCI_BASE = 0x42490000;
export const VERSION_STATE = "channel.vpci.version";
const REQUEST_TYPE = "channel.vpci.request.msg_type";
const REQUEST_VERSION = "channel.vpci.request.version";
const REQUEST_BYTES = "channel.vpci.request.bytes_requested";
const COMPLETION = 11;

/** §14.2 (Windows/OVMM names). */
export const vpciTypes: ValueStrings = {
  0x42490000: "BUS_RELATIONS", 0x42490001: "QUERY_BUS_RELATIONS", 0x42490002: "INVALIDATE_DEVICE", 0x42490003: "INVALIDATE_BUS",
  0x42490004: "DEVICE_POWER_STATE_CHANGE", 0x42490005: "CURRENT_RESOURCE_REQUIREMENTS", 0x42490006: "GET_RESOURCES",
  0x42490007: "FDO_D0_ENTRY", 0x42490008: "FDO_D0_EXIT", 0x42490009: "READ_BLOCK", 0x4249000a: "WRITE_BLOCK", 0x4249000b: "EJECT",
  0x4249000c: "QUERY_STOP", 0x4249000d: "RE_ENABLE", 0x4249000e: "QUERY_STOP_FAILED", 0x4249000f: "EJECT_COMPLETE",
  0x42490010: "ASSIGNED_RESOURCES", 0x42490011: "RELEASE_RESOURCES", 0x42490012: "INVALIDATE_BLOCK", 0x42490013: "QUERY_PROTOCOL_VERSION",
  0x42490014: "CREATE_INTERRUPT", 0x42490015: "DELETE_INTERRUPT", 0x42490016: "ASSIGNED_RESOURCES2", 0x42490017: "CREATE_INTERRUPT2",
  0x42490018: "DELETE_INTERRUPT2", 0x42490019: "BUS_RELATIONS2", 0x4249001a: "ASSIGNED_RESOURCES3", 0x4249001b: "CREATE_INTERRUPT3",
  0x4249001c: "RESET_DEVICE", 0x4249001d: "VPCI_TDISP_COMMAND",
};

/** §14.1: u32 = (major << 16) | minor. */
export const vpciVersions: ValueStrings = {
  0x00010000: "1.0 (WIN8)", 0x00010001: "1.1 (WIN10)", 0x00010002: "1.2 (RS1)", 0x00010003: "1.3 (VB)", 0x00010004: "1.4 (FE)",
  0x00010005: "1.5 (GE)", 0x00010006: "1.6 (DT)",
};

/** §14.3 (NTSTATUS). */
export const vpciStatus: ValueStrings = {
  0x00000000: "STATUS_SUCCESS", 0xc0000059: "STATUS_REVISION_MISMATCH", 0xc000090b: "STATUS_BAD_DATA", 0xc00000bb: "STATUS_NOT_SUPPORTED",
  0xc0000001: "STATUS_UNSUCCESSFUL", 0xc000000d: "STATUS_INVALID_PARAMETER",
};

/** PCI vendor ids of devices commonly passed through to Hyper-V guests. */
export const pciVendors: ValueStrings = {
  0x15b3: "Mellanox", 0x10de: "NVIDIA", 0x1414: "Microsoft", 0x8086: "Intel", 0x1002: "AMD", 0x144d: "Samsung", 0x1344: "Micron",
  0x1c5c: "SK hynix", 0x1d0f: "Amazon", 0x14e4: "Broadcom", 0x1077: "QLogic", 0x1924: "Solarflare", 0x19e5: "Huawei",
};

const powerStates: ValueStrings = { 0: "PowerDeviceUnspecified", 1: "D0", 2: "D1", 3: "D2", 4: "D3" };
const resourceTypes: ValueStrings = {
  0: "Null", 1: "Port", 2: "Interrupt", 3: "Memory", 4: "DMA", 5: "DeviceSpecific", 6: "BusNumber", 7: "MemoryLarge",
};
const deliveryModes: ValueStrings = { 0: "Fixed", 1: "LowestPriority" };

const msg = (name: string, key: string, fields: Field[], extra: Partial<StructDescription> = {}): StructDescription =>
  ({ name, key, prefix: P, label: name, fields, ...extra });

/** §14.3 wslot: device bits 0–4, function bits 5–7, reserved 8–31. */
const slotFields = (label = "Slot (wslot)"): ScalarField[] => [
  hex("u32")("slot", label, { shared: true, filter: "vpci.slot" }),
  u32("slot_device", "Device", { mask: 0x1f, shared: true, filter: "vpci.slot.device" }),
  u32("slot_function", "Function", { mask: 0xe0, shared: true, filter: "vpci.slot.function" }),
  hex("u32")("slot_reserved", "Reserved", { mask: 0xffffff00, filter: "vpci.slot.reserved" }),
];
const slotInfo = "slot {slot.device:raw}.{slot.function:raw}";
const status = enumOf("u32", vpciStatus)("status", "Status (NTSTATUS)", { base: "hex" });
const rest = (key: string, label: string): Field => bytes(key, label, "rest", { when: hasBytes(1) });

// §14.4
const deviceFields = (): Field[] => [
  hex("u16")("vendor_id", "Vendor id", { values: pciVendors }),
  hex("u16")("device_id", "Device id"),
  hex("u8")("revision_id", "Revision id"),
  hex("u8")("prog_if", "Programming interface"),
  hex("u8")("sub_class", "Subclass"),
  hex("u8")("base_class", "Base class"),
  hex("u16")("subsystem_vendor_id", "Subsystem vendor id", { values: pciVendors }),
  hex("u16")("subsystem_id", "Subsystem id"),
  ...slotFields(),
  hex("u32")("serial_number", "Serial number (Linux: slot name)"),
];
/** A function's "vendor:device" id and its name: the device's own, else its vendor's, as generated fields. */
const pciId = add(mul(ref("vendor_id"), 0x10000), ref("device_id"));
const deviceNames: Field[] = [
  computedText("pci_id", "PCI id (vendor:device)", join(digits(ref("vendor_id"), 16, 4), ":", digits(ref("device_id"), 16, 4))),
  computedText("device_name", "Device name", textIf(known(pciDeviceNames, pciId), nameIn(pciDeviceNames, pciId),
    textIf(known(pciVendors, ref("vendor_id")), join(nameIn(pciVendors, ref("vendor_id")), " device"), "unknown device"))),
];
const deviceInfo = "{pci_id:raw} ({device_name:raw})";
const functionDescription: StructDescription = {
  name: "FunctionDescription", key: "function", prefix: `${P}.dev`, label: "Function", size: 20, fields: [...deviceFields(), ...deviceNames],
  info: deviceInfo,
};
const functionDescription2: StructDescription = {
  name: "FunctionDescription2", key: "function2", prefix: `${P}.dev`, label: "Function (v2)", size: 28,
  fields: [
    ...deviceFields(),
    flagsOf("u32", [{ mask: 1, key: "numa_valid", label: "NUMA affinity valid" }])("dev_flags", "Flags"),
    u16("virtual_numa_node", "Virtual NUMA node"),
    hex("u16")("reserved2", "Reserved"),
    ...deviceNames,
  ],
  info: deviceInfo,
};
const busRelations = (name: string, key: string, element: StructDescription) => msg(name, key, [
  u32("device_count", "Function count"),
  array("devices", "Functions", element, { count: ref("device_count") }),
], {
  info: "{device_count:raw} device(s)",
  effects: [{ set: "channel.vpci.function_count", value: ref("device_count") }],
});

// §14.10 partial resource descriptor (20 bytes).
const resourceDescriptor: StructDescription = {
  name: "PartialResourceDescriptor", key: "resource", prefix: `${P}.res`, label: "Partial resource descriptor (BAR)", size: 20,
  fields: [
    enumOf("u8", resourceTypes)("res_type", "Type"),
    u8("share_disposition", "Share disposition"),
    flagsOf("u16", [
      { mask: 0x0001, key: "read_only", label: "CM_RESOURCE_MEMORY_READ_ONLY" }, { mask: 0x0002, key: "write_only", label: "CM_RESOURCE_MEMORY_WRITE_ONLY" },
      { mask: 0x0004, key: "prefetchable", label: "CM_RESOURCE_MEMORY_PREFETCHABLE" }, { mask: 0x0008, key: "combined_write", label: "CM_RESOURCE_MEMORY_COMBINEDWRITE" },
      { mask: 0x0200, key: "large_40", label: "CM_RESOURCE_MEMORY_LARGE_40" }, { mask: 0x0400, key: "large_48", label: "CM_RESOURCE_MEMORY_LARGE_48" },
      { mask: 0x0800, key: "large_64", label: "CM_RESOURCE_MEMORY_LARGE_64" },
    ])("res_flags", "Flags"),
    hex("u64")("start", "Start (physical address)"),
    u32("length", "Length (large types: scaled by the size class)"),
    hex("u32")("res_extra", "Padding / second half of the union"),
  ],
};
const resources = array("mmio_resources", "Resources (one per BAR)", resourceDescriptor, { count: 6 });

// §14.11 MSI descriptors.
const processorEntry: StructDescription = { name: "Processor", key: "processor_entry", prefix: `${P}.msi`, size: 2, fields: [u16("processor", "Processor (VP number)")] };
const processorArray = array("processor_array", "Processor array (32 entries)", processorEntry, { count: 32 });
export const msiV1: StructDescription = {
  name: "MsiDescriptor", key: "msi_desc", prefix: `${P}.msi`, label: "MSI descriptor (v1)", size: 16,
  fields: [
    hex("u8")("vector", "Vector"), enumOf("u8", deliveryModes)("delivery_mode", "Delivery mode"), u16("vector_count", "Vector count"),
    hex("u32")("msi_reserved", "Reserved"), hex("u64")("processor_mask", "Processor mask"),
  ],
  info: "vector {vector} x{vector_count:raw}",
};
export const msiV2: StructDescription = {
  name: "MsiDescriptor2", key: "msi_desc2", prefix: `${P}.msi`, label: "MSI descriptor (v2)",
  fields: [
    hex("u8")("vector", "Vector"), enumOf("u8", deliveryModes)("delivery_mode", "Delivery mode"), u16("vector_count", "Vector count"),
    u16("processor_count", "Processor count"), processorArray,
    hex("u16")("msi_reserved16", "Reserved (OVMM; absent in Linux's packed form)", { when: hasBytes(2) }),
  ],
  minSize: 70,
  checks: [{ fails: gt(ref("processor_count"), 32), field: "processor_count", text: "processor count {processor_count:raw} is beyond the 32-entry array" }],
  info: "vector {vector} x{vector_count:raw}",
};
export const msiV3: StructDescription = {
  name: "MsiDescriptor3", key: "msi_desc3", prefix: `${P}.msi`, label: "MSI descriptor (v3)",
  fields: [
    hex("u32")("vector32", "Vector (32-bit)"), enumOf("u8", deliveryModes)("delivery_mode", "Delivery mode"), hex("u8")("msi_reserved8", "Reserved"),
    u16("vector_count", "Vector count"), u16("processor_count", "Processor count"), processorArray,
    hex("u16")("msi_reserved16", "Reserved (OVMM; absent in Linux's packed form)", { when: hasBytes(2) }),
  ],
  minSize: 74,
  checks: [{ fails: gt(ref("processor_count"), 32), field: "processor_count", text: "processor count {processor_count:raw} is beyond the 32-entry array" }],
  info: "vector {vector32} x{vector_count:raw}",
};
/** §14.10 remapped MSI (16 bytes). */
export const remappedMsi: StructDescription = {
  name: "RemappedMsi", key: "remapped", prefix: `${P}.int`, label: "Remapped MSI", size: 16,
  fields: [
    hex("u16")("int_reserved", "Reserved"), u16("message_count", "Vector count"), hex("u32")("data", "MSI data"), hex("u64")("address", "MSI address"),
  ],
  info: "address {address} data {data}",
};

/** Resource-message MSI entries: a descriptor padded to the stride (requests) or a remapped MSI padded (replies). */
const entry = (name: string, key: string, size: number, inner: StructDescription, innerSize: number): StructDescription => ({
  name, key, prefix: `${P}.msi_entry`, label: name, size,
  fields: [struct("descriptor", inner.label ?? inner.name, inner, { length: innerSize }), bytes("entry_padding", "Padding", size - innerSize)],
});
const msiEntries: Record<number, StructDescription> = {
  0x10: entry("MsiEntry", "entry_v1", 16, msiV1, 16),
  0x16: entry("MsiEntry2", "entry_v2", 72, msiV2, 72),
  0x1a: entry("MsiEntry3", "entry_v3", 80, msiV3, 76),
};
const remappedEntries: Record<number, StructDescription> = {
  16: entry("RemappedEntry", "remapped_v1", 16, remappedMsi, 16),
  72: entry("RemappedEntry2", "remapped_v2", 72, remappedMsi, 16),
};

const assignedResources = (name: string, key: string, element: StructDescription) => msg(name, key, [
  ...slotFields(), resources,
  u32("msi_resource_count", "MSI resource count"), hex("u32")("msi_count_reserved", "Reserved (alignment)"),
  array("msi_resources", "MSI resources", element, { count: ref("msi_resource_count") }),
  rest("trailing", "Trailing bytes (Linux's fixed-size variant)"),
], { info: `${slotInfo}, {msi_resource_count:raw} MSI` });

const createInterrupt = (name: string, key: string, descriptor: StructDescription) => msg(name, key, [
  ...slotFields(), struct("descriptor", descriptor.label ?? descriptor.name, descriptor),
], { info: `${slotInfo}` });

const notPublic = (name: string, key: string) => msg(name, key, [rest("body_data", "Body (layout not public)")], { info: "(layout not public)" });
const slotOnly = (name: string, key: string) => msg(name, key, slotFields(), { info: slotInfo });
const empty = (name: string, key: string) => msg(name, key, []);

/** In-band messages (requests and notifications), by n = type − 0x42490000. */
const bodies: Record<number, StructDescription> = {
  0x00: busRelations("BusRelations", "bus_relations", functionDescription),
  0x01: empty("QueryBusRelations", "query_bus_relations"),
  0x02: notPublic("InvalidateDevice", "invalidate_device"),
  0x03: notPublic("InvalidateBus", "invalidate_bus"),
  0x04: msg("DevicePowerStateChange", "power_change", [
    ...slotFields(), enumOf("u32", powerStates)("target_state", "Target state"), hex("u32")("power_reserved", "Reserved (Linux only)", { when: hasBytes(4) }),
  ], { info: `${slotInfo} {target_state}` }),
  0x05: slotOnly("CurrentResourceRequirements", "query_requirements"),
  0x06: msg("GetResources", "get_resources", [...slotFields(), bytes("get_reserved", "Reserved (u64[3])", 24, { when: hasBytes(24) })], { info: slotInfo }),
  0x07: msg("FdoD0Entry", "d0_entry", [hex("u32")("d0_reserved", "Reserved"), hex("u64")("mmio_base", "MMIO base (2-page config window)")], {
    info: "MMIO {mmio_base}",
  }),
  0x08: empty("FdoD0Exit", "d0_exit"),
  0x09: msg("ReadBlock", "read_block", [u32("block_id", "Block id"), ...slotFields(), u32("bytes_requested", "Bytes requested", { unit: "bytes" })], {
    info: `block {block_id:raw} ${slotInfo} {bytes_requested:raw} bytes`,
    checks: [{ fails: gt(ref("bytes_requested"), 128), field: "bytes_requested", text: "{bytes_requested:raw} bytes requested, beyond the 128-byte block maximum" }],
  }),
  0x0a: msg("WriteBlock", "write_block", [
    u32("block_id", "Block id"), ...slotFields(), u32("byte_count", "Byte count", { unit: "bytes" }), bytes("block_data", "Data", ref("byte_count")),
    rest("trailing", "Trailing bytes (Linux appends 4 zero bytes)"),
  ], {
    info: `block {block_id:raw} ${slotInfo} {byte_count:raw} bytes`,
    checks: [{ fails: gt(ref("byte_count"), 128), field: "byte_count", text: "byte count {byte_count:raw} is beyond the 128-byte block maximum" }],
  }),
  0x0b: slotOnly("Eject", "eject"),
  0x0c: notPublic("QueryStop", "query_stop"),
  0x0d: notPublic("ReEnable", "re_enable"),
  0x0e: notPublic("QueryStopFailed", "query_stop_failed"),
  0x0f: msg("EjectComplete", "eject_complete", [...slotFields(), status], { info: `${slotInfo} {status}` }),
  0x10: assignedResources("AssignedResources", "assigned_resources", msiEntries[0x10]),
  0x11: slotOnly("ReleaseResources", "release_resources"),
  0x12: msg("InvalidateBlock", "invalidate_block", [...slotFields(), hex("u64")("block_mask", "Block mask (bit n = block n is stale)")], {
    info: `${slotInfo} mask {block_mask}`,
  }),
  0x13: msg("QueryProtocolVersion", "query_version", [
    enumOf("u32", vpciVersions)("protocol_version", "Protocol version", { base: "hex" }),
    flagsOf("u32", [{ mask: 1, key: "is_last_attempt", label: "Last attempt" }])("version_bits", "Flags (FreeBSD only)", { when: hasBytes(4) }),
  ], { info: "{protocol_version}" }),
  0x14: createInterrupt("CreateInterrupt", "create_interrupt", msiV1),
  0x15: msg("DeleteInterrupt", "delete_interrupt", [...slotFields(), struct("remapped", "Remapped MSI being released", remappedMsi)], { info: slotInfo }),
  0x16: assignedResources("AssignedResources2", "assigned_resources2", msiEntries[0x16]),
  0x17: createInterrupt("CreateInterrupt2", "create_interrupt2", msiV2),
  0x18: msg("DeleteInterrupt2", "delete_interrupt2", [...slotFields(), struct("remapped", "Remapped MSI being released", remappedMsi)], { info: slotInfo }),
  0x19: busRelations("BusRelations2", "bus_relations2", functionDescription2),
  0x1a: assignedResources("AssignedResources3", "assigned_resources3", msiEntries[0x1a]),
  0x1b: createInterrupt("CreateInterrupt3", "create_interrupt3", msiV3),
  0x1c: slotOnly("ResetDevice", "reset_device"),
  0x1d: msg("TdispCommand", "tdisp_command", [
    ...slotFields(), u64("data_length", "Data length", { unit: "bytes" }), bytes("tdisp_data", "Serialized TDISP command (not decoded)", ref("data_length")),
  ], { info: `${slotInfo} {data_length:raw} bytes` }),
};

const unknownBody = msg("Unknown", "unknown", [rest("body_data", "Body")]);

const byN = (table: Record<number, StructDescription>): Record<number, StructDescription> =>
  Object.fromEntries(Object.entries(table).map(([n, d]) => [VPCI_BASE + Number(n), d]));

export const vpciMessage: StructDescription = {
  name: "VpciMessage", key: "message", prefix: P, label: "vPCI message",
  fields: [
    enumOf("u32", vpciTypes)("msg_type", "Message type", { base: "hex" }),
    choice("body", "Body", ref("msg_type"), byN(bodies), { default: unknownBody }),
    rest("padding", "Padding"),
  ],
  minSize: 4,
  info: "{msg_type}",
  checks: [{ fails: ne(bitAnd(ref("msg_type"), 0xffff0000), VPCI_BASE), field: "msg_type", text: "message type {msg_type:raw} is not a vPCI message (0x4249xxxx)" }],
  // A request with completion requested waits for its completion; what its reply layout needs goes along
  // (the body's values are not visible here, so they are peeked at their offsets).
  pairing: {
    namespace: P, role: "request", id: ref("trans_id"), when: and(ne(ref("type"), COMPLETION), bitSet("flags", 1)),
    keep: {
      msg_type: ref("msg_type"),
      version: mux(eq(ref("msg_type"), VPCI_BASE + 0x13), peek("u32", 4), -1),
      bytes_requested: mux(eq(ref("msg_type"), VPCI_BASE + 0x09), peek("u32", 12), -1),
    },
    text: "{msg_type}",
  },
};

// Replies (completion payloads), chosen by the request's message type.
const reply = (name: string, key: string, fields: Field[], extra: Partial<StructDescription> = {}): StructDescription =>
  ({ name, key: `${key}_reply`, prefix: `${P}.reply`, label: name, fields, ...extra });
const statusOnly = (name: string, key: string) => reply(name, key, [status], { info: "{status}" });

const probedBar: StructDescription = { name: "ProbedBar", key: "probed_bar_entry", prefix: `${P}.reply`, size: 4, fields: [hex("u32")("probed_bar", "Probed BAR (size mask)")] };
const assignedReply = (name: string, key: string, element: StructDescription) => reply(name, key, [
  status, ...slotFields(), resources,
  u32("msi_resource_count", "MSI resource count"), hex("u32")("msi_count_reserved", "Reserved (alignment)"),
  array("msi_resources", "Remapped MSI resources", element, { count: ref("msi_resource_count") }),
], { info: "{status} {msi_resource_count:raw} MSI" });
const createInterruptReply = reply("CreateInterruptReply", "create_interrupt", [status, hex("u32")("reply_reserved", "Reserved"), struct("remapped", "Remapped MSI", remappedMsi)], {
  info: "{status}",
});
const readLength: Expr = mux(or(isUnknown(state(REQUEST_BYTES)), lt(state(REQUEST_BYTES), 0)), remaining, min(remaining, state(REQUEST_BYTES)));

const replies: Record<number, StructDescription> = {
  0x01: reply("QueryBusRelationsReply", "query_bus_relations", [status].map((f) => ({ ...f, when: hasBytes(4) }))),
  0x04: reply("DevicePowerStateChangeReply", "power_change", [
    status, ...slotFields().map((f) => ({ ...f, when: hasBytes(4) })),
    enumOf("u32", powerStates)("resultant_state", "Resultant state", { when: hasBytes(4) }), hex("u32")("power_reserved", "Reserved", { when: hasBytes(4) }),
  ], { info: "{status}" }),
  0x05: reply("ResourceRequirementsReply", "requirements", [status, array("probed_bars", "Probed BARs", probedBar, { count: 6 })], { info: "{status}" }),
  0x06: reply("GetResourcesReply", "get_resources", [
    u16("list_version", "Version"), u16("list_revision", "Revision"), u32("list_count", "Descriptor count"),
    array("descriptors", "Descriptors", resourceDescriptor, { count: ref("list_count") }),
  ], { info: "{list_count:raw} descriptors (OVMM layout; no status)" }),
  0x07: reply("FdoD0EntryReply", "d0_entry", [status, hex("u32")("reply_reserved", "Padding", { when: hasBytes(4) })], { info: "{status}" }),
  0x08: statusOnly("FdoD0ExitReply", "d0_exit"),
  0x09: reply("ReadBlockReply", "read_block", [status, bytes("block_data", "Data", readLength, { when: hasBytes(1) })], { info: "{status} {block_data:len} bytes" }),
  0x0a: statusOnly("WriteBlockReply", "write_block"),
  0x0f: statusOnly("EjectCompleteReply", "eject_complete"),
  0x10: assignedReply("AssignedResourcesReply", "assigned_resources", remappedEntries[16]),
  0x11: statusOnly("ReleaseResourcesReply", "release_resources"),
  0x13: reply("QueryProtocolVersionReply", "query_version", [status, enumOf("u32", vpciVersions)("protocol_version", "Host's protocol version", { base: "hex", when: hasBytes(4) })], {
    info: "{status}",
    effects: [{ set: VERSION_STATE, value: state(REQUEST_VERSION), when: and(eq(ref("status"), 0), not(isUnknown(state(REQUEST_VERSION)))), negotiated: vpciVersions }],
  }),
  0x14: createInterruptReply, 0x17: createInterruptReply, 0x1b: createInterruptReply,
  0x15: statusOnly("DeleteInterruptReply", "delete_interrupt"),
  0x16: assignedReply("AssignedResources2Reply", "assigned_resources2", remappedEntries[72]),
  0x18: statusOnly("DeleteInterrupt2Reply", "delete_interrupt2"),
  0x1a: assignedReply("AssignedResources3Reply", "assigned_resources3", remappedEntries[72]),
  0x1c: statusOnly("ResetDeviceReply", "reset_device"),
  0x1d: reply("TdispReply", "tdisp", [
    status, ...slotFields(), u64("data_length", "Data length", { unit: "bytes" }), bytes("tdisp_data", "Serialized TDISP response (not decoded)", ref("data_length")),
  ], { info: "{status}" }),
};
/** Reply layouts by the full message type of the request they answer. */
export const vpciReplies: Record<number, StructDescription> = byN(replies);
/** In-band message bodies by full message type. */
export const vpciBodies: Record<number, StructDescription> = byN(bodies);

const unpairedReply = reply("UnpairedReply", "unpaired", [status, rest("reply_data", "Reply data (request not seen)")], { info: "{status}" });

registerField({ filter: "vpci.request_type", label: "Request message type", kind: "uint", width: 4, base: "hex", values: vpciTypes });

/** Zero bytes long: before the reply layout is chosen, a completion finds its request by transaction id. */
const pairingNode: StructDescription = {
  name: "Pairing", key: "pairing", prefix: P, label: "Request/response", fields: [],
  pairing: {
    namespace: P, role: "response", id: ref("trans_id"),
    show: { msg_type: "vpci.request_type" }, state: ["msg_type", "version", "bytes_requested"], say: "for {answers}",
  },
};

export const vpciCompletion: StructDescription = {
  name: "VpciCompletion", key: "completion", prefix: P, label: "vPCI completion",
  fields: [
    struct("pairing", "Request/response", pairingNode),
    choice("reply", "Reply", mux(isUnknown(state(REQUEST_TYPE)), -1, state(REQUEST_TYPE)), byN(replies), { default: unpairedReply }),
    rest("padding", "Padding"),
  ],
  info: "COMPLETION",
};

export const vpciPacket: StructDescription = {
  name: "Vpci", key: "packet", prefix: P, label: "vPCI",
  fields: [
    struct("message", "Message", vpciMessage, { when: ne(ref("type"), COMPLETION) }),
    struct("completion", "Completion", vpciCompletion, { when: eq(ref("type"), COMPLETION) }),
  ],
  info: "vPCI",
};

export const vpciProtocol: ProtocolDescription = { name: "vpci", short: "vPCI", label: "vPCI (PCI pass-through)", root: vpciPacket, messageType: ["vpci.msg_type"] };
