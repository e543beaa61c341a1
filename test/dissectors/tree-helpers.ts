// Shared helpers for the dissector tests: hand-made bytes (explicit little-endian writes at the
// offsets of the reference tables in /work/shared/protocol/core.md), records, and tree look-ups.
// Deliberately independent of the project's encoder and GUID code: the bytes here are written by hand.
import assert from "node:assert/strict";
import { Direction, RecordKind, type AttachedChunk, type VmbusRecord } from "../../capture/record.js";
import type { Dissection } from "../../dissectors/index.js";
import type { ExpertItem, FieldValue, TreeNode } from "../../dissectors/tree.js";

/** Frame offsets: the 28-byte pseudo-header comes first. */
export const FRAME = 28;
/** Start of a channel message's body (after its 8-byte header) within the frame. */
export const BODY = FRAME + 8;

/** core.md 1.1: Data1 u32 LE, Data2 u16 LE, Data3 u16 LE, Data4 eight bytes in text order. */
export function guidBytes(text: string): Uint8Array {
  const match = /^([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})$/i.exec(text);
  if (!match) throw new Error(`not a GUID: ${text}`);
  const out = new Uint8Array(16);
  const data1 = match[1];
  for (let i = 0; i < 4; i++) out[i] = parseInt(data1.slice(6 - 2 * i, 8 - 2 * i), 16);
  out[4] = parseInt(match[2].slice(2, 4), 16);
  out[5] = parseInt(match[2].slice(0, 2), 16);
  out[6] = parseInt(match[3].slice(2, 4), 16);
  out[7] = parseInt(match[3].slice(0, 2), 16);
  const data4 = match[4] + match[5];
  for (let i = 0; i < 8; i++) out[8 + i] = parseInt(data4.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** A fixed-size byte buffer written field by field at explicit offsets (little-endian). */
export class Bytes {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  constructor(length: number) {
    this.bytes = new Uint8Array(length);
    this.view = new DataView(this.bytes.buffer);
  }
  u8(at: number, value: number): this {
    this.view.setUint8(at, value);
    return this;
  }
  u16(at: number, value: number): this {
    this.view.setUint16(at, value, true);
    return this;
  }
  u32(at: number, value: number): this {
    this.view.setUint32(at, value >>> 0, true);
    return this;
  }
  i32(at: number, value: number): this {
    this.view.setInt32(at, value, true);
    return this;
  }
  u64(at: number, value: number | bigint): this {
    this.view.setBigUint64(at, BigInt(value), true);
    return this;
  }
  guid(at: number, text: string): this {
    this.bytes.set(guidBytes(text), at);
    return this;
  }
  raw(at: number, data: ArrayLike<number>): this {
    this.bytes.set(data, at);
    return this;
  }
  fill(at: number, length: number, seed: number): this {
    for (let i = 0; i < length; i++) this.bytes[at + i] = (seed + i * 7) & 0xff;
    return this;
  }
}

/** A channel message of `size` bytes: header (msgtype at 0, padding at 4), body written by the caller. */
export function channelMessage(msgtype: number, size: number): Bytes {
  return new Bytes(size).u32(0, msgtype);
}

export function hex(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, "");
  return Uint8Array.from({ length: clean.length / 2 }, (_, i) => parseInt(clean.slice(2 * i, 2 * i + 2), 16));
}

let recordNumber = 0;

export function record(kind: RecordKind, payload: Uint8Array, options: Partial<VmbusRecord> = {}): VmbusRecord {
  return {
    origin: { file: "test", fileOffset: 0, number: ++recordNumber },
    direction: Direction.GuestToHost,
    kind,
    flags: 0,
    relid: 0,
    classGuid: undefined,
    payload,
    attached: [] as AttachedChunk[],
    ...options,
  };
}

export const messageRecord = (payload: Uint8Array, direction = Direction.GuestToHost): VmbusRecord =>
  record(RecordKind.ChannelMessage, payload, { direction });

export const packetRecord = (relid: number, payload: Uint8Array, options: Partial<VmbusRecord> = {}): VmbusRecord =>
  record(RecordKind.RingPacket, payload, { relid, ...options });

type Roots = Dissection | readonly TreeNode[] | TreeNode;
const rootsOf = (roots: Roots): readonly TreeNode[] =>
  Array.isArray(roots) ? roots : "layers" in (roots as Dissection) ? (roots as Dissection).layers : [roots as TreeNode];

/** Depth-first, pre-order: the first node with that filter name, or undefined. */
export function findNode(roots: Roots, filter: string): TreeNode | undefined {
  for (const node of rootsOf(roots)) {
    if (node.field.filter === filter) return node;
    const inner = node.children ? findNode(node.children, filter) : undefined;
    if (inner) return inner;
  }
  return undefined;
}

/** Depth-first, pre-order: every node with that filter name. */
export function findAll(roots: Roots, filter: string, out: TreeNode[] = []): TreeNode[] {
  for (const node of rootsOf(roots)) {
    if (node.field.filter === filter) out.push(node);
    if (node.children) findAll(node.children, filter, out);
  }
  return out;
}

/** The node must exist. */
export function node(roots: Roots, filter: string): TreeNode {
  const found = findNode(roots, filter);
  assert.ok(found, `no node ${filter} in the tree`);
  return found;
}

const show = (value: FieldValue): string =>
  value instanceof Uint8Array ? `bytes[${value.length}]` : typeof value === "bigint" ? `${value}n` : JSON.stringify(value);

/** Numbers and bigints compare by value (64-bit fields are numbers while exact, bigints beyond). */
function sameValue(actual: FieldValue, expected: FieldValue): boolean {
  if ((typeof actual === "number" || typeof actual === "bigint") && (typeof expected === "number" || typeof expected === "bigint")) {
    return BigInt(actual) === BigInt(expected);
  }
  if (actual instanceof Uint8Array && expected instanceof Uint8Array) {
    return actual.length === expected.length && actual.every((byte, i) => byte === expected[i]);
  }
  return actual === expected;
}

/** Asserts the value, frame offset and length of a field (the first node with that filter name). */
export function expectField(roots: Roots, filter: string, value: FieldValue, offset: number, length: number): TreeNode {
  const found = node(roots, filter);
  assert.ok(sameValue(found.value, value), `${filter}: value ${show(found.value)}, expected ${show(value)}`);
  assert.equal(found.offset, offset, `${filter}: offset`);
  assert.equal(found.length, length, `${filter}: length`);
  return found;
}

/** Asserts a node given directly (e.g. one of findAll's results). */
export function expectNode(found: TreeNode | undefined, filter: string, value: FieldValue, offset: number, length: number): void {
  assert.ok(found, `missing ${filter}`);
  assert.equal(found.field.filter, filter);
  assert.ok(sameValue(found.value, value), `${filter}: value ${show(found.value)}, expected ${show(value)}`);
  assert.equal(found.offset, offset, `${filter}: offset`);
  assert.equal(found.length, length, `${filter}: length`);
}

/** Asserts that no node with that filter name is in the tree. */
export function expectAbsent(roots: Roots, filter: string): void {
  const found = findNode(roots, filter);
  assert.equal(found, undefined, `${filter} should be absent (found at ${found?.offset})`);
}

/** Asserts the bit children of a flags field: key → set or not. */
export function expectBits(roots: Roots, filter: string, bits: Record<string, boolean>): void {
  const parent = node(roots, filter);
  for (const [key, set] of Object.entries(bits)) {
    const child = parent.children?.find((c) => c.field.filter === `${filter}.${key}`);
    assert.ok(child, `${filter} has no bit ${key}`);
    assert.equal(child.value, set, `${filter}.${key}`);
    assert.equal(child.offset, parent.offset, `${filter}.${key}: offset`);
  }
}

export const errors = (d: Dissection): ExpertItem[] => d.experts.filter((e) => e.severity === "error" || e.group === "malformed");

/** A well-formed record: no malformed expert, no error. */
export function expectClean(d: Dissection): void {
  assert.equal(d.malformed, false, `unexpected malformed: ${JSON.stringify(errors(d))}`);
  assert.deepEqual(errors(d), []);
}

/** The record is malformed and some malformed expert sits at that frame offset. */
export function expectMalformedAt(d: Dissection, offset: number): ExpertItem {
  assert.equal(d.malformed, true, "expected malformed");
  const item = errors(d).find((e) => e.offset === offset);
  assert.ok(item, `no malformed expert at offset ${offset}; have ${JSON.stringify(errors(d))}`);
  return item;
}

/** Fails on any problem in the tree shape: every child within its parent, for source-0 nodes. */
export function expectChildrenInside(roots: Roots): void {
  for (const parent of rootsOf(roots)) {
    for (const child of parent.children ?? []) {
      if (child.generated || child.source !== parent.source) continue;
      assert.ok(child.offset >= parent.offset && child.offset + child.length <= parent.offset + parent.length,
        `${child.field.filter} [${child.offset}+${child.length}] outside ${parent.field.filter} [${parent.offset}+${parent.length}]`);
    }
    if (parent.children) expectChildrenInside(parent.children);
  }
}
