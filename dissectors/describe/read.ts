// Primitive readers: one DataView read per scalar, and the blob types' text forms.

import type { FieldValue } from "../tree.js";
import type { BlobType, ScalarType } from "./types.js";

const sizes: Record<ScalarType, number> = {
  u8: 1, u16: 2, u24: 3, u32: 4, u64: 8, i8: 1, i16: 2, i32: 4, i64: 8,
  u16be: 2, u24be: 3, u32be: 4, u64be: 8, bool8: 1, filetime: 8,
};

export const scalarSize = (type: ScalarType): number => sizes[type];

/** 64-bit values stay numbers while exact, bigints beyond 2^53. */
const exact = (value: bigint): number | bigint => (value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value);

type ScalarRead = (view: DataView, at: number) => number | bigint | boolean;

const readers: Record<ScalarType, ScalarRead> = {
  u8: (v, at) => v.getUint8(at),
  u16: (v, at) => v.getUint16(at, true),
  u24: (v, at) => v.getUint16(at, true) | (v.getUint8(at + 2) << 16),
  u32: (v, at) => v.getUint32(at, true),
  u64: (v, at) => exact(v.getBigUint64(at, true)),
  i8: (v, at) => v.getInt8(at),
  i16: (v, at) => v.getInt16(at, true),
  i32: (v, at) => v.getInt32(at, true),
  i64: (v, at) => exact(v.getBigInt64(at, true)),
  u16be: (v, at) => v.getUint16(at, false),
  u24be: (v, at) => (v.getUint16(at, false) << 8) | v.getUint8(at + 2),
  u32be: (v, at) => v.getUint32(at, false),
  u64be: (v, at) => exact(v.getBigUint64(at, false)),
  bool8: (v, at) => v.getUint8(at) !== 0,
  filetime: (v, at) => exact(v.getBigUint64(at, true)),
};

export const scalarReader = (type: ScalarType): ScalarRead => readers[type];

const hex2 = (byte: number): string => (byte < 16 ? "0" : "") + byte.toString(16);

/** Canonical text of a binary (mixed-endian) GUID: Data1..3 little-endian, Data4 in byte order. */
export function guidText(bytes: Uint8Array, at = 0): string {
  const b = (i: number) => hex2(bytes[at + i]);
  return `${b(3)}${b(2)}${b(1)}${b(0)}-${b(5)}${b(4)}-${b(7)}${b(6)}-${b(8)}${b(9)}-${b(10)}${b(11)}${b(12)}${b(13)}${b(14)}${b(15)}`;
}

/** The binary form of a GUID's text (braces and case accepted); undefined when it is not a GUID. */
export function guidBytes(text: string): Uint8Array | undefined {
  const match = /^\{?([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})\}?$/i.exec(text.trim());
  if (!match) return undefined;
  const out = new Uint8Array(16);
  const view = new DataView(out.buffer);
  view.setUint32(0, parseInt(match[1], 16), true);
  view.setUint16(4, parseInt(match[2], 16), true);
  view.setUint16(6, parseInt(match[3], 16), true);
  const tail = match[4] + match[5];
  for (let i = 0; i < 8; i++) out[8 + i] = parseInt(tail.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** UTF-16LE kept unit by unit, so lone surrogates survive to be shown (escaped) rather than lost. */
function utf16Text(bytes: Uint8Array, at: number, length: number, nulTerminated: boolean): string {
  let text = "";
  for (let i = at; i + 1 < at + length; i += 2) {
    const unit = bytes[i] | (bytes[i + 1] << 8);
    if (unit === 0 && nulTerminated) break;
    text += String.fromCharCode(unit);
  }
  return text;
}

function asciiText(bytes: Uint8Array, at: number, length: number, nulTerminated: boolean): string {
  let text = "";
  for (let i = at; i < at + length; i++) {
    if (bytes[i] === 0 && nulTerminated) break;
    text += String.fromCharCode(bytes[i]);
  }
  return text;
}

function ipv6Text(bytes: Uint8Array, at: number): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((bytes[at + 2 * i] << 8) | bytes[at + 2 * i + 1]);
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const text = groups.map((g) => g.toString(16));
  if (bestStart < 0) return text.join(":");
  return `${text.slice(0, bestStart).join(":")}::${text.slice(bestStart + bestLength).join(":")}`;
}

export function readBlob(type: BlobType, bytes: Uint8Array, at: number, length: number, nulTerminated: boolean): FieldValue {
  switch (type) {
    case "bytes": return bytes.subarray(at, at + length);
    case "utf16": return utf16Text(bytes, at, length, nulTerminated);
    case "ascii": return asciiText(bytes, at, length, nulTerminated);
    case "guid": return length === 16 ? guidText(bytes, at) : bytes.subarray(at, at + length);
    case "ipv4": return length === 4 ? `${bytes[at]}.${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}` : bytes.subarray(at, at + length);
    case "ipv6": return length === 16 ? ipv6Text(bytes, at) : bytes.subarray(at, at + length);
    case "mac": return length === 6 ? Array.from(bytes.subarray(at, at + 6), hex2).join(":") : bytes.subarray(at, at + length);
  }
}
