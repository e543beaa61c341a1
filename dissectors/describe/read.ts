// Primitive readers: one DataView read per scalar, and the blob types' text forms.

import type { FieldValue } from "../tree.js";
import type { BlobType, ScalarType } from "./types.js";

const sizes: Record<ScalarType, number> = {
  u8: 1, u16: 2, u24: 3, u32: 4, u64: 8, i8: 1, i16: 2, i32: 4, i64: 8,
  u16be: 2, u24be: 3, u32be: 4, u64be: 8, bool8: 1, filetime: 8,
};

export const scalarSize = (type: ScalarType): number => sizes[type];

// 64-bit values stay numbers while exact (|v| <= 2^53 - 1), bigints beyond. They are read as two
// 32-bit halves: a BigInt read costs about ten times as much, and most values are small.

const TWO_TO_32 = 4294967296;
/** High words below this keep the whole value under 2^53 (exact as a number). */
const SAFE_HIGH = 0x200000;

/** Unsigned 64-bit: a number while exact, else a bigint. */
export function readU64(view: DataView, at: number, littleEndian: boolean): number | bigint {
  const high = view.getUint32(littleEndian ? at + 4 : at, littleEndian);
  if (high >= SAFE_HIGH) return view.getBigUint64(at, littleEndian);
  return high * TWO_TO_32 + view.getUint32(littleEndian ? at : at + 4, littleEndian);
}

/** Signed 64-bit little-endian: a number while exact, else a bigint. */
export function readI64(view: DataView, at: number): number | bigint {
  const high = view.getInt32(at + 4, true);
  const low = view.getUint32(at, true);
  if (high > -SAFE_HIGH && high < SAFE_HIGH) return high * TWO_TO_32 + low;
  if (high === -SAFE_HIGH && low !== 0) return high * TWO_TO_32 + low;
  return view.getBigInt64(at, true);
}

type ScalarRead = (view: DataView, at: number) => number | bigint | boolean;

const readers: Record<ScalarType, ScalarRead> = {
  u8: (v, at) => v.getUint8(at),
  u16: (v, at) => v.getUint16(at, true),
  u24: (v, at) => v.getUint16(at, true) | (v.getUint8(at + 2) << 16),
  u32: (v, at) => v.getUint32(at, true),
  u64: (v, at) => readU64(v, at, true),
  i8: (v, at) => v.getInt8(at),
  i16: (v, at) => v.getInt16(at, true),
  i32: (v, at) => v.getInt32(at, true),
  i64: (v, at) => readI64(v, at),
  u16be: (v, at) => v.getUint16(at, false),
  u24be: (v, at) => (v.getUint16(at, false) << 8) | v.getUint8(at + 2),
  u32be: (v, at) => v.getUint32(at, false),
  u64be: (v, at) => readU64(v, at, false),
  bool8: (v, at) => v.getUint8(at) !== 0,
  filetime: (v, at) => readU64(v, at, true),
};

export const scalarReader = (type: ScalarType): ScalarRead => readers[type];

const HEX_BYTES: readonly string[] = Array.from({ length: 256 }, (_, byte) => (byte < 16 ? "0" : "") + byte.toString(16));
/** Two hex digits of a byte, from a table (GUIDs and MACs are in most records). */
const hex2 = (byte: number): string => HEX_BYTES[byte] ?? (byte < 16 ? "0" : "") + byte.toString(16);

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

function macText(bytes: Uint8Array, at: number): string {
  return `${hex2(bytes[at])}:${hex2(bytes[at + 1])}:${hex2(bytes[at + 2])}:${hex2(bytes[at + 3])}:${hex2(bytes[at + 4])}:${hex2(bytes[at + 5])}`;
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
    case "mac": return length === 6 ? macText(bytes, at) : bytes.subarray(at, at + length);
  }
}

/** Where a bit field lies: the bytes its bits touch, from the struct start. */
export function bitSpan(bitOffset: number, bitWidth: number): { at: number; length: number } {
  const at = Math.floor(bitOffset / 8);
  return { at, length: Math.ceil((bitOffset - at * 8 + bitWidth) / 8) };
}

/** The integer of `bitWidth` (≤ 32) bits at `bitOffset` from `start`, least significant bit first; sign-extended when asked. */
export function readBits(bytes: Uint8Array, start: number, bitOffset: number, bitWidth: number, signed: boolean): number {
  const { at, length } = bitSpan(bitOffset, bitWidth);
  let word = 0;
  for (let i = length - 1; i >= 0; i--) word = word * 256 + bytes[start + at + i];
  const value = Math.floor(word / 2 ** (bitOffset - at * 8)) % 2 ** bitWidth;
  return signed && value >= 2 ** (bitWidth - 1) ? value - 2 ** bitWidth : value;
}
