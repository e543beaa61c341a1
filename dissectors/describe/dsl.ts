// Terse constructors for descriptions, in the spirit of Scapy's field classes.
// `u32("child_relid", "Child relid")` reads better in a message table than an object literal.

import type {
  BitsField, ComputedNumber, ComputedText, NumberTable, TextExpr,
  ArrayField, BinaryOp, BitDescription, BlobField, BlobType, Expr, HandoffField, ScalarField,
  ScalarType, StructDescription, StructField, SwitchField, ValueStrings,
} from "./types.js";

type ScalarOptions = Partial<Omit<ScalarField, "kind" | "key" | "label" | "type">>;
type BlobOptions = Partial<Omit<BlobField, "kind" | "key" | "label" | "type" | "length">>;

const scalar = (type: ScalarType) =>
  (key: string, label: string, options: ScalarOptions = {}): ScalarField =>
    ({ kind: "scalar", key, label, type, ...options });

export const u8 = scalar("u8");
export const u16 = scalar("u16");
export const u24 = scalar("u24");
export const u32 = scalar("u32");
export const u64 = scalar("u64");
export const i8 = scalar("i8");
export const i16 = scalar("i16");
export const i32 = scalar("i32");
export const i64 = scalar("i64");
export const u16be = scalar("u16be");
export const u24be = scalar("u24be");
export const u32be = scalar("u32be");
export const u64be = scalar("u64be");
export const bool8 = scalar("bool8");
export const filetime = scalar("filetime");

/** A hexadecimal integer: handles, masks, addresses. */
export const hex = (type: ScalarType) =>
  (key: string, label: string, options: ScalarOptions = {}): ScalarField =>
    ({ kind: "scalar", key, label, type, base: "hex", ...options });

export const enumOf = (type: ScalarType, values: ValueStrings) =>
  (key: string, label: string, options: ScalarOptions = {}): ScalarField =>
    ({ kind: "scalar", key, label, type, values, ...options });

export const flagsOf = (type: ScalarType, bits: readonly BitDescription[]) =>
  (key: string, label: string, options: ScalarOptions = {}): ScalarField =>
    ({ kind: "scalar", key, label, type, bits, base: "hex", ...options });

/** A field that must be zero (reserved, padding); anything else is noted. */
export const reserved = (type: ScalarType, key = `reserved_${type}`, label = "Reserved"): ScalarField =>
  ({ kind: "scalar", key, label, type, base: "hex", expect: 0 });

const blob = (type: BlobType) =>
  (key: string, label: string, length: Expr | "rest", options: BlobOptions = {}): BlobField =>
    ({ kind: "blob", key, label, type, length, ...options });

export const bytes = blob("bytes");
export const utf16 = blob("utf16");
export const ascii = blob("ascii");
export const guid = (key: string, label: string, options: BlobOptions = {}): BlobField =>
  ({ kind: "blob", key, label, type: "guid", length: 16, ...options });
export const ipv4 = (key: string, label: string): BlobField => ({ kind: "blob", key, label, type: "ipv4", length: 4 });
export const ipv6 = (key: string, label: string): BlobField => ({ kind: "blob", key, label, type: "ipv6", length: 16 });
export const mac = (key: string, label: string): BlobField => ({ kind: "blob", key, label, type: "mac", length: 6 });

export const struct = (key: string, label: string, description: StructDescription, options: Partial<StructField> = {}): StructField =>
  ({ kind: "struct", key, label, struct: description, ...options });

export const array = (key: string, label: string, element: StructDescription, options: Partial<ArrayField> = {}): ArrayField =>
  ({ kind: "array", key, label, element, ...options });

export const choice = (key: string, label: string, on: Expr, cases: Record<number, StructDescription>, options: Partial<SwitchField> = {}): SwitchField =>
  ({ kind: "switch", key, label, on, cases, ...options });

export const handoff = (key: string, label: string, table: string, options: Partial<HandoffField> = {}): HandoffField =>
  ({ kind: "handoff", key, label, table, ...options });

/** Bit fields of one word (Wireshark's masked header fields): every field but the last reads the same bytes. */
export const sameBytes = (...fields: ScalarField[]): ScalarField[] =>
  fields.map((field, index) => (index < fields.length - 1 ? { ...field, shared: true } : field));

/** The same fields, present only when the condition holds (a version- or size-dependent part). */
export const onlyWhen = <T extends { when?: Expr }>(condition: Expr, ...fields: T[]): T[] =>
  fields.map((field) => ({ ...field, when: field.when === undefined ? condition : and(condition, field.when) }));

