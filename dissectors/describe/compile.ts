// Compiles a struct description once into a decoder made of small closures, one per field.
// Problems become expert items on the tree; nothing here throws on bad input.

import type { ExpertItem, FieldInfo, FieldValue, TreeNode } from "../tree.js";
import { bitwiseAnd, compileExpr, isTrue, maskShift, newScope, type Evaluator, type Scope, type StateReader } from "./expr.js";
import { bitInfo, fieldInfo, filterOf, structInfo } from "./fields.js";
import { bitSpan, readBits, readBlob, scalarReader, scalarSize } from "./read.js";
import { findChild, formatInfo, infoTemplate, type ChildPosition, type FilledTemplate } from "./display.js";
import { compileMessage, compileText, type TextEvaluator } from "./text.js";
import { applyPairing, compilePairing, type CompiledPairing } from "./pairing.js";
import { generateDecoder, planFields, type DecoderRuntime } from "./codegen.js";
import type {
  Pairing,
  BitsField, ComputedField, ComputedText, StructCheck,
  ArrayField, BlobField, Field, HandoffField, ScalarField, StructDescription, StructField, SwitchField, VersionLayout,
} from "./types.js";

export interface SessionAccess extends StateReader {
  /** null unsets. */
  set(name: string, value: FieldValue): void;
  /** Requests awaiting their answers (pairing.ts). */
  requests: PendingRequestStore;
  /** Two-pass analysis: the first pass notes each answered request; the second reads them back. */
  responses?: ResponseLog;
}

/** A pairing namespace's requests of one channel in one direction (pairing.ts makes the key). */
export type RequestLane = number | string;

/** Open requests by lane and id; bounded (the oldest are forgotten). */
export interface PendingRequestStore<T = unknown> {
  remember(lane: RequestLane, id: number, value: T): void;
  recall(lane: RequestLane, id: number): T | undefined;
}

/** Which record answered each request, by pairing namespace and request record number. */
export interface ResponseLog {
  /** False in the first pass (recording), true in the second (reading). */
  complete: boolean;
  byNamespace: Map<string, Map<number, number>>;
}

/** What pairing needs to know of the record being decoded. */
export interface RecordFacts {
  number: number;
  timestampNs?: bigint;
  relid: number;
  direction: number;
}

/** What analysis learns from a record: requests and answers (pairing.ts), negotiated versions. */
export type AnalysisEvent =
  | {
    kind: "request" | "response";
    namespace: string;
    /** What was asked: the request's message type, e.g. "READ(10)" or "QUERY_MSG". */
    type: string;
    /** Responses: the request's record number and the seconds between them (undefined without timestamps). */
    requestNumber?: number;
    seconds?: number;
  }
  | {
    kind: "negotiated";
    /** The session key without "channel.", e.g. "nvsp.version". */
    name: string;
    value: number;
    text: string;
  };

export type Hook = (scope: Scope, context: DecodeContext, node: TreeNode) => void;

export interface DecodeContext {
  bytes: Uint8Array;
  view: DataView;
  /** Data source index of `bytes` (0 = frame, k = attached chunk k-1). */
  source: number;
  session: SessionAccess;
  experts: ExpertItem[];
  /** Protocol layers in order; hand-offs append new layers here. */
  layers: TreeNode[];
  /** Summary pieces, one per described struct that has an info template. */
  info: string[];
  /** Set once the data ran out; decoding of this source stops. */
  failed: boolean;
  handoff(table: string, context: DecodeContext, start: number, end: number, scope: Scope, key?: number): void;
  /** Decodes the record's attached chunks of the given sources; false when there are none. */
  handoffAttached(table: string, context: DecodeContext, sources: readonly number[], scope: Scope, key?: number): boolean;
  hooks: Readonly<Record<string, Hook>>;
  record?: RecordFacts;
  /** What analysis learns from this record (for statistics). */
  events?: AnalysisEvent[];
  /** While positive, structs add nothing to the summary (array elements past the first few). */
  quiet?: number;
  /** No summary is wanted (Dissector option skipInfo): structs fill their info templates only where a pairing's `{layers}` reads them. */
  skipInfo?: boolean;
  /** With skipInfo: positive while decoding inside a struct whose pairing reads `{layers}`. */
  infoWanted?: number;
}

