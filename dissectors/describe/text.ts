// Text expressions (computed string fields, the words of checks), compiled once as numbers are.

import type { TreeNode } from "../tree.js";
import { formatInfo } from "./display.js";
import { compileExpr, type Scope, type StateReader } from "./expr.js";
import type { TextExpr } from "./types.js";

/** The text, or undefined when it has no value (a name the table lacks, an unknown number). */
export type TextEvaluator = (scope: Scope, state: StateReader, node: Pick<TreeNode, "children">) => string | undefined;

function digitsOf(value: number, radix: number, width: number): string | undefined {
  return Number.isFinite(value) ? Math.trunc(value).toString(radix).padStart(width, "0") : undefined;
}

function joined(parts: readonly TextEvaluator[]): TextEvaluator {
  return (scope, state, node) => {
    let out = "";
    for (const part of parts) {
      const text = part(scope, state, node);
      if (text === undefined) return undefined;
      out += text;
    }
    return out;
  };
}

export function compileText(text: TextExpr): TextEvaluator {
  if (typeof text === "string") return text.includes("{") ? (_scope, _state, node) => formatInfo(text, node) : () => text;
  switch (text.text) {
    case "number": {
      const value = compileExpr(text.value);
      return (scope, state) => digitsOf(value(scope, state), text.radix ?? 10, text.width ?? 0);
    }
    case "name": {
      const key = compileExpr(text.key);
      return (scope, state) => text.table[key(scope, state)];
    }
    case "join":
      return joined(text.parts.map(compileText));
    case "if": {
      const [c, a, b] = [compileExpr(text.c), compileText(text.a), compileText(text.b)];
      return (scope, state, node) => (c(scope, state) ? a : b)(scope, state, node);
    }
  }
}

/** A check's words: its arguments ({name}) first, then the fields as in `info` ("?" for an argument with no value). */
export function compileMessage(template: string, args: Readonly<Record<string, TextExpr>> = {}): TextEvaluator {
  const evaluators = new Map(Object.entries(args).map(([name, text]) => [name, compileText(text)]));
  if (evaluators.size === 0) return (_scope, _state, node) => formatInfo(template, node);
  return (scope, state, node) => {
    const filled = template.replace(/\{([A-Za-z0-9_]+)\}/g, (all, name: string) => {
      const evaluator = evaluators.get(name);
      return evaluator ? evaluator(scope, state, node) ?? "?" : all;
    });
    return formatInfo(filled, node);
  };
}
