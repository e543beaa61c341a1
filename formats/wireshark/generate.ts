// `vmbus-dissect wireshark-plugin`: a Lua dissector for Wireshark generated from the message
// descriptions. The descriptions become Lua tables; runtime.lua (hand-written once) walks them.
// No protocol is written in Lua: a protocol added to the descriptions appears here by itself.

import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Expr, Field, Pairing, ProtocolDescription, StructCheck, StructDescription, TextExpr, ValueStrings } from "../../dissectors/describe/types.js";
import { filterOf } from "../../dissectors/describe/fields.js";
import { maskShift } from "../../dissectors/describe/expr.js";
import type { ExpertGroup, FieldInfo, Severity } from "../../dissectors/tree.js";
import { vmbusRecord } from "../../dissectors/vmbus/record.js";
import { allChannelInstances, instanceState } from "../../dissectors/devices.js";
import { catalogueFrom, elementNodeFilter, structNodeFilter, type Catalogue } from "./catalogue.js";

/** Fields the decoder adds that are not in any description (generated from state). */
const GENERATED_FIELDS = ["vmbus.device", "vmbus.device_name"];

export const luaString = (text: string): string =>
  `"${text.replace(/[\\"]/g, (c) => `\\${c}`).replace(/[\u0000-\u001f\u007f]/g, (c) => `\\${c.charCodeAt(0).toString().padStart(3, "0")}`)}"`;

const LUA_KEYWORDS = new Set(["and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto", "if", "in", "local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while"]);
const luaKey = (key: string): string => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key) && !LUA_KEYWORDS.has(key) ? key : `[${luaString(key)}]`);

type Lua = string | number | boolean | undefined | Lua[] | { [key: string]: Lua } | { lua: string };

