// Compares, record by record, the fields tshark shows with our generated plugin against our own
// -T json output: every field we emit must appear in tshark's layers with the same value.

import "../../dissectors/index.js";
import { lookupField } from "../../dissectors/describe/fields.js";
import { vmbusRecord } from "../../dissectors/vmbus/record.js";
import { catalogueFrom } from "../../formats/wireshark/catalogue.js";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Our protocols: the layers the plugin decodes itself (Ethernet and the rest are Wireshark's own). */
export const pluginProtocols = (): Set<string> => new Set(["vmbus", ...catalogueFrom(vmbusRecord, []).protocols.keys()]);

/** Fields the plugin has: those of the descriptions and of pairing; display values that TypeScript hooks derive are not (yet). */
export const pluginFields = (): Set<string> => new Set(catalogueFrom(vmbusRecord, ["vmbus.device", "vmbus.device_name"]).fields.keys());

function collect(value: Json, key: string | undefined, into: Array<[string, Json]>): void {
  if (Array.isArray(value)) return value.forEach((item) => collect(item, key, into));
  if (value !== null && typeof value === "object") {
    for (const [childKey, child] of Object.entries(value)) {
      if (childKey.endsWith(".name") && lookupField(childKey.slice(0, -5))) continue;
      collect(child, childKey.endsWith("_tree") ? undefined : childKey, into);
    }
    return;
  }
  if (key !== undefined) into.push([key, value]);
}

/** (filter, value) pairs of the chosen layers of one record. */
export function fieldPairs(layers: Record<string, Json>, protocols: Set<string>): Array<[string, Json]> {
  const pairs: Array<[string, Json]> = [];
  for (const [layer, content] of Object.entries(layers)) if (protocols.has(layer)) collect(content, undefined, pairs);
  return pairs;
}

const numeric = (value: Json): bigint | undefined => {
  if (typeof value === "boolean") return value ? 1n : 0n;
  if (typeof value === "number") return BigInt(Math.trunc(value));
  if (typeof value === "string" && /^(-?\d+|0x[0-9a-f]+)$/i.test(value)) return BigInt(value);
  return undefined;
};

/** Whether tshark's string shows the same value as ours, given the field's type. */
export function sameValue(filter: string, ours: Json, theirs: Json): boolean {
  const kind = lookupField(filter)?.kind;
  if (kind === "uint" || kind === "int" || kind === "bit" || kind === "bool" || kind === "array") {
    const a = numeric(ours);
    const b = numeric(theirs);
    return a !== undefined && a === b;
  }
  if (kind === "bytes") return String(ours).toLowerCase() === String(theirs).replace(/:/g, "").toLowerCase();
  if (kind === "filetime") return true; // shown as calendar time by Wireshark; checked by the decode tests
  if (kind === "reltime") return Math.abs(Number(ours) - Number(theirs)) < 1e-9;
  return String(ours) === String(theirs);
}

export interface Difference {
  record: number;
  filter: string;
  ours: Json;
  theirs: Json[];
}

/** Fields of ours that tshark lacks or shows differently (a multiset match per filter name). */
export function differences(record: number, ours: Array<[string, Json]>, theirs: Array<[string, Json]>): Difference[] {
  const left = new Map<string, Json[]>();
  for (const [filter, value] of theirs) left.set(filter, [...(left.get(filter) ?? []), value]);
  const found: Difference[] = [];
  for (const [filter, value] of ours) {
    const candidates = left.get(filter) ?? [];
    const match = candidates.findIndex((candidate) => sameValue(filter, value, candidate));
    if (match >= 0) candidates.splice(match, 1);
    else found.push({ record, filter, ours: value, theirs: left.get(filter) ?? [] });
  }
  return found;
}
