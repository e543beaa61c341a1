// Declarative request/response pairing (types.ts `Pairing`), shared by every protocol: answers show
// their request and the time since it; repeated requests and answers are expert info; in a second
// pass (-2) requests show their answer, or that none came.

import type { FieldInfo, FieldValue, TreeNode } from "../tree.js";
import type { AnalysisEvent, DecodeContext, RecordFacts } from "./compile.js";
import { formatInfo } from "./display.js";
import { compileExpr, type Evaluator, type Scope } from "./expr.js";
import { lookupField, registerField } from "./fields.js";
import type { Pairing } from "./types.js";

interface Remembered {
  number: number;
  timestampNs?: bigint;
  kept: Record<string, number>;
  text?: string;
  type: string;
  /** The record of the first answer, once one came. */
  answeredIn?: number;
}

interface CompiledPairing {
  spec: Pairing;
  id: Evaluator;
  when?: Evaluator;
  keep: Array<[string, Evaluator]>;
  requestIn: FieldInfo;
  responseIn: FieldInfo;
  time: FieldInfo;
  answers: FieldInfo;
}

const cache = new WeakMap<Pairing, CompiledPairing>();

/** The generated fields every pairing namespace has (also registered by the plugin). */
export const PAIRING_FIELD_SUFFIXES = ["request_in", "response_in", "time", "answers"] as const;

function compiled(spec: Pairing): CompiledPairing {
  let entry = cache.get(spec);
  if (!entry) {
    const ns = spec.namespace;
    entry = {
      spec, id: compileExpr(spec.id), when: spec.when === undefined ? undefined : compileExpr(spec.when),
      keep: Object.entries(spec.keep ?? {}).map(([name, expr]) => [name, compileExpr(expr)]),
      requestIn: registerField({ filter: `${ns}.request_in`, label: "Request in record", kind: "uint", width: 4, description: "Record number of the request this answers" }),
      responseIn: registerField({ filter: `${ns}.response_in`, label: "Response in record", kind: "uint", width: 4, description: "Record number of the answer to this request (two-pass analysis, -2)" }),
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

function sequenceNote(context: DecodeContext, node: TreeNode, severity: "note" | "warn", text: string): void {
  context.experts.push({ severity, group: "sequence", text, offset: node.offset, source: context.source });
}

const addEvent = (context: DecodeContext, event: AnalysisEvent): void => void context.events?.push(event);

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

function remember(pairing: CompiledPairing, context: DecodeContext, record: RecordFacts, id: number, scope: Scope, node: TreeNode, layers: string): void {
  const ns = pairing.spec.namespace;
  const key = pairKey(ns, record.relid, record.direction, id);
  const earlier = context.session.recall<Remembered>(key);
  if (earlier && earlier.answeredIn === undefined && earlier.number < record.number) {
    sequenceNote(context, node, "warn", `${ns}: request id ${id} repeated while the request in record ${earlier.number} is unanswered`);
  }
  const kept: Record<string, number> = Object.create(null);
  for (const [name, value] of pairing.keep) kept[name] = value(scope, context.session);
  // Captured text never goes through the template (a "{key}" in a capture stays as it is).
  const text = pairing.spec.text?.split("{layers}").map((part) => formatInfo(part, node)).join(layers).trim();
  const type = requestType(pairing.spec, context, node);
  context.session.remember(key, { number: record.number, timestampNs: record.timestampNs, kept, text, type } satisfies Remembered);
  addEvent(context, { kind: "request", namespace: ns, type });
  showResponse(pairing, context, record, node);
}

/** Second pass: where the answer is, or that none came. */
function showResponse(pairing: CompiledPairing, context: DecodeContext, record: RecordFacts, node: TreeNode): void {
  const log = context.session.responses;
  if (!log?.complete) return;
  const response = log.byNamespace.get(pairing.spec.namespace)?.get(record.number);
  if (response !== undefined) node.children!.push(generated(node, pairing.responseIn, response));
  else sequenceNote(context, node, "note", `${pairing.spec.namespace}: no answer seen for this request`);
}

function noteResponse(context: DecodeContext, ns: string, request: number, response: number): void {
  const log = context.session.responses;
  if (!log || log.complete) return;
  let answered = log.byNamespace.get(ns);
  if (!answered) log.byNamespace.set(ns, (answered = new Map()));
  if (!answered.has(request)) answered.set(request, response);
}

function answer(pairing: CompiledPairing, context: DecodeContext, record: RecordFacts, id: number, node: TreeNode): void {
  const ns = pairing.spec.namespace;
  const request = context.session.recall<Remembered>(pairKey(ns, record.relid, otherSide(record.direction), id));
  const found = request !== undefined && request.number < record.number ? request : undefined;
  const names = new Set([...Object.keys(found?.kept ?? {}), ...Object.keys(pairing.spec.show ?? {}), ...(pairing.spec.state ?? [])]);
  for (const name of names) context.session.set(`channel.${ns}.request.${name}`, found?.kept[name] ?? null);
  if (!found) return sequenceNote(context, node, "note", `${ns}: no request seen for this answer (id ${id})`);
  const seconds = found.timestampNs !== undefined && record.timestampNs !== undefined ? Number(record.timestampNs - found.timestampNs) / 1e9 : undefined;
  if (found.answeredIn !== undefined && found.answeredIn !== record.number) {
    sequenceNote(context, node, "warn", `${ns}: another answer to the request in record ${found.number} (first answered in record ${found.answeredIn})`);
  } else {
    addEvent(context, { kind: "response", namespace: ns, type: found.type, requestNumber: found.number, seconds });
  }
  found.answeredIn ??= record.number;
  noteResponse(context, ns, found.number, record.number);
  showRequest(pairing, context, found, node, seconds);
}

function showRequest(pairing: CompiledPairing, context: DecodeContext, found: Remembered, node: TreeNode, seconds: number | undefined): void {
  node.children!.push(generated(node, pairing.requestIn, found.number));
  if (seconds !== undefined) node.children!.push(generated(node, pairing.time, seconds));
  if (found.text) node.children!.push(generated(node, pairing.answers, found.text));
  if (pairing.spec.say) context.info.push(pairing.spec.say.split("{answers}").join(found.text ?? ""));
  for (const [name, filter] of Object.entries(pairing.spec.show ?? {})) {
    const field = lookupField(filter);
    if (field && !Number.isNaN(found.kept[name])) node.children!.push(generated(node, field, found.kept[name]));
  }
}

/** The request type for statistics: a declared field found in the record, else the struct's first named value. */
function requestType(spec: Pairing, context: DecodeContext, node: TreeNode): string {
  for (const filter of spec.type ?? []) {
    for (const layer of context.layers) {
      const found = findNode(layer, (candidate) => candidate.field.filter === filter);
      if (found) return valueName(found);
    }
  }
  const named = findNode(node, (candidate) => candidate.field.values !== undefined && !candidate.generated);
  return named ? valueName(named) : node.field.label;
}

function valueName(node: TreeNode): string {
  const { value, field } = node;
  return (typeof value === "number" ? field.values?.[value] : undefined) ?? String(value);
}

function findNode(node: TreeNode, wanted: (node: TreeNode) => boolean): TreeNode | undefined {
  if (wanted(node)) return node;
  for (const child of node.children ?? []) {
    const found = findNode(child, wanted);
    if (found) return found;
  }
  return undefined;
}
