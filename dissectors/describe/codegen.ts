// Compiles a struct's decoder once into specialised JavaScript (new Function): integers become
// straight-line reads with their types, sizes, masks and keys fixed in the code, instead of a closure
// per field that looks them up on every record, and the steps around them (scope, summary, checks,
// pairing, effects) are written out for the description alone. Other fields (blobs, structs, arrays,
// switches, hand-offs, computed values, options added later) are called as the closures compile.ts
// made for them. The code mirrors compile.ts's interpretedDecoder, compileScalar and withPlacement;
// test/dissectors/generated-code.test.ts compares both paths on every sample and hostile records.

import type { FieldInfo, TreeNode } from "../tree.js";
import type { DecodeContext, StructDecoder, StructPlan } from "./compile.js";
import type { CompiledPairing } from "./pairing.js";
import { bitwiseAnd, expressionCode, expressionRuntime, generationEnabled, isTrue, maskShift, type CodeConstants, type Scope } from "./expr.js";
import { bitInfo, fieldInfo } from "./fields.js";
import { readI64, readU64, scalarSize } from "./read.js";
import type { Field, ScalarField, ScalarType, StructDescription } from "./types.js";

export type FieldReader = (context: DecodeContext, scope: Scope, children: TreeNode[]) => void;

/** compile.ts's readers for the fields this does not generate. */
export interface FieldCompiler {
  /** The field's whole reader, `when` and `at` included (interpreted decoders). */
  fallback(field: Field): FieldReader;
  /** The reader without `when` and `at`, which the generated code writes out around it. */
  unplaced(field: Field): FieldReader;
}

/** What generated decoders call: the steps compile.ts shares between all descriptions. */
export interface DecoderRuntime {
  newScope(parent: Scope | undefined, start: number, end: number): Scope;
  malformed(context: DecodeContext, text: string, offset: number, filter?: string): void;
  outOfBytes(context: DecodeContext, scope: Scope, what: string, needed: number): void;
  statedEnd(description: StructDescription, size: number, scope: Scope, context: DecodeContext): number;
  applyChecks(description: StructDescription, context: DecodeContext, scope: Scope, node: TreeNode): void;
  applyPairing(pairing: CompiledPairing, context: DecodeContext, scope: Scope, node: TreeNode, layers: string): void;
  applyEffects(description: StructDescription, context: DecodeContext, scope: Scope, node: TreeNode): void;
  innerInfo(parts: readonly string[], from: number): string;
}

/** The options of each kind that the generator understands; a field with any other option falls back. */
const COMMON_OPTIONS = ["kind", "key", "label", "description", "filter", "when", "at"];
const SCALAR_OPTIONS = new Set([...COMMON_OPTIONS, "type", "values", "bits", "base", "expect", "unit", "mask", "scale", "shared"]);

function generated(field: Field): field is ScalarField {
  if (field.kind !== "scalar") return false;
  for (const option in field) if (!SCALAR_OPTIONS.has(option)) return false;
  return true;
}

/** A field as the generator sees it: registered at once, its code made on first use. */
export type FieldPlan =
  | { generated: true; field: ScalarField; info: FieldInfo; bits: readonly FieldInfo[] }
  | { generated: false; field: Field; reader: FieldReader };

/** Registers a generated field's infos exactly as compile.ts would (the field, then its bits). */
function plan(field: ScalarField, prefix: string): FieldPlan {
  const info = fieldInfo(field, prefix);
  const bits = (field.bits ?? []).map((bit) => bitInfo(info, bit.mask, bit.key, bit.alternate ? `${bit.label} (also read as: ${bit.alternate})` : bit.label));
  return { generated: true, field, info, bits };
}

/** A struct's fields: closures in order (VMBUS_DISSECT_INTERPRET=1), or plans for generateDecoder. */
export type StructFields = { generated: false; read: FieldReader } | { generated: true; plans: readonly FieldPlan[] };

/**
 * Registers a struct's fields in declaration order, as compile.ts does, so the registry sees the same
 * sequence. Every description is compiled at start-up (to register its fields); JavaScript is made
 * only for those a capture uses, on first use (generateDecoder).
 */
export function planFields(description: StructDescription, compiler: FieldCompiler): StructFields {
  if (!generationEnabled) return { generated: false, read: interpreted(description.fields.map((field) => compiler.fallback(field))) };
  return { generated: true, plans: description.fields.map((field): FieldPlan => (generated(field) ? plan(field, description.prefix) : { generated: false, field, reader: compiler.unplaced(field) })) };
}

/**
 * A struct's decoder as one function of its own: the steps of compile.ts's interpretedDecoder around a
 * reader of its fields (integers written out, other fields calling their closures). Code of its own
 * gives every description its own type feedback: shared code saw every struct's shapes and calls.
 */
