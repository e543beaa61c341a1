// -T json: one JSON object per line. Fields are keyed by filter name with typed values; a field
// with children gets a "<filter>_tree" object beside it (tshark's convention); enum fields get
// "<filter>.name" beside the number; repeated fields become arrays.

import type { Dissection } from "../dissectors/dissect.js";
import type { FieldInfo, FieldValue, TreeNode } from "../dissectors/tree.js";
import { isoTime } from "./time.js";
import { directionName } from "./record-meta.js";
import type { LineOutput } from "./output.js";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const hex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");

export function jsonValue(value: FieldValue): Json {
  if (value instanceof Uint8Array) return hex(value);
  if (typeof value === "bigint") return value.toString();
  return value;
}

function put(target: JsonObject, key: string, value: Json): void {
  if (!(key in target)) {
    target[key] = value;
    return;
  }
  const existing = target[key];
  if (Array.isArray(existing) && (existing as unknown as { repeated?: boolean }).repeated) existing.push(value);
  else {
    const list: Json[] = [existing, value];
    Object.defineProperty(list, "repeated", { value: true });
    target[key] = list;
  }
}

function childrenObject(nodes: readonly TreeNode[]): JsonObject {
  const object: JsonObject = Object.create(null) as JsonObject;
  for (const node of nodes) addNode(object, node);
  return object;
}

function addNode(target: JsonObject, node: TreeNode): void {
  const { field } = node;
  const children = node.children ?? [];
  if (field.kind === "protocol" || field.kind === "struct") return put(target, field.filter, childrenObject(children));
  if (field.kind === "array") {
    put(target, field.filter, node.value as number);
    return put(target, `${field.filter}_tree`, children.map((child) => childrenObject(child.children ?? [])));
  }
  put(target, field.filter, jsonValue(node.value));
  if (field.values && typeof node.value === "number") put(target, `${field.filter}.name`, field.values[node.value] ?? null);
  if (children.length > 0) put(target, `${field.filter}_tree`, childrenObject(children));
}

/** Everything of a record's object but its layers (which come last). */
function recordHead(dissection: Dissection): JsonObject {
  const { record } = dissection;
  return {
    index: record.origin.number,
    timestamp: record.timestampNs === undefined ? null : isoTime(record.timestampNs),
    timestamp_ns: record.timestampNs === undefined ? null : record.timestampNs.toString(),
    direction: directionName(record.direction),
    relid: record.relid,
    length: record.payload.length,
    device: dissection.device?.short ?? null,
    class_guid: dissection.classGuid ?? null,
    protocols: dissection.layers.map((layer) => layer.field.filter).join(":"),
    summary: dissection.info,
    malformed: dissection.malformed,
    problems: dissection.experts.map((e) => ({ severity: e.severity, group: e.group, text: e.text, offset: e.offset ?? null, ...(e.source ? { source: e.source } : {}) })),
    file_offset: record.origin.fileOffset,
  };
}

export function recordJson(dissection: Dissection): JsonObject {
  const layers = Object.create(null) as JsonObject;
  for (const layer of dissection.layers) put(layers, layer.field.filter, childrenObject(layer.children ?? []));
  return { ...recordHead(dissection), layers };
}

/**
 * The record as one line: JSON.stringify(recordJson(dissection)), byte for byte, but with the layers
 * written straight from the tree as UTF-8 (building their objects and stringifying them was most of
 * the time).
 */
export function recordJsonLine(dissection: Dissection): string {
  const bytes = recordJsonBytes(dissection);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");
}

/** The record's line into the output, without making it a string first. */
export function writeRecordJson(dissection: Dissection, out: LineOutput): Promise<void> | undefined {
  return out.lineBytes(recordJsonBytes(dissection));
}

/** The line's UTF-8 bytes, valid until the next call. */
function recordJsonBytes(dissection: Dissection): Uint8Array {
  pending.clear();
  // Names are forgotten only between records, so within one a name always has one MemberName.
  if (memberNames.size >= MAX_MEMBER_NAMES) {
    memberNames.clear();
    memberGeneration++;
  }
  const line = jsonBytes;
  line.reset();
  if (!writeHead(line, recordHead(dissection))) return Buffer.from(JSON.stringify(recordJson(dissection)));
  line.ascii(LAYERS_MEMBER);
  if (!writeLayers(line, dissection.layers)) return Buffer.from(JSON.stringify(recordJson(dissection)));
  line.byte(CLOSE_BRACE);
  return line.view();
}

