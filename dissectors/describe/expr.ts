// Expressions compiled once into closures; evaluated per record against the field scope.

import type { FieldValue } from "../tree.js";
import { scalarReader, scalarSize } from "./read.js";
import type { Expr } from "./types.js";

export interface Scope {
  /** Field values of this struct by key (no prototype: keys come from descriptions, values from captures). */
  values: Record<string, FieldValue>;
  parent: Scope | undefined;
  /** Absolute offsets of the struct's region in the data source, and the running position. */
  start: number;
  end: number;
  pos: number;
  /** The data being decoded (absent while encoding): what `peek` reads. */
  view?: DataView;
}

export interface StateReader {
  get(name: string): number | undefined;
}

export type Evaluator = (scope: Scope, state: StateReader) => number;

export function newScope(parent: Scope | undefined, start: number, end: number): Scope {
  return { values: Object.create(null) as Record<string, FieldValue>, parent, start, end, pos: start };
}

export function lookup(scope: Scope | undefined, name: string): FieldValue | undefined {
  for (let s = scope; s; s = s.parent) {
    const value = s.values[name];
    if (value !== undefined) return value;
  }
  return undefined;
}

export function toNumber(value: FieldValue | undefined): number {
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  if (typeof value === "boolean") return value ? 1 : 0;
  return NaN;
}

/** Bitwise AND that stays correct above 2^31 (JavaScript's & is 32-bit signed). */
export function bitwiseAnd(a: number, b: number): number {
  if (!Number.isFinite(a) || !Number.isFinite(b)) return NaN;
  if (a >= 0 && b >= 0 && a <= 0xffffffff && b <= 0xffffffff) return (a & b) >>> 0;
  return Number(BigInt.asUintN(64, BigInt(Math.trunc(a))) & BigInt.asUintN(64, BigInt(Math.trunc(b))));
}

/** Trailing zero bits of a mask: how far a bit field is shifted. */
export function maskShift(mask: number): number {
  let shift = 0;
  while (shift < 32 && Math.floor(mask / 2 ** shift) % 2 === 0) shift++;
  return shift;
}

const truth = (x: number): boolean => x !== 0 && !Number.isNaN(x);

const binaryOps: Record<string, (a: number, b: number) => number> = {
  "+": (a, b) => a + b,
  "-": (a, b) => a - b,
  "*": (a, b) => a * b,
  "/": (a, b) => (b === 0 ? NaN : Math.floor(a / b)),
  ceildiv: (a, b) => (b === 0 ? NaN : Math.ceil(a / b)),
  "&": bitwiseAnd,
  "|": (a, b) => (Number.isFinite(a) && Number.isFinite(b) ? Number(BigInt(Math.trunc(a)) | BigInt(Math.trunc(b))) : NaN),
  ">>": (a, b) => Math.floor(a / 2 ** b),
  min: Math.min,
  max: Math.max,
  "==": (a, b) => +(a === b),
  "!=": (a, b) => +(a !== b),
  "<": (a, b) => +(a < b),
  "<=": (a, b) => +(a <= b),
  ">": (a, b) => +(a > b),
  ">=": (a, b) => +(a >= b),
  "&&": (a, b) => +(truth(a) && truth(b)),
  "||": (a, b) => +(truth(a) || truth(b)),
};

export function compileExpr(expr: Expr): Evaluator {
  if (typeof expr === "number") return () => expr;
  switch (expr.op) {
    case "ref": {
      const name = expr.name;
      return (scope) => toNumber(lookup(scope, name));
    }
    case "state": {
      const name = expr.name;
      return (_scope, state) => state.get(name) ?? NaN;
    }
    case "remaining":
      return (scope) => scope.end - scope.pos;
    case "offset":
      return (scope) => scope.pos - scope.start;
    case "peek": {
      const size = scalarSize(expr.type);
      const read = scalarReader(expr.type);
      const at = expr.at === undefined ? undefined : compileExpr(expr.at);
      return (scope, state) => {
        const pos = at ? scope.start + at(scope, state) : scope.pos;
        if (!scope.view || !(pos >= scope.start) || pos + size > scope.end || pos + size > scope.view.byteLength) return NaN;
        return toNumber(read(scope.view, pos));
      };
    }
    case "!": {
      const a = compileExpr(expr.a);
      return (scope, state) => +!truth(a(scope, state));
    }
    case "if": {
      const [c, a, b] = [compileExpr(expr.c), compileExpr(expr.a), compileExpr(expr.b)];
      return (scope, state) => (truth(c(scope, state)) ? a(scope, state) : b(scope, state));
    }
    default: {
      const a = compileExpr(expr.a);
      const b = compileExpr(expr.b);
      const apply = binaryOps[expr.op];
      return (scope, state) => apply(a(scope, state), b(scope, state));
    }
  }
}

export const isTrue = truth;

/** Names of the fields an expression reads (the encoder fills counts from array lengths). */
export function referencedNames(expr: Expr | undefined): string[] {
  if (expr === undefined || typeof expr === "number") return [];
  if (expr.op === "ref") return [expr.name];
  if (expr.op === "peek") return referencedNames(expr.at);
  if (expr.op === "if") return [...referencedNames(expr.c), ...referencedNames(expr.a), ...referencedNames(expr.b)];
  if ("a" in expr) return [...referencedNames(expr.a), ...("b" in expr ? referencedNames(expr.b) : [])];
  return [];
}
