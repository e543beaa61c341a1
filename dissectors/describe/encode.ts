// The encoder: walks the same descriptions as the decoder to build records for samples and tests.
// Values are given by field key; nested structs and switch bodies as nested objects, arrays as
// arrays of objects, hand-offs as the raw bytes of the inner protocol.

import type { FieldValue } from "../tree.js";
import { bitwiseAnd, compileExpr, maskShift, isTrue, newScope, referencedNames, type Scope, type StateReader } from "./expr.js";
import { bitSpan, guidBytes, scalarSize } from "./read.js";
import type { BitsField, BlobField, Expr, Field, ScalarField, ScalarType, StructDescription } from "./types.js";

export type EncodeValue = FieldValue | EncodeValues | EncodeValues[] | undefined;
export interface EncodeValues { [key: string]: EncodeValue }

const noState: StateReader = { get: () => undefined };

/** Encoded records are packets: far below this; anything larger is a bad length in the values. */
const MAX_ENCODED_BYTES = 1 << 26;

class ByteWriter {
  bytes = new Uint8Array(256);
  length = 0;
  ensure(size: number): void {
    if (size <= this.bytes.length) return;
    if (!Number.isSafeInteger(size) || size > MAX_ENCODED_BYTES) throw new RangeError(`cannot encode ${size} bytes`);
    const grown = new Uint8Array(Math.max(size, this.bytes.length * 2));
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }
  writeAt(at: number, data: Uint8Array): void {
    this.ensure(at + data.length);
    this.bytes.set(data, at);
    this.length = Math.max(this.length, at + data.length);
  }
  /** ORs the bytes in: bit fields that share a word each add their bits. */
  orAt(at: number, data: Uint8Array): void {
    this.ensure(at + data.length);
    for (let i = 0; i < data.length; i++) this.bytes[at + i] |= data[i];
    this.length = Math.max(this.length, at + data.length);
  }
  padTo(size: number): void {
    this.ensure(size);
    this.length = Math.max(this.length, size);
  }
}

function scalarBytes(type: ScalarType, raw: EncodeValue): Uint8Array {
  const out = new Uint8Array(scalarSize(type));
  const view = new DataView(out.buffer);
  const value = typeof raw === "boolean" ? (raw ? 1 : 0) : raw ?? 0;
  if (typeof value !== "number" && typeof value !== "bigint") throw new Error(`not a number: ${String(value)}`);
  const n = Number(value);
  switch (type) {
    case "u8": case "i8": case "bool8": view.setUint8(0, n & 0xff); break;
    case "u16": case "i16": view.setUint16(0, n & 0xffff, true); break;
    case "u24": view.setUint16(0, n & 0xffff, true); view.setUint8(2, (n >>> 16) & 0xff); break;
    case "u32": case "i32": view.setUint32(0, n >>> 0, true); break;
    case "u64": case "i64": case "filetime": view.setBigUint64(0, BigInt.asUintN(64, BigInt(value)), true); break;
    case "u16be": view.setUint16(0, n & 0xffff, false); break;
    case "u24be": view.setUint16(0, (n >>> 8) & 0xffff, false); view.setUint8(2, n & 0xff); break;
    case "u32be": view.setUint32(0, n >>> 0, false); break;
    case "u64be": view.setBigUint64(0, BigInt.asUintN(64, BigInt(value)), false); break;
  }
  return out;
}

/** "fe80::1" and the full form; groups that are not hex become 0. */
function ipv6Bytes(text: string): Uint8Array {
  const [head, tail] = text.includes("::") ? text.split("::", 2) : [text, undefined];
  const groups = (part: string | undefined): number[] => (part ? part.split(":").map((g) => parseInt(g, 16) || 0) : []);
  const left = groups(head);
  const right = groups(tail);
  const all = tail === undefined ? left : [...left, ...new Array<number>(Math.max(0, 8 - left.length - right.length)).fill(0), ...right];
  const out = new Uint8Array(16);
  all.slice(0, 8).forEach((group, i) => { out[2 * i] = group >> 8; out[2 * i + 1] = group & 0xff; });
  return out;
}

function textBytes(field: BlobField, value: EncodeValue): Uint8Array {
  if (value instanceof Uint8Array) return value;
  const text = value === undefined || value === null ? "" : String(value);
  switch (field.type) {
    case "guid": return guidBytes(text) ?? new Uint8Array(16);
    case "utf16": return Uint8Array.from(Array.from(text, (c) => c.charCodeAt(0)).flatMap((u) => [u & 0xff, u >> 8]));
    case "ascii": return Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
    case "ipv4": return Uint8Array.from(text.split(".").map(Number));
    case "mac": return Uint8Array.from(text.split(":").map((h) => parseInt(h, 16)));
    case "ipv6": return ipv6Bytes(text);
    default: return new Uint8Array(0);
  }
}

/** Expressions about the bytes themselves (what remains, what is there) cannot be evaluated before the bytes exist. */
const mentionsRemaining = (expr: Expr | undefined): boolean =>
  expr !== undefined && typeof expr !== "number" && (expr.op === "remaining" || expr.op === "peek" || (expr.op === "if" && mentionsRemaining(expr.c)) || ("a" in expr && (mentionsRemaining(expr.a) || ("b" in expr && mentionsRemaining(expr.b)))));

/** The raw integer of a masked, scaled field (the inverse of the decoder's `(raw & mask) >> shift`, times scale). */
function rawValue(field: ScalarField, value: EncodeValue): EncodeValue {
  if (field.mask === undefined && field.scale === undefined) return value;
  const n = typeof value === "boolean" ? (value ? 1 : 0) : Number(value ?? 0);
  const unscaled = Math.round(n / (field.scale ?? 1));
  return field.mask === undefined ? unscaled : bitwiseAnd(unscaled * 2 ** maskShift(field.mask), field.mask);
}