/** A summary stays a line: an array's elements after these many add "…" instead of their own words. */
const SUMMARISED_ELEMENTS = 8;

type FieldReader = (context: DecodeContext, scope: Scope, children: TreeNode[]) => void;
export type StructDecoder = (context: DecodeContext, start: number, end: number, parent: Scope | undefined, node: FieldInfo) => TreeNode;

const MAX_ARRAY_ELEMENTS = 1 << 16;
const compiled = new WeakMap<StructDescription, DecoderEntry>();

export function malformed(context: DecodeContext, text: string, offset: number, filter?: string): void {
  context.experts.push({ severity: "error", group: "malformed", text, offset, source: context.source, filter });
}

function outOfBytes(context: DecodeContext, scope: Scope, what: string, needed: number): void {
  const left = Math.max(0, scope.end - scope.pos);
  malformed(context, `${what} needs ${needed} bytes at offset ${scope.pos}, only ${left} remain`, scope.pos);
  context.failed = true;
}

const leaf = (field: FieldInfo, value: FieldValue, offset: number, length: number, source: number): TreeNode =>
  ({ field, value, offset, length, source });

function withPlacement(field: Field, read: FieldReader): FieldReader {
  const when = field.when === undefined ? undefined : compileExpr(field.when);
  const at = field.at === undefined ? undefined : compileExpr(field.at);
  if (!when && !at) return read;
  return (context, scope, children) => {
    if (when && !isTrue(when(scope, context.session))) return;
    if (at) {
      const target = scope.start + at(scope, context.session);
      if (!Number.isFinite(target) || target < scope.start) return malformed(context, `${field.label}: position ${target - scope.start} is not valid`, scope.pos);
      scope.pos = target;
    }
    read(context, scope, children);
  };
}

function bitChildren(bits: readonly FieldInfo[], value: number, offset: number, length: number, source: number): TreeNode[] {
  return bits.map((bit) => leaf(bit, bitwiseAnd(value, bit.mask!) !== 0, offset, length, source));
}

/** A masked, scaled field's value from the raw integer (Wireshark's bitmask, then our `scale`). */
function fieldValue(field: ScalarField, shift: number, raw: number | bigint | boolean): number | bigint | boolean {
  if (typeof raw !== "number" || (field.mask === undefined && field.scale === undefined)) return raw;
  const masked = field.mask === undefined ? raw : Math.floor(bitwiseAnd(raw, field.mask) / 2 ** shift);
  return masked * (field.scale ?? 1);
}

function compileScalar(field: ScalarField, prefix: string): FieldReader {
  const info = fieldInfo(field, prefix);
  const size = scalarSize(field.type);
  const read = scalarReader(field.type);
  const shift = field.mask === undefined ? 0 : maskShift(field.mask);
  const advance = field.shared ? 0 : size;
  const bits = (field.bits ?? []).map((bit) => bitInfo(info, bit.mask, bit.key, bit.alternate ? `${bit.label} (also read as: ${bit.alternate})` : bit.label));
  return (context, scope, children) => {
    if (scope.pos + size > scope.end) return outOfBytes(context, scope, field.label, size);
    const value = fieldValue(field, shift, read(context.view, scope.pos));
    const node = leaf(info, value, scope.pos, size, context.source);
    if (bits.length > 0 && typeof value === "number") node.children = bitChildren(bits, value, scope.pos, size, context.source);
    if (field.expect !== undefined && value !== field.expect) {
      context.experts.push({ severity: "note", group: "protocol", text: `${field.label} is ${String(value)}, expected ${field.expect}`, offset: scope.pos, source: context.source, filter: info.filter });
    }
    scope.values[field.key] = value;
    children.push(node);
    scope.pos += advance;
  };
}

