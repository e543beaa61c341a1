// Expressions compiled once into closures; evaluated per record against the field scope.

import type { FieldValue } from "../tree.js";
import { scalarReader, scalarSize } from "./read.js";
import type { Expr } from "./types.js";

export interface Scope {
  /** Field values of this struct by key (nothing inherited: keys come from descriptions, values from captures). */
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

/**
 * The prototype of every scope's values: empty and without a prototype of its own, so no key finds
 * an inherited member. Object.create(null) itself would make each values object a hash table (V8's
 * dictionary mode), about 25 times slower to fill than an object with a prototype.
 */
const NO_VALUES: Record<string, FieldValue> = Object.freeze(Object.create(null) as Record<string, FieldValue>);

export function newScope(parent: Scope | undefined, start: number, end: number): Scope {
  return { values: Object.create(NO_VALUES) as Record<string, FieldValue>, parent, start, end, pos: start, view: undefined };
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

/** VMBUS_DISSECT_INTERPRET=1 keeps expressions (and fields, codegen.ts) as closures: the tests compare both. */
export const generationEnabled = process.env.VMBUS_DISSECT_INTERPRET !== "1";

/**
 * An expression's evaluator. It is made into one JavaScript function on its first evaluation
 * (expressionCode below); descriptions hold thousands of expressions and most captures use few.
 */
export function compileExpr(expr: Expr): Evaluator {
  if (!generationEnabled || typeof expr === "number") return interpretExpr(expr);
  let generated: Evaluator | undefined;
  return (scope, state) => (generated ??= generateEvaluator(expr))(scope, state);
}

/** The same expression as a tree of closures (what the generated code calls for operators it leaves alone). */
function interpretExpr(expr: Expr): Evaluator {
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
    case "lookup": {
      const [table, key] = [expr.table, compileExpr(expr.a)];
      return (scope, state) => table[key(scope, state)] ?? NaN;
    }
    case "known": {
      const [table, key] = [expr.table, compileExpr(expr.a)];
      return (scope, state) => +(table[key(scope, state)] !== undefined);
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

/** Where generated code keeps what it refers to: constants bound once, and temporaries. */
export interface CodeConstants {
  constant(value: unknown): string;
  temporary(): string;
}

/** What generated expressions call, passed to them as R. */
export const expressionRuntime = { toNumber, lookup, truth };

/** Operators written out in generated code; the others call their binaryOps function. */
const INLINE_OPERATORS: Readonly<Record<string, string>> = {
  "+": "+", "-": "-", "*": "*", "==": "===", "!=": "!==", "<": "<", "<=": "<=", ">": ">", ">=": ">=",
};
const COMPARISONS = new Set(["==", "!=", "<", "<=", ">", ">="]);

/**
 * An expression as JavaScript source over `scope`, `state` and the runtime `R`, evaluating exactly
 * as the closures of interpretExpr (operands left to right; operators this does not know are
 * called as those closures).
 */
export function expressionCode(expr: Expr, unit: CodeConstants): string {
  if (typeof expr === "number") return Number.isInteger(expr) && Math.abs(expr) < 2 ** 31 && !Object.is(expr, -0) ? `(${expr})` : unit.constant(expr);
  const code = (sub: Expr): string => expressionCode(sub, unit);
  switch (expr.op) {
    case "ref": {
      // A field of this struct is a named load; an enclosing struct's goes through lookup.
      const value = unit.temporary();
      return `((${value} = scope.values[${JSON.stringify(expr.name)}]) !== undefined ? R.toNumber(${value}) : R.toNumber(R.lookup(scope.parent, ${unit.constant(expr.name)})))`;
    }
    case "state": return `(state.get(${unit.constant(expr.name)}) ?? NaN)`;
    case "remaining": return "(scope.end - scope.pos)";
    case "offset": return "(scope.pos - scope.start)";
    case "!": return `(+!R.truth(${code(expr.a)}))`;
    case "if": return `(R.truth(${code(expr.c)}) ? ${code(expr.a)} : ${code(expr.b)})`;
  }
  const op = (expr as { op: string }).op;
  const operands = expr as { a?: Expr; b?: Expr };
  if (Object.hasOwn(INLINE_OPERATORS, op) && operands.a !== undefined && operands.b !== undefined) {
    const inline = `(${code(operands.a)} ${INLINE_OPERATORS[op]} ${code(operands.b)})`;
    return COMPARISONS.has(op) ? `(+${inline})` : inline;
  }
  if (Object.hasOwn(binaryOps, op) && operands.a !== undefined && operands.b !== undefined) {
    return `${unit.constant(binaryOps[op])}(${code(operands.a)}, ${code(operands.b)})`;
  }
  return `${unit.constant(interpretExpr(expr))}(scope, state)`;
}

function generateEvaluator(expr: Expr): Evaluator {
  const constants: unknown[] = [];
  let temporaries = 0;
  const unit: CodeConstants = {
    constant: (value) => `K${constants.push(value) - 1}`,
    temporary: () => `T${temporaries++}`,
  };
  const body = expressionCode(expr, unit);
  const source = `${constants.map((_, index) => `const K${index} = K[${index}];`).join("\n")}
return function evaluate(scope, state) {
  ${temporaries > 0 ? `let ${Array.from({ length: temporaries }, (_, index) => `T${index}`).join(", ")};` : ""}
  return ${body};
};`;
  return new Function("R", "K", source)(expressionRuntime, constants) as Evaluator;
}

/** Names of the fields an expression reads (the encoder fills counts from array lengths). */
export function referencedNames(expr: Expr | undefined): string[] {
  if (expr === undefined || typeof expr === "number") return [];
  if (expr.op === "ref") return [expr.name];
  if (expr.op === "peek") return referencedNames(expr.at);
  if (expr.op === "if") return [...referencedNames(expr.c), ...referencedNames(expr.a), ...referencedNames(expr.b)];
  if ("a" in expr) return [...referencedNames(expr.a), ...("b" in expr ? referencedNames(expr.b) : [])];
  return [];
}
