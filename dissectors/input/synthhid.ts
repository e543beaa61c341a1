// The synthetic mouse (synthhid, devices.md §12): pipe header (§2.1), an 8-byte synthhid header
// (type, size of the body), then the body. Offsets in the comments are from the payload start.
// The HID report descriptor is decoded into its short items (HID 1.11 §6.2.2.2), and input reports
// are read as the captured descriptor lays them out (hid-layout.ts), else in the standard Hyper-V
// absolute-mouse layout (§12.3).

import {
  add, and, array, offset, remaining, bytes, choice, computed, enumOf, eq, flagsOf, gt, hasBytes, hex, i16, mux, ne, not, or, peek, ref, reserved, state, struct, u16, u32, u8,
} from "../describe/dsl.js";
import type { Field, ProtocolDescription, StructDescription, ValueStrings } from "../describe/types.js";
import { descriptorEffects, descriptorReset, describedLayout, describedReport } from "./hid-layout.js";

const P = "synthhid";

export const pipeTypes: ValueStrings = { 0: "INVALID", 1: "DATA", 2: "PARTIAL", 3: "SETUP_GPA_DIRECT", 4: "TEARDOWN_GPA_DIRECT" };
export const synthhidTypes: ValueStrings = {
  0: "PROTOCOL_REQUEST", 1: "PROTOCOL_RESPONSE", 2: "INITIAL_DEVICE_INFO", 3: "INITIAL_DEVICE_INFO_ACK", 4: "INPUT_REPORT",
};
export const synthhidVersions: ValueStrings = { 0x00020000: "2.0", 0x00010000: "1.0 (pre-release)" };

const msg = (name: string, key: string, fields: Field[], extra: Partial<StructDescription> = {}): StructDescription =>
  ({ name, key, prefix: P, label: name, fields, ...extra });

const version = hex("u32")("version_requested", "Version requested", { values: synthhidVersions, description: "(major << 16) | minor" });

const protocolRequest = msg("ProtocolRequest", "protocol_request", [version], {
  info: "version {version_requested}", minSize: 4,
  effects: [{ set: "channel.synthhid.version_requested", value: ref("version_requested") }],
});
const protocolResponse = msg("ProtocolResponse", "protocol_response", [
  version, u8("approved", "Approved", { values: { 0: "rejected", 1: "accepted" } }),
], {
  info: "{version_requested} {approved}", minSize: 5,
  effects: [{ set: "channel.synthhid.version", value: ref("version_requested"), when: ne(ref("approved"), 0), negotiated: "major.minor" }],
});