function regionLength(length: Field["at"] | "rest", evaluator: Evaluator | undefined, scope: Scope, context: DecodeContext): number {
  if (length === "rest" || evaluator === undefined) return scope.end - scope.pos;
  return evaluator(scope, context.session);
}

function compileBlob(field: BlobField, prefix: string): FieldReader {
  const info = fieldInfo(field, prefix);
  const length = field.length === "rest" ? undefined : compileExpr(field.length);
  return (context, scope, children) => {
    const wanted = regionLength(field.length, length, scope, context);
    if (!(wanted >= 0)) return malformed(context, `${field.label}: length ${wanted} is not valid`, scope.pos, info.filter);
    // Placed past the end (an offset field that points beyond): nothing of it is there.
    if (scope.pos > scope.end) return outOfBytes(context, scope, field.label, wanted);
    const available = Math.min(wanted, scope.end - scope.pos);
    const value = readBlob(field.type, context.bytes, scope.pos, available, field.nulTerminated === true);
    children.push(leaf(info, value, scope.pos, available, context.source));
    scope.values[field.key] = value;
    if (available < wanted) return outOfBytes(context, scope, field.label, wanted);
    scope.pos += available;
  };
}

function compileStruct(field: StructField, prefix: string): FieldReader {
  const info = structInfo(field.struct, filterOf(field, prefix), field.label);
  const decoder = entryFor(field.struct);
  const length = field.length === undefined || field.length === "rest" ? undefined : compileExpr(field.length);
  return (context, scope, children) => {
    const stated = field.length === undefined ? scope.end : scope.pos + regionLength(field.length, length, scope, context);
    if (!Number.isFinite(stated) || stated < scope.pos) return malformed(context, `${field.label}: length ${stated - scope.pos} is not valid`, scope.pos, info.filter);
    const end = Math.min(scope.end, stated);
    const node = decoder.decode(context, scope.pos, end, scope, info);
    children.push(node);
    scope.pos = field.length === undefined ? node.offset + node.length : end;
  };
}

function compileArray(field: ArrayField, prefix: string): FieldReader {
  const info = fieldInfo(field, prefix);
  const elementInfo = structInfo(field.element, `${field.element.prefix}.${field.element.key ?? field.element.name.toLowerCase()}`, field.element.label ?? field.element.name);
  const count = field.count === undefined ? undefined : compileExpr(field.count);
  const decoder = entryFor(field.element);
  return (context, scope, children) => {
    const node = leaf(info, null, scope.pos, 0, context.source);
    node.children = [];
    children.push(node);
    const wanted = count ? count(scope, context.session) : Infinity;
    if (!(wanted >= 0)) return malformed(context, `${field.label}: count ${wanted} is not valid`, scope.pos, info.filter);
    for (let index = 0; index < wanted && !context.failed; index++) {
      if (scope.pos >= scope.end) {
        if (count && !field.clipToEnd) outOfBytes(context, scope, `${field.label} element ${index} of ${wanted}`, field.element.size ?? 1);
        if (count && field.clipToEnd) node.note = field.clipNote ?? `${index} of ${wanted} here`;
        break;
      }
      if (index >= MAX_ARRAY_ELEMENTS) {
        malformed(context, `${field.label}: more than ${MAX_ARRAY_ELEMENTS} elements`, scope.pos, info.filter);
        break;
      }
      const before = scope.pos;
      if (index === SUMMARISED_ELEMENTS && field.element.info) {
        context.info.push("…");
        context.quiet = (context.quiet ?? 0) + 1;
      }
      const element = decoder.decode(context, scope.pos, scope.end, scope, elementInfo);
      node.children.push(element);
      scope.pos = element.offset + element.length;
      if (scope.pos <= before) break;
    }
    if (node.children.length > SUMMARISED_ELEMENTS && field.element.info) context.quiet = (context.quiet ?? 1) - 1;
    node.value = node.children.length;
    node.length = scope.pos - node.offset;
    scope.values[field.key] = node.children.length;
  };
}

