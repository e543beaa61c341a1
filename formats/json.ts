// -T json: one JSON object per line. Fields are keyed by filter name with typed values; a field
// with children gets a "<filter>_tree" object beside it (tshark's convention); enum fields get
// "<filter>.name" beside the number; repeated fields become arrays.

import type { Dissection } from "../dissectors/dissect.js";
import type { ExpertItem, FieldInfo, FieldValue, TreeNode } from "../dissectors/tree.js";
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
 * The record as one line: JSON.stringify(recordJson(dissection)), byte for byte, but written straight
 * from the tree as UTF-8 (building the objects and stringifying them was most of the time).
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
  // Names are forgotten only between records, so within one a name always has one MemberName.
  if (memberNames.size >= MAX_MEMBER_NAMES) {
    memberNames.clear();
    memberGeneration++;
  }
  const line = jsonBytes;
  line.reset();
  writeHead(line, dissection);
  line.ascii(LAYERS_MEMBER);
  if (!writeLayers(line, dissection.layers)) return Buffer.from(JSON.stringify(recordJson(dissection)));
  line.byte(CLOSE_BRACE);
  return line.view();
}

/** A member name as JSON text, quoted, with its colon. */
interface MemberName {
  /** `"name":` as UTF-8. */
  bytes: Uint8Array;
  /** `,"name":`, for every member but an object's first. */
  afterComma: Uint8Array;
  /** Marks the name as seen in one object (a serial number per object) to find names that repeat. */
  seen: number;
  /** Integer-like: JSON.stringify puts such members first, so their object is written the slow way. */
  arrayIndex: boolean;
}

const utf8 = new TextEncoder();

function newMemberName(name: string): MemberName {
  const text = `${JSON.stringify(name)}:`;
  return { bytes: utf8.encode(text), afterComma: utf8.encode(`,${text}`), seen: 0, arrayIndex: /^(0|[1-9][0-9]*)$/.test(name) && Number(name) < 2 ** 32 - 1 };
}

/** The members of recordHead, in its order (their values are written by writeHead). */
const HEAD = {
  index: newMemberName("index"), timestamp: newMemberName("timestamp"), timestampNs: newMemberName("timestamp_ns"),
  direction: newMemberName("direction"), relid: newMemberName("relid"), length: newMemberName("length"),
  device: newMemberName("device"), classGuid: newMemberName("class_guid"), protocols: newMemberName("protocols"),
  summary: newMemberName("summary"), malformed: newMemberName("malformed"), problems: newMemberName("problems"),
  fileOffset: newMemberName("file_offset"),
};
const PROBLEM = {
  severity: newMemberName("severity"), group: newMemberName("group"), text: newMemberName("text"),
  offset: newMemberName("offset"), source: newMemberName("source"),
};

/** recordHead's members as JSON.stringify writes them, without the closing brace. */
function writeHead(line: ByteLine, dissection: Dissection): void {
  const { record } = dissection;
  line.byte(OPEN_BRACE);
  line.ascii(HEAD.index.bytes);
  line.number(record.origin.number);
  line.ascii(HEAD.timestamp.afterComma);
  line.nullableString(record.timestampNs === undefined ? null : isoTime(record.timestampNs));
  line.ascii(HEAD.timestampNs.afterComma);
  line.nullableString(record.timestampNs === undefined ? null : record.timestampNs.toString());
  line.ascii(HEAD.direction.afterComma);
  line.string(directionName(record.direction));
  line.ascii(HEAD.relid.afterComma);
  line.number(record.relid);
  line.ascii(HEAD.length.afterComma);
  line.number(record.payload.length);
  line.ascii(HEAD.device.afterComma);
  line.nullableString(dissection.device?.short ?? null);
  line.ascii(HEAD.classGuid.afterComma);
  line.nullableString(dissection.classGuid ?? null);
  line.ascii(HEAD.protocols.afterComma);
  writeProtocols(line, dissection.layers);
  line.ascii(HEAD.summary.afterComma);
  line.string(dissection.info);
  line.ascii(HEAD.malformed.afterComma);
  line.ascii(dissection.malformed ? LITERALS.true : LITERALS.false);
  line.ascii(HEAD.problems.afterComma);
  writeProblems(line, dissection.experts);
  line.ascii(HEAD.fileOffset.afterComma);
  line.number(record.origin.fileOffset);
}

