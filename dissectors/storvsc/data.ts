// SCSI data buffers (net-storage.md C3 and C2 parameter lists): the guest pages of an EXECUTE_SRB,
// attached to the record as source-2 chunks. Their meaning comes from the request's CDB, so each is
// registered in table "vscsi.data" under a key made of the opcode and what selects the layout.

import {
  add, array, ascii, bitAnd, bytes, choice, computed, enumOf, flagsOf, hasBytes, hex, min, mul, ne, ref, remaining, struct, structSize, sub, u16be, u32be, u64be, u8,
} from "../describe/dsl.js";
import type { Expr, StructDescription } from "../describe/types.js";

const div = (a: Expr, b: Expr): Expr => ({ op: "/", a, b });
import { associationType, inquiryVersions, modePageByte, peripheral, protocolCodeSet, vpdPages } from "./names.js";
import { senseRoot } from "./sense.js";

const P = "vscsi";

/** Table key: opcode × 0x1000 + selector (INQUIRY: 0x100 + VPD page when EVPD; 0x9E/0xA3/0x5E: service action). */
export const dataKey = (opcode: number, selector = 0): number => opcode * 0x1000 + selector;

const peripheralByte = enumOf("u8", peripheral)("peripheral", "Peripheral qualifier / device type", { base: "hex" });

export const inquiryData: StructDescription = {
  name: "InquiryData", key: "inquiry_data", prefix: `${P}.inq`, label: "Standard INQUIRY data",
  fields: [
    peripheralByte,
    flagsOf("u8", [{ mask: 0x80, key: "rmb", label: "RMB (removable)" }])("rmb", "RMB"),
    enumOf("u8", inquiryVersions)("version", "Version", { base: "hex" }),
    flagsOf("u8", [{ mask: 0x20, key: "normaca", label: "NORMACA" }, { mask: 0x10, key: "hisup", label: "HISUP" }])("format", "Flags / response data format (bits 3-0)"),
    u8("additional_length", "Additional length (n - 5)", { unit: "bytes" }),
    flagsOf("u8", [
      { mask: 0x80, key: "sccs", label: "SCCS" }, { mask: 0x40, key: "acc", label: "ACC" }, { mask: 0x20, key: "tpgs1", label: "TPGS bit 1" },
      { mask: 0x10, key: "tpgs0", label: "TPGS bit 0" }, { mask: 0x08, key: "3pc", label: "3PC" }, { mask: 0x01, key: "protect", label: "PROTECT" },
    ])("flags5", "Flags (byte 5)"),
    flagsOf("u8", [{ mask: 0x40, key: "encserv", label: "ENCSERV" }, { mask: 0x10, key: "multip", label: "MULTIP" }])("flags6", "Flags (byte 6)"),
    flagsOf("u8", [{ mask: 0x02, key: "cmdque", label: "CMDQUE" }])("flags7", "Flags (byte 7)"),
    ascii("vendor", "T10 vendor id", 8),
    ascii("product", "Product id", 16),
    ascii("revision", "Product revision", 4),
    bytes("vendor_specific", "Vendor specific", 20, { when: hasBytes(20) }),
    bytes("reserved56", "Reserved", 2, { when: hasBytes(2) }),
    array("version_descriptors", "Version descriptors", { name: "VersionDescriptor", key: "version_descriptor_entry", prefix: `${P}.inq`, size: 2, fields: [hex("u16be")("version_descriptor", "Version descriptor")] }, { count: min(8, div(remaining, 2)), when: hasBytes(2) }),
    bytes("rest", "Further bytes", "rest", { when: hasBytes(1) }),
  ],
  minSize: 36,
  info: "{vendor} {product} {revision}",
};