function compileSwitch(field: SwitchField, prefix: string): FieldReader {
  const on = compileExpr(field.on);
  const infos = new Map<StructDescription, FieldInfo>();
  const infoOf = (description: StructDescription): FieldInfo => {
    let info = infos.get(description);
    if (!info) infos.set(description, (info = structInfo(description, `${prefix}.${description.key ?? description.name.toLowerCase()}`)));
    return info;
  };
  // Each case's decoder and info found once here, not looked up for every record.
  const chosenCases = new Map<StructDescription, { decoder: DecoderEntry; info: FieldInfo }>();
  for (const description of [...Object.values(field.cases), ...(field.default ? [field.default] : [])]) {
    const info = infoOf(description);
    chosenCases.set(description, { decoder: entryFor(description), info });
  }
  return (context, scope, children) => {
    const key = on(scope, context.session);
    const chosen = field.cases[key] ?? field.default;
    if (!chosen) return;
    const { decoder, info } = chosenCases.get(chosen)!;
    const node = decoder.decode(context, scope.pos, scope.end, scope, info);
    children.push(node);
    scope.pos = node.offset + node.length;
  };
}

function compileHandoff(field: HandoffField): FieldReader {
  const length = field.length === undefined || field.length === "rest" ? undefined : compileExpr(field.length);
  const by = field.by === undefined ? undefined : compileExpr(field.by);
  if (field.attached) return compileAttachedHandoff(field, field.attached, by);
  return (context, scope) => {
    const end = Math.min(scope.end, scope.pos + regionLength(field.length ?? "rest", length, scope, context));
    if (end > scope.pos) context.handoff(field.table, context, scope.pos, end, scope, by?.(scope, context.session));
    scope.pos = Math.max(scope.pos, end);
  };
}

/** The bytes live outside the record's payload (a buffer section, guest pages): decode each captured chunk. */
function compileAttachedHandoff(field: HandoffField, sources: readonly number[], by: Evaluator | undefined): FieldReader {
  return (context, scope, children) => {
    if (context.handoffAttached(field.table, context, sources, scope, by?.(scope, context.session))) return;
    if (!field.missing) return;
    const text = formatInfo(field.missing, { children });
    context.info.push(text);
    context.experts.push({ severity: "note", group: "undecoded", text, offset: scope.start, source: context.source });
  };
}

function compileComputedText(field: ComputedText, prefix: string): FieldReader {
  const info = fieldInfo(field, prefix);
  const text = compileText(field.text);
  return (context, scope, children) => {
    const value = text(scope, context.session, { children });
    if (value === undefined) return;
    children.push({ field: info, value, offset: scope.pos, length: 0, source: context.source, generated: true });
    scope.values[field.key] = value;
  };
}

function compileComputed(field: ComputedField, prefix: string): FieldReader {
  if (field.type === "string") return compileComputedText(field, prefix);
  const info = fieldInfo(field, prefix);
  const value = compileExpr(field.value);
  return (context, scope, children) => {
    const result = value(scope, context.session);
    if (!Number.isFinite(result)) return;
    children.push({ field: info, value: result, offset: scope.pos, length: 0, source: context.source, generated: true });
    scope.values[field.key] = result;
  };
}

const MAX_BIT_WIDTH = 32;

