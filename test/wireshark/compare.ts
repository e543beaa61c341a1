// Compares, record by record, the fields tshark shows with our generated plugin against our own
// -T json output: every field we emit must appear in tshark's layers with the same value.

import "../../dissectors/index.js";
import { lookupField } from "../../dissectors/describe/fields.js";
import { vmbusRecord } from "../../dissectors/vmbus/record.js";
import { catalogueFrom } from "../../formats/wireshark/catalogue.js";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Our protocols: the layers the plugin decodes itself (Ethernet and the rest are Wireshark's own). */
export const pluginProtocols = (): Set<string> => new Set(["vmbus", ...catalogueFrom(vmbusRecord, []).protocols.keys()]);

/** Fields the plugin registers: those of the descriptions, of pairing and the channel's device. */
export const pluginFields = (): Set<string> => new Set(catalogueFrom(vmbusRecord, ["vmbus.device", "vmbus.device_name"]).fields.keys());

/** The dissector tables the plugin walks (those past Wireshark's own dissectors are Wireshark's business). */
export const pluginTables = (): Set<string> => new Set(catalogueFrom(vmbusRecord, []).tables.keys());

/**
 * The layers of ours to compare: our protocols, and the data layer of bytes no protocol took
 * unless Wireshark's own dissectors took over in the record (they decode what we leave as data).
 */
export function comparedLayers(ourLayers: Record<string, unknown>, protocols: Set<string>): Set<string> {
  const wiresharks = Object.keys(ourLayers).some((layer) => !protocols.has(layer) && layer !== "data");
  return wiresharks ? protocols : new Set([...protocols, "data"]);
}

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

const SEVERITY_NAMES: Record<string, string> = { 2097152: "chat", 4194304: "note", 6291456: "warn", 8388608: "error" };

/** tshark's expert items in the chosen layers, as "severity: text", sorted. */
export function tsharkExperts(layers: Record<string, Json>, protocols: Set<string>): string[] {
  const found: string[] = [];
  const walk = (value: Json): void => {
    if (Array.isArray(value)) return value.forEach(walk);
    if (value === null || typeof value !== "object") return;
    for (const [key, child] of Object.entries(value)) {
      if (key !== "_ws.expert") walk(child);
      else for (const item of [child].flat() as Array<Record<string, Json>>) found.push(`${SEVERITY_NAMES[String(item["_ws.expert.severity"])]}: ${String(item["_ws.expert.message"])}`);
    }
  };
  for (const [layer, content] of Object.entries(layers)) if (protocols.has(layer) || layer === "_ws.expert") walk({ [layer]: content });
  return found.sort();
}

/** Our expert items as "severity: text", sorted; a table's "no dissector" past Wireshark's hand-over is not ours to show. */
export function ourExperts(problems: Array<{ severity: string; text: string }>, tables: Set<string>): string[] {
  const pastHandOver = (text: string) => /^no dissector in (\S+)/.exec(text)?.[1];
  return problems.filter((p) => !pastHandOver(p.text) || tables.has(pastHandOver(p.text)!)).map((p) => `${p.severity}: ${p.text}`).sort();
}

interface OurRecord { index: number; layers: Record<string, Json>; problems: Array<{ severity: string; text: string }> }

/** Where tshark with the plugin shows other fields or expert items than our JSON, record by record. */
export function mismatches(ours: readonly OurRecord[], theirs: ReadonlyArray<Record<string, Json>>): { fields: Difference[]; experts: Array<{ record: number; ours: string[]; theirs: string[] }> } {
  const protocols = pluginProtocols();
  const tables = pluginTables();
  const withData = new Set([...protocols, "data"]);
  const fields = ours.flatMap((record, index) => {
    const layers = comparedLayers(record.layers, protocols);
    return differences(record.index, fieldPairs(record.layers, layers), fieldPairs(theirs[index], layers));
  });
  const experts = ours.flatMap((record, index) => {
    const [mine, shown] = [ourExperts(record.problems, tables), tsharkExperts(theirs[index], withData)];
    return JSON.stringify(mine) === JSON.stringify(shown) ? [] : [{ record: record.index, ours: mine, theirs: shown }];
  });
  return { fields, experts };
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
