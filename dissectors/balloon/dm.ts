// Dynamic memory (hv_balloon; devices.md §15): raw in-band packets, each an 8-byte header (type u16,
// size u16, trans_id u32) and a body per type. No VMBus completions: a request is answered by a
// message of the next type in the other direction. The guest makes up its own transaction ids
// (Linux increments one counter for everything it sends), so answers are paired by kind, not by id.
// Offsets in the comments are from the start of the payload.

import {
  add, and, array, bytes, choice, computed, enumOf, eq, flagsOf, ge, gt, hasBytes, hex, isUnknown, lt, min, mul, mux, ne, offset, or, ref, remaining, state, struct, sub, u16, u32, u64,
} from "../describe/dsl.js";
import type { Expr, Field, ProtocolDescription, StructDescription, ValueStrings } from "../describe/types.js";

const P = "dm";
export const VERSION_STATE = "channel.dm.version";
const REQUESTED_STATE = "channel.dm.version_requested";
const SUM_STATE = "channel.dm.range_pages";
const PAGE = 4096;
const div = (a: Expr, b: Expr): Expr => ({ op: "/", a, b });

/** §15.3 */
export const dmTypes: ValueStrings = {
  0: "ERROR", 1: "VERSION_REQUEST", 2: "VERSION_RESPONSE", 3: "CAPABILITIES_REPORT", 4: "CAPABILITIES_RESPONSE", 5: "STATUS_REPORT",
  6: "BALLOON_REQUEST", 7: "BALLOON_RESPONSE", 8: "UNBALLOON_REQUEST", 9: "UNBALLOON_RESPONSE", 10: "MEM_HOT_ADD_REQUEST",
  11: "MEM_HOT_ADD_RESPONSE", 12: "INFO_MESSAGE",
};

/** §15.1: u32 = (major << 16) | minor. */
export const dmVersions: ValueStrings = { 0x00000003: "0.3 (WIN7)", 0x00010000: "1.0 (WIN8)", 0x00020000: "2.0 (WIN10)" };

const msg = (name: string, key: string, fields: Field[], extra: Partial<StructDescription> = {}): StructDescription =>
  ({ name, key, prefix: P, label: name, fields, ...extra });

/**
 * §15.4 page range: start PFN bits 0–39, page count bits 40–63 of a u64. The language's masks are
 * 32-bit (and a u64 above 2^53 is a bigint, which masks do not apply to), so the same bits are read
 * as the low word, then the high word twice: its low byte (PFN bits 32–39) and its upper 24 bits; the
 * whole u64 is shown after them (`at: 0`: the encoder places a field that follows a shared wider one
 * at the end of what it wrote, so the u64 cannot come first).
 */
export const pageRange: StructDescription = {
  name: "PageRange", key: "range", prefix: `${P}.range`, label: "Page range", size: 8,
  fields: [
    hex("u32")("start_page_low", "Start PFN (bits 0–31)"),
    hex("u32")("start_page_high", "Start PFN (bits 32–39)", { mask: 0xff, shared: true }),
    u32("page_cnt", "Page count (bits 40–63)", { mask: 0xffffff00 }),
    hex("u64")("raw", "Page range (raw u64)", { at: 0 }),
    computed("u64")("start_page", "Start PFN", add(ref("start_page_low"), mul(ref("start_page_high"), 2 ** 32)), { base: "hex" }),
    computed("u64")("start_address", "Start address", mul(add(ref("start_page_low"), mul(ref("start_page_high"), 2 ** 32)), PAGE), { base: "hex" }),
    computed("u64")("range_bytes", "Size", mul(ref("page_cnt"), PAGE), { unit: "bytes" }),
  ],
  // Adds its pages to the message's running total (reset before the array).
  effects: [{ set: SUM_STATE, value: add(mux(isUnknown(state(SUM_STATE)), 0, state(SUM_STATE)), ref("page_cnt")) }],
};

/** Zero bytes long: starts the running total of the ranges that follow. */
const sumStart: StructDescription = {
  name: "RangeTotalStart", key: "range_total_start", prefix: P, label: "Range total", fields: [],
  effects: [{ set: SUM_STATE, value: 0 }],
};

/** The ranges, their total pages and size (the sum is kept in the session while the array decodes). */
const rangeList = (count: Expr): Field[] => [
  struct("range_total_start", "Range total", sumStart),
  array("ranges", "Page ranges", pageRange, { count }),
  computed("u64")("total_pages", "Total pages", state(SUM_STATE)),
  computed("u64")("total_bytes", "Total size", mul(state(SUM_STATE), PAGE), { unit: "bytes" }),
  computed("u32")("total_mib", "Total size (MiB)", div(mul(state(SUM_STATE), PAGE), 2 ** 20), { unit: "MiB" }),
];
/** The ranges must lie inside the size the header states. */
const rangesInside = (count: string) =>
  ({ fails: gt(add(16, mul(ref(count), 8)), ref("size")), field: count, text: `{${count}:raw} page ranges (8 bytes each after 16) run past the message's stated size` });