/** The head's members (all but the layers), as JSON.stringify writes them, without the closing brace; false when a name is integer-like. */
function writeHead(line: ByteLine, head: JsonObject): boolean {
  line.byte(OPEN_BRACE);
  let first = true;
  let index = 0;
  for (const key in head) {
    const name = headName(index++, key);
    if (name.arrayIndex) return false;
    const value = head[key];
    if (typeof value === "number" || typeof value === "string" || typeof value === "boolean" || value === null) {
      first = writeValueMember(line, name, value, first);
      continue;
    }
    const text = JSON.stringify(value);
    if (text === undefined) continue;
    member(line, name, first);
    line.text(text);
    first = false;
  }
  return true;
}

/** The head's keys come in the same order for every record: their names are kept by position. */
const headNames: { key: string; name: MemberName; generation: number }[] = [];

function headName(index: number, key: string): MemberName {
  const known = headNames[index];
  if (known !== undefined && known.key === key && known.generation === memberGeneration) return known.name;
  const name = memberName(key);
  headNames[index] = { key, name, generation: memberGeneration };
  return name;
}

/** False when a layer's name is integer-like (JSON.stringify would order it first). */
function writeLayers(line: ByteLine, layers: readonly TreeNode[]): boolean {
  const serial = nextSerial();
  let plain = true;
  for (const layer of layers) {
    const name = membersOf(layer.field).plain;
    if (name.arrayIndex) return false;
    if (!mark(name, serial)) plain = false;
  }
  if (!plain) {
    // A repeated layer (several frames in a record): its objects become a list, as `put` makes them.
    const base = pending.top;
    for (const layer of layers) pending.add(membersOf(layer.field).plain, objectText(layer.children ?? []));
    line.text(pending.finish(base)!);
    return true;
  }
  line.byte(OPEN_BRACE);
  layers.forEach((layer, index) => {
    if (index > 0) line.byte(COMMA);
    line.ascii(membersOf(layer.field).plain.bytes);
    writeObject(line, layer.children ?? NO_NODES);
  });
  line.byte(CLOSE_BRACE);
  return true;
}

/** A member name as JSON text (quoted, with the colon); `seen` marks it per object to find names that repeat. */
interface MemberName {
  text: string;
  /** The text as UTF-8. */
  bytes: Uint8Array;
  seen: number;
  /** Integer-like: JSON.stringify puts such members first, so their object is written the slow way. */
  arrayIndex: boolean;
}

/** A field's member names, and what the writers ask of the field (read once here: fields differ in shape). */
interface FieldMembers {
  plain: MemberName;
  name: MemberName;
  tree: MemberName;
  generation: number;
  object: boolean;
  array: boolean;
  values: FieldInfo["values"];
}

const fieldMembers = new WeakMap<FieldInfo, FieldMembers>();
/** One MemberName per name, whichever field object it comes from (so a repeated name is the same object). */
const memberNames = new Map<string, MemberName>();
const MAX_MEMBER_NAMES = 1 << 16;
/** Counts the times memberNames was emptied: a field's members from before then are made again. */
let memberGeneration = 0;

function memberName(name: string): MemberName {
  let member = memberNames.get(name);
  if (member === undefined) {
    const text = `${JSON.stringify(name)}:`;
    member = { text, bytes: utf8.encode(text), seen: 0, arrayIndex: /^(0|[1-9][0-9]*)$/.test(name) && Number(name) < 2 ** 32 - 1 };
    memberNames.set(name, member);
  }
  return member;
}

function membersOf(field: FieldInfo): FieldMembers {
  let members = fieldMembers.get(field);
  if (members === undefined || members.generation !== memberGeneration) {
    members = {
      plain: memberName(field.filter), name: memberName(`${field.filter}.name`), tree: memberName(`${field.filter}_tree`), generation: memberGeneration,
      object: field.kind === "protocol" || field.kind === "struct", array: field.kind === "array", values: field.values,
    };
    fieldMembers.set(field, members);
  }
  return members;
}