/** A bit field whose position and width are data (e.g. from a captured HID report descriptor). */
function compileBits(field: BitsField, prefix: string): FieldReader {
  const info = fieldInfo(field, prefix);
  const [offset, width] = [compileExpr(field.bitOffset), compileExpr(field.bitWidth)];
  const signed = field.signed === undefined ? undefined : compileExpr(field.signed);
  const bits = (field.bits ?? []).map((bit) => bitInfo(info, bit.mask, bit.key, bit.label));
  return (context, scope, children) => {
    const [bitOffset, bitWidth] = [offset(scope, context.session), width(scope, context.session)];
    if (!(bitOffset >= 0 && bitWidth >= 1 && bitWidth <= MAX_BIT_WIDTH)) return malformed(context, `${field.label}: ${bitWidth} bits at bit ${bitOffset} is not a valid bit field`, scope.pos, info.filter);
    const span = bitSpan(bitOffset, bitWidth);
    if (scope.start + span.at + span.length > scope.end) return outOfBytes(context, { ...scope, pos: scope.start + span.at }, field.label, span.length);
    const value = readBits(context.bytes, scope.start, bitOffset, bitWidth, signed !== undefined && isTrue(signed(scope, context.session)));
    const node = leaf(info, value, scope.start + span.at, span.length, context.source);
    if (bits.length > 0) node.children = bitChildren(bits, value, node.offset, span.length, context.source);
    children.push(node);
    scope.values[field.key] = value;
    scope.pos = Math.max(scope.pos, node.offset + span.length);
  };
}

/** A field's reader without its `when` and `at` (withPlacement adds them; generated code writes them out). */
function compileUnplaced(field: Field, prefix: string): FieldReader {
  switch (field.kind) {
    case "computed": return compileComputed(field, prefix);
    case "bits": return compileBits(field, prefix);
    case "scalar": return compileScalar(field, prefix);
    case "blob": return compileBlob(field, prefix);
    case "struct": return compileStruct(field, prefix);
    case "array": return compileArray(field, prefix);
    case "switch": return compileSwitch(field, prefix);
    case "handoff": return compileHandoff(field);
  }
}

const compileField = (field: Field, prefix: string): FieldReader => withPlacement(field, compileUnplaced(field, prefix));

type CompiledCheck = Omit<StructCheck, "fails"> & { fails: Evaluator; message: TextEvaluator };
const checkCache = new WeakMap<StructDescription, CompiledCheck[]>();

function applyChecks(description: StructDescription, context: DecodeContext, scope: Scope, node: TreeNode): void {
  if (!description.checks) return;
  let checks = checkCache.get(description);
  if (!checks) checkCache.set(description, (checks = description.checks.map((c) => ({ ...c, fails: compileExpr(c.fails), message: compileMessage(c.text, c.args) }))));
  for (const check of checks) {
    if (!isTrue(check.fails(scope, context.session))) continue;
    const target = findChild(node, check.field);
    const text = check.message(scope, context.session, node) ?? check.text;
    context.experts.push({
      severity: check.severity ?? "error", group: check.group ?? "malformed", text,
      offset: target?.offset ?? node.offset, source: context.source, filter: target?.field.filter,
    });
  }
}

function applyEffects(description: StructDescription, context: DecodeContext, scope: Scope, node: TreeNode): void {
  for (const effect of compiledEffects(description)) {
    if (effect.when && !isTrue(effect.when(scope, context.session))) continue;
    const value = effect.value(scope, context.session);
    context.session.set(effect.set, value);
    if (effect.negotiated && Number.isFinite(value)) {
      context.events?.push({ kind: "negotiated", name: effect.set.replace(/^channel\./, ""), value, text: versionText(effect.negotiated, value) });
    }
  }
  for (const name of description.hooks ?? []) context.hooks[name]?.(scope, context, node);
}

const effectCache = new WeakMap<StructDescription, { set: string; value: Evaluator; when?: Evaluator; negotiated?: VersionLayout }[]>();

