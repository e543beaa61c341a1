// Synthetic video (synthvid, devices.md §13): pipe header (§2.1), an 8-byte synthvid header (type,
// size), then a packed body. The body is what the pipe length says (pipe.len − 8): `vid.size`
// includes the header in Linux and MSVM but not in OpenVMM (§13.2), so it is shown, not used.
// Offsets in the comments are from the body start (payload offset 16).

import {
  add, and, array, bitAnd, bytes, ceilDiv, choice, computed, digits, enumOf, flagsOf, gt, hasBytes, hex, i32, isUnknown, join, lookup, lt, mul, mux, nameIn, ne, not, offset, ref, remaining, shr,
  sizeAtLeast, state, struct, u16, u32, u8,
} from "../describe/dsl.js";
import type { Field, ProtocolDescription, StructDescription, ValueStrings } from "../describe/types.js";

const P = "synthvid";
export const VERSION_STATE = "channel.synthvid.version";
const REQUESTED_STATE = "channel.synthvid.version_requested";

export const pipeTypes: ValueStrings = { 0: "INVALID", 1: "DATA", 2: "PARTIAL", 3: "SETUP_GPA_DIRECT", 4: "TEARDOWN_GPA_DIRECT" };
export const synthvidTypes: ValueStrings = {
  0: "ERROR", 1: "VERSION_REQUEST", 2: "VERSION_RESPONSE", 3: "VRAM_LOCATION", 4: "VRAM_LOCATION_ACK", 5: "SITUATION_UPDATE",
  6: "SITUATION_UPDATE_ACK", 7: "POINTER_POSITION", 8: "POINTER_SHAPE", 9: "FEATURE_CHANGE", 10: "DIRT", 11: "BIOS_INFO_REQUEST",
  12: "BIOS_INFO_RESPONSE", 13: "SUPPORTED_RESOLUTIONS_REQUEST", 14: "SUPPORTED_RESOLUTIONS_RESPONSE", 15: "CAPABILITY_REQUEST",
  16: "CAPABILITY_RESPONSE",
};
/** (minor << 16) | major. */
export const synthvidVersions: ValueStrings = {
  0x00000003: "3.0 (WIN7)", 0x00020003: "3.2 (WIN8)", 0x00030003: "3.3 (WINBLUE)", 0x00040003: "3.4 (THRESHOLD_M1)", 0x00050003: "3.5 (WIN10)",
};

const msg = (name: string, key: string, fields: Field[], extra: Partial<StructDescription> = {}): StructDescription =>
  ({ name, key, prefix: P, label: name, fields, ...extra });

const version = hex("u32")("version", "Version", { values: synthvidVersions, description: "(minor << 16) | major" });
const userContext = hex("u64")("user_context", "User context");

const versionRequest = msg("VersionRequest", "version_request", [version], {
  info: "{version}", minSize: 4,
  effects: [{ set: REQUESTED_STATE, value: ref("version") }],
  pairing: { namespace: "synthvid", role: "request", id: 1, text: "VERSION_REQUEST {version}" },
});
const versionResponse = msg("VersionResponse", "version_response", [
  version,
  u8("is_accepted", "Accepted", { values: { 0: "rejected", 1: "accepted", 2: "accepted (TRUE_WITH_VERSION_EXCHANGE)" } }),
  u8("max_video_outputs", "Maximum video outputs"),
], {
  info: "{version} {is_accepted}", minSize: 6,
  effects: [{ set: VERSION_STATE, value: ref("version"), when: ne(ref("is_accepted"), 0), negotiated: "minor.major" }],
  pairing: { namespace: "synthvid", role: "response", id: 1 },
});

const vramLocation = msg("VramLocation", "vram_location", [
  userContext,
  u8("is_vram_gpa_specified", "VRAM GPA specified", { values: { 0: "no (unmap)", 1: "yes" } }),
  hex("u64")("vram_gpa", "VRAM guest physical address"),
], {
  info: "GPA {vram_gpa}", minSize: 17,
  pairing: { namespace: "synthvid.vram", role: "request", id: ref("user_context"), text: "VRAM_LOCATION {vram_gpa}" },
});
const vramLocationAck = msg("VramLocationAck", "vram_location_ack", [userContext], {
  info: "context {user_context}", minSize: 8,
  pairing: { namespace: "synthvid.vram", role: "response", id: ref("user_context") },
});