/**
 * The members of the objects being written, nested objects above their parent's (a stack, so no
 * object needs lists of its own). `undefined` is a value JSON.stringify leaves out (or writes as
 * null in a list).
 */
class PendingMembers {
  private readonly names: MemberName[] = [];
  private readonly values: (string | undefined)[] = [];

  get top(): number {
    return this.names.length;
  }

  clear(): void {
    this.names.length = 0;
    this.values.length = 0;
  }

  add(name: MemberName, value: string | undefined): void {
    this.names.push(name);
    this.values.push(value);
  }

  /** The object of the members from `base` up (removing them), or undefined when it must be written the slow way. */
  finish(base: number): string | undefined {
    const serial = nextSerial();
    let repeated = false;
    let slow = false;
    for (let i = base; i < this.names.length; i++) {
      const name = this.names[i];
      if (name.seen === serial) repeated = true;
      name.seen = serial;
      if (name.arrayIndex) slow = true;
    }
    const text = slow ? undefined : repeated ? this.groupedText(base) : this.plainText(base);
    this.names.length = base;
    this.values.length = base;
    return text;
  }

  private plainText(base: number): string {
    let text = "";
    for (let i = base; i < this.names.length; i++) {
      const value = this.values[i];
      if (value !== undefined) text += `${text === "" ? "" : ","}${this.names[i].text}${value}`;
    }
    return `{${text}}`;
  }

  /** A name that repeats has one member, where it first appeared, with the list of its values (as `put`). */
  private groupedText(base: number): string {
    const order: MemberName[] = [];
    const grouped = new Map<MemberName, (string | undefined)[]>();
    for (let i = base; i < this.names.length; i++) {
      const values = grouped.get(this.names[i]);
      if (values) values.push(this.values[i]);
      else {
        order.push(this.names[i]);
        grouped.set(this.names[i], [this.values[i]]);
      }
    }
    let text = "";
    for (const name of order) {
      const values = grouped.get(name)!;
      const value = values.length === 1 ? values[0] : `[${values.map((item) => item ?? "null").join(",")}]`;
      if (value !== undefined) text += `${text === "" ? "" : ","}${name.text}${value}`;
    }
    return `{${text}}`;
  }
}

const pending = new PendingMembers();

function objectText(nodes: readonly TreeNode[]): string {
  const base = pending.top;
  for (const node of nodes) addMembers(node);
  return pending.finish(base) ?? JSON.stringify(childrenObject(nodes));
}

/** What addNode puts for a node, as text. */
function addMembers(node: TreeNode): void {
  const { field } = node;
  const members = membersOf(field);
  const children = node.children ?? [];
  if (field.kind === "protocol" || field.kind === "struct") return pending.add(members.plain, objectText(children));
  if (field.kind === "array") {
    pending.add(members.plain, valueText(node.value as number));
    let list = "";
    for (const child of children) list += `${list === "" ? "" : ","}${objectText(child.children ?? [])}`;
    return pending.add(members.tree, `[${list}]`);
  }
  pending.add(members.plain, valueText(node.value));
  if (field.values && typeof node.value === "number") pending.add(members.name, valueText(field.values[node.value] ?? null));
  if (children.length > 0) pending.add(members.tree, objectText(children));
}

/** JSON.stringify(jsonValue(value)) for the common types without the detour. */
function valueText(value: FieldValue): string | undefined {
  switch (typeof value) {
    case "number": return Number.isFinite(value) ? String(value) : "null";
    case "boolean": return value ? "true" : "false";
    case "string": return JSON.stringify(value);
    case "bigint": return `"${value.toString()}"`;
  }
  if (value === null) return "null";
  if (value instanceof Uint8Array) return `"${hex(value)}"`;
  return JSON.stringify(jsonValue(value));
}

// ---- The same objects written as UTF-8 bytes, for objects whose member names do not repeat. ----

/** Serial numbers that mark the names seen in one object (shared by both writers, so marks never collide). */
let serials = 0;
const nextSerial = (): number => ++serials;