const versionRequest = msg("VersionRequest", "version_request", [
  enumOf("u32", dmVersions)("version", "Version", { base: "hex", shared: true }),
  u32("version_minor", "Minor", { mask: 0xffff, shared: true }),
  u32("version_major", "Major", { mask: 0xffff0000 }),
  flagsOf("u32", [{ mask: 1, key: "is_last_attempt", label: "Last attempt" }])("version_bits", "Flags"),
], { info: "{version} {version_bits:bits}", effects: [{ set: REQUESTED_STATE, value: ref("version") }] });

const acceptedBits = flagsOf("u64", [{ mask: 1, key: "is_accepted", label: "Accepted" }]);
const versionResponse = msg("VersionResponse", "version_response", [acceptedBits("response_bits", "Flags")], {
  info: "{response_bits:bits}",
  effects: [{ set: VERSION_STATE, value: state(REQUESTED_STATE), when: and(eq(ref("response_bits"), 1), eq(state(REQUESTED_STATE), state(REQUESTED_STATE))), negotiated: dmVersions }],
});

const capabilities = msg("CapabilitiesReport", "capabilities_report", [
  u32("hot_add_alignment", "Hot-add alignment (2^n MiB)", { mask: 0x3c, shared: true }),
  hex("u32")("caps_reserved", "Reserved (bits 6–31; bits 32–63 in the u64)", { mask: 0xffffffc0, shared: true }),
  flagsOf("u64", [{ mask: 1, key: "balloon", label: "Balloon" }, { mask: 2, key: "hot_add", label: "Hot add" }])("caps", "Capabilities"),
  u64("min_page_cnt", "Minimum page count"),
  hex("u64")("max_page_number", "Maximum page number"),
], { info: "{caps:bits} alignment 2^{hot_add_alignment:raw} MiB" });

const capabilitiesResponse = msg("CapabilitiesResponse", "capabilities_response", [acceptedBits("response_bits", "Flags")], { info: "{response_bits:bits}" });

const pages = (key: string, label: string): Field => u64(key, label, { unit: "pages" });
const statusReport = msg("StatusReport", "status_report", [
  pages("num_avail", "Available"),
  pages("num_committed", "Committed"),
  pages("page_file_size", "Page-file size"),
  pages("zero_free", "Zero and free pages"),
  u32("page_file_writes", "Page-file writes"),
  u32("io_diff", "I/O difference (file-cache efficiency)"),
  computed("u64")("committed_mib", "Committed (MiB)", div(ref("num_committed"), 256), { unit: "MiB" }),
  computed("u64")("avail_mib", "Available (MiB)", div(ref("num_avail"), 256), { unit: "MiB" }),
], { info: "committed {committed_mib:raw} MiB, available {avail_mib:raw} MiB" });

const balloonRequest = msg("BalloonRequest", "balloon_request", [
  u32("num_pages", "Pages to balloon", { unit: "pages" }), hex("u32")("reservedz", "Reserved"),
  computed("u32")("request_mib", "Requested (MiB)", div(ref("num_pages"), 256), { unit: "MiB" }),
], { info: "{num_pages:raw} pages ({request_mib:raw} MiB)" });

const balloonResponse = msg("BalloonResponse", "balloon_response", [
  hex("u32")("reservedz", "Reserved"),
  u32("more_pages", "More pages (more responses follow)", { mask: 1, shared: true }),
  u32("range_count", "Range count", { mask: 0xfffffffe, filter: "dm.response.range_count" }),
  ...rangeList(ref("range_count")),
], { info: "{total_mib:raw} MiB in {range_count:raw} ranges", checks: [rangesInside("range_count")] });

const unballoonRequest = msg("UnballoonRequest", "unballoon_request", [
  u32("more_pages", "More pages (more requests follow)", { mask: 1, shared: true }),
  hex("u32")("unballoon_reserved", "Reserved", { mask: 0xfffffffe }),
  u32("range_count", "Range count"),
  ...rangeList(ref("range_count")),
], { info: "{total_mib:raw} MiB in {range_count:raw} ranges", checks: [rangesInside("range_count")] });

const empty = (name: string, key: string) => msg(name, key, []);