const videoOutput: StructDescription = {
  name: "VideoOutput", key: "output", prefix: `${P}.output`, label: "Video output", size: 18,
  fields: [
    u8("active", "Active"),
    hex("u32")("primary_surface_vram_offset", "Primary surface VRAM offset"),
    u8("depth_bits", "Depth (bits)", { description: "Linux sends bits per pixel (16 or 32); OpenVMM's comment says bits per colour component" }),
    u32("width_pixels", "Width", { unit: "pixels" }),
    u32("height_pixels", "Height", { unit: "pixels" }),
    u32("pitch_bytes", "Pitch", { unit: "bytes" }),
  ],
};
const situationUpdate = msg("SituationUpdate", "situation_update", [
  userContext,
  u8("video_output_count", "Video output count"),
  array("outputs", "Video outputs", videoOutput, { count: ref("video_output_count") }),
], {
  info: "{video_output_count:raw} output(s)", minSize: 9,
  pairing: { namespace: "synthvid.situation", role: "request", id: ref("user_context"), text: "SITUATION_UPDATE" },
});
const situationUpdateAck = msg("SituationUpdateAck", "situation_update_ack", [userContext], {
  info: "context {user_context}", minSize: 8,
  pairing: { namespace: "synthvid.situation", role: "response", id: ref("user_context") },
});

const pointerPosition = msg("PointerPosition", "pointer_position", [
  u8("is_visible", "Visible"),
  u8("video_output", "Video output"),
  i32("image_x", "Image X"),
  i32("image_y", "Image Y"),
], { info: "({image_x:raw},{image_y:raw}) visible {is_visible:raw}", minSize: 10 });

const isArgb = ne(ref("cursor_flags"), 0);
const pointerShape = msg("PointerShape", "pointer_shape", [
  u8("part_index", "Part index", { values: { 0xff: "complete (CURSOR_COMPLETE)" } }),
  u8("cursor_flags", "Cursor format", { values: { 0: "monochrome (AND + XOR masks)", 1: "32-bit ARGB" } }),
  u32("width", "Width", { unit: "pixels" }),
  u32("height", "Height", { unit: "pixels" }),
  u32("hot_x", "Hotspot X"),
  u32("hot_y", "Hotspot Y"),
  computed("u64")("expected_pixel_bytes", "Bytes of the whole image", mux(isArgb, mul(mul(ref("width"), ref("height")), 4), mul(mul(ceilDiv(ref("width"), 8), ref("height")), 2)), { unit: "bytes" }),
  bytes("pixel_data", "Pixel data (this part)", "rest"),
], { info: "{width:raw}x{height:raw} {cursor_flags} part {part_index}", minSize: 18 });

/** The first fields of a 128-byte EDID base block (VESA E-EDID). */
const edid: StructDescription = {
  name: "Edid", key: "edid_block", prefix: `${P}.edid`, label: "EDID", size: 128,
  fields: [
    hex("u64")("header", "Header", { description: "00 FF FF FF FF FF FF 00" }),
    hex("u16be")("manufacturer", "Manufacturer id (3 letters, 5 bits each)"),
    hex("u16")("product_code", "Product code"),
    hex("u32")("serial", "Serial number"),
    u8("week", "Week of manufacture"),
    u8("year", "Year of manufacture", { description: "+ 1990" }),
    u8("edid_version", "EDID version"),
    u8("edid_revision", "EDID revision"),
    hex("u8")("checksum", "Checksum", { at: 127 }),
  ],
};
// The decoded view first, then the bytes at the same place (the encoder writes the bytes last).
const edidFields = (at: number): Field[] => [
  struct("edid_block", "EDID", edid, { at, length: 128 }),
  bytes("edid", "EDID", 128, { at }),
];