/** Lua table constructor text for plain data. */
function lua(value: Lua): string {
  if (value === undefined) return "nil";
  if (typeof value === "string") return luaString(value);
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "0/0";
  if (typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `{${value.map(lua).join(", ")}}`;
  if ("lua" in value && typeof value.lua === "string") return value.lua;
  const entries = Object.entries(value as Record<string, Lua>).filter(([, v]) => v !== undefined);
  return `{${entries.map(([k, v]) => `${luaKey(k)} = ${lua(v)}`).join(", ")}}`;
}

/** A value-string table's index in VS (tables that only expressions name are added here). */
function valueId(catalogue: Catalogue | undefined, values: ValueStrings): Lua {
  if (!catalogue) throw new Error("value strings in an expression need the catalogue");
  if (!catalogue.values.has(values)) catalogue.values.set(values, catalogue.values.size + 1);
  return { lua: `VS[${catalogue.values.get(values)}]` };
}

const numberTable = (table: Readonly<Record<number, number>>): Lua =>
  ({ lua: `{${Object.entries(table).map(([k, v]) => `[${k}] = ${v}`).join(", ")}}` });

function expr(e: Expr | undefined | "rest", catalogue?: Catalogue): Lua {
  if (e === undefined || e === "rest") return e;
  if (typeof e === "number") return e;
  const sub = (x: Expr | undefined) => expr(x, catalogue);
  switch (e.op) {
    case "ref": case "state": return { op: e.op, name: e.name };
    case "remaining": case "offset": return { op: e.op };
    case "!": return { op: "!", a: sub(e.a) };
    case "peek": return { op: "peek", t: e.type, at: sub(e.at) };
    case "if": return { op: "if", c: sub(e.c), a: sub(e.a), b: sub(e.b) };
    case "lookup": return { op: "lookup", table: numberTable(e.table), a: sub(e.a) };
    case "known": return { op: "known", vs: valueId(catalogue, e.table), a: sub(e.a) };
    default: return { op: e.op, a: sub(e.a), b: sub(e.b) };
  }
}

function text(t: TextExpr, catalogue: Catalogue): Lua {
  if (typeof t === "string") return t;
  switch (t.text) {
    case "number": return { text: "number", value: expr(t.value, catalogue), radix: t.radix, width: t.width };
    case "name": return { text: "name", vs: valueId(catalogue, t.table), key: expr(t.key, catalogue) };
    case "join": return { text: "join", parts: t.parts.map((part) => text(part, catalogue)) };
    case "if": return { text: "if", c: expr(t.c, catalogue), a: text(t.a, catalogue), b: text(t.b, catalogue) };
  }
}

function checkEntry(catalogue: Catalogue, check: StructCheck): Lua {
  const args: Record<string, Lua> = {};
  for (const [name, t] of Object.entries(check.args ?? {})) args[name] = text(t, catalogue);
  const kind = `${check.group ?? "malformed"}_${check.severity ?? "error"}`;
  return { fails: expr(check.fails, catalogue), field: check.field, text: check.text, kind, args };
}

const structRef = (catalogue: Catalogue, description: StructDescription): number => catalogue.structs.get(description)!;

function fieldEntry(catalogue: Catalogue, field: Field, prefix: string): Lua {
  const common = { k: field.kind, key: field.key, label: field.label, when: expr(field.when, catalogue), at: expr(field.at, catalogue) };
  const filter = filterOf(field, prefix);
  switch (field.kind) {
    case "scalar":
      return {
        ...common, f: filter, t: field.type, expect: field.expect, bits: field.bits?.map((bit) => `${filter}.${bit.key}`),
        mask: field.mask, shift: field.mask === undefined ? undefined : maskShift(field.mask), scale: field.scale, shared: field.shared,
      };
    case "blob":
      return { ...common, f: filter, t: field.type, len: expr(field.length, catalogue), nul: field.nulTerminated };
    case "struct":
      return { ...common, f: filter, s: structRef(catalogue, field.struct), len: expr(field.length) };
    case "array":
      return { ...common, f: filter, s: structRef(catalogue, field.element), ef: elementNodeFilter(field.element), count: expr(field.count), clip: field.clipToEnd, note: field.clipNote };
    case "switch": {
      const choice = (description: StructDescription) => ({ s: structRef(catalogue, description), f: structNodeFilter(description, prefix) });
      const cases: Record<string, Lua> = {};
      for (const [key, description] of Object.entries(field.cases)) cases[`[${key}]`] = choice(description);
      return { ...common, on: expr(field.on, catalogue), cases: { lua: `{${Object.entries(cases).map(([k, v]) => `${k} = ${lua(v)}`).join(", ")}}` }, default: field.default ? choice(field.default) : undefined };
    }
    case "computed":
      if (field.type === "string") return { ...common, f: filter, t: field.type, text: text(field.text, catalogue) };
      return { ...common, f: filter, t: field.type, value: expr(field.value, catalogue) };
    case "bits":
      return { ...common, f: filter, offset: expr(field.bitOffset, catalogue), width: expr(field.bitWidth, catalogue), signed: expr(field.signed, catalogue), bits: field.bits?.map((bit) => `${filter}.${bit.key}`) };
    case "handoff":
      return { ...common, table: field.table, len: expr(field.length, catalogue), by: expr(field.by, catalogue), attached: field.attached ? [...field.attached] : undefined, missing: field.missing };
  }
}

export const pairingsOf = (description: StructDescription): readonly Pairing[] =>
  description.pairing === undefined ? [] : Array.isArray(description.pairing) ? description.pairing : [description.pairing as Pairing];

function pairingEntry(pairing: Pairing): Lua {
  const keep: Record<string, Lua> = {};
  for (const [name, e] of Object.entries(pairing.keep ?? {})) keep[name] = expr(e);
  return {
    ns: pairing.namespace, role: pairing.role, id: expr(pairing.id), when: expr(pairing.when), keep, text: pairing.text,
    show: { ...(pairing.show ?? {}) }, state: pairing.state ? [...pairing.state] : undefined, say: pairing.say,
  };
}

function structEntry(catalogue: Catalogue, description: StructDescription): Lua {
  return {
    name: description.name, info: description.info, minSize: description.minSize, size: description.size,
    sizeFrom: expr(description.sizeFrom, catalogue),
    fields: description.fields.map((field) => fieldEntry(catalogue, field, description.prefix)),
    effects: description.effects?.map((e) => ({ set: e.set, value: expr(e.value, catalogue), when: expr(e.when, catalogue) })),
    checks: description.checks?.map((check) => checkEntry(catalogue, check)),
    hooks: description.hooks ? [...description.hooks] : undefined,
    pairing: pairingsOf(description).map(pairingEntry),
  };
}

function valueStringsLua(values: ValueStrings): string {
  return `{${Object.entries(values).map(([k, v]) => `[${k}] = ${luaString(v)}`).join(", ")}}`;
}

const INTEGER_BASE = (info: FieldInfo) => (info.base === "hex" ? "base.HEX" : "base.DEC");

/** The ProtoField constructor for a registered field. */
function protoField(info: FieldInfo, catalogue: Catalogue): string {
  const abbr = luaString(info.filter);
  const label = luaString(info.label);
  const values = info.values ? `VS[${catalogue.values.get(info.values)}]` : "nil";
  const description = info.description ? luaString(info.description) : "nil";
  switch (info.kind) {
    // A masked field's value is extracted by Wireshark from the mask; a scaled one is added with its value.
    case "uint": return `ProtoField.uint${(info.width ?? 4) * 8}(${abbr}, ${label}, ${INTEGER_BASE(info)}, ${values}, ${info.mask ?? "nil"}, ${description})`;
    case "int": return `ProtoField.int${(info.width ?? 4) * 8}(${abbr}, ${label}, base.DEC, ${values}, nil, ${description})`;
    case "bool": return `ProtoField.bool(${abbr}, ${label})`;
    case "bit": return `ProtoField.bool(${abbr}, ${label}, ${(info.width ?? 1) * 8}, nil, ${info.mask})`;
    case "filetime": return `ProtoField.absolute_time(${abbr}, ${label}, base.UTC)`;
    case "reltime": return `ProtoField.relative_time(${abbr}, ${label})`;
    case "guid": return `ProtoField.guid(${abbr}, ${label})`;
    case "string": return `ProtoField.string(${abbr}, ${label})`;
    case "ipv4": return `ProtoField.ipv4(${abbr}, ${label})`;
    case "ipv6": return `ProtoField.ipv6(${abbr}, ${label})`;
    case "mac": return `ProtoField.ether(${abbr}, ${label})`;
    case "array": return `ProtoField.uint32(${abbr}, ${label})`;
    case "bytes": return `ProtoField.bytes(${abbr}, ${label})`;
    default: return `ProtoField.none(${abbr}, ${label})`;
  }
}

function protocolEntry(catalogue: Catalogue, protocol: ProtocolDescription): Lua {
  if (protocol.wiresharkDissector) return { ws: protocol.wiresharkDissector, name: protocol.name, label: protocol.label };
  return { name: protocol.name, label: protocol.label, short: protocol.short, root: structRef(catalogue, protocol.root) };
}

function runtimeSource(): string {
  const here = fileURLToPath(new URL(".", import.meta.url));
  // From source: formats/wireshark/; built: the bundle in dist/bin/ (the .lua is not bundled).
  for (const candidate of [`${here}runtime.lua`, `${here}../../formats/wireshark/runtime.lua`]) {
    if (existsSync(candidate)) return readFileSync(candidate, "utf8");
  }
  throw new Error("formats/wireshark/runtime.lua is missing from the installation");
}

/** Wireshark's expert groups for ours; "capture" (a truncated or recovered record) is a comment on the capture. */
const EXPERT_GROUPS: Record<ExpertGroup, string> = {
  malformed: "MALFORMED", protocol: "PROTOCOL", sequence: "SEQUENCE", undecoded: "UNDECODED", reassemble: "REASSEMBLE", comment: "COMMENTS_GROUP", capture: "COMMENTS_GROUP",
};
const EXPERT_SEVERITIES: Record<Severity, string> = { chat: "CHAT", note: "NOTE", warn: "WARN", error: "ERROR" };

/** One ProtoExpert per group and severity, EXPERTS.<group>_<severity>; malformed, undecoded and note name the common ones. */
function expertLines(): string[] {
  const kinds = Object.entries(EXPERT_GROUPS).flatMap(([group, wsGroup]) =>
    Object.entries(EXPERT_SEVERITIES).map(([severity, wsSeverity]) => ({ name: `${group}_${severity}`, wsGroup, wsSeverity })));
  return [
    "local EXPERTS = {",
    ...kinds.map((k) => `  ${k.name} = ProtoExpert.new("vmbus.expert.${k.name}", ${luaString(k.name.replace("_", " "))}, expert.group.${k.wsGroup}, expert.severity.${k.wsSeverity}),`),
    "}",
    `PROTOS.vmbus.experts = {${kinds.map((k) => `EXPERTS.${k.name}`).join(", ")}}`,
    "EXPERTS.malformed, EXPERTS.undecoded, EXPERTS.note = EXPERTS.malformed_error, EXPERTS.undecoded_note, EXPERTS.protocol_note",
  ];
}

const protocolOfField = (filter: string, catalogue: Catalogue): string => {
  const first = filter.split(".")[0];
  return catalogue.protocols.has(first) ? first : "vmbus";
};

export function generatePlugin(options: { version: string; linkTypes: readonly number[] }): string {
  const catalogue = catalogueFrom(vmbusRecord, GENERATED_FIELDS);
  // Structs first: expressions may add value-string tables that VS must hold.
  const structLines = [...catalogue.structs].map(([description, id]) => `S[${id}] = ${lua(structEntry(catalogue, description))}`);
  const out: string[] = [
    `-- VMBus dissector for Wireshark, generated by vmbus-dissect ${options.version} from its message descriptions.`,
    "-- Do not edit: regenerate with `vmbus-dissect wireshark-plugin`.",
    "local VS, FIELDS, PF, S, TABLES, HOOKS = {}, {}, {}, {}, {}, {}",
    `local LINK_TYPES = ${lua([...options.linkTypes])}`,
    `local ROOT = ${structRef(catalogue, vmbusRecord)}`,
  ];
  for (const [values, id] of catalogue.values) out.push(`VS[${id}] = ${valueStringsLua(values)}`);
  out.push(`local PROTOS = {${[["vmbus", "VMBus"], ...[...catalogue.protocols.values()].filter((p) => p.name !== "vmbus").map((p) => [p.name, p.label])]
    .map(([name, label]) => `[${luaString(name)}] = Proto(${luaString(name)}, ${luaString(label)})`).join(", ")}}`);
  for (const info of catalogue.fields.values()) {
    if (info.kind === "protocol") continue;
    out.push(`PF[${luaString(info.filter)}] = ${protoField(info, catalogue)}`);
    out.push(`FIELDS[${luaString(info.filter)}] = ${lua({ kind: info.kind, label: info.label, base: info.base, width: info.width, unit: info.unit, mask: info.mask, vs: info.values ? catalogue.values.get(info.values) : undefined, bits: info.bits?.map((bit) => `${info.filter}.${bit.key}`) })}`);
  }
  const byProtocol = new Map<string, string[]>();
  for (const info of catalogue.fields.values()) {
    if (info.kind === "protocol") continue;
    const owner = protocolOfField(info.filter, catalogue);
    byProtocol.set(owner, [...(byProtocol.get(owner) ?? []), `PF[${luaString(info.filter)}]`]);
  }
  for (const [owner, fields] of byProtocol) out.push(`PROTOS[${luaString(owner)}].fields = {${fields.join(", ")}}`);
  out.push(...expertLines());
  out.push(...structLines);
  for (const [name, entries] of catalogue.tables) {
    out.push(`TABLES[${luaString(name)}] = {${[...entries].map(([key, protocol]) => `[${key}] = ${lua(protocolEntry(catalogue, protocol))}`).join(", ")}}`);
  }
  const devices = catalogue.devices.map((d) => `[${luaString(d.guid || d.short)}] = ${lua({ short: d.short, name: d.name, unpublished: d.unpublished, protocol: d.protocol ? protocolEntry(catalogue, d.protocol) : undefined })}`);
  out.push(`local DEVICES_BY_GUID = {${devices.join(", ")}}`);
  out.push(`local CHANNEL_INSTANCES = {${allChannelInstances().map((i) => `[${luaString(i.instance)}] = ${lua({ class: i.classGuid, state: instanceState(i) })}`).join(", ")}}`);
  out.push(`local DEVICE_NAMES = {${catalogue.devices.filter((d) => d.guid).map((d) => `[${luaString(d.guid)}] = ${luaString(d.name)}`).join(", ")}}`);
  out.push(runtimeSource());
  return out.join("\n");
}
