// Seeded mutations of records and files: bit flips, byte swaps, truncations, length and count
// fields set to 0, 1, max and off by one, splices of two records, attached data cut short.

import { AttachedSource, Direction, RecordKind, type VmbusRecord } from "../../capture/record.js";

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Rng = () => number;
const below = (rng: Rng, n: number): number => Math.floor(rng() * n);
const pick = <T>(rng: Rng, items: readonly T[]): T => items[below(rng, items.length)];

const INTERESTING_16 = [0, 1, 2, 7, 8, 0x7fff, 0x8000, 0xfffe, 0xffff];
const INTERESTING_32 = [0, 1, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

function flipBit(bytes: Uint8Array, rng: Rng): Uint8Array {
  if (bytes.length > 0) bytes[below(rng, bytes.length)] ^= 1 << below(rng, 8);
  return bytes;
}

function setByte(bytes: Uint8Array, rng: Rng): Uint8Array {
  if (bytes.length > 0) bytes[below(rng, bytes.length)] = pick(rng, [0, 1, 0x7f, 0x80, 0xff, below(rng, 256)]);
  return bytes;
}

function swapBytes(bytes: Uint8Array, rng: Rng): Uint8Array {
  if (bytes.length < 2) return bytes;
  const a = below(rng, bytes.length);
  const b = below(rng, bytes.length);
  [bytes[a], bytes[b]] = [bytes[b], bytes[a]];
  return bytes;
}

/** A length or count field set to an edge value, little-endian, at an aligned place. */
function interestingField(bytes: Uint8Array, rng: Rng, lengthHint: number): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (rng() < 0.5 && bytes.length >= 2) {
    view.setUint16(below(rng, bytes.length >> 1) * 2, pick(rng, [...INTERESTING_16, lengthHint - 1, lengthHint + 1, lengthHint >> 3]) & 0xffff, true);
  } else if (bytes.length >= 4) {
    view.setUint32(below(rng, bytes.length >> 2) * 4, pick(rng, [...INTERESTING_32, lengthHint - 1, lengthHint + 1]) >>> 0, true);
  }
  return bytes;
}

const truncate = (bytes: Uint8Array, rng: Rng): Uint8Array => bytes.slice(0, below(rng, bytes.length + 1));
const extend = (bytes: Uint8Array, rng: Rng): Uint8Array => Uint8Array.from([...bytes, ...Array.from({ length: below(rng, 64) }, () => below(rng, 256))]);

function splice(a: Uint8Array, b: Uint8Array, rng: Rng): Uint8Array {
  const cut = below(rng, a.length + 1);
  return Uint8Array.from([...a.subarray(0, cut), ...b.subarray(below(rng, b.length + 1))]);
}

export const byteMutators = [flipBit, setByte, swapBytes, truncate, extend] as const;

export function mutateBytes(bytes: Uint8Array, rng: Rng, other?: Uint8Array): Uint8Array {
  const copy = Uint8Array.from(bytes);
  const choice = below(rng, byteMutators.length + 2);
  if (choice === byteMutators.length) return interestingField(copy, rng, bytes.length);
  if (choice === byteMutators.length + 1 && other) return splice(copy, other, rng);
  return byteMutators[Math.min(choice, byteMutators.length - 1)](copy, rng);
}

function mutateAttached(record: VmbusRecord, rng: Rng): VmbusRecord {
  const attached = record.attached.map((chunk) => ({ ...chunk, data: rng() < 0.5 ? truncate(Uint8Array.from(chunk.data), rng) : mutateBytes(chunk.data, rng) }));
  if (rng() < 0.3) attached.push({ source: pick(rng, [AttachedSource.TransferPageRange, AttachedSource.GpaRange, AttachedSource.ProtocolBuffer]), index: below(rng, 4), offset: 0, data: extend(new Uint8Array(0), rng) });
  return { ...record, attached, flags: record.flags | (attached.length ? 4 : 0) };
}

function mutateMetadata(record: VmbusRecord, rng: Rng, classGuids: readonly Uint8Array[]): VmbusRecord {
  switch (below(rng, 4)) {
    case 0: return { ...record, kind: pick(rng, [RecordKind.ChannelMessage, RecordKind.RingPacket, RecordKind.SynicMessage]) };
    case 1: return { ...record, direction: pick(rng, [Direction.GuestToHost, Direction.HostToGuest, Direction.Unknown]) };
    case 2: return { ...record, relid: pick(rng, [0, 1, 0xffffffff, below(rng, 300)]) };
    default: return { ...record, classGuid: pick(rng, classGuids) };
  }
}

/** One mutation of a record: its payload, its attached data, its metadata, or a splice with another. */
export function mutateRecord(record: VmbusRecord, other: VmbusRecord, rng: Rng, classGuids: readonly Uint8Array[]): VmbusRecord {
  const roll = rng();
  if (roll < 0.6) return { ...record, payload: mutateBytes(record.payload, rng, other.payload) };
  if (roll < 0.8 && record.attached.length > 0) return mutateAttached(record, rng);
  if (roll < 0.9) return mutateMetadata(record, rng, classGuids);
  return { ...record, payload: Uint8Array.from([...record.payload.subarray(0, 16), ...other.payload.subarray(Math.min(16, other.payload.length))]) };
}