const featureChange = msg("FeatureChange", "feature_change", [
  u8("is_dirt_needed", "Dirt needed"),
  u8("is_pointer_position_needed", "Pointer position needed"),
  u8("is_pointer_shape_needed", "Pointer shape needed"),
  u8("is_situation_needed", "Situation needed"),
  ...edidFields(4).map((f) => ({ ...f, when: sizeAtLeast(132) })),
], { info: "dirt {is_dirt_needed:raw} position {is_pointer_position_needed:raw} shape {is_pointer_shape_needed:raw} situation {is_situation_needed:raw}", minSize: 4 });

const rect: StructDescription = {
  name: "Rect", key: "rect", prefix: `${P}.rect`, label: "Rectangle", size: 16,
  fields: [i32("left", "Left (x1)"), i32("top", "Top (y1)"), i32("right", "Right (x2, exclusive)"), i32("bottom", "Bottom (y2, exclusive)")],
};
const dirt = msg("Dirt", "dirt", [
  u8("video_output", "Video output"),
  u8("dirt_count", "Rectangle count"),
  array("rects", "Dirty rectangles", rect, { count: ref("dirt_count") }),
], { info: "{dirt_count:raw} rectangle(s)", minSize: 2 });

const empty = (name: string, key: string, id: number, role: "request" | "response", text: string): StructDescription =>
  msg(name, key, [bytes("extra", "Extra bytes", "rest", { when: hasBytes(1) })], { pairing: { namespace: "synthvid", role, id, text } });

const biosInfoResponse = msg("BiosInfoResponse", "bios_info_response", [
  flagsOf("u32", [{ mask: 1, key: "stop_device_supported", label: "Stop device supported" }])("bios_flags", "BIOS flags", { description: "formerly the VM generation" }),
  bytes("reserved", "Reserved", 12),
], { info: "{bios_flags:bits}", minSize: 4, pairing: { namespace: "synthvid", role: "response", id: 11 } });

const resolutionsRequest = msg("SupportedResolutionsRequest", "resolutions_request", [
  u8("maximum_resolution_count", "Maximum resolution count"),
], { info: "max {maximum_resolution_count:raw}", minSize: 1, pairing: { namespace: "synthvid", role: "request", id: 13, text: "SUPPORTED_RESOLUTIONS_REQUEST" } });

const resolution: StructDescription = {
  name: "Resolution", key: "resolution", prefix: `${P}.resolution`, label: "Resolution", size: 4,
  fields: [u16("width", "Width", { unit: "pixels" }), u16("height", "Height", { unit: "pixels" })],
};
const resolutionsResponse = msg("SupportedResolutionsResponse", "resolutions_response", [
  ...edidFields(0),
  u8("resolution_count", "Resolution count"),
  u8("default_resolution_index", "Default resolution index"),
  u8("is_standard", "Standard"),
  array("resolutions", "Resolutions", resolution, { count: ref("resolution_count") }),
], {
  info: "{resolution_count:raw} resolution(s), default {default_resolution_index:raw}", minSize: 131,
  checks: [{ fails: and(ne(ref("resolution_count"), 0), gt(add(ref("default_resolution_index"), 1), ref("resolution_count"))), field: "default_resolution_index", text: "default index {default_resolution_index:raw} is beyond the {resolution_count:raw} resolutions" }],
  pairing: { namespace: "synthvid", role: "response", id: 13 },
});

const capabilityResponse = msg("CapabilityResponse", "capability_response", [
  u32("lock_on_disconnect", "Lock on disconnect"),
  bytes("reserved", "Reserved", 60, { when: hasBytes(60) }),
], { info: "lock on disconnect {lock_on_disconnect:raw}", minSize: 4, pairing: { namespace: "synthvid", role: "response", id: 15 } });

const errorMessage = msg("Error", "error", [bytes("body_data", "Body (no layout defined)", "rest", { when: hasBytes(1) })]);
const unknown = msg("Unknown", "unknown", [bytes("body_data", "Body", "rest", { when: hasBytes(1) })]);

