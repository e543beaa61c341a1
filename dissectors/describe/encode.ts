// The encoder: walks the same descriptions as the decoder to build records for samples and tests.
// Values are given by field key; nested structs and switch bodies as nested objects, arrays as
// arrays of objects, hand-offs as the raw bytes of the inner protocol.

import type { FieldValue } from "../tree.js";
import { compileExpr, isTrue, newScope, referencedNames, type Scope, type StateReader } from "./expr.js";
import { guidBytes } from "./read.js";
import { scalarSize } from "./read.js";
import type { BlobField, Expr, Field, ScalarField, ScalarType, StructDescription } from "./types.js";

export type EncodeValue = FieldValue | EncodeValues | EncodeValues[] | undefined;
export interface EncodeValues { [key: string]: EncodeValue }

const noState: StateReader = { get: () => undefined };

class ByteWriter {
  bytes = new Uint8Array(256);
  length = 0;
  ensure(size: number): void {
    if (size <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(size, this.bytes.length * 2));
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }
  writeAt(at: number, data: Uint8Array): void {
    this.ensure(at + data.length);
    this.bytes.set(data, at);
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

function textBytes(field: BlobField, value: EncodeValue): Uint8Array {
  if (value instanceof Uint8Array) return value;
  const text = value === undefined || value === null ? "" : String(value);
  switch (field.type) {
    case "guid": return guidBytes(text) ?? new Uint8Array(16);
    case "utf16": return Uint8Array.from(Array.from(text, (c) => c.charCodeAt(0)).flatMap((u) => [u & 0xff, u >> 8]));
    case "ascii": return Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
    case "ipv4": return Uint8Array.from(text.split(".").map(Number));
    case "mac": return Uint8Array.from(text.split(":").map((h) => parseInt(h, 16)));
    default: return new Uint8Array(0);
  }
}

const mentionsRemaining = (expr: Expr | undefined): boolean =>
  expr !== undefined && typeof expr !== "number" && (expr.op === "remaining" || ("a" in expr && (mentionsRemaining(expr.a) || ("b" in expr && mentionsRemaining(expr.b)))));

function isPresent(field: Field, values: EncodeValues, scope: Scope): boolean {
  if (field.when === undefined) return true;
  if (mentionsRemaining(field.when)) return values[field.key] !== undefined;
  return isTrue(compileExpr(field.when)(scope, noState));
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
function sized(bytes: Uint8Array, field: BlobField, scope: Scope): Uint8Array {
  if (field.length === "rest" || mentionsRemaining(field.length)) return bytes;
  const length = compileExpr(field.length)(scope, noState);
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

function encodeField(field: Field, values: EncodeValues, writer: ByteWriter, start: number, parent: Scope | undefined): void {
  const scope = scopeOf(values, parent, start, writer.length);
  if (!isPresent(field, values, scope)) return;
  const at = field.at === undefined ? writer.length : start + compileExpr(field.at)(scope, noState);
  if (at > writer.length) writer.padTo(at);
  const value = values[field.key];
  switch (field.kind) {
    case "scalar": return writer.writeAt(at, scalarBytes((field as ScalarField).type, value));
    case "blob": return writer.writeAt(at, sized(textBytes(field, value), field, scope));
    case "handoff": return writer.writeAt(at, value instanceof Uint8Array ? value : new Uint8Array(0));
    case "struct": return writer.writeAt(at, encodeStruct(field.struct, (value ?? {}) as EncodeValues, scope));
    case "array":
      for (const element of (value ?? []) as EncodeValues[]) writer.writeAt(writer.length, encodeStruct(field.element, element, scope));
      return;
    case "switch": {
      const key = compileExpr(field.on)(scope, noState);
      const chosen = field.cases[key] ?? field.default;
      if (chosen) writer.writeAt(at, encodeStruct(chosen, (value ?? {}) as EncodeValues, scope));
      return;
    }
  }
}

/** Builds the bytes of a struct from its field values. */
export function encodeStruct(description: StructDescription, values: EncodeValues, parent?: Scope): Uint8Array {
  const writer = new ByteWriter();
  const filled = fillCounts(description, values);
  for (const field of description.fields) encodeField(field, filled, writer, 0, parent);
  if (description.size !== undefined) writer.padTo(description.size);
  return writer.bytes.slice(0, writer.length);
}
