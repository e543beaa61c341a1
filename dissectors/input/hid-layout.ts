// Input reports laid out by the captured HID report descriptor (HID 1.11 §6.2.2, §8.4): the
// descriptor's items are parsed as they decode, their global and local state kept as channel state,
// and each Input main item places the fields it declares (X, Y, wheel, buttons) at the running bit
// offset. The report then reads each field at its place, width and signedness. Push, Pop and
// several reports with their own IDs interleaved are not followed (a mouse has one input report).

import {
  add, and, bitAnd, bitsAt, computedText, digits, eq, ge, gt, isUnknown, join, le, lt, mul, mux, ne, not, or, ref, state, sub, textIf, u8,
} from "../describe/dsl.js";
import type { BitDescription, Expr, StateEffect, StructDescription, TextExpr } from "../describe/types.js";

/** Channel state of the descriptor parser and of the layout it found. */
const RD = "channel.synthhid.rd.";
const rd = (name: string): Expr => state(`${RD}${name}`);
const orZero = (value: Expr): Expr => mux(isUnknown(value), 0, value);

export const USAGE_PAGE_STATE = "channel.synthhid.usage_page";
const REPORT_SIZE_STATE = "channel.synthhid.report_size";
const REPORT_COUNT_STATE = "channel.synthhid.report_count";
const GENERIC_DESKTOP = 0x01;
const BUTTON_PAGE = 0x09;
const MAX_FIELD_BITS = 32;

/** Item prefixes with the size bits cleared (HID 1.11 §6.2.2.4–8). */
const ITEM = {
  input: 0x80, output: 0x90, feature: 0xb0, collection: 0xa0, endCollection: 0xc0,
  usagePage: 0x04, logicalMin: 0x14, logicalMax: 0x24, reportSize: 0x74, reportId: 0x84, reportCount: 0x94,
  usage: 0x08, usageMin: 0x18, usageMax: 0x28,
} as const;

/** The decoded item is of this kind (a short item: `item` holds prefix bits 2-7). */
const itemIs = (prefix: number): Expr => and(eq(ref("item"), prefix >> 2), ne(ref("prefix"), 0xfe));
const isMainItem = [ITEM.input, ITEM.output, ITEM.feature, ITEM.collection, ITEM.endCollection].map(itemIs).reduce((a, b) => or(a, b));
const value = ref("value");
const reportSize = state(REPORT_SIZE_STATE);
const reportCount = state(REPORT_COUNT_STATE);
const usageCount = orZero(rd("usage_count"));
const bitOffset = orZero(rd("bit_offset"));
/** An Input item that carries data in variables (not constant padding, not an array of usages). */
const inputVariables = and(itemIs(ITEM.input), eq(bitAnd(orZero(value), 0x3), 0x2));

/** Up to this many Usage items before a main item are followed (X, Y, Z and wheel fit). */
const USAGE_SLOTS = 4;
const slots = Array.from({ length: USAGE_SLOTS }, (_, slot) => slot);

/** The index of a usage among the local ones: the Usage items first, else its place in a Usage Minimum..Maximum range. */
function indexOfUsage(usage: number): Expr {
  const inRange = and(le(rd("usage_min"), usage), ge(rd("usage_max"), usage));
  return slots.reduceRight<Expr>((otherwise, slot) =>
    mux(and(gt(usageCount, slot), eq(rd(`usage${slot}`), usage)), slot, otherwise), mux(inRange, sub(usage, rd("usage_min")), NaN));
}

/** An Input item that declares this Generic Desktop usage places the field at its slot's bits. */
function placeField(name: string, usage: number): StateEffect[] {
  const index = indexOfUsage(usage);
  const when = and(and(inputVariables, eq(state(USAGE_PAGE_STATE), GENERIC_DESKTOP)), and(not(isUnknown(index)), lt(index, reportCount)));
  return [
    { set: `${RD}${name}.offset`, value: add(bitOffset, mul(index, reportSize)), when },
    { set: `${RD}${name}.size`, value: reportSize, when },
    { set: `${RD}${name}.min`, value: orZero(rd("logical_min")), when },
    { set: `${RD}${name}.max`, value: rd("logical_max"), when },
    { set: `${RD}${name}.report_id`, value: orZero(rd("report_id")), when },
  ];
}

/** Buttons are one bit each on the Button page; all of them form one field. */
const buttonsWhen = and(and(inputVariables, eq(state(USAGE_PAGE_STATE), BUTTON_PAGE)), eq(reportSize, 1));
const placeButtons: StateEffect[] = [
  { set: `${RD}buttons.offset`, value: bitOffset, when: buttonsWhen },
  { set: `${RD}buttons.size`, value: mux(gt(reportCount, MAX_FIELD_BITS), MAX_FIELD_BITS, reportCount), when: buttonsWhen },
];

const FIELDS = ["x", "y", "wheel", "buttons"];