/** The layers' filter names joined by colons, as one string. */
function writeProtocols(line: ByteLine, layers: readonly TreeNode[]): void {
  let text = "";
  for (let index = 0; index < layers.length; index++) text += index === 0 ? layers[index].field.filter : `:${layers[index].field.filter}`;
  line.string(text);
}

function writeProblems(line: ByteLine, experts: readonly ExpertItem[]): void {
  line.byte(OPEN_BRACKET);
  for (let index = 0; index < experts.length; index++) {
    const expert = experts[index];
    if (index > 0) line.byte(COMMA);
    line.byte(OPEN_BRACE);
    line.ascii(PROBLEM.severity.bytes);
    line.string(expert.severity);
    line.ascii(PROBLEM.group.afterComma);
    line.string(expert.group);
    line.ascii(PROBLEM.text.afterComma);
    line.string(expert.text);
    line.ascii(PROBLEM.offset.afterComma);
    line.value(expert.offset ?? null);
    if (expert.source) {
      line.ascii(PROBLEM.source.afterComma);
      line.value(expert.source);
    }
    line.byte(CLOSE_BRACE);
  }
  line.byte(CLOSE_BRACKET);
}

/** One MemberName per name, whichever field it comes from (a repeated name is then the same object). */
const memberNames = new Map<string, MemberName>();
/** Field names may come from captures (e.g. report descriptors): the table stays bounded. */
const MAX_MEMBER_NAMES = 1 << 16;
/** Counts the times memberNames was emptied: a field's members from before then are made again. */
let memberGeneration = 0;

function memberName(name: string): MemberName {
  let member = memberNames.get(name);
  if (member === undefined) memberNames.set(name, (member = newMemberName(name)));
  return member;
}

const enum MemberKind { Object, Array, Value }

/** What the writer needs of a field, made once per field: its member names and how its node is written. */
interface FieldMembers {
  kind: MemberKind;
  plain: MemberName;
  /** `<filter>.name`, for fields with value strings. */
  name: MemberName;
  /** `<filter>_tree`. */
  tree: MemberName;
  values: FieldInfo["values"];
  generation: number;
}

const fieldMembers = new WeakMap<FieldInfo, FieldMembers>();

function membersOf(field: FieldInfo): FieldMembers {
  const members = fieldMembers.get(field);
  if (members !== undefined && members.generation === memberGeneration) return members;
  const made: FieldMembers = {
    kind: field.kind === "protocol" || field.kind === "struct" ? MemberKind.Object : field.kind === "array" ? MemberKind.Array : MemberKind.Value,
    plain: memberName(field.filter), name: memberName(`${field.filter}.name`), tree: memberName(`${field.filter}_tree`),
    values: field.values, generation: memberGeneration,
  };
  fieldMembers.set(field, made);
  return made;
}

/**
 * Serial numbers of the objects being written, increasing: an object's own names and those of the
 * objects inside it are marked with serials at least its own.
 */
let serials = 0;

/**
 * Marks a name as seen in the object of this serial; false when it is integer-like or may repeat
 * there (seen in it, or in an object inside it: that one is only written the slow way, never wrongly).
 */
function mark(name: MemberName, serial: number): boolean {
  if (name.seen >= serial || name.arrayIndex) return false;
  name.seen = serial;
  return true;
}

