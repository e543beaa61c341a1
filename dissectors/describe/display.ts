// Display text for typed values, made only when an output asks for it.

import type { FieldInfo, FieldValue, TreeNode } from "../tree.js";

const nameTables = new Map<string, (text: string) => string | undefined>();

/** Name tables for values such as GUIDs (device classes register theirs). */
export function registerNameTable(name: string, lookup: (text: string) => string | undefined): void {
  nameTables.set(name, lookup);
}

const FILETIME_UNIX_EPOCH = 116444736000000000n;

/** FILETIME (100 ns since 1601) as ISO 8601 UTC with all seven fractional digits. */
export function filetimeText(value: number | bigint): string {
  const ticks = BigInt(value);
  if (ticks === 0n) return "0 (not set)";
  const sinceUnix = ticks - FILETIME_UNIX_EPOCH;
  const millis = sinceUnix / 10000n;
  const date = new Date(Number(millis));
  if (Number.isNaN(date.getTime())) return `${ticks} (out of range)`;
  const fraction = (((sinceUnix % 10000000n) + 10000000n) % 10000000n).toString().padStart(7, "0");
  return `${date.toISOString().slice(0, 19)}.${fraction}Z`;
}

export function hexText(value: number | bigint, width = 0): string {
  const digits = (typeof value === "bigint" ? BigInt.asUintN(64, value) : value < 0 ? (value >>> 0) : value).toString(16);
  return `0x${digits.padStart(width * 2, "0")}`;
}

const HEX_PREVIEW_BYTES = 24;

export function bytesText(bytes: Uint8Array): string {
  if (bytes.length === 0) return "<empty>";
  const shown = Array.from(bytes.subarray(0, HEX_PREVIEW_BYTES), (b) => b.toString(16).padStart(2, "0")).join("");
  return bytes.length > HEX_PREVIEW_BYTES ? `${shown}… (${bytes.length} bytes)` : shown;
}

const IEC_UNITS = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];