/** C3.2: every VPD page starts with this header; the page itself is page_length bytes. */
const vpdHeader = [
  peripheralByte,
  enumOf("u8", vpdPages)("page_code", "Page code", { base: "hex" }),
  u16be("page_length", "Page length", { unit: "bytes" }),
];
const vpd = (name: string, key: string, fields: StructDescription["fields"], info?: string): StructDescription => ({
  name, key, prefix: `${P}.vpd`, label: `VPD page: ${name}`,
  fields: [...vpdHeader, struct("page", "Page", { name: `${name}Body`, key: `${key}_body`, prefix: `${P}.vpd`, label: name, fields }, { length: ref("page_length") })],
  minSize: 4,
  info,
});

const supportedPage: StructDescription = { name: "SupportedPage", key: "supported_page", prefix: `${P}.vpd`, size: 1, fields: [enumOf("u8", vpdPages)("supported", "Supported page", { base: "hex" })] };
export const vpdSupported = vpd("Supported VPD pages", "supported", [array("pages", "Pages", supportedPage)], "supported pages");
export const vpdSerial = vpd("Unit serial number", "serial", [ascii("serial", "Serial number", "rest")], "serial {serial:raw}");

const designator: StructDescription = {
  name: "Designator", key: "designation", prefix: `${P}.vpd.desig`, label: "Designation descriptor",
  fields: [
    enumOf("u8", protocolCodeSet)("code_set", "Protocol identifier / code set", { base: "hex" }),
    enumOf("u8", associationType)("type", "PIV / association / designator type", { base: "hex" }),
    hex("u8")("reserved", "Reserved"),
    u8("length", "Designator length", { unit: "bytes" }),
    bytes("designator", "Designator", ref("length")),
  ],
};
export const vpdDeviceId = vpd("Device identification", "devid", [array("designators", "Designation descriptors", designator)], "device identification");

export const vpdBlockLimits = vpd("Block limits", "limits", [
  flagsOf("u8", [{ mask: 1, key: "wsnz", label: "WSNZ" }])("wsnz", "WSNZ"),
  u8("max_compare_write", "Maximum COMPARE AND WRITE length", { unit: "blocks" }),
  u16be("opt_granularity", "Optimal transfer length granularity", { unit: "blocks" }),
  u32be("max_transfer", "Maximum transfer length", { unit: "blocks" }),
  u32be("opt_transfer", "Optimal transfer length", { unit: "blocks" }),
  u32be("max_prefetch", "Maximum prefetch length", { unit: "blocks" }),
  u32be("max_unmap_lba", "Maximum UNMAP LBA count", { unit: "blocks", when: hasBytes(4) }),
  u32be("max_unmap_descriptors", "Maximum UNMAP block descriptor count", { when: hasBytes(4) }),
  u32be("unmap_granularity", "Optimal UNMAP granularity", { unit: "blocks", when: hasBytes(4) }),
  hex("u32be")("unmap_alignment", "UGAVALID (bit 31) / UNMAP granularity alignment", { when: hasBytes(4) }),
  u64be("max_write_same", "Maximum WRITE SAME length", { unit: "blocks", when: hasBytes(8) }),
  u32be("max_atomic", "Maximum atomic transfer length", { when: hasBytes(4) }),
  u32be("atomic_alignment", "Atomic alignment", { when: hasBytes(4) }),
  u32be("atomic_granularity", "Atomic transfer length granularity", { when: hasBytes(4) }),
  bytes("reserved", "Reserved", "rest", { when: hasBytes(1) }),
], "block limits: max transfer {max_transfer:raw}");

export const vpdCharacteristics = vpd("Block device characteristics", "characteristics", [
  u16be("rotation_rate", "Medium rotation rate", { values: { 0: "not reported", 1: "non-rotating (solid state)" } }),
  hex("u8")("product_type", "Product type"),
  hex("u8")("form_factor", "Nominal form factor (bits 3-0)"),
  bytes("rest", "Page bytes", "rest", { when: hasBytes(1) }),
]);