/** Marks a name as seen in this object; false when it was already (a repeated name) or is integer-like. */
function mark(name: MemberName, serial: number): boolean {
  if (name.seen === serial || name.arrayIndex) return false;
  name.seen = serial;
  return true;
}

const NO_NODES: readonly TreeNode[] = [];
const [OPEN_BRACE, CLOSE_BRACE, OPEN_BRACKET, CLOSE_BRACKET, COMMA, QUOTE] = Array.from("{}[],\"", (char) => char.charCodeAt(0));
const BACKSLASH = 0x5c;
/** Strings up to this length are checked and copied a character at a time; longer ones natively. */
const SHORT_STRING = 24;
/** Byte strings up to this length are copied in a loop; longer ones by TypedArray.set. */
const SHORT_COPY = 16;
/** Anything but printable ASCII without quote and backslash. */
const NEEDS_ESCAPE = /[^\x20\x21\x23-\x5b\x5d-\x7e]/;
/** Plain Uint8Arrays throughout (a Buffer's length and elements are slower to read in a loop). */
const utf8 = new TextEncoder();
const LAYERS_MEMBER = utf8.encode(',"layers":');
const LITERALS = { true: utf8.encode("true"), false: utf8.encode("false"), null: utf8.encode("null") };
const HEX_DIGITS = utf8.encode("0123456789abcdef");

/**
 * A growing UTF-8 buffer for one line: bytes go into a plain Uint8Array with its capacity kept as a
 * number (a Buffer's length and element stores are slower); `encoder` is a Buffer over the same
 * memory for the native string writes.
 */
class ByteLine {
  private buffer = new Uint8Array(64 * 1024);
  private encoder = Buffer.from(this.buffer.buffer);
  private capacity = this.buffer.length;
  size = 0;

  reset(): void {
    this.size = 0;
  }

  view(): Uint8Array {
    return this.buffer.subarray(0, this.size);
  }

  byte(value: number): void {
    if (this.size >= this.capacity) this.grow(1);
    this.buffer[this.size++] = value;
  }

  ascii(bytes: Uint8Array): void {
    const length = bytes.length;
    if (this.size + length > this.capacity) this.grow(length);
    if (length > SHORT_COPY) {
      this.buffer.set(bytes, this.size);
      this.size += length;
      return;
    }
    const buffer = this.buffer;
    let size = this.size;
    for (let i = 0; i < length; i++) buffer[size++] = bytes[i];
    this.size = size;
  }

  /** Text that is already JSON (escaped and quoted where it needs to be). */
  text(text: string): void {
    if (this.size + 3 * text.length > this.capacity) this.grow(3 * text.length);
    this.size += this.encoder.write(text, this.size, "utf8");
  }

  /** A string value, quoted: printable ASCII as it is, anything else as JSON.stringify writes it. */
  string(value: string): void {
    if (value.length > SHORT_STRING) return this.longString(value);
    for (let i = 0; i < value.length; i++) {
      const code = value.charCodeAt(i);
      if (code < 0x20 || code > 0x7e || code === QUOTE || code === BACKSLASH) return this.text(JSON.stringify(value));
    }
    if (this.size + value.length + 2 > this.capacity) this.grow(value.length + 2);
    const buffer = this.buffer;
    let size = this.size;
    buffer[size++] = QUOTE;
    for (let i = 0; i < value.length; i++) buffer[size++] = value.charCodeAt(i);
    buffer[size++] = QUOTE;
    this.size = size;
  }

  /** Longer strings (summaries): a regular expression finds what needs escaping, the encoder copies the rest. */
  private longString(value: string): void {
    if (NEEDS_ESCAPE.test(value)) return this.text(JSON.stringify(value));
    if (this.size + value.length + 2 > this.capacity) this.grow(value.length + 2);
    this.buffer[this.size++] = QUOTE;
    this.size += this.encoder.write(value, this.size, "latin1");
    this.buffer[this.size++] = QUOTE;
  }