export function generateDecoder(plan: StructPlan, fields: readonly FieldPlan[], runtime: DecoderRuntime): StructDecoder {
  const unit = new CodeUnit();
  const name = safeName(plan.description.name);
  const body = fields.map((entry) => (entry.generated ? fieldCode(entry, unit) : fallbackCode(entry, unit)));
  const reader = `function read_${name}(context, scope, children) {
  if (context.failed) return;
  const view = context.view, source = context.source, state = context.session, values = scope.values;
  ${unit.temporaryDeclarations()}
${body.join("\n")}
}`;
  const decoder = decoderCode(plan, `read_${name}`, unit);
  const source = `${unit.declarations()}
${reader}
return ${decoder};`;
  const R = { ...runtime, ...expressionRuntime, isTrue, bitwiseAnd, readU64, readI64, bitNodes };
  return new Function("R", "K", source)(R, unit.constants) as StructDecoder;
}

/** interpretedDecoder's steps for one description: those it has not are left out. */
function decoderCode(plan: StructPlan, read: string, unit: CodeUnit): string {
  const { description } = plan;
  const lines = [
    `function decode_${safeName(description.name)}(context, start, end, parent, info) {`,
    "  const scope = R.newScope(parent, start, end);",
    "  scope.view = context.view;",
  ];
  if (plan.anyReadsLayers) lines.push("  const infoStart = context.info.length;");
  if (plan.fillInfo) {
    const summarise = plan.anyReadsLayers ? "" : "(!context.skipInfo || (context.infoWanted ?? 0) > 0) && ";
    lines.push(`  const infoSlot = ${summarise}!context.quiet ? context.info.push("") - 1 : -1;`);
  }
  lines.push("  const node = { field: info, value: null, offset: start, length: 0, source: context.source, children: [] };");
  if (description.minSize !== undefined) {
    const minSize = unit.constant(description.minSize);
    lines.push(`  if (end - start < ${minSize}) R.malformed(context, ${unit.constant(description.name)} + " is " + (end - start) + " bytes, shorter than its " + ${minSize} + "-byte layout", start, info.filter);`);
  }
  if (plan.anyReadsLayers) lines.push("  const wantsInnerInfo = context.skipInfo === true;", "  if (wantsInnerInfo) context.infoWanted = (context.infoWanted ?? 0) + 1;");
  lines.push(`  ${read}(context, scope, node.children);`);
  if (plan.anyReadsLayers) lines.push("  if (wantsInnerInfo) context.infoWanted--;");
  if (description.size !== undefined) lines.push(`  if (!context.failed) scope.pos = Math.max(scope.pos, Math.min(end, start + ${unit.constant(description.size)}));`);
  if (plan.sizeFrom) lines.push(`  if (!context.failed) scope.pos = R.statedEnd(${unit.constant(description)}, ${unit.constant(plan.sizeFrom)}(scope, context.session), scope, context);`);
  lines.push("  node.length = scope.pos - start;");
  const finishing = finishingCode(plan, unit);
  if (finishing.length > 0) lines.push("  if (!context.failed) {", ...finishing, "  }");
  if (plan.fillInfo) lines.push(`  if (infoSlot >= 0) context.info[infoSlot] = ${unit.constant(plan.fillInfo)}(node).trim();`);
  lines.push("  return node;", "}");
  return lines.join("\n");
}

/** Checks, pairings, effects and hooks, in interpretedDecoder's order. */
function finishingCode(plan: StructPlan, unit: CodeUnit): string[] {
  const { description } = plan;
  const lines: string[] = [];
  if (description.checks) lines.push(`    R.applyChecks(${unit.constant(description)}, context, scope, node);`);
  plan.pairings.forEach((pairing, index) => {
    const layers = plan.readsLayers[index] ? `R.innerInfo(context.info, infoStart + ${description.info ? 1 : 0})` : '""';
    lines.push(`    R.applyPairing(${unit.constant(pairing)}, context, scope, node, ${layers});`);
  });
  if (plan.hasEffectsOrHooks) lines.push(`    R.applyEffects(${unit.constant(description)}, context, scope, node);`);
  return lines;
}

function interpreted(readers: readonly FieldReader[]): FieldReader {
  return (context, scope, children) => {
    for (const read of readers) {
      if (context.failed) break;
      read(context, scope, children);
    }
  };
}

const safeName = (name: string): string => name.replace(/[^A-Za-z0-9_]/g, "_");

/**
 * Values the generated code refers to (field infos, labels, evaluators), each bound once to a
 * variable K<n> of the enclosing function: text from a description is never pasted into source,
 * except value keys as JSON string literals (so that their stores are named, not keyed).
 */
class CodeUnit implements CodeConstants {
  readonly constants: unknown[] = [];
  private label = 0;
  private temporaries = 0;
  constant(value: unknown): string {
    return `K${this.constants.push(value) - 1}`;
  }
  declarations(): string {
    return this.constants.map((_, index) => `const K${index} = K[${index}];`).join("\n");
  }
  temporary(): string {
    return `T${this.temporaries++}`;
  }
  temporaryDeclarations(): string {
    return this.temporaries === 0 ? "" : `let ${Array.from({ length: this.temporaries }, (_, index) => `T${index}`).join(", ")};`;
  }
  nextLabel(): string {
    return `field${this.label++}`;
  }
}