export const synthvidBodies: Record<number, StructDescription> = {
  0: errorMessage, 1: versionRequest, 2: versionResponse, 3: vramLocation, 4: vramLocationAck, 5: situationUpdate, 6: situationUpdateAck,
  7: pointerPosition, 8: pointerShape, 9: featureChange, 10: dirt,
  11: empty("BiosInfoRequest", "bios_info_request", 11, "request", "BIOS_INFO_REQUEST"), 12: biosInfoResponse,
  13: resolutionsRequest, 14: resolutionsResponse,
  15: empty("CapabilityRequest", "capability_request", 15, "request", "CAPABILITY_REQUEST"), 16: capabilityResponse,
};

/**
 * The feature level (major << 16 | minor & 0xFF, as OpenVMM compares) each message needs, and the
 * version named (devices.md §13.1, §13.3): a message the negotiated version lacks is worth a note.
 */
const NEEDED_LEVEL = { 11: 0x30003, 12: 0x30003, 13: 0x30004, 14: 0x30004, 15: 0x30005, 16: 0x30005 };
const NEEDED_VERSION: ValueStrings = {
  11: "3.3", 12: "3.3", 13: "3.4 (Linux asks only from 3.5)", 14: "3.4 (Linux asks only from 3.5)", 15: "3.5", 16: "3.5",
};
/** synthvid u32 = (minor << 16) | major. */
const negotiated = state(VERSION_STATE);
const negotiatedLevel = add(mul(bitAnd(negotiated, 0xffff), 0x10000), bitAnd(shr(negotiated, 16), 0xff));

const synthvidBody: StructDescription = {
  name: "SynthvidMessage", key: "msg", prefix: P, label: "synthvid message",
  fields: [
    enumOf("u32", synthvidTypes)("msg_type", "Message type"),
    u32("size", "Size (Linux/MSVM: 8 + body; OpenVMM: body)", { unit: "bytes" }),
    computed("u32")("body_length", "Body length (pipe length − 8)", remaining, { unit: "bytes" }),
    computed("u32")("negotiated_version", "Negotiated version (session)", state(VERSION_STATE), { base: "hex", when: not(isUnknown(state(VERSION_STATE))) }),
    choice("body", "Body", ref("msg_type"), synthvidBodies, { default: unknown }),
    bytes("extra", "Extra bytes", "rest", { when: hasBytes(1) }),
  ],
  minSize: 8,
  info: "{msg_type}",
  checks: [{
    fails: lt(negotiatedLevel, lookup(NEEDED_LEVEL, ref("msg_type"))), field: "msg_type", severity: "note", group: "protocol",
    text: "synthvid message {type} needs version {needed}; the channel negotiated {negotiated}",
    args: { type: digits(ref("msg_type")), needed: nameIn(NEEDED_VERSION, ref("msg_type")), negotiated: join(digits(bitAnd(negotiated, 0xffff)), ".", digits(shr(negotiated, 16))) },
  }],
};

export const synthvidPacket: StructDescription = {
  name: "SynthvidPacket", key: "packet", prefix: P, label: "Synthetic video (synthvid) packet",
  fields: [
    enumOf("u32", pipeTypes)("pipe_type", "Pipe packet type", { filter: "synthvid.pipe.type", expect: 1 }),
    u32("pipe_len", "Pipe data length", { filter: "synthvid.pipe.len", unit: "bytes" }),
    struct("message", "synthvid message", synthvidBody, { length: ref("pipe_len") }),
    bytes("padding", "Padding", "rest", { when: hasBytes(1) }),
  ],
  minSize: 16,
  checks: [{ fails: gt(add(ref("pipe_len"), 8), add(offset, remaining)), field: "len", text: "pipe length {pipe.len:raw} runs past the packet" }],
  info: "SYNTHVID",
};

export const synthvidProtocol: ProtocolDescription = { name: "synthvid", short: "SYNTHVID", label: "Synthetic video (synthvid)", root: synthvidPacket, messageType: ["synthvid.msg_type"] };