/** A value computed from other fields (a generated item): computed("u64")("blocks", "Blocks", add(ref("last_lba"), 1)). */
export const computed = (type: ScalarType) =>
  (key: string, label: string, value: Expr, options: Partial<Omit<ComputedNumber, "kind" | "key" | "label" | "type" | "value">> = {}): ComputedNumber =>
    ({ kind: "computed", key, label, type, value, ...options });

/** An integer at a bit position and width that are data: bitsAt("i32")("x", "X", state("channel.x.offset"), state("channel.x.size")). */
export const bitsAt = (type: "u32" | "i32") =>
  (key: string, label: string, bitOffset: Expr, bitWidth: Expr, options: Partial<Omit<BitsField, "kind" | "key" | "label" | "type" | "bitOffset" | "bitWidth">> = {}): BitsField =>
    ({ kind: "bits", key, label, type, bitOffset, bitWidth, ...options });

/** A derived string: computedText("pci_id", "PCI id", join(digits(ref("vendor_id"), 16, 4), ":", digits(ref("device_id"), 16, 4))). */
export const computedText = (key: string, label: string, text: TextExpr, options: Partial<Omit<ComputedText, "kind" | "key" | "label" | "type" | "text">> = {}): ComputedText =>
  ({ kind: "computed", key, label, type: "string", text, ...options });

// Text
/** A number's digits (no "0x"), padded with zeros to width. */
export const digits = (value: Expr, radix: 10 | 16 = 10, width?: number): TextExpr => ({ text: "number", value, radix, width });
/** The name the value strings give the key; no text when they have none. */
export const nameIn = (table: ValueStrings, key: Expr): TextExpr => ({ text: "name", table, key });
export const join = (...parts: TextExpr[]): TextExpr => ({ text: "join", parts });
export const textIf = (condition: Expr, ifTrue: TextExpr, ifFalse: TextExpr): TextExpr => ({ text: "if", c: condition, a: ifTrue, b: ifFalse });

// Expressions
export const ref = (name: string): Expr => ({ op: "ref", name });
export const state = (name: string): Expr => ({ op: "state", name });
export const remaining: Expr = { op: "remaining" };
export const offset: Expr = { op: "offset" };
/** The integer of that type in the bytes at `at` from the struct start (default: here), before any field reads it; NaN past the end. */
export const peek = (type: ScalarType, at?: Expr): Expr => (at === undefined ? { op: "peek", type } : { op: "peek", type, at });
const binary = (op: BinaryOp) => (a: Expr, b: Expr): Expr => ({ op, a, b });
export const add = binary("+");
export const shr = binary(">>");
export const le = binary("<=");
export const sub = binary("-");
export const mul = binary("*");
export const ceilDiv = binary("ceildiv");
export const bitAnd = binary("&");
export const min = binary("min");
export const eq = binary("==");
export const ne = binary("!=");
export const lt = binary("<");
export const ge = binary(">=");
export const gt = binary(">");
export const and = binary("&&");
export const or = binary("||");
export const not = (a: Expr): Expr => ({ op: "!", a });
/** True when at least n bytes remain in the struct. */
/** ifTrue when the condition holds, else ifFalse; only the chosen branch is evaluated (a NaN in the other does not matter). */
export const mux = (condition: Expr, ifTrue: Expr, ifFalse: Expr): Expr => ({ op: "if", c: condition, a: ifTrue, b: ifFalse });
/** True when the expression has no value (an absent field or state). */
export const isUnknown = (value: Expr): Expr => ne(value, value);
export const hasBytes = (n: number): Expr => ge(remaining, n);
/** True when the whole struct is at least n bytes (unlike hasBytes, the same for every field of a group). */
export const sizeAtLeast = (n: number): Expr => ge(add(offset, remaining), n);
/** True when the bits of mask are set in a field. */
export const bitSet = (name: string, mask: number): Expr => ne(bitAnd(ref(name), mask), 0);
/** The whole struct's size in bytes (the same for every field and check of it). */
export const structSize: Expr = add(offset, remaining);
/** The number the table holds for the key; unknown (NaN) when it has none. */
export const lookup = (table: NumberTable, key: Expr): Expr => ({ op: "lookup", table, a: key });
/** True when the value strings name the key. */
export const known = (table: ValueStrings, key: Expr): Expr => ({ op: "known", table, a: key });