function versionText(layout: VersionLayout, value: number): string {
  if (typeof layout === "object") return layout[value] ?? `0x${value.toString(16)}`;
  const [high, low] = layout === "major8.minor8" ? [Math.floor(value / 256) % 256, value % 256] : [Math.floor(value / 65536) % 65536, value % 65536];
  return layout === "minor.major" ? `${low}.${high}` : `${high}.${low}`;
}
function compiledEffects(description: StructDescription) {
  let effects = effectCache.get(description);
  if (!effects) {
    effects = (description.effects ?? []).map((e) => ({ set: e.set, value: compileExpr(e.value), when: e.when === undefined ? undefined : compileExpr(e.when), negotiated: e.negotiated }));
    effectCache.set(description, effects);
  }
  return effects;
}

/** Where a struct that states its own size ends; a size outside the data is malformed. */
function statedEnd(description: StructDescription, size: number, scope: Scope, context: DecodeContext): number {
  if (!(size >= scope.pos - scope.start)) {
    malformed(context, `${description.name}: stated size ${size} is smaller than its ${scope.pos - scope.start} bytes of fields`, scope.start);
    return scope.pos;
  }
  if (scope.start + size > scope.end) {
    malformed(context, `${description.name}: stated size ${size} runs past the ${scope.end - scope.start} bytes available`, scope.start);
    return scope.end;
  }
  return scope.start + size;
}

/**
 * ChildPosition for a description: the child a field whose filter ends in the suffix is, when every
 * field before it adds one child or ends the decoding (integers and arrays that are always there) or
 * none (hand-offs). A field that may be absent without ending it (`when`, a malformed length) stops
 * this: from there on the template searches.
 */
function childPosition(description: StructDescription): ChildPosition {
  return (suffix) => {
    let index = 0;
    for (const field of description.fields) {
      if (field.kind === "handoff") continue;
      const struct = field.kind === "struct" || field.kind === "switch";
      if (!struct && filterOf(field, description.prefix).endsWith(suffix)) return { index, field: fieldInfo(field, description.prefix) };
      if (!((field.kind === "scalar" || field.kind === "array") && field.when === undefined && field.at === undefined)) return undefined;
      index++;
    }
    return undefined;
  };
}

/** What a struct's decoder does around reading its fields, found once per description rather than for every record. */
export interface StructPlan {
  description: StructDescription;
  sizeFrom?: Evaluator;
  pairings: readonly CompiledPairing[];
  /** Per pairing: whether its `text` reads the inner summaries (`{layers}`). */
  readsLayers: readonly boolean[];
  anyReadsLayers: boolean;
  fillInfo?: FilledTemplate;
  /** applyEffects sets the effects' state and runs the hooks: most structs have neither. */
  hasEffectsOrHooks: boolean;
}

function structPlan(description: StructDescription): StructPlan {
  const position = childPosition(description);
  const pairingSpecs: readonly Pairing[] = description.pairing === undefined ? [] : Array.isArray(description.pairing) ? description.pairing : [description.pairing as Pairing];
  const readsLayers = pairingSpecs.map((pairing) => pairing.text?.includes("{layers}") === true);
  return {
    description,
    sizeFrom: description.sizeFrom === undefined ? undefined : compileExpr(description.sizeFrom),
    pairings: pairingSpecs.map((spec) => compilePairing(spec, position)),
    readsLayers,
    anyReadsLayers: readsLayers.includes(true),
    fillInfo: description.info ? infoTemplate(description.info, position) : undefined,
    hasEffectsOrHooks: (description.effects?.length ?? 0) > 0 || (description.hooks?.length ?? 0) > 0,
  };
}

/**
 * The decoder as one closure shared by all descriptions (VMBUS_DISSECT_INTERPRET=1). codegen.ts's
 * generated decoders do the same steps, each in code of its own description.
 */
