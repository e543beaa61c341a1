// Display filters (-Y), as Wireshark writes them: fields by filter name, protocols as presence
// tests, == != < <= > >= contains matches, && || ! and parentheses, enum values by name.

import { lookupField } from "../describe/fields.js";
import type { FieldInfo } from "../tree.js";

export type FilterNode =
  | { kind: "and" | "or"; left: FilterNode; right: FilterNode }
  | { kind: "not"; operand: FilterNode }
  | { kind: "present"; field: FieldInfo }
  | { kind: "compare"; field: FieldInfo; op: Operator; value: string; column: number };

export type Operator = "==" | "!=" | "<" | "<=" | ">" | ">=" | "contains" | "matches";

/** A filter that does not parse: what and where (1-based column). */
export class FilterError extends Error {
  constructor(readonly reason: string, readonly column: number) {
    super(`${reason} at column ${column}`);
  }
}

interface Token { text: string; column: number; quoted?: boolean }

const SYMBOLS = ["&&", "||", "==", "!=", "<=", ">=", "<", ">", "!", "(", ")"];
const WORD_OPERATORS: Record<string, string> = { and: "&&", or: "||", not: "!", eq: "==", ne: "!=", lt: "<", le: "<=", gt: ">", ge: ">=" };

/** A quoted string from `start` (its opening quote); `end` is the index after its closing quote. */
function quoted(source: string, start: number): { token: Token; end: number } {
  let text = "";
  for (let i = start + 1; i < source.length; i++) {
    if (source[i] === "\\" && i + 1 < source.length) text += source[++i];
    else if (source[i] === '"') return { token: { text, column: start + 1, quoted: true }, end: i + 1 };
    else text += source[i];
  }
  throw new FilterError("unterminated string", start + 1);
}

export function tokens(source: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < source.length) {
    if (/\s/.test(source[i])) { i++; continue; }
    if (source[i] === '"') {
      const { token, end } = quoted(source, i);
      out.push(token);
      i = end;
      continue;
    }
    const symbol = SYMBOLS.find((s) => source.startsWith(s, i));
    if (symbol) { out.push({ text: symbol, column: i + 1 }); i += symbol.length; continue; }
    const word = /^[^\s()!=<>&|"]+/.exec(source.slice(i))![0];
    out.push({ text: WORD_OPERATORS[word.toLowerCase()] ?? word, column: i + 1 });
    i += word.length;
  }
  return out;
}

const COMPARISONS = new Set(["==", "!=", "<", "<=", ">", ">=", "contains", "matches"]);

class Parser {
  private index = 0;
  constructor(private readonly list: Token[], private readonly length: number) {}

  private peek(): Token | undefined { return this.list[this.index]; }
  private take(): Token | undefined { return this.list[this.index++]; }
  private column(): number { return this.peek()?.column ?? this.length + 1; }

  parse(): FilterNode {
    const node = this.or();
    if (this.peek()) throw new FilterError(`unexpected "${this.peek()!.text}"`, this.column());
    return node;
  }

  private or(): FilterNode {
    let left = this.and();
    while (this.peek()?.text === "||") { this.take(); left = { kind: "or", left, right: this.and() }; }
    return left;
  }

  private and(): FilterNode {
    let left = this.not();
    while (this.peek()?.text === "&&") { this.take(); left = { kind: "and", left, right: this.not() }; }
    return left;
  }

  private not(): FilterNode {
    if (this.peek()?.text === "!") { this.take(); return { kind: "not", operand: this.not() }; }
    return this.primary();
  }

  private primary(): FilterNode {
    const token = this.take();
    if (!token) throw new FilterError("the filter ends too soon", this.column());
    if (token.text === "(") {
      const inner = this.or();
      if (this.take()?.text !== ")") throw new FilterError('missing ")"', this.column());
      return inner;
    }
    if (token.quoted || SYMBOLS.includes(token.text)) throw new FilterError(`expected a field name, found "${token.text}"`, token.column);
    const field = lookupField(token.text);
    if (!field) throw new FilterError(`unknown field "${token.text}"`, token.column);
    const op = this.peek()?.text;
    if (!op || !COMPARISONS.has(op)) return { kind: "present", field };
    this.take();
    const value = this.take();
    if (!value || (!value.quoted && SYMBOLS.includes(value.text))) throw new FilterError(`a value must follow ${op}`, value?.column ?? this.column());
    return { kind: "compare", field, op: op as Operator, value: value.text, column: value.column };
  }
}

export function parseFilter(source: string): FilterNode {
  return new Parser(tokens(source), source.length).parse();
}