export const vpdProvisioning = vpd("Logical block provisioning", "provisioning", [
  u8("threshold_exponent", "Threshold exponent"),
  flagsOf("u8", [
    { mask: 0x80, key: "lbpu", label: "LBPU" }, { mask: 0x40, key: "lbpws", label: "LBPWS" }, { mask: 0x20, key: "lbpws10", label: "LBPWS10" },
    { mask: 0x04, key: "lbprz", label: "LBPRZ" }, { mask: 0x02, key: "anc_sup", label: "ANC_SUP" }, { mask: 0x01, key: "dp", label: "DP" },
  ])("flags", "Flags"),
  u8("provisioning_type", "Provisioning type (bits 2-0)", { values: { 0: "not reported", 1: "resource provisioned", 2: "thin provisioned" } }),
  bytes("rest", "Page bytes", "rest", { when: hasBytes(1) }),
]);

export const vpdMsftPaging = vpd("Microsoft paging extent properties", "msft_paging", [
  u8("msft_version", "Version"), flagsOf("u8", [{ mask: 1, key: "mode_select_extension", label: "ModeSelectExtension" }])("msft_flags", "Flags"),
  bytes("rest", "Page bytes", "rest", { when: hasBytes(1) }),
]);
export const vpdMsftVirtual = vpd("Microsoft virtual device properties", "msft_virtual", [
  u8("msft_version", "Version"),
  flagsOf("u8", [{ mask: 1, key: "lbprz", label: "LBPRZ" }, { mask: 2, key: "disable_io_retries", label: "DisableIoRetries" }, { mask: 4, key: "spaces", label: "Spaces" }])("msft_virtual_flags", "Flags"),
  bytes("reserved", "Reserved", 2, { when: hasBytes(2) }),
  bytes("signature", "Signature (GUID)", 16, { when: hasBytes(16) }),
  bytes("rest", "Page bytes", "rest", { when: hasBytes(1) }),
]);
export const vpdOther = vpd("VPD page", "other", [bytes("rest", "Page bytes", "rest")]);

/** Blocks and bytes from the last LBA (READ CAPACITY(10) says 0xFFFFFFFF when the disk is too large for it). */
const capacity = (lastLba: Expr) => [
  computed("u64")("blocks", "Number of blocks", add(lastLba, 1), { when: ne(lastLba, 0xffffffff) }),
  computed("u64")("bytes", "Capacity", mul(add(lastLba, 1), ref("block_length")), { when: ne(lastLba, 0xffffffff), unit: "bytes" }),
];

export const readCapacity10Data: StructDescription = {
  name: "ReadCapacity10Data", key: "capacity10", prefix: `${P}.cap`, label: "READ CAPACITY(10) data",
  fields: [u32be("last_lba", "Last logical block address"), u32be("block_length", "Block length", { unit: "bytes" }), ...capacity(ref("last_lba"))],
  minSize: 8,
  info: "{blocks:raw} blocks of {block_length:raw} bytes, {bytes}",
};

export const readCapacity16Data: StructDescription = {
  name: "ReadCapacity16Data", key: "capacity16", prefix: `${P}.cap`, label: "READ CAPACITY(16) data",
  fields: [
    u64be("last_lba64", "Last logical block address"),
    u32be("block_length", "Block length", { unit: "bytes" }),
    flagsOf("u8", [{ mask: 0x01, key: "prot_en", label: "PROT_EN" }])("protection", "RC_BASIS (5-4) / P_TYPE (3-1) / PROT_EN"),
    hex("u8")("exponents", "P_I_EXPONENT (7-4) / logical blocks per physical block exponent (3-0)"),
    hex("u16be")("lowest_aligned", "LBPME (15) / LBPRZ (14) / lowest aligned LBA (13-0)"),
    bytes("reserved", "Reserved", 16, { when: hasBytes(16) }),
    ...capacity(ref("last_lba64")),
  ],
  minSize: 12,
  info: "{blocks:raw} blocks of {block_length:raw} bytes, {bytes}",
};