function isPresent(field: Field, values: EncodeValues, scope: Scope, state: StateReader): boolean {
  if (field.when === undefined) return true;
  if (mentionsRemaining(field.when)) return values[field.key] !== undefined;
  return isTrue(compileExpr(field.when)(scope, state));
}

/** Counts and lengths that name a field directly are filled from the data when not given. */
function fillCounts(description: StructDescription, values: EncodeValues): EncodeValues {
  const filled: EncodeValues = { ...values };
  for (const field of description.fields) {
    const given = values[field.key];
    const source = field.kind === "array" ? field.count : field.kind === "blob" && field.length !== "rest" ? field.length : undefined;
    const names = typeof source === "object" && source.op === "ref" ? referencedNames(source) : [];
    if (names.length !== 1 || filled[names[0]] !== undefined || given === undefined) continue;
    const size = Array.isArray(given) ? given.length : field.kind === "blob" ? textBytes(field, given).length : undefined;
    if (size !== undefined) filled[names[0]] = size;
  }
  return filled;
}

/** A blob of fixed or computed length is padded (or cut) to it. */
function sized(bytes: Uint8Array, field: BlobField, scope: Scope, state: StateReader): Uint8Array {
  if (field.length === "rest" || mentionsRemaining(field.length)) return bytes;
  const length = compileExpr(field.length)(scope, state);
  if (!Number.isFinite(length) || length === bytes.length) return bytes;
  const out = new Uint8Array(Math.max(0, length));
  out.set(bytes.subarray(0, out.length));
  return out;
}

function scopeOf(values: EncodeValues, parent: Scope | undefined, start: number, pos: number): Scope {
  const scope = newScope(parent, start, Infinity);
  scope.pos = pos;
  for (const [key, value] of Object.entries(values)) {
    if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") scope.values[key] = value;
  }
  return scope;
}

/** Writes one field; `here` is where it goes (a shared field's successor reuses its position). Returns where a scalar went. */
function encodeField(field: Field, values: EncodeValues, writer: ByteWriter, start: number, parent: Scope | undefined, state: StateReader, here = writer.length): number | undefined {
  const scope = scopeOf(values, parent, start, here);
  if (!isPresent(field, values, scope, state)) return undefined;
  // A position the encoder cannot work out (e.g. one that peeks at bytes not written yet) is the running one.
  const placed = field.at === undefined ? NaN : start + compileExpr(field.at)(scope, state);
  const at = Number.isFinite(placed) ? placed : here;
  if (at > writer.length) writer.padTo(at);
  const value = values[field.key];
  switch (field.kind) {
    case "scalar": {
      const bytes = scalarBytes(field.type, rawValue(field, value));
      if (field.mask !== undefined || (field.at === undefined && at < writer.length)) writer.orAt(at, bytes);
      else writer.writeAt(at, bytes);
      return at;
    }
    case "blob": {
      // A blob laid over fields already written (a decoded view and its bytes) adds nothing when not given.
      const bytes = sized(textBytes(field, value), field, scope, state);
      if (value === undefined && at < writer.length) writer.orAt(at, bytes);
      else writer.writeAt(at, bytes);
      return undefined;
    }
    case "bits": writeBits(writer, field, value, scope, state); return undefined;
    case "handoff": writer.writeAt(at, value instanceof Uint8Array ? value : new Uint8Array(0)); return undefined;
    case "computed": return undefined;
    case "struct": writer.writeAt(at, encodeStruct(field.struct, (value ?? {}) as EncodeValues, scope, state)); return undefined;
    case "array":
      for (const element of (value ?? []) as EncodeValues[]) writer.writeAt(writer.length, encodeStruct(field.element, element, scope, state));
      return undefined;
    case "switch": {
      const key = compileExpr(field.on)(scope, state);
      const chosen = field.cases[key] ?? field.default;
      if (chosen) writer.writeAt(at, encodeStruct(chosen, (value ?? {}) as EncodeValues, scope, state));
      return;
    }
  }
  return undefined;
}

/** ORs a bit field's value (two's complement when negative) into the bytes its bits touch. */
function writeBits(writer: ByteWriter, field: BitsField, value: EncodeValue, scope: Scope, state: StateReader): void {
  const [bitOffset, bitWidth] = [compileExpr(field.bitOffset)(scope, state), compileExpr(field.bitWidth)(scope, state)];
  if (!(bitOffset >= 0 && bitWidth >= 1 && bitWidth <= 32)) return;
  const n = typeof value === "boolean" ? +value : Number(value ?? 0);
  const unsigned = ((n % 2 ** bitWidth) + 2 ** bitWidth) % 2 ** bitWidth;
  const { at, length } = bitSpan(bitOffset, bitWidth);
  let word = unsigned * 2 ** (bitOffset - at * 8);
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++, word = Math.floor(word / 256)) bytes[i] = word % 256;
  writer.orAt(scope.start + at, bytes);
}

/** Builds the bytes of a struct from its field values; `state` stands for the session where layouts depend on it. */
export function encodeStruct(description: StructDescription, values: EncodeValues, parent?: Scope, state: StateReader = noState): Uint8Array {
  const writer = new ByteWriter();
  const filled = fillCounts(description, values);
  let shared: number | undefined;
  for (const field of description.fields) {
    const at = encodeField(field, filled, writer, 0, parent, state, shared);
    shared = field.kind === "scalar" && field.shared && at !== undefined ? at : undefined;
  }
  if (description.size !== undefined) writer.padTo(description.size);
  return writer.bytes.slice(0, writer.length);
}