// HID report descriptor items: the prefix byte holds the data size (bits 0-1: 0, 1, 2 or 4 bytes),
// the type (bits 2-3) and the tag (bits 4-7); 0xFE starts a long item (size and tag in the next bytes).
export const hidItemTypes: ValueStrings = { 0: "Main", 1: "Global", 2: "Local", 3: "Reserved" };
/** Tag and type together, keyed by the prefix with the size bits cleared (0x04 Usage Page, …). */
const hidItemPrefixes: ValueStrings = {
  0x80: "Input", 0x90: "Output", 0xa0: "Collection", 0xb0: "Feature", 0xc0: "End Collection",
  0x04: "Usage Page", 0x14: "Logical Minimum", 0x24: "Logical Maximum", 0x34: "Physical Minimum", 0x44: "Physical Maximum",
  0x54: "Unit Exponent", 0x64: "Unit", 0x74: "Report Size", 0x84: "Report ID", 0x94: "Report Count", 0xa4: "Push", 0xb4: "Pop",
  0x08: "Usage", 0x18: "Usage Minimum", 0x28: "Usage Maximum", 0x38: "Designator Index", 0x48: "Designator Minimum",
  0x58: "Designator Maximum", 0x78: "String Index", 0x88: "String Minimum", 0x98: "String Maximum", 0xa8: "Delimiter",
  0xfc: "Long item",
};
/** The same names keyed by the masked field's value (prefix & 0xFC) >> 2, as a Wireshark bitmask field shows it. */
export const hidItemNames: ValueStrings = Object.fromEntries(Object.entries(hidItemPrefixes).map(([prefix, name]) => [Number(prefix) >> 2, name]));
export const hidUsagePages: ValueStrings = {
  0x01: "Generic Desktop", 0x02: "Simulation", 0x03: "VR", 0x04: "Sport", 0x05: "Game", 0x06: "Generic Device", 0x07: "Keyboard/Keypad",
  0x08: "LED", 0x09: "Button", 0x0a: "Ordinal", 0x0b: "Telephony", 0x0c: "Consumer", 0x0d: "Digitizers", 0x0f: "Physical Input Device",
  0x14: "Auxiliary Display", 0x40: "Medical Instrument", 0x80: "Monitor", 0x84: "Power Device", 0x85: "Battery System",
};
export const genericDesktopUsages: ValueStrings = {
  0x01: "Pointer", 0x02: "Mouse", 0x04: "Joystick", 0x05: "Game Pad", 0x06: "Keyboard", 0x07: "Keypad", 0x08: "Multi-axis Controller",
  0x30: "X", 0x31: "Y", 0x32: "Z", 0x33: "Rx", 0x34: "Ry", 0x35: "Rz", 0x36: "Slider", 0x37: "Dial", 0x38: "Wheel", 0x39: "Hat switch",
  0x80: "System Control",
};
export const hidCollectionTypes: ValueStrings = {
  0: "Physical", 1: "Application", 2: "Logical", 3: "Report", 4: "Named Array", 5: "Usage Switch", 6: "Usage Modifier",
};
const mainItemBits = [
  { mask: 0x001, key: "constant", label: "Constant (else Data)" }, { mask: 0x002, key: "variable", label: "Variable (else Array)" },
  { mask: 0x004, key: "relative", label: "Relative (else Absolute)" }, { mask: 0x008, key: "wrap", label: "Wrap" },
  { mask: 0x010, key: "non_linear", label: "Non Linear" }, { mask: 0x020, key: "no_preferred", label: "No Preferred" },
  { mask: 0x040, key: "null_state", label: "Null State" }, { mask: 0x080, key: "volatile", label: "Volatile" },
];

const LONG = 0xfe;
const isLong = eq(ref("prefix"), LONG);
const dataSize = mux(eq(ref("size_code"), 3), 4, ref("size_code"));
/** `prefix` is the item's prefix with the size bits cleared (0x04 Usage Page). */
const itemIs = (prefix: number) => and(eq(ref("item"), prefix >> 2), not(isLong));
const SIGNED_ITEMS = [0x14, 0x24, 0x34, 0x44, 0x54];
const isSigned = SIGNED_ITEMS.map(itemIs).reduce((a, b) => or(a, b));
const HD = `${P}.rd`;

export const hidItem: StructDescription = {
  name: "HidItem", key: "entry", prefix: HD, label: "Item",
  fields: [
    hex("u8")("prefix", "Prefix", { shared: true }),
    enumOf("u8", hidItemNames)("item", "Item", { mask: 0xfc, shared: true }),
    enumOf("u8", hidItemTypes)("item_type", "Type", { mask: 0x0c, shared: true }),
    u8("tag", "Tag", { mask: 0xf0, shared: true }),
    u8("size_code", "Size code", { mask: 0x03, values: { 0: "0 bytes", 1: "1 byte", 2: "2 bytes", 3: "4 bytes" } }),
    // Long items (never used by HID 1.11 devices): data size and tag, then the data.
    u8("long_size", "Long item data size", { when: isLong, unit: "bytes" }),
    hex("u8")("long_tag", "Long item tag", { when: isLong }),
    bytes("data", "Data", mux(isLong, ref("long_size"), dataSize), { when: or(isLong, ne(ref("size_code"), 0)) }),
    computed("u32")("value", "Value (unsigned)", mux(eq(ref("size_code"), 1), peek("u8", 1), mux(eq(ref("size_code"), 2), peek("u16", 1), peek("u32", 1))),
      { when: and(not(isLong), ne(ref("size_code"), 0)) }),
    computed("i32")("signed_value", "Value (signed)", mux(eq(ref("size_code"), 1), peek("i8", 1), mux(eq(ref("size_code"), 2), peek("i16", 1), peek("i32", 1))),
      { when: and(isSigned, ne(ref("size_code"), 0)) }),
    enumOf("u8", hidUsagePages)("usage_page", "Usage page", { at: 1, when: and(itemIs(0x04), eq(ref("size_code"), 1)), base: "hex" }),
    enumOf("u16", hidUsagePages)("usage_page_u16", "Usage page", { at: 1, when: and(itemIs(0x04), eq(ref("size_code"), 2)), base: "hex" }),
    enumOf("u8", genericDesktopUsages)("usage_gd", "Usage (Generic Desktop)", {
      at: 1, when: and(or(itemIs(0x08), or(itemIs(0x18), itemIs(0x28))), and(eq(ref("size_code"), 1), eq(state("channel.synthhid.usage_page"), 1))), base: "hex",
    }),
    enumOf("u8", hidCollectionTypes)("collection_type", "Collection type", { at: 1, when: and(itemIs(0xa0), eq(ref("size_code"), 1)) }),
    flagsOf("u8", mainItemBits)("main_flags", "Main item flags (first data byte)", { at: 1, when: and(or(itemIs(0x80), or(itemIs(0x90), itemIs(0xb0))), ne(ref("size_code"), 0)) }),
  ],
  sizeFrom: mux(isLong, add(3, ref("long_size")), add(1, dataSize)),
  checks: [{ fails: and(eq(ref("item_type"), 3), not(isLong)), field: "prefix", text: "HID item prefix {prefix} has the reserved type 3" }],
  effects: descriptorEffects,
};

