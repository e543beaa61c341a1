// Declarative request/response pairing (types.ts `Pairing`), shared by every protocol: answers show
// their request and the time since it; repeated requests and answers are expert info; in a second
// pass (-2) requests show their answer, or that none came.

import type { FieldInfo, FieldValue, TreeNode } from "../tree.js";
import type { AnalysisEvent, DecodeContext, RecordFacts, RequestLane } from "./compile.js";
import { infoTemplate, type ChildPosition, type FilledTemplate } from "./display.js";
import { compileExpr, type Evaluator, type Scope } from "./expr.js";
import { lookupField, registerField } from "./fields.js";
import type { Pairing } from "./types.js";

interface Remembered {
  number: number;
  timestampNs?: bigint;
  /** The request's pairing, whose `keep` the kept values follow. */
  pairing: CompiledPairing;
  kept: number[];
  text?: string;
  type: string;
  /** The record of the first answer, once one came. */
  answeredIn?: number;
}

/** A value kept for the answer, and the session key the answer's layouts read it as. */
interface KeptValue {
  name: string;
  value: Evaluator;
  stateKey: string;
}

/** A pairing with everything a record needs made once: evaluators, templates, state keys, fields. */
export interface CompiledPairing {
  spec: Pairing;
  namespace: string;
  /** Small number of the namespace, for numeric request lanes. */
  namespaceIndex: number;
  id: Evaluator;
  when?: Evaluator;
  keep: readonly KeptValue[];
  /** Position in `keep` by name. */
  keptIndex: ReadonlyMap<string, number>;
  /** Response: the kept names its layouts read (shown or state), with their session keys. */
  stateNames: readonly { name: string; stateKey: string }[];
  /** Request: `text` split at "{layers}", each part a template. */
  textParts?: readonly FilledTemplate[];
  /** Response: `say` split at "{answers}". */
  sayParts?: readonly string[];
  show: readonly { name: string; filter: string }[];
  /** The fields of `show`, looked up on first use (a lookup may register every description). */
  showFields?: readonly (FieldInfo | undefined)[];
  requestIn: FieldInfo;
  responseIn: FieldInfo;
  time: FieldInfo;
  answers: FieldInfo;
}

const namespaceIndexes = new Map<string, number>();

/** The generated fields every pairing namespace has (also registered by the plugin). */
export const PAIRING_FIELD_SUFFIXES = ["request_in", "response_in", "time", "answers"] as const;

const stateKey = (namespace: string, name: string): string => `channel.${namespace}.request.${name}`;

/**
 * The pairing compiled for one struct (a spec may serve several: `text` is filled from the struct's
 * children, `position` says where its description puts them); its generated fields are registered.
 */
export function compilePairing(spec: Pairing, position?: ChildPosition): CompiledPairing {
  const ns = spec.namespace;
  if (!namespaceIndexes.has(ns)) namespaceIndexes.set(ns, namespaceIndexes.size);
  const keep = Object.entries(spec.keep ?? {}).map(([name, expr]) => ({ name, value: compileExpr(expr), stateKey: stateKey(ns, name) }));
  const stateNames = [...new Set([...Object.keys(spec.show ?? {}), ...(spec.state ?? [])])].map((name) => ({ name, stateKey: stateKey(ns, name) }));
  return {
    spec, namespace: ns, namespaceIndex: namespaceIndexes.get(ns)!,
    id: compileExpr(spec.id), when: spec.when === undefined ? undefined : compileExpr(spec.when),
    keep, keptIndex: new Map(keep.map((kept, index) => [kept.name, index])), stateNames,
    textParts: spec.text?.split("{layers}").map((part) => infoTemplate(part, position)),
    sayParts: spec.say ? spec.say.split("{answers}") : undefined,
    show: Object.entries(spec.show ?? {}).map(([name, filter]) => ({ name, filter })),
    requestIn: registerField({ filter: `${ns}.request_in`, label: "Request in record", kind: "uint", width: 4, description: "Record number of the request this answers" }),
    responseIn: registerField({ filter: `${ns}.response_in`, label: "Response in record", kind: "uint", width: 4, description: "Record number of the answer to this request (two-pass analysis, -2)" }),
    time: registerField({ filter: `${ns}.time`, label: "Time since request", kind: "reltime", unit: "s", description: "Seconds between the request and this answer" }),
    answers: registerField({ filter: `${ns}.answers`, label: "Answers", kind: "string", description: "The request this answers" }),
  };
}

/** Namespaces, channels and directions that fit make a number; others (hostile relids) a string. */
const NAMESPACES_IN_NUMBER = 64;
const DIRECTIONS_IN_NUMBER = 256;
const RELIDS_IN_NUMBER = 2 ** 32;

/** Requests from one side are answered from the other; an unknown direction pairs with itself. */
function lane(pairing: CompiledPairing, relid: number, direction: number): RequestLane {
  const fits = pairing.namespaceIndex < NAMESPACES_IN_NUMBER && Number.isInteger(direction) && direction >= 0 && direction < DIRECTIONS_IN_NUMBER
    && Number.isInteger(relid) && relid >= 0 && relid < RELIDS_IN_NUMBER;
  if (fits) return (relid * DIRECTIONS_IN_NUMBER + direction) * NAMESPACES_IN_NUMBER + pairing.namespaceIndex;
  return `${pairing.namespace}:${relid}:${direction}`;
}
const otherSide = (direction: number): number => (direction === 0 ? 1 : direction === 1 ? 0 : direction);

