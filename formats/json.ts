// -T json: one JSON object per line. Fields are keyed by filter name with typed values; a field
// with children gets a "<filter>_tree" object beside it (tshark's convention); enum fields get
// "<filter>.name" beside the number; repeated fields become arrays.

import type { Dissection } from "../dissectors/dissect.js";
import type { FieldValue, TreeNode } from "../dissectors/tree.js";
import { isoTime } from "./time.js";
import { directionName } from "./record-meta.js";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const hex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");

export function jsonValue(value: FieldValue): Json {
  if (value instanceof Uint8Array) return hex(value);
  if (typeof value === "bigint") return value.toString();
  return value;
}

function put(target: JsonObject, key: string, value: Json): void {
  if (!(key in target)) {
    target[key] = value;
    return;
  }
  const existing = target[key];
  if (Array.isArray(existing) && (existing as unknown as { repeated?: boolean }).repeated) existing.push(value);
  else {
    const list: Json[] = [existing, value];
    Object.defineProperty(list, "repeated", { value: true });
    target[key] = list;
  }
}

function childrenObject(nodes: readonly TreeNode[]): JsonObject {
  const object: JsonObject = Object.create(null) as JsonObject;
  for (const node of nodes) addNode(object, node);
  return object;
}

function addNode(target: JsonObject, node: TreeNode): void {
  const { field } = node;
  const children = node.children ?? [];
  if (field.kind === "protocol" || field.kind === "struct") return put(target, field.filter, childrenObject(children));
  if (field.kind === "array") {
    put(target, field.filter, node.value as number);
    return put(target, `${field.filter}_tree`, children.map((child) => childrenObject(child.children ?? [])));
  }
  put(target, field.filter, jsonValue(node.value));
  if (field.values && typeof node.value === "number") put(target, `${field.filter}.name`, field.values[node.value] ?? null);
  if (children.length > 0) put(target, `${field.filter}_tree`, childrenObject(children));
}

export function recordJson(dissection: Dissection): JsonObject {
  const { record } = dissection;
  const layers = Object.create(null) as JsonObject;
  for (const layer of dissection.layers) put(layers, layer.field.filter, childrenObject(layer.children ?? []));
  return {
    index: record.origin.number,
    timestamp: record.timestampNs === undefined ? null : isoTime(record.timestampNs),
    timestamp_ns: record.timestampNs === undefined ? null : record.timestampNs.toString(),
    direction: directionName(record.direction),
    relid: record.relid,
    device: dissection.device?.short ?? null,
    class_guid: dissection.classGuid ?? null,
    protocols: dissection.layers.map((layer) => layer.field.filter).join(":"),
    summary: dissection.info,
    malformed: dissection.malformed,
    problems: dissection.experts.map((e) => ({ severity: e.severity, group: e.group, text: e.text, offset: e.offset ?? null, ...(e.source ? { source: e.source } : {}) })),
    file_offset: record.origin.fileOffset,
    layers,
  };
}

export const recordJsonLine = (dissection: Dissection): string => JSON.stringify(recordJson(dissection));