/** A field compile.ts reads, placed as withPlacement would (its `when` and `at` written out here). */
function fallbackCode(entry: Extract<FieldPlan, { generated: false }>, unit: CodeUnit): string {
  const label = unit.nextLabel();
  return `  ${label}: {
${placementCode(entry.field, unit, label)}    ${unit.constant(entry.reader)}(context, scope, children);
    if (context.failed) return;
  }`;
}

function fieldCode(entry: Extract<FieldPlan, { generated: true }>, unit: CodeUnit): string {
  const { field } = entry;
  const label = unit.nextLabel();
  const read = scalarCode(field, entry.info, entry.bits, unit);
  return `  ${label}: {
${placementCode(field, unit, label)}${read}
  }`;
}

/** `when` and `at`, as compile.ts's withPlacement: a field that does not apply, or whose position is not valid, is skipped. */
function placementCode(field: Field, unit: CodeUnit, label: string): string {
  let code = "";
  if (field.when !== undefined) code += `    if (!R.isTrue(${expressionCode(field.when, unit)})) break ${label};\n`;
  if (field.at !== undefined) {
    code += `    const target = scope.start + ${expressionCode(field.at, unit)};
    if (!Number.isFinite(target) || target < scope.start) { R.malformed(context, ${unit.constant(field.label)} + ": position " + (target - scope.start) + " is not valid", scope.pos); break ${label}; }
    scope.pos = target;\n`;
  }
  return code;
}

/** One DataView read per type, as read.ts's readers. */
const SCALAR_READS: Record<ScalarType, string> = {
  u8: "view.getUint8(pos)",
  u16: "view.getUint16(pos, true)",
  u24: "(view.getUint16(pos, true) | (view.getUint8(pos + 2) << 16))",
  u32: "view.getUint32(pos, true)",
  u64: "R.readU64(view, pos, true)",
  i8: "view.getInt8(pos)",
  i16: "view.getInt16(pos, true)",
  i32: "view.getInt32(pos, true)",
  i64: "R.readI64(view, pos)",
  u16be: "view.getUint16(pos, false)",
  u24be: "((view.getUint16(pos, false) << 8) | view.getUint8(pos + 2))",
  u32be: "view.getUint32(pos, false)",
  u64be: "R.readU64(view, pos, false)",
  bool8: "(view.getUint8(pos) !== 0)",
  filetime: "R.readU64(view, pos, true)",
};

/** A masked, scaled value from the raw integer, as compile.ts's fieldValue. */
function valueCode(field: ScalarField, unit: CodeUnit): string {
  if (field.mask === undefined && field.scale === undefined) return "raw";
  const masked = field.mask === undefined ? "raw" : `Math.floor(R.bitwiseAnd(raw, ${unit.constant(field.mask)}) / ${unit.constant(2 ** maskShift(field.mask))})`;
  return `(typeof raw === "number" ? ${masked} * ${unit.constant(field.scale ?? 1)} : raw)`;
}

function scalarCode(field: ScalarField, info: FieldInfo, bits: readonly FieldInfo[], unit: CodeUnit): string {
  const size = scalarSize(field.type);
  const infoRef = unit.constant(info);
  let code = `    const pos = scope.pos;
    if (pos + ${size} > scope.end) { R.outOfBytes(context, scope, ${unit.constant(field.label)}, ${size}); return; }
    const raw = ${SCALAR_READS[field.type]};
    const value = ${valueCode(field, unit)};
    const node = { field: ${infoRef}, value: value, offset: pos, length: ${size}, source: source };\n`;
  if (bits.length > 0) code += `    if (typeof value === "number") node.children = R.bitNodes(${unit.constant(bits)}, value, pos, ${size}, source);\n`;
  if (field.expect !== undefined) {
    code += `    if (value !== ${unit.constant(field.expect)}) context.experts.push({ severity: "note", group: "protocol", text: ${unit.constant(field.label)} + " is " + String(value) + ${unit.constant(`, expected ${field.expect}`)}, offset: pos, source: source, filter: ${infoRef}.filter });\n`;
  }
  return `${code}    values[${JSON.stringify(field.key)}] = value;
    children.push(node);
    scope.pos = pos + ${field.shared ? 0 : size};`;
}

/** The bit items under an integer, as compile.ts's bitChildren. */
function bitNodes(bits: readonly FieldInfo[], value: number, offset: number, length: number, source: number): TreeNode[] {
  const nodes: TreeNode[] = [];
  for (const bit of bits) nodes.push({ field: bit, value: bitwiseAnd(value, bit.mask!) !== 0, offset, length, source });
  return nodes;
}