const generated = (node: TreeNode, field: FieldInfo, value: FieldValue): TreeNode =>
  ({ field, value, offset: node.offset, length: 0, source: node.source, generated: true });

function sequenceNote(context: DecodeContext, node: TreeNode, severity: "note" | "warn", text: string): void {
  context.experts.push({ severity, group: "sequence", text, offset: node.offset, source: context.source });
}

const addEvent = (context: DecodeContext, event: AnalysisEvent): void => void context.events?.push(event);

/** `layers` is the summary of the layers decoded inside the struct, for `{layers}` in `text`. */
export function applyPairing(pairing: CompiledPairing, context: DecodeContext, scope: Scope, node: TreeNode, layers: string): void {
  const record = context.record;
  if (!record) return;
  if (pairing.when && !(pairing.when(scope, context.session) !== 0)) return;
  const id = pairing.id(scope, context.session);
  if (Number.isNaN(id)) return;
  if (pairing.spec.role === "request") return remember(pairing, context, record, id, scope, node, layers);
  answer(pairing, context, record, id, node);
}

function remember(pairing: CompiledPairing, context: DecodeContext, record: RecordFacts, id: number, scope: Scope, node: TreeNode, layers: string): void {
  const ns = pairing.namespace;
  const requests = context.session.requests;
  const here = lane(pairing, record.relid, record.direction);
  const earlier = requests.recall(here, id) as Remembered | undefined;
  if (earlier && earlier.answeredIn === undefined && earlier.number < record.number) {
    sequenceNote(context, node, "warn", `${ns}: request id ${id} repeated while the request in record ${earlier.number} is unanswered`);
  }
  const kept = pairing.keep.map((value) => value.value(scope, context.session));
  const text = pairing.textParts === undefined ? undefined : requestText(pairing.textParts, node, layers);
  const type = requestType(pairing.spec, context, node);
  requests.remember(here, id, { number: record.number, timestampNs: record.timestampNs, pairing, kept, text, type } satisfies Remembered);
  addEvent(context, { kind: "request", namespace: ns, type });
  showResponse(pairing, context, record, node);
}

/** The request's text: its template parts filled from the struct, joined by the inner layers' summary (captured text never goes through a template). */
function requestText(parts: readonly FilledTemplate[], node: TreeNode, layers: string): string {
  let text = parts[0](node);
  for (let index = 1; index < parts.length; index++) text += layers + parts[index](node);
  return text.trim();
}

/** Second pass: where the answer is, or that none came. */
function showResponse(pairing: CompiledPairing, context: DecodeContext, record: RecordFacts, node: TreeNode): void {
  const log = context.session.responses;
  if (!log?.complete) return;
  const response = log.byNamespace.get(pairing.namespace)?.get(record.number);
  if (response !== undefined) node.children!.push(generated(node, pairing.responseIn, response));
  else sequenceNote(context, node, "note", `${pairing.namespace}: no answer seen for this request`);
}

function noteResponse(context: DecodeContext, ns: string, request: number, response: number): void {
  const log = context.session.responses;
  if (!log || log.complete) return;
  let answered = log.byNamespace.get(ns);
  if (!answered) log.byNamespace.set(ns, (answered = new Map()));
  if (!answered.has(request)) answered.set(request, response);
}

function answer(pairing: CompiledPairing, context: DecodeContext, record: RecordFacts, id: number, node: TreeNode): void {
  const ns = pairing.namespace;
  const request = context.session.requests.recall(lane(pairing, record.relid, otherSide(record.direction)), id) as Remembered | undefined;
  const found = request !== undefined && request.number < record.number ? request : undefined;
  setRequestState(pairing, context, found);
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

/** The session state `channel.<namespace>.request.<name>`: what the request kept, unset for the answer's other names (all of them without a request). */
function setRequestState(pairing: CompiledPairing, context: DecodeContext, found: Remembered | undefined): void {
  const session = context.session;
  const request = found?.pairing;
  if (found && request) {
    for (let index = 0; index < request.keep.length; index++) session.set(request.keep[index].stateKey, found.kept[index]);
  }
  for (const { name, stateKey } of pairing.stateNames) {
    if (!request?.keptIndex.has(name)) session.set(stateKey, null);
  }
}

/** What the request kept under this name (undefined when it kept none). */
function keptValue(found: Remembered, name: string): number | undefined {
  const index = found.pairing.keptIndex.get(name);
  return index === undefined ? undefined : found.kept[index];
}

function showRequest(pairing: CompiledPairing, context: DecodeContext, found: Remembered, node: TreeNode, seconds: number | undefined): void {
  node.children!.push(generated(node, pairing.requestIn, found.number));
  if (seconds !== undefined) node.children!.push(generated(node, pairing.time, seconds));
  if (found.text) node.children!.push(generated(node, pairing.answers, found.text));
  if (pairing.sayParts) context.info.push(pairing.sayParts.join(found.text ?? ""));
  if (pairing.show.length === 0) return;
  const fields = (pairing.showFields ??= pairing.show.map(({ filter }) => lookupField(filter)));
  pairing.show.forEach(({ name }, index) => {
    const value = keptValue(found, name);
    // A name the request did not keep is shown without a value, as before this was compiled.
    if (fields[index] && !Number.isNaN(value)) node.children!.push(generated(node, fields[index], value as FieldValue));
  });
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