function interpretedDecoder(plan: StructPlan, readFields: FieldReader): StructDecoder {
  const { description, sizeFrom, pairings, readsLayers, anyReadsLayers, fillInfo, hasEffectsOrHooks } = plan;
  // Descriptions differ in shape: reading their options here keeps those loads out of every record.
  const { minSize, size, checks } = description;
  return (context, start, end, parent, info) => {
    const scope = newScope(parent, start, end);
    scope.view = context.view;
    const infoStart = context.info.length;
    const summarise = !context.skipInfo || anyReadsLayers || (context.infoWanted ?? 0) > 0;
    // Reserve the summary slot first so that outer structs read before the inner ones they contain.
    const infoSlot = fillInfo && summarise && !context.quiet ? context.info.push("") - 1 : -1;
    const node: TreeNode = { field: info, value: null, offset: start, length: 0, source: context.source, children: [] };
    if (minSize !== undefined && end - start < minSize) {
      malformed(context, `${description.name} is ${end - start} bytes, shorter than its ${description.minSize}-byte layout`, start, info.filter);
    }
    const wantsInnerInfo = anyReadsLayers && context.skipInfo === true;
    if (wantsInnerInfo) context.infoWanted = (context.infoWanted ?? 0) + 1;
    readFields(context, scope, node.children!);
    if (wantsInnerInfo) context.infoWanted!--;
    if (size !== undefined && !context.failed) scope.pos = Math.max(scope.pos, Math.min(end, start + size));
    if (sizeFrom && !context.failed) scope.pos = statedEnd(description, sizeFrom(scope, context.session), scope, context);
    node.length = scope.pos - start;
    if (!context.failed) {
      if (checks) applyChecks(description, context, scope, node);
      for (let index = 0; index < pairings.length; index++) {
        // Only a request's `{layers}` reads the inner summaries: joining them for every pairing was measurable.
        const layers = readsLayers[index] ? innerInfo(context.info, infoStart + (description.info ? 1 : 0)) : "";
        applyPairing(pairings[index], context, scope, node, layers);
      }
      if (hasEffectsOrHooks) applyEffects(description, context, scope, node);
    }
    if (infoSlot >= 0) context.info[infoSlot] = fillInfo!(node).trim();
    return node;
  };
}

/** The summaries of the layers decoded inside a struct (pairing's `{layers}`). */
const innerInfo = (parts: readonly string[], from: number): string =>
  parts.slice(from).filter((part) => part !== "" && part !== "→").join(" ");

/** What generated decoders call: the steps shared by all descriptions. */
const decoderRuntime: DecoderRuntime = { newScope, malformed, outOfBytes, statedEnd, applyChecks, applyPairing, applyEffects, innerInfo };

/** A description's decoder: its fields' readers and plan made now (registering its fields); generated code on first use. */
function compileDescription(description: StructDescription): DecoderEntry {
  const fields = planFields(description, {
    fallback: (field) => compileField(field, description.prefix),
    unplaced: (field) => compileUnplaced(field, description.prefix),
  });
  const plan = structPlan(description);
  if (fields.generated === false) return stableEntry(interpretedDecoder(plan, fields.read));
  const entry: DecoderEntry = stableEntry((context, start, end, parent, info) => {
    entry.decode = generateDecoder(plan, fields.plans, decoderRuntime);
    return entry.decode(context, start, end, parent, info);
  });
  return entry;
}

/** A description's decoder; `decode` becomes the generated one on its first call. */
interface DecoderEntry {
  decode: StructDecoder;
  /** Calls whatever `decode` is now: for callers that keep a function. */
  readonly call: StructDecoder;
}

function stableEntry(decode: StructDecoder): DecoderEntry {
  const entry: DecoderEntry = { decode, call: (context, start, end, parent, info) => entry.decode(context, start, end, parent, info) };
  return entry;
}

/** A description's decoder entry, compiled on first use and kept. */
function entryFor(description: StructDescription): DecoderEntry {
  let entry = compiled.get(description);
  if (!entry) {
    entry = compileDescription(description);
    compiled.set(description, entry);
  }
  return entry;
}

/** The decoder for a description. */
export const decoderFor = (description: StructDescription): StructDecoder => entryFor(description).call;

/** Registers every field of a description without decoding anything (for the field list and the plugin). */
export function registerDescription(description: StructDescription): void {
  decoderFor(description);
}