/** 136365211648 → "127.00 GiB": sizes of a KiB and more also in binary units. */
export function iecSize(bytes: number): string | undefined {
  if (!(bytes >= 1024)) return undefined;
  let value = bytes;
  let unit = -1;
  while (value >= 1024 && unit < IEC_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(2)} ${IEC_UNITS[unit]}`;
}

function integerText(field: FieldInfo, value: number | bigint): string {
  const name = field.values?.[Number(value)];
  const number = field.base === "hex" ? hexText(value, field.width) : String(value);
  if (field.values) return `${name ?? "Unknown"} (${number})`;
  const size = field.unit === "bytes" ? iecSize(Number(value)) : undefined;
  return field.unit ? `${number} ${field.unit}${size ? ` (${size})` : ""}` : number;
}

function guidDisplay(field: FieldInfo, value: string): string {
  const name = field.guidNames ? nameTables.get(field.guidNames)?.(value) : undefined;
  return name ? `${value} (${name})` : value;
}

/** The value as a person reads it (strings are not yet escaped: outputs escape for their medium). */
export function displayValue(field: FieldInfo, value: FieldValue): string {
  if (value === null) return "";
  if (typeof value === "boolean") return field.kind === "bit" ? (value ? "Set" : "Not set") : value ? "True" : "False";
  if (value instanceof Uint8Array) return bytesText(value);
  if (field.kind === "filetime" && (typeof value === "number" || typeof value === "bigint")) return filetimeText(value);
  if (field.kind === "reltime" && typeof value === "number") return `${value.toFixed(9)} seconds`;
  if (typeof value === "number" || typeof value === "bigint") return integerText(field, value);
  if (field.kind === "guid") return guidDisplay(field, value);
  if (field.kind === "string") return `"${value}"`;
  return value;
}

export const nodeText = (node: TreeNode): string => displayValue(node.field, node.value);

/** A short form for summary lines: enum names without their numbers, plain values otherwise. */
export function shortValue(field: FieldInfo, value: FieldValue): string {
  if ((typeof value === "number" || typeof value === "bigint") && field.values) return field.values[Number(value)] ?? String(value);
  if (field.kind === "guid" && typeof value === "string") {
    return (field.guidNames ? nameTables.get(field.guidNames)?.(value) : undefined) ?? value;
  }
  // Single bytes read best as two digits (ASC/ASCQ 0x29/0x00); wider values without leading zeros (trans 0x1f).
  if (typeof value === "number" && field.base === "hex") return hexText(value, field.width === 1 ? 1 : 0);
  return displayValue(field, value);
}

/** The field whose filter name ends in ".key", in this node or the structs below it. */
export const findChild = (node: Pick<TreeNode, "children">, key: string): TreeNode | undefined => findBySuffix(node, `.${key}`);

/** findChild with the ".key" suffix made once (templates are filled for every record). */
function findBySuffix(node: Pick<TreeNode, "children">, suffix: string): TreeNode | undefined {
  const children = node.children;
  if (children === undefined) return undefined;
  for (let i = 0; i < children.length; i++) {
    const child = children[i];
    if (child.field.kind !== "struct" && child.field.filter.endsWith(suffix)) return child;
  }
  for (let i = 0; i < children.length; i++) {
    const child = children[i];
    if (child.field.kind === "struct") {
      const found = findBySuffix(child, suffix);
      if (found) return found;
    }
  }
  return undefined;
}

/** The labels of the set bits, e.g. "[SYN, ACK]" (bit labels are the short names here). */
function setBits(node: TreeNode): string {
  const set = (node.children ?? []).filter((bit) => bit.field.kind === "bit" && bit.value === true).map((bit) => bit.field.label);
  return set.length > 0 ? `[${set.join(", ")}]` : "";
}

/**
 * Fills an info template: "{key}" = short display of the field whose filter name ends in ".key"
 * (a dotted key such as "src.proto_ipv4" tells apart fields with the same last part), "{key:raw}" = its
 * plain value, "{key:bits}" = the labels of its set bits, "{key:ifset}" = its short text only when it is
 * not zero (else nothing), "{key:len}" = its length in bytes. A field that is absent gives "?" ("" with ifset).
 */
export function formatInfo(template: string, node: Pick<TreeNode, "children">): string {
  return compiledTemplate(template)(node);
}

export type FilledTemplate = (node: Pick<TreeNode, "children">) => string;
type Placeholder = (node: Pick<TreeNode, "children">) => string;

const PLACEHOLDER = /\{([A-Za-z0-9_.]+)(?::(raw|bits|ifset|len))?\}/g;
/** Templates come from descriptions, but a check's words may carry captured text: the cache stays bounded. */
const MAX_CACHED_TEMPLATES = 4096;
const templates = new Map<string, FilledTemplate>();

/**
 * Where a placeholder's field lies among a struct's children when its description fixes that (the
 * fields before it add a known number of children): its index and field. compile.ts finds it once
 * per description; when that child is not there at run time, the template searches as findChild does.
 */
export type ChildPosition = (suffix: string) => { index: number; field: FieldInfo } | undefined;

/** formatInfo for one template, parsed now: for callers that fill the same template for every record. */
export const infoTemplate = (template: string, position?: ChildPosition): FilledTemplate => parseTemplate(template, position);

/** A template parsed once into its literal parts and placeholders (the regular expression ran per call before). */
function compiledTemplate(template: string): FilledTemplate {
  let filled = templates.get(template);
  if (filled === undefined) {
    filled = parseTemplate(template);
    if (templates.size >= MAX_CACHED_TEMPLATES) templates.clear();
    templates.set(template, filled);
  }
  return filled;
}

function parseTemplate(template: string, position?: ChildPosition): FilledTemplate {
  const literals: string[] = [];
  const placeholders: Placeholder[] = [];
  let last = 0;
  for (const match of template.matchAll(PLACEHOLDER)) {
    literals.push(template.slice(last, match.index));
    placeholders.push(placeholder(finder(`.${match[1]}`, position), match[2]));
    last = match.index! + match[0].length;
  }
  const tail = template.slice(last);
  if (placeholders.length === 0) return () => tail;
  return (node) => {
    let text = literals[0] + placeholders[0](node);
    for (let i = 1; i < placeholders.length; i++) text += literals[i] + placeholders[i](node);
    return text + tail;
  };
}

type ChildFinder = (node: Pick<TreeNode, "children">) => TreeNode | undefined;

/** findBySuffix, or first a look at the child where the description puts the field. */
function finder(suffix: string, position: ChildPosition | undefined): ChildFinder {
  const at = position?.(suffix);
  if (at === undefined) return (node) => findBySuffix(node, suffix);
  const { index, field } = at;
  return (node) => {
    const child = node.children?.[index];
    return child !== undefined && child.field === field ? child : findBySuffix(node, suffix);
  };
}

function placeholder(find: ChildFinder, mode: string | undefined): Placeholder {
  switch (mode) {
    case "len": return (node) => {
      const child = find(node);
      return child ? String(child.length) : "?";
    };
    case "ifset": return (node) => {
      const child = find(node);
      return child && child.value !== 0 && child.value !== false && child.value !== null ? shortValue(child.field, child.value) : "";
    };
    case "bits": return (node) => {
      const child = find(node);
      return child ? setBits(child) : "?";
    };
    case "raw": return (node) => {
      const child = find(node);
      if (!child) return "?";
      return typeof child.value === "object" ? displayValue(child.field, child.value) : String(child.value);
    };
    default: return (node) => {
      const child = find(node);
      return child ? shortValue(child.field, child.value) : "?";
    };
  }
}