/** The layers object; false when a layer's name is integer-like (JSON.stringify would order it first). */
function writeLayers(line: ByteLine, layers: readonly TreeNode[]): boolean {
  const serial = ++serials;
  let repeated = false;
  for (let index = 0; index < layers.length; index++) {
    const name = membersOf(layers[index].field).plain;
    if (name.arrayIndex) return false;
    if (!mark(name, serial)) repeated = true;
  }
  if (repeated) return writeRepeatedLayers(line, layers), true;
  line.byte(OPEN_BRACE);
  for (let index = 0; index < layers.length; index++) {
    member(line, membersOf(layers[index].field).plain, index === 0);
    writeObject(line, layers[index].children ?? NO_NODES);
  }
  line.byte(CLOSE_BRACE);
  return true;
}

/** A repeated layer (several frames in a record): a name's objects become a list where it first appeared, as `put` makes them. */
function writeRepeatedLayers(line: ByteLine, layers: readonly TreeNode[]): void {
  const grouped = new Map<MemberName, TreeNode[]>();
  for (const layer of layers) {
    const name = membersOf(layer.field).plain;
    const group = grouped.get(name);
    if (group) group.push(layer);
    else grouped.set(name, [layer]);
  }
  line.byte(OPEN_BRACE);
  let first = true;
  for (const [name, group] of grouped) {
    member(line, name, first);
    first = false;
    if (group.length === 1) writeObject(line, group[0].children ?? NO_NODES);
    else {
      line.byte(OPEN_BRACKET);
      group.forEach((layer, index) => {
        if (index > 0) line.byte(COMMA);
        writeObject(line, layer.children ?? NO_NODES);
      });
      line.byte(CLOSE_BRACKET);
    }
  }
  line.byte(CLOSE_BRACE);
}

const NO_NODES: readonly TreeNode[] = [];

/** childrenObject(nodes) as JSON; an object whose names repeat or are integer-like is made and stringified instead. */
function writeObject(line: ByteLine, nodes: readonly TreeNode[]): void {
  const start = line.size;
  const serial = ++serials;
  line.byte(OPEN_BRACE);
  let first = true;
  for (let index = 0; index < nodes.length; index++) {
    const written = writeMembers(line, nodes[index], first, serial);
    if (written === undefined) {
      line.size = start;
      return line.text(JSON.stringify(childrenObject(nodes)));
    }
    first = written;
  }
  line.byte(CLOSE_BRACE);
}

