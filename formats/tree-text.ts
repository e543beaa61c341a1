// -V: the full tree, every field with its position and size, as tshark -V shows it (plus offsets).

import { RecordKind } from "../capture/record.js";
import type { Dissection } from "../dissectors/dissect.js";
import { displayValue } from "../dissectors/describe/display.js";
import type { ExpertItem, FieldInfo, TreeNode } from "../dissectors/tree.js";
import { escapeText } from "./escape.js";
import { directionName } from "./record-meta.js";
import type { Style } from "./style.js";
import { isoTime } from "./time.js";

const INDENT = "    ";
/** Indents by depth, made as deep trees need them. */
const indents: string[] = [];
const indent = (depth: number): string => (indents[depth] ??= INDENT.repeat(depth));
const kindNames: Record<number, string> = { 1: "Channel message", 2: "Ring packet", 3: "SynIC message", 100: "Ring header" };

/** Wireshark's bit picture: ".... ...1" for a mask within the field's width. */
export function bitPicture(mask: number, width: number, set: boolean): string {
  const bits: string[] = [];
  for (let bit = width * 8 - 1; bit >= 0; bit--) {
    const inMask = Math.floor(mask / 2 ** bit) % 2 === 1;
    bits.push(inMask ? (set ? "1" : "0") : ".");
  }
  return bits.join("").replace(/(.{4})(?=.)/g, "$1 ");
}

/** A bit field's labels with its picture, set and not set: made once per field (drawing it was a fifth of -V). */
const bitLabels = new WeakMap<FieldInfo, { set: string; clear: string }>();

function bitLabel(field: FieldInfo, set: boolean): string {
  let labels = bitLabels.get(field);
  if (labels === undefined) {
    const picture = (value: boolean) => `${bitPicture(field.mask ?? 0, field.width ?? 1, value)} = ${field.label}`;
    bitLabels.set(field, (labels = { set: picture(true), clear: picture(false) }));
  }
  return set ? labels.set : labels.clear;
}

function position(node: TreeNode, sourceNames: readonly string[]): string {
  const where = node.source === 0 ? "" : `${sourceNames[node.source] ?? `source ${node.source}`} `;
  return `[${where}pos ${node.offset}, size ${node.length}]`;
}

function nodeLine(node: TreeNode, style: Style): string {
  const { field } = node;
  if (field.kind === "protocol") return style.layer(field.label);
  if (field.kind === "struct") return node.note ? `${field.label} ${node.note}` : field.label;
  if (field.kind === "array") return `${field.label}: ${String(node.value)}${node.note ? ` ${node.note}` : ""}`;
  const text = escapeText(displayValue(field, node.value));
  const label = field.kind === "bit" ? bitLabel(field, node.value === true) : field.label;
  const line = `${label}: ${text}${node.note ? ` ${node.note}` : ""}`;
  return node.generated ? `[${line}]` : line;
}

function treeLines(node: TreeNode, depth: number, style: Style, sourceNames: readonly string[], out: string[]): void {
  const showPosition = node.field.kind !== "protocol" && node.field.kind !== "bit" && !node.generated;
  const suffix = showPosition ? `  ${style.dim(position(node, sourceNames))}` : "";
  out.push(`${indent(depth)}${nodeLine(node, style)}${suffix}`);
  for (const child of node.children ?? []) treeLines(child, depth + 1, style, sourceNames, out);
}

function expertLine(item: ExpertItem, style: Style): string {
  const paint = item.severity === "error" ? style.error : item.severity === "warn" ? style.warn : style.note;
  const where = item.offset === undefined ? "" : ` (pos ${item.offset}${item.source ? ` in source ${item.source}` : ""})`;
  return `${INDENT}${paint(`[${item.severity}/${item.group}]`)} ${escapeText(item.text)}${where}`;
}

export function recordHeading(dissection: Dissection): string {
  const { record } = dissection;
  const time = record.timestampNs === undefined ? "no time" : isoTime(record.timestampNs);
  const channel = record.relid ? `, relid ${record.relid}` : "";
  const device = dissection.device ? ` (${dissection.device.short})` : "";
  const size = record.kind === RecordKind.RingHeader ? record.payload.length : dissection.sources[0].bytes.length;
  const where = record.origin.note ? `, ${escapeText(record.origin.note)}` : "";
  return `Record ${record.origin.number}: ${kindNames[record.kind] ?? record.kind}, ${size} bytes, ${time}, ${directionName(record.direction)}${channel}${device}${where}, file offset ${record.origin.fileOffset}`;
}

export function treeText(dissection: Dissection, style: Style): string[] {
  const out = [recordHeading(dissection)];
  const sourceNames = dissection.sources.map((s) => s.name);
  for (const layer of dissection.layers) treeLines(layer, 0, style, sourceNames, out);
  if (dissection.experts.length > 0) {
    out.push("Expert info:");
    for (const item of dissection.experts) out.push(expertLine(item, style));
  }
  return out;
}