const hotAddRequest = msg("MemHotAddRequest", "hot_add_request", [
  struct("range_total_start", "Range total", sumStart),
  struct("range", "Pages to add", pageRange),
  computed("u32")("add_mib", "To add (MiB)", div(mul(state(SUM_STATE), PAGE), 2 ** 20), { unit: "MiB" }),
  struct("region", "Hot-add region", pageRange, { when: gt(ref("size"), 16) }),
], { info: "{add_mib:raw} MiB at PFN {start_page}" });

const hotAddResponse = msg("MemHotAddResponse", "hot_add_response", [
  u32("page_count", "Pages added", { unit: "pages" }),
  u32("result", "Result", { values: { 0: "failure (transient)", 1: "success" } }),
  computed("u32")("added_mib", "Added (MiB)", div(ref("page_count"), 256), { unit: "MiB" }),
], { info: "{added_mib:raw} MiB {result}" });

const infoItem: StructDescription = {
  name: "InfoItem", key: "info_item", prefix: `${P}.info`, label: "Information",
  fields: [
    u32("info_type", "Type", { values: { 0: "MAX_PAGE_CNT" } }),
    u32("data_size", "Data size", { unit: "bytes" }),
    u64("max_page_count", "Maximum dynamic memory", { unit: "pages", when: and(eq(ref("info_type"), 0), eq(ref("data_size"), 8)) }),
    computed("u64")("max_mib", "Maximum dynamic memory (MiB)", div(ref("max_page_count"), 256), { unit: "MiB", when: and(eq(ref("info_type"), 0), eq(ref("data_size"), 8)) }),
    bytes("info_data", "Data", ref("data_size"), { when: or(ne(ref("info_type"), 0), ne(ref("data_size"), 8)) }),
  ],
  info: "max {max_mib:raw} MiB",
};
const infoMessage = msg("InfoMessage", "info_message", [
  hex("u32")("info_reserved", "Reserved"),
  u32("info_size", "Information size", { unit: "bytes" }),
  array("infos", "Information", infoItem, { count: 1, when: ge(ref("info_size"), 8) }),
]);

/** The body's bytes as the header states them (the VMBus padding after them is the message's padding). */
const statedBody = (label: string): Field => bytes("body_data", label, min(sub(ref("size"), 8), remaining), { when: and(gt(ref("size"), 8), hasBytes(1)) });
const errorMessage = msg("Error", "error", [statedBody("Body (no layout defined)")]);
const unknown = msg("Unknown", "unknown", [statedBody("Body")]);

export const dmBodies: Record<number, StructDescription> = {
  0: errorMessage, 1: versionRequest, 2: versionResponse, 3: capabilities, 4: capabilitiesResponse, 5: statusReport,
  6: balloonRequest, 7: balloonResponse, 8: unballoonRequest, 9: empty("UnballoonResponse", "unballoon_response"),
  10: hotAddRequest, 11: hotAddResponse, 12: infoMessage,
};

const isRequest = or(or(eq(ref("msg_type"), 1), eq(ref("msg_type"), 3)), or(or(eq(ref("msg_type"), 6), eq(ref("msg_type"), 8)), eq(ref("msg_type"), 10)));
const isResponse = or(or(eq(ref("msg_type"), 2), eq(ref("msg_type"), 4)), or(or(eq(ref("msg_type"), 7), eq(ref("msg_type"), 9)), eq(ref("msg_type"), 11)));

export const dmMessage: StructDescription = {
  name: "DmMessage", key: "msg", prefix: P, label: "Dynamic memory message",
  fields: [
    enumOf("u16", dmTypes)("msg_type", "Message type"),
    u16("size", "Size (header included)", { unit: "bytes" }),
    hex("u32")("trans_id", "Transaction id"),
    choice("body", "Body", ref("msg_type"), dmBodies, { default: unknown }),
    bytes("padding", "Padding (beyond the stated size)", "rest", { when: hasBytes(1) }),
  ],
  minSize: 8,
  info: "DM {msg_type}",
  checks: [
    { fails: gt(ref("size"), add(offset, remaining)), field: "size", text: "stated size {size:raw} runs past the message" },
    { fails: lt(ref("size"), 8), field: "size", text: "stated size {size:raw} is smaller than the 8-byte header" },
  ],
  // Answers follow the kind of request (type + 1, other direction): the last request of that kind.
  pairing: [
    { namespace: P, role: "request", id: ref("msg_type"), when: isRequest, text: "{msg_type}" },
    { namespace: P, role: "response", id: sub(ref("msg_type"), 1), when: isResponse, say: "for {answers}" },
  ],
};

export const dmProtocol: ProtocolDescription = { name: "dm", short: "DM", label: "Dynamic memory (hv_balloon)", root: dmMessage, messageType: ["dm.msg_type"] };
