// Declarative request/response pairing (types.ts `Pairing`), shared by every protocol.

import type { FieldInfo, FieldValue, TreeNode } from "../tree.js";
import type { DecodeContext } from "./compile.js";
import { formatInfo } from "./display.js";
import { compileExpr, type Evaluator, type Scope } from "./expr.js";
import { lookupField, registerField } from "./fields.js";
import type { Pairing } from "./types.js";

interface Remembered {
  number: number;
  timestampNs?: bigint;
  kept: Record<string, number>;
  text?: string;
}

interface CompiledPairing {
  spec: Pairing;
  id: Evaluator;
  when?: Evaluator;
  keep: Array<[string, Evaluator]>;
  requestIn: FieldInfo;
  time: FieldInfo;
  answers: FieldInfo;
}

const cache = new WeakMap<Pairing, CompiledPairing>();

function compiled(spec: Pairing): CompiledPairing {
  let entry = cache.get(spec);
  if (!entry) {
    const ns = spec.namespace;
    entry = {
      spec, id: compileExpr(spec.id), when: spec.when === undefined ? undefined : compileExpr(spec.when),
      keep: Object.entries(spec.keep ?? {}).map(([name, expr]) => [name, compileExpr(expr)]),
      requestIn: registerField({ filter: `${ns}.request_in`, label: "Request in record", kind: "uint", width: 4, description: "Record number of the request this answers" }),
      time: registerField({ filter: `${ns}.time`, label: "Time since request", kind: "reltime", unit: "s", description: "Seconds between the request and this answer" }),
      answers: registerField({ filter: `${ns}.answers`, label: "Answers", kind: "string", description: "The request this answers" }),
    };
    cache.set(spec, entry);
  }
  return entry;
}

/** Registers the generated fields of a pairing (for the field list and the plugin). */
export const registerPairing = (spec: Pairing): void => void compiled(spec);

/** Requests from one side are answered from the other; an unknown direction pairs with itself. */
const pairKey = (ns: string, relid: number, direction: number, id: number): string => `pair:${ns}:${relid}:${direction}:${id}`;
const otherSide = (direction: number): number => (direction === 0 ? 1 : direction === 1 ? 0 : direction);

const generated = (node: TreeNode, field: FieldInfo, value: FieldValue): TreeNode =>
  ({ field, value, offset: node.offset, length: 0, source: node.source, generated: true });

/** `layers` is the summary of the layers decoded inside the struct, for `{layers}` in `text`. */
export function applyPairing(spec: Pairing, context: DecodeContext, scope: Scope, node: TreeNode, layers: string): void {
  const record = context.record;
  if (!record) return;
  const pairing = compiled(spec);
  if (pairing.when && !(pairing.when(scope, context.session) !== 0)) return;
  const id = pairing.id(scope, context.session);
  if (Number.isNaN(id)) return;
  if (spec.role === "request") return remember(pairing, context, record, id, scope, node, layers);
  answer(pairing, context, record, id, node);
}

function remember(pairing: CompiledPairing, context: DecodeContext, record: NonNullable<DecodeContext["record"]>, id: number, scope: Scope, node: TreeNode, layers: string): void {
  const kept: Record<string, number> = Object.create(null);
  for (const [name, value] of pairing.keep) kept[name] = value(scope, context.session);
  // Captured text never goes through the template (a "{key}" in a capture stays as it is).
  const text = pairing.spec.text?.split("{layers}").map((part) => formatInfo(part, node)).join(layers).trim();
  context.session.remember(pairKey(pairing.spec.namespace, record.relid, record.direction, id), { number: record.number, timestampNs: record.timestampNs, kept, text });
}

function answer(pairing: CompiledPairing, context: DecodeContext, record: NonNullable<DecodeContext["record"]>, id: number, node: TreeNode): void {
  const ns = pairing.spec.namespace;
  const request = context.session.recall<Remembered>(pairKey(ns, record.relid, otherSide(record.direction), id));
  const found = request !== undefined && request.number < record.number ? request : undefined;
  const names = new Set([...Object.keys(found?.kept ?? {}), ...Object.keys(pairing.spec.show ?? {}), ...(pairing.spec.state ?? [])]);
  for (const name of names) context.session.set(`channel.${ns}.request.${name}`, found?.kept[name] ?? null);
  if (!found) {
    context.experts.push({ severity: "note", group: "sequence", text: `${ns}: no request seen for this answer (id ${id})`, offset: node.offset, source: context.source });
    return;
  }
  node.children!.push(generated(node, pairing.requestIn, found.number));
  if (found.timestampNs !== undefined && record.timestampNs !== undefined) node.children!.push(generated(node, pairing.time, Number(record.timestampNs - found.timestampNs) / 1e9));
  if (found.text) node.children!.push(generated(node, pairing.answers, found.text));
  if (pairing.spec.say) context.info.push(pairing.spec.say.split("{answers}").join(found.text ?? ""));
  for (const [name, filter] of Object.entries(pairing.spec.show ?? {})) {
    const field = lookupField(filter);
    if (field && !Number.isNaN(found.kept[name])) node.children!.push(generated(node, field, found.kept[name]));
  }
}