  number(value: number): void {
    if (!Number.isFinite(value)) return this.ascii(LITERALS.null);
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) return this.text(String(value));
    if (this.size + 10 > this.capacity) this.grow(10);
    let digits = 1;
    for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) digits++;
    const buffer = this.buffer;
    let at = this.size + digits;
    this.size = at;
    let rest = value;
    do {
      buffer[--at] = 0x30 + (rest % 10);
      rest = Math.floor(rest / 10);
    } while (rest > 0);
  }

  hex(bytes: Uint8Array): void {
    if (this.size + 2 * bytes.length + 2 > this.capacity) this.grow(2 * bytes.length + 2);
    const buffer = this.buffer;
    let size = this.size;
    buffer[size++] = QUOTE;
    for (let i = 0; i < bytes.length; i++) {
      buffer[size++] = HEX_DIGITS[bytes[i] >> 4];
      buffer[size++] = HEX_DIGITS[bytes[i] & 15];
    }
    buffer[size++] = QUOTE;
    this.size = size;
  }

  private grow(wanted: number): void {
    const larger = new Uint8Array(Math.max(2 * this.capacity, this.size + wanted));
    larger.set(this.buffer.subarray(0, this.size));
    this.buffer = larger;
    this.encoder = Buffer.from(larger.buffer);
    this.capacity = larger.length;
  }
}

const jsonBytes = new ByteLine();

/** objectText, as bytes; an object with a repeated or integer-like name is written again by objectText. */
function writeObject(line: ByteLine, nodes: readonly TreeNode[]): void {
  const start = line.size;
  const serial = nextSerial();
  line.byte(OPEN_BRACE);
  let first = true;
  for (const node of nodes) {
    const written = writeMembers(line, node, first, serial);
    if (written === undefined) {
      line.size = start;
      return line.text(objectText(nodes));
    }
    first = written;
  }
  line.byte(CLOSE_BRACE);
}

/** addMembers, as bytes: whether the object still has no member, or undefined when a name repeats or is integer-like. */
function writeMembers(line: ByteLine, node: TreeNode, first: boolean, serial: number): boolean | undefined {
  const { field } = node;
  const members = membersOf(field);
  if (!mark(members.plain, serial)) return undefined;
  const children = node.children ?? NO_NODES;
  if (members.object) {
    member(line, members.plain, first);
    writeObject(line, children);
    return false;
  }
  if (members.array) {
    if (!mark(members.tree, serial)) return undefined;
    first = writeValueMember(line, members.plain, node.value, first);
    member(line, members.tree, first);
    line.byte(OPEN_BRACKET);
    for (let index = 0; index < children.length; index++) {
      if (index > 0) line.byte(COMMA);
      writeObject(line, children[index].children ?? NO_NODES);
    }
    line.byte(CLOSE_BRACKET);
    return false;
  }
  first = writeValueMember(line, members.plain, node.value, first);
  if (members.values && typeof node.value === "number") {
    if (!mark(members.name, serial)) return undefined;
    first = writeValueMember(line, members.name, members.values[node.value] ?? null, first);
  }
  if (children.length > 0) {
    if (!mark(members.tree, serial)) return undefined;
    member(line, members.tree, first);
    writeObject(line, children);
    return false;
  }
  return first;
}

function member(line: ByteLine, name: MemberName, first: boolean): void {
  if (!first) line.byte(COMMA);
  line.ascii(name.bytes);
}

/** A member with a field value; one whose value JSON.stringify leaves out is not written. */
function writeValueMember(line: ByteLine, name: MemberName, value: FieldValue | undefined, first: boolean): boolean {
  switch (typeof value) {
    case "number":
      member(line, name, first);
      line.number(value);
      return false;
    case "string":
      member(line, name, first);
      line.string(value);
      return false;
    case "boolean":
      member(line, name, first);
      line.ascii(value ? LITERALS.true : LITERALS.false);
      return false;
  }
  if (value === null) {
    member(line, name, first);
    line.ascii(LITERALS.null);
    return false;
  }
  if (value instanceof Uint8Array) {
    member(line, name, first);
    line.hex(value);
    return false;
  }
  const text = valueText(value as FieldValue);
  if (text === undefined) return first;
  member(line, name, first);
  line.text(text);
  return false;
}