const cachingPage: StructDescription = {
  name: "CachingPage", key: "caching", prefix: `${P}.mode.caching`, label: "Caching page",
  fields: [
    flagsOf("u8", [
      { mask: 0x80, key: "ic", label: "IC" }, { mask: 0x40, key: "abpf", label: "ABPF" }, { mask: 0x20, key: "cap", label: "CAP" },
      { mask: 0x10, key: "disc", label: "DISC" }, { mask: 0x08, key: "size", label: "SIZE" }, { mask: 0x04, key: "wce", label: "WCE (write cache enable)" },
      { mask: 0x02, key: "mf", label: "MF" }, { mask: 0x01, key: "rcd", label: "RCD (read cache disable)" },
    ])("flags", "Flags"),
    bytes("rest", "Further bytes", "rest", { when: hasBytes(1) }),
  ],
};
const rawPage: StructDescription = { name: "ModePageBytes", key: "page_bytes", prefix: `${P}.mode`, fields: [bytes("page_data", "Page data", "rest")] };

const pageBody = (length: Expr) => struct("body", "Page", {
  name: "ModePageBody", key: "body", prefix: `${P}.mode`, label: "Page",
  fields: [choice("layout", "Page", bitAnd(ref("page_code"), 0x3f), { 8: cachingPage }, { default: rawPage })],
}, { length });

/** SPF = 0: one-byte page length; SPF = 1: subpage code and a two-byte length. */
const shortPage: StructDescription = {
  name: "PageFormat", key: "page_0", prefix: `${P}.mode`, label: "Page format",
  fields: [u8("page_length", "Page length", { unit: "bytes" }), pageBody(ref("page_length"))],
};
const subPage: StructDescription = {
  name: "SubpageFormat", key: "subpage_format", prefix: `${P}.mode`, label: "Subpage format",
  fields: [hex("u8")("subpage", "Subpage code"), u16be("page_length16", "Page length", { unit: "bytes" }), pageBody(ref("page_length16"))],
};

const modePage: StructDescription = {
  name: "ModePage", key: "page", prefix: `${P}.mode`, label: "Mode page",
  fields: [
    flagsOf("u8", [{ mask: 0x80, key: "ps", label: "PS" }, { mask: 0x40, key: "spf", label: "SPF (subpage format)" }])("page_code", "Page code", { values: modePageByte }),
    choice("format", "Format", bitAnd(ref("page_code"), 0x40), { 0: shortPage, 0x40: subPage }),
  ],
  info: undefined,
};

const blockDescriptor: StructDescription = {
  name: "BlockDescriptor", key: "block_descriptor", prefix: `${P}.mode.bd`, label: "Block descriptor", size: 8,
  fields: [hex("u8")("density", "Density code"), { kind: "scalar", type: "u24be", key: "blocks", label: "Number of blocks" }, hex("u8")("reserved", "Reserved"), { kind: "scalar", type: "u24be", key: "block_length", label: "Block length", unit: "bytes" }],
};

const modePages = (key: string) => ({ name: "ModePages", key, prefix: `${P}.mode`, label: "Mode pages", fields: [array("pages", "Mode pages", modePage)] });
const deviceSpecific = flagsOf("u8", [{ mask: 0x80, key: "wp", label: "WP (write protected)" }, { mask: 0x10, key: "dpofua", label: "DPOFUA" }])("device_specific", "Device-specific parameter");