/** The descriptor's bytes, then the same bytes as items (the encoder takes the bytes only). */
export const reportDescriptor: StructDescription = {
  name: "ReportDescriptor", key: "report_descriptor", prefix: HD, label: "HID report descriptor",
  fields: [bytes("bytes", "Report descriptor bytes", "rest"), array("items", "Items", hidItem, { at: 0 })],
};

/** HID_ATTRIBUTES (32 bytes at 16). */
const attributes: StructDescription = {
  name: "HidAttributes", key: "attributes", prefix: `${P}.attr`, label: "HID attributes", size: 32,
  fields: [
    u32("size", "Size", { unit: "bytes" }),
    hex("u16")("vendor_id", "Vendor id", { values: { 0x045e: "Microsoft" } }),
    hex("u16")("product_id", "Product id"),
    hex("u16")("version", "Version"),
    bytes("reserved", "Reserved", 22),
  ],
};

const descriptorEntry: StructDescription = {
  name: "HidClassDescriptor", key: "desc", prefix: `${P}.hid.desc`, label: "Class descriptor", size: 3,
  fields: [hex("u8")("type", "Descriptor type", { values: { 0x22: "Report", 0x23: "Physical" } }), u16("length", "Descriptor length", { unit: "bytes" })],
};

/** The USB HID class descriptor (9 bytes at 48 for one class descriptor); bLength says where it ends. */
const hidDescriptor: StructDescription = {
  name: "HidDescriptor", key: "hid_descriptor", prefix: `${P}.hid`, label: "HID descriptor",
  fields: [
    u8("b_length", "bLength", { unit: "bytes" }),
    hex("u8")("b_descriptor_type", "bDescriptorType", { values: { 0x21: "HID" } }),
    hex("u16")("bcd_hid", "bcdHID"),
    u8("b_country_code", "bCountryCode"),
    u8("b_num_descriptors", "bNumDescriptors"),
    array("descriptors", "Class descriptors", descriptorEntry, { count: ref("b_num_descriptors") }),
  ],
  sizeFrom: ref("b_length"),
  // The report descriptor follows: its parser starts afresh.
  effects: descriptorReset,
};

const deviceInfo = msg("InitialDeviceInfo", "device_info", [
  struct("attributes", "HID attributes", attributes),
  struct("hid_descriptor", "HID descriptor", hidDescriptor),
  // wDescriptorLength of the first class descriptor (body offset 39); the report descriptor follows the HID descriptor.
  computed("u16")("report_descriptor_length", "Report descriptor length", peek("u16", 39), { unit: "bytes" }),
  struct("report_descriptor", "Report descriptor", reportDescriptor, { length: ref("report_descriptor_length") }),
  bytes("device_info_padding", "Padding", "rest", { when: hasBytes(1) }),
], { info: "vendor {vendor_id} product {product_id}, report descriptor {report_descriptor_length:raw} bytes", minSize: 41 });

const deviceInfoAck = msg("InitialDeviceInfoAck", "device_info_ack", [reserved("u8", "ack_reserved", "Reserved")]);

