// A parsed display filter, compiled once into a predicate over a record's tree. As in Wireshark:
// "==" holds when any occurrence of the field equals the value, "!=" when the field is present and
// none does; values are read by the field's type (numbers, enum names, text, addresses, bytes).

import type { Dissection } from "../dissect.js";
import type { FieldInfo, FieldValue, TreeNode } from "../tree.js";
import { FilterError, parseFilter, type FilterNode, type Operator } from "./parse.js";

export type RecordFilter = (dissection: Dissection) => boolean;
type Index = Map<string, FieldValue[]>;
type Test = (index: Index) => boolean;

const NUMERIC = new Set(["uint", "int", "array", "bit", "bool", "reltime", "filetime"]);
const CASELESS = new Set(["guid", "mac", "ipv6", "ipv4"]);

function indexOf(dissection: Dissection): Index {
  const index: Index = new Map();
  const add = (node: TreeNode): void => {
    const list = index.get(node.field.filter);
    if (list) list.push(node.value);
    else index.set(node.field.filter, [node.value]);
    for (const child of node.children ?? []) add(child);
  };
  for (const layer of dissection.layers) add(layer);
  return index;
}

function numberFor(field: FieldInfo, text: string, column: number): number | bigint {
  if (/^-?\d+$/.test(text)) return BigInt(text);
  if (/^0x[0-9a-f]+$/i.test(text)) return BigInt(text);
  if (/^-?\d*\.\d+$/.test(text)) return Number(text);
  if (/^(true|false)$/i.test(text) && (field.kind === "bit" || field.kind === "bool")) return BigInt(+(text.toLowerCase() === "true"));
  const named = Object.entries(field.values ?? {}).find(([, name]) => name.toLowerCase() === text.toLowerCase());
  if (named) return BigInt(named[0]);
  throw new FilterError(`"${text}" is not a value of ${field.filter}${field.values ? " (neither a number nor one of its names)" : " (a number is expected)"}`, column);
}

const asComparable = (value: FieldValue): number | bigint | undefined => {
  if (typeof value === "bigint") return value;
  if (typeof value === "boolean") return BigInt(+value);
  if (typeof value === "number") return Number.isInteger(value) ? BigInt(value) : value;
  return undefined;
};

type Comparable = number | bigint | string;
const ORDER: Record<string, (a: Comparable, b: Comparable) => boolean> = {
  "==": (a, b) => a == b, "!=": (a, b) => a != b, "<": (a, b) => a < b, "<=": (a, b) => a <= b, ">": (a, b) => a > b, ">=": (a, b) => a >= b,
};

function textOf(field: FieldInfo, value: FieldValue): string {
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("hex");
  const text = String(value);
  return CASELESS.has(field.kind) ? text.toLowerCase() : text;
}

function textMatcher(field: FieldInfo, op: Operator, raw: string, column: number): (value: FieldValue) => boolean {
  const wanted = field.kind === "bytes" ? raw.replace(/[:\-\s]/g, "").toLowerCase() : CASELESS.has(field.kind) ? raw.toLowerCase() : raw;
  if (field.kind === "bytes" && !/^([0-9a-f]{2})*$/.test(wanted)) throw new FilterError(`"${raw}" is not a byte string (hex digits, : between bytes allowed)`, column);
  switch (op) {
    case "==": case "!=": return (value) => textOf(field, value) === wanted;
    case "contains":
      if (field.kind === "bytes") return (value) => { const hex = textOf(field, value); for (let i = hex.indexOf(wanted); i >= 0; i = hex.indexOf(wanted, i + 1)) if (i % 2 === 0) return true; return false; };
      return (value) => textOf(field, value).includes(wanted);
    case "matches": {
      let pattern: RegExp;
      try { pattern = new RegExp(raw, "i"); } catch { throw new FilterError(`"${raw}" is not a regular expression`, column); }
      return (value) => pattern.test(textOf(field, value));
    }
    default: return (value) => ORDER[op](textOf(field, value), wanted);
  }
}

function comparison(node: Extract<FilterNode, { kind: "compare" }>): Test {
  const { field, op, value, column } = node;
  let matches: (value: FieldValue) => boolean;
  if (NUMERIC.has(field.kind) && op !== "contains" && op !== "matches") {
    const wanted = numberFor(field, value, column);
    const equalOrOrder = op === "!=" ? ORDER["=="] : ORDER[op];
    matches = (v) => { const got = asComparable(v); return got !== undefined && equalOrOrder(typeof got === typeof wanted ? got : Number(got), typeof got === typeof wanted ? wanted : Number(wanted)); };
  } else {
    matches = textMatcher(field, op, value, column);
  }
  const filter = field.filter;
  if (op === "!=") return (index) => { const values = index.get(filter); return values !== undefined && !values.some(matches); };
  return (index) => index.get(filter)?.some(matches) ?? false;
}

function compile(node: FilterNode): Test {
  switch (node.kind) {
    case "and": { const [a, b] = [compile(node.left), compile(node.right)]; return (index) => a(index) && b(index); }
    case "or": { const [a, b] = [compile(node.left), compile(node.right)]; return (index) => a(index) || b(index); }
    case "not": { const a = compile(node.operand); return (index) => !a(index); }
    case "present": { const filter = node.field.filter; return (index) => index.has(filter); }
    case "compare": return comparison(node);
  }
}

/** Throws FilterError (with the column) when the filter does not parse or names what does not exist. */
export function compileFilter(source: string): RecordFilter {
  const test = compile(parseFilter(source));
  return (dissection) => test(indexOf(dissection));
}