/** Before a descriptor's items: nothing placed, no report id, no usages, bit 0. */
export const descriptorReset: StateEffect[] = [
  ...["bit_offset", "report_id", "usage_count", "usage_min", "usage_max", "logical_min", "described"].map((name) => ({ set: `${RD}${name}`, value: 0 })),
  ...FIELDS.map((name) => ({ set: `${RD}${name}.size`, value: 0 })),
];

/** What each item teaches the parser, in the order HID applies it: fields are placed before the offset moves on. */
export const descriptorEffects: StateEffect[] = [
  { set: USAGE_PAGE_STATE, value, when: itemIs(ITEM.usagePage) },
  { set: REPORT_SIZE_STATE, value, when: itemIs(ITEM.reportSize) },
  { set: REPORT_COUNT_STATE, value, when: itemIs(ITEM.reportCount) },
  { set: `${RD}logical_min`, value: ref("signed_value"), when: itemIs(ITEM.logicalMin) },
  // As Linux reads it: the maximum is signed only when the minimum is negative (0xFF means 255 after a minimum of 0).
  { set: `${RD}logical_max`, value: mux(lt(orZero(rd("logical_min")), 0), ref("signed_value"), value), when: itemIs(ITEM.logicalMax) },
  { set: `${RD}report_id`, value, when: itemIs(ITEM.reportId) },
  { set: `${RD}bit_offset`, value: 0, when: itemIs(ITEM.reportId) },
  ...slots.map((slot) => ({ set: `${RD}usage${slot}`, value, when: and(itemIs(ITEM.usage), eq(usageCount, slot)) })),
  { set: `${RD}usage_count`, value: add(usageCount, 1), when: itemIs(ITEM.usage) },
  { set: `${RD}usage_min`, value, when: itemIs(ITEM.usageMin) },
  { set: `${RD}usage_max`, value, when: itemIs(ITEM.usageMax) },
  ...placeField("x", 0x30), ...placeField("y", 0x31), ...placeField("wheel", 0x38), ...placeButtons,
  { set: `${RD}bit_offset`, value: add(bitOffset, mul(reportSize, reportCount)), when: itemIs(ITEM.input) },
  { set: `${RD}described`, value: and(gt(rd("x.size"), 0), gt(rd("y.size"), 0)), when: itemIs(ITEM.input) },
  // A main item ends the local items (usages) that described it.
  ...["usage_count", "usage_min", "usage_max"].map((name) => ({ set: `${RD}${name}`, value: 0, when: isMainItem })),
];

/** The channel's descriptor placed X and Y: its input reports are read by it. */
export const describedLayout: Expr = eq(rd("described"), 1);

const reportId = rd("x.report_id");
const hasReportId = gt(reportId, 0);
/** Offsets count from the report's data, after the report id byte when the descriptor declares one. */
const at = (name: string): Expr => add(rd(`${name}.offset`), mux(hasReportId, 8, 0));
const present = (name: string): Expr => gt(rd(`${name}.size`), 0);
const placeText = (name: string, label: string): TextExpr =>
  textIf(present(name), join(label, " ", digits(rd(`${name}.size`)), " bits at bit ", digits(at(name))), "");

/** Fields of a report as its descriptor lays them out. */
export function describedReport(prefix: string, buttons: readonly BitDescription[]): StructDescription {
  return {
    name: "DescribedMouseReport", key: "input", prefix, label: "Mouse report (laid out by the captured report descriptor)",
    fields: [
      u8("report_id", "Report id", { when: hasReportId }),
      bitsAt("u32")("buttons", "Buttons", at("buttons"), rd("buttons.size"), { bits: buttons, when: present("buttons") }),
      bitsAt("i32")("x", "X", at("x"), rd("x.size"), { signed: lt(rd("x.min"), 0) }),
      bitsAt("i32")("y", "Y", at("y"), rd("y.size"), { signed: lt(rd("y.min"), 0) }),
      bitsAt("i32")("wheel", "Wheel", at("wheel"), rd("wheel.size"), { signed: lt(rd("wheel.min"), 0), when: present("wheel") }),
      computedText("layout", "Layout (from the report descriptor)", join(
        textIf(hasReportId, join("report id ", digits(reportId), "; "), ""),
        placeText("x", "X"), ", ", placeText("y", "Y"), textIf(present("buttons"), ", ", ""), placeText("buttons", "buttons"),
        textIf(present("wheel"), ", ", ""), placeText("wheel", "wheel"),
      )),
    ],
    checks: [{
      fails: and(hasReportId, ne(ref("report_id"), reportId)), field: "report_id", severity: "warn", group: "protocol",
      text: "report id {report_id:raw} is not the one the descriptor gives X and Y ({expected})", args: { expected: digits(reportId) },
    }],
    info: "mouse X={x:raw} Y={y:raw} buttons {buttons:bits}",
  };
}