/** What addNode puts for a node: whether the object still has no member, or undefined when a name repeats or is integer-like. */
function writeMembers(line: ByteLine, node: TreeNode, first: boolean, serial: number): boolean | undefined {
  const members = membersOf(node.field);
  if (!mark(members.plain, serial)) return undefined;
  const children = node.children ?? NO_NODES;
  if (members.kind === MemberKind.Object) {
    member(line, members.plain, first);
    writeObject(line, children);
    return false;
  }
  if (members.kind === MemberKind.Array) {
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
  const value = node.value;
  first = writeValueMember(line, members.plain, value, first);
  if (members.values !== undefined && typeof value === "number") {
    if (!mark(members.name, serial)) return undefined;
    member(line, members.name, first);
    line.nullableString(members.values[value] ?? null);
    first = false;
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
  line.ascii(first ? name.bytes : name.afterComma);
}

/** A member with a field value; one whose value JSON.stringify leaves out is not written. */
function writeValueMember(line: ByteLine, name: MemberName, value: FieldValue | undefined, first: boolean): boolean {
  if (value === undefined) return first;
  member(line, name, first);
  line.value(value);
  return false;
}

const [OPEN_BRACE, CLOSE_BRACE, OPEN_BRACKET, CLOSE_BRACKET, COMMA, QUOTE, BACKSLASH] = Array.from("{}[],\"\\", (char) => char.charCodeAt(0));
/** Byte strings up to this length are copied in a loop; longer ones by TypedArray.set (a call costs more than a short loop). */
const SHORT_COPY = 16;
const LAYERS_MEMBER = utf8.encode(',"layers":');
const LITERALS = { true: utf8.encode("true"), false: utf8.encode("false"), null: utf8.encode("null") };
const HEX_DIGITS = utf8.encode("0123456789abcdef");
/** JSON.stringify's short escapes of control characters (the others become \u00XX). */
const SHORT_ESCAPES: Readonly<Record<number, number>> = { 0x08: 0x62, 0x09: 0x74, 0x0a: 0x6e, 0x0c: 0x66, 0x0d: 0x72 };
/** The most bytes one UTF-16 unit becomes in a JSON string (a lone surrogate as \udXXX). */
const MAX_BYTES_PER_UNIT = 6;

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

  /** JSON.stringify(jsonValue(value)). */
  value(value: FieldValue): void {
    switch (typeof value) {
      case "number": return this.number(value);
      case "string": return this.string(value);
      case "boolean": return this.ascii(value ? LITERALS.true : LITERALS.false);
      case "bigint": return this.string(value.toString());
    }
    if (value === null) return this.ascii(LITERALS.null);
    if (value instanceof Uint8Array) return this.hex(value);
    this.text(JSON.stringify(jsonValue(value)));
  }

  nullableString(value: string | null): void {
    if (value === null) this.ascii(LITERALS.null);
    else this.string(value);
  }

  /** A string as JSON.stringify writes it (its escapes, lone surrogates as \udXXX), encoded as UTF-8 here. */
  string(value: string): void {
    const length = value.length;
    if (this.size + MAX_BYTES_PER_UNIT * length + 2 > this.capacity) this.grow(MAX_BYTES_PER_UNIT * length + 2);
    const buffer = this.buffer;
    let size = this.size;
    buffer[size++] = QUOTE;
    for (let i = 0; i < length; i++) {
      const code = value.charCodeAt(i);
      if (code < 0x80) {
        if (code >= 0x20 && code !== QUOTE && code !== BACKSLASH) buffer[size++] = code;
        else size = escapeAscii(buffer, size, code);
      } else if (code < 0x800) {
        buffer[size++] = 0xc0 | (code >> 6);
        buffer[size++] = 0x80 | (code & 0x3f);
      } else if (code < 0xd800 || code > 0xdfff) {
        buffer[size++] = 0xe0 | (code >> 12);
        buffer[size++] = 0x80 | ((code >> 6) & 0x3f);
        buffer[size++] = 0x80 | (code & 0x3f);
      } else {
        const next = i + 1 < length ? value.charCodeAt(i + 1) : 0;
        if (code > 0xdbff || next < 0xdc00 || next > 0xdfff) size = unicodeEscape(buffer, size, code);
        else {
          const point = 0x10000 + ((code - 0xd800) << 10) + (next - 0xdc00);
          buffer[size++] = 0xf0 | (point >> 18);
          buffer[size++] = 0x80 | ((point >> 12) & 0x3f);
          buffer[size++] = 0x80 | ((point >> 6) & 0x3f);
          buffer[size++] = 0x80 | (point & 0x3f);
          i++;
        }
      }
    }
    buffer[size++] = QUOTE;
    this.size = size;
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

/** A quote, backslash or control character as JSON.stringify escapes it; returns the new size. */
function escapeAscii(buffer: Uint8Array, size: number, code: number): number {
  if (code === QUOTE || code === BACKSLASH) {
    buffer[size++] = BACKSLASH;
    buffer[size++] = code;
    return size;
  }
  const short = SHORT_ESCAPES[code];
  if (short === undefined) return unicodeEscape(buffer, size, code);
  buffer[size++] = BACKSLASH;
  buffer[size++] = short;
  return size;
}

/** \uXXXX with lower-case digits. */
function unicodeEscape(buffer: Uint8Array, size: number, code: number): number {
  buffer[size++] = BACKSLASH;
  buffer[size++] = 0x75;
  for (let shift = 12; shift >= 0; shift -= 4) buffer[size++] = HEX_DIGITS[(code >> shift) & 15];
  return size;
}

const jsonBytes = new ByteLine();