const mouseButtons = [
  { mask: 0x01, key: "left", label: "left" }, { mask: 0x02, key: "right", label: "right" }, { mask: 0x04, key: "middle", label: "middle" },
  { mask: 0x08, key: "button4", label: "button 4" }, { mask: 0x10, key: "button5", label: "button 5" },
];
/** §12.3: the standard Hyper-V 7-byte absolute mouse report, when no report descriptor placed X and Y. */
const mouseReport: StructDescription = {
  name: "MouseReport", key: "mouse", prefix: `${P}.mouse`, label: "Mouse report (standard Hyper-V 7-byte layout: no report descriptor seen on this channel)",
  fields: [
    flagsOf("u8", mouseButtons)("buttons", "Buttons"),
    u16("x", "X (absolute, 0-32767)"),
    u16("y", "Y (absolute, 0-32767)"),
    i16("wheel", "Wheel (relative)", { when: hasBytes(2) }),
  ],
  info: "mouse X={x:raw} Y={y:raw} buttons {buttons:bits}",
};
const describedMouseReport = describedReport(`${P}.input`, mouseButtons);
const inputReport = msg("InputReport", "input_report", [
  // The decoded view first, then the bytes at the same place (the encoder writes the bytes last).
  struct("mouse", mouseReport.label!, mouseReport, { at: 0, length: 7, when: and(not(describedLayout), eq(ref("size"), 7)) }),
  struct("input", describedMouseReport.label!, describedMouseReport, { at: 0, length: ref("size"), when: describedLayout }),
  bytes("report", "Report", ref("size"), { at: 0 }),
], { checks: [{ fails: gt(ref("size"), 16), field: "report", text: "input report of {size:raw} bytes is beyond the 16-byte maximum" }] });

const unknown = msg("Unknown", "unknown", [bytes("body_data", "Body", "rest")]);

export const synthhidBodies: Record<number, StructDescription> = { 0: protocolRequest, 1: protocolResponse, 2: deviceInfo, 3: deviceInfoAck, 4: inputReport };

/** The synthhid message: the pipe's data (pipe.len bytes). */
const synthhidBody: StructDescription = {
  name: "SynthhidMessage", key: "msg", prefix: P, label: "synthhid message",
  fields: [
    enumOf("u32", synthhidTypes)("msg_type", "Message type"),
    u32("size", "Body size", { unit: "bytes" }),
    choice("body", "Body", ref("msg_type"), synthhidBodies, { default: unknown }),
  ],
  checks: [{ fails: gt(add(8, ref("size")), add(offset, remaining)), field: "size", text: "body size {size:raw} runs past the pipe message" }],
  info: "{msg_type}",
  pairing: [
    { namespace: "synthhid", role: "request", id: 0, when: eq(ref("msg_type"), 0), text: "PROTOCOL_REQUEST" },
    { namespace: "synthhid", role: "response", id: 0, when: eq(ref("msg_type"), 1) },
    { namespace: "synthhid.info", role: "request", id: 0, when: eq(ref("msg_type"), 2), text: "INITIAL_DEVICE_INFO" },
    { namespace: "synthhid.info", role: "response", id: 0, when: eq(ref("msg_type"), 3) },
  ],
};

export const synthhidMessage: StructDescription = {
  name: "SynthhidPacket", key: "packet", prefix: P, label: "Synthetic mouse (synthhid) packet",
  fields: [
    enumOf("u32", pipeTypes)("pipe_type", "Pipe packet type", { filter: "synthhid.pipe.type", expect: 1 }),
    u32("pipe_len", "Pipe data length", { filter: "synthhid.pipe.len", unit: "bytes" }),
    struct("message", "synthhid message", synthhidBody, { length: ref("pipe_len") }),
    bytes("padding", "Padding", "rest", { when: hasBytes(1) }),
  ],
  minSize: 16,
  checks: [{ fails: gt(add(ref("pipe_len"), 8), add(offset, remaining)), field: "len", text: "pipe length {pipe.len:raw} runs past the packet" }],
  info: "SYNTHHID",
};

export const synthhidProtocol: ProtocolDescription = { name: "synthhid", short: "SYNTHHID", label: "Synthetic mouse (synthhid)", root: synthhidMessage, messageType: ["synthhid.msg_type"] };