export const modeData6: StructDescription = {
  name: "ModeParameters6", key: "mode6", prefix: `${P}.mode`, label: "Mode parameters (6-byte header)",
  fields: [
    u8("mode_data_length", "Mode data length (n - 1)", { unit: "bytes" }),
    hex("u8")("medium_type", "Medium type"), deviceSpecific,
    u8("block_descriptor_length", "Block descriptor length", { unit: "bytes" }),
    array("block_descriptors", "Block descriptors", blockDescriptor, { count: div(ref("block_descriptor_length"), 8) }),
    struct("pages_region", "Mode pages", modePages("pages6"), { length: sub(sub(add(ref("mode_data_length"), 1), 4), ref("block_descriptor_length")) }),
  ],
  minSize: 4,
  info: "{pages:raw} mode pages",
};
export const modeData10: StructDescription = {
  name: "ModeParameters10", key: "mode10", prefix: `${P}.mode`, label: "Mode parameters (10-byte header)",
  fields: [
    u16be("mode_data_length16", "Mode data length (n - 2)", { unit: "bytes" }),
    hex("u8")("medium_type", "Medium type"), deviceSpecific,
    flagsOf("u8", [{ mask: 1, key: "longlba", label: "LONGLBA" }])("longlba", "LONGLBA"), hex("u8")("reserved", "Reserved"),
    u16be("block_descriptor_length16", "Block descriptor length", { unit: "bytes" }),
    array("block_descriptors", "Block descriptors", blockDescriptor, { count: div(ref("block_descriptor_length16"), 8) }),
    struct("pages_region", "Mode pages", modePages("pages10"), { length: sub(sub(add(ref("mode_data_length16"), 2), 8), ref("block_descriptor_length16")) }),
  ],
  minSize: 8,
  info: "{pages:raw} mode pages",
};

const lunEntry: StructDescription = {
  name: "Lun", key: "lun_entry", prefix: `${P}.luns`, label: "LUN", size: 8,
  fields: [hex("u8")("address_method", "Address method (bits 7-6) / bus"), u8("lun", "LUN"), bytes("rest", "Further levels", 6)],
  info: undefined,
};
export const reportLunsData: StructDescription = {
  name: "ReportLunsData", key: "report_luns", prefix: `${P}.luns`, label: "REPORT LUNS data",
  fields: [
    u32be("list_length", "LUN list length", { unit: "bytes" }),
    hex("u32be")("reserved", "Reserved"),
    array("luns", "LUNs", lunEntry, { count: div(ref("list_length"), 8), clipToEnd: true, clipNote: "(list continues beyond the captured data)" }),
  ],
  minSize: 8,
  info: "{luns:raw} LUNs",
};

const unmapDescriptor: StructDescription = {
  name: "UnmapDescriptor", key: "unmap_descriptor", prefix: `${P}.unmap`, label: "UNMAP block descriptor", size: 16,
  fields: [u64be("lba", "Logical block address"), u32be("blocks", "Number of blocks"), hex("u32be")("reserved", "Reserved")],
};
export const unmapParameters: StructDescription = {
  name: "UnmapParameters", key: "unmap_parameters", prefix: `${P}.unmap`, label: "UNMAP parameter list",
  fields: [
    u16be("data_length", "UNMAP data length (n - 2)", { unit: "bytes" }),
    u16be("descriptor_data_length", "Block descriptor data length", { unit: "bytes" }),
    hex("u32be")("reserved_header", "Reserved"),
    array("descriptors", "Block descriptors", unmapDescriptor, { count: div(ref("descriptor_data_length"), 16), clipToEnd: true }),
  ],
  minSize: 8,
  info: "{descriptors:raw} ranges",
};

const lbaStatusDescriptor: StructDescription = {
  name: "LbaStatusDescriptor", key: "lba_status", prefix: `${P}.lbastatus`, label: "LBA status descriptor", size: 16,
  fields: [u64be("lba", "Starting LBA"), u32be("blocks", "Number of blocks"), enumOf("u8", { 0: "mapped", 1: "deallocated", 2: "anchored" })("status", "Provisioning status"), bytes("reserved", "Reserved", 3)],
};
export const lbaStatusData: StructDescription = {
  name: "LbaStatusData", key: "get_lba_status", prefix: `${P}.lbastatus`, label: "GET LBA STATUS data",
  fields: [u32be("parameter_length", "Parameter data length", { unit: "bytes" }), hex("u32be")("reserved_header", "Reserved"), array("descriptors", "Descriptors", lbaStatusDescriptor)],
  minSize: 8,
};

const prKey: StructDescription = { name: "ReservationKey", key: "key_entry", prefix: `${P}.pr`, size: 8, fields: [hex("u64be")("key", "Reservation key")] };
export const prReadKeys: StructDescription = {
  name: "ReadKeys", key: "read_keys", prefix: `${P}.pr`, label: "PERSISTENT RESERVE IN: READ KEYS data",
  fields: [u32be("generation", "PR generation"), u32be("additional_length", "Additional length", { unit: "bytes" }), array("keys", "Keys", prKey, { count: div(ref("additional_length"), 8), clipToEnd: true })],
  minSize: 8,
};
export const prOutParameters: StructDescription = {
  name: "PrOutParameters", key: "prout_parameters", prefix: `${P}.pr`, label: "PERSISTENT RESERVE OUT parameter list",
  fields: [
    hex("u64be")("reservation_key", "Reservation key"), hex("u64be")("service_action_key", "Service action reservation key"),
    hex("u32be")("obsolete", "Obsolete"),
    flagsOf("u8", [{ mask: 0x08, key: "spec_i_pt", label: "SPEC_I_PT" }, { mask: 0x04, key: "all_tg_pt", label: "ALL_TG_PT" }, { mask: 0x01, key: "aptpl", label: "APTPL" }])("pr_flags", "Flags"),
    bytes("rest", "Further bytes", "rest", { when: hasBytes(1) }),
  ],
  minSize: 24,
};

export const blockData: StructDescription = {
  name: "BlockData", key: "blocks", prefix: `${P}.data`, label: "Block data",
  fields: [bytes("block_data", "Block data", "rest"), computed("u32")("block_data_length", "Data length", structSize, { unit: "bytes" })],
  info: "{block_data:len} bytes",
};

export const otherData: StructDescription = {
  name: "OtherData", key: "other_data", prefix: `${P}.data`, label: "Data (layout not decoded)",
  fields: [bytes("bytes", "Data", "rest")],
};

/** (key, description) pairs for table "vscsi.data". */
export const dataDescriptions: [number, StructDescription][] = [
  [dataKey(0x12), inquiryData],
  [dataKey(0x12, 0x100), vpdSupported], [dataKey(0x12, 0x180), vpdSerial], [dataKey(0x12, 0x183), vpdDeviceId],
  [dataKey(0x12, 0x18f), vpdOther], [dataKey(0x12, 0x1b0), vpdBlockLimits], [dataKey(0x12, 0x1b1), vpdCharacteristics],
  [dataKey(0x12, 0x1b2), vpdProvisioning], [dataKey(0x12, 0x1ce), vpdMsftPaging], [dataKey(0x12, 0x1cf), vpdMsftVirtual],
  [dataKey(0x25), readCapacity10Data], [dataKey(0x9e, 0x10), readCapacity16Data], [dataKey(0x9e, 0x12), lbaStatusData],
  [dataKey(0x1a), modeData6], [dataKey(0x5a), modeData10], [dataKey(0x15), modeData6], [dataKey(0x55), modeData10],
  [dataKey(0xa0), reportLunsData], [dataKey(0x42), unmapParameters], [dataKey(0x03), senseRoot],
  [dataKey(0x5e, 0), prReadKeys], [dataKey(0x5f), prOutParameters],
  ...[0x08, 0x0a, 0x28, 0x2a, 0x2e, 0x2f, 0x41, 0x88, 0x89, 0x8a, 0x8e, 0x8f, 0x93, 0xa8, 0xaa, 0xaf].map((op): [number, StructDescription] => [dataKey(op), blockData]),
];

/** Opcodes whose key carries a selector (the rest use selector 0). */
export const OTHER_DATA_KEY = 1;
