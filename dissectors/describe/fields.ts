// Every field is registered once under its filter name, as in Wireshark's proto_register_field_array.
// Two descriptions may share a field (e.g. `vmbus.chan.child_relid`) only if they agree on its type;
// protocols register as they are first decoded, so shared fields of two protocols must agree on
// their labels too (test/dissectors/registration-order.test.ts).

import type { FieldInfo, FieldKind } from "../tree.js";
import type { BlobType, Field, ScalarType, StructDescription } from "./types.js";

const registry = new Map<string, FieldInfo>();

const scalarShape: Record<ScalarType, Pick<FieldInfo, "kind" | "width" | "signed" | "bigEndian">> = {
  u8: { kind: "uint", width: 1 }, u16: { kind: "uint", width: 2 }, u24: { kind: "uint", width: 3 },
  u32: { kind: "uint", width: 4 }, u64: { kind: "uint", width: 8 },
  i8: { kind: "int", width: 1, signed: true }, i16: { kind: "int", width: 2, signed: true },
  i32: { kind: "int", width: 4, signed: true }, i64: { kind: "int", width: 8, signed: true },
  u16be: { kind: "uint", width: 2, bigEndian: true }, u24be: { kind: "uint", width: 3, bigEndian: true },
  u32be: { kind: "uint", width: 4, bigEndian: true }, u64be: { kind: "uint", width: 8, bigEndian: true },
  bool8: { kind: "bool", width: 1 }, filetime: { kind: "filetime", width: 8 },
};

const blobKind: Record<BlobType, FieldKind> = {
  bytes: "bytes", guid: "guid", utf16: "string", ascii: "string", ipv4: "ipv4", ipv6: "ipv6", mac: "mac",
};

export const filterOf = (field: Field, prefix: string): string => field.filter ?? `${prefix}.${field.key}`;

function infoFor(field: Field, filter: string): FieldInfo {
  const common = { filter, label: field.label, description: field.description };
  switch (field.kind) {
    case "scalar": {
      const shape = scalarShape[field.type];
      // A scaled value may outgrow its wire width (link speed in 100 bit/s units → bit/s).
      const width = field.scale !== undefined && shape.width !== undefined ? 8 : shape.width;
      return { ...common, ...shape, width, values: field.values, bits: field.bits, base: field.base, unit: field.unit, mask: field.mask };
    }
    case "blob":
      return { ...common, kind: blobKind[field.type], guidNames: field.type === "guid" ? "guid" : undefined };
    case "computed":
      if (field.type === "string") return { ...common, kind: "string" };
      return { ...common, ...scalarShape[field.type], base: field.base, unit: field.unit, values: field.values };
    case "bits":
      return { ...common, ...scalarShape[field.type], bits: field.bits, unit: field.unit };
    case "array":
      return { ...common, kind: "array" };
    default:
      return { ...common, kind: "struct" };
  }
}

function sameShape(a: FieldInfo, b: FieldInfo): boolean {
  return a.kind === b.kind && a.width === b.width && a.signed === b.signed && a.values === b.values && a.bits === b.bits && a.mask === b.mask;
}

/** Registers (or finds) the field; a second registration with another shape is a description bug. */
export function registerField(info: FieldInfo): FieldInfo {
  const existing = registry.get(info.filter);
  if (!existing) {
    registry.set(info.filter, info);
    return info;
  }
  if (!sameShape(existing, info)) {
    throw new Error(`field ${info.filter} is described twice with different types`);
  }
  return existing;
}

export const fieldInfo = (field: Field, prefix: string): FieldInfo => registerField(infoFor(field, filterOf(field, prefix)));

export function bitInfo(parent: FieldInfo, mask: number, key: string, label: string): FieldInfo {
  return registerField({ filter: `${parent.filter}.${key}`, label, kind: "bit", mask, width: parent.width });
}

export function protocolInfo(name: string, label: string, short?: string, messageTypes?: readonly string[]): FieldInfo {
  const info = registerField({ filter: name, label, kind: "protocol", short });
  if (messageTypes) info.messageTypes = [...new Set([...(info.messageTypes ?? []), ...messageTypes])];
  return info;
}

export function structInfo(description: StructDescription, filter: string, label?: string): FieldInfo {
  return registerField({ filter, label: label ?? description.label ?? description.name, kind: "struct" });
}

/**
 * Registers the fields of every description. Set by dissectors/index.ts: compiling them all takes
 * a good part of start-up, and reading a capture registers what it decodes as it goes; listing
 * every field, or looking up one not seen yet (display filters, the plugin), runs it first.
 */
let registerRemaining: (() => void) | undefined;

export function onAllFieldsNeeded(register: () => void): void {
  registerRemaining = register;
}

function registerEverything(): void {
  const register = registerRemaining;
  registerRemaining = undefined;
  register?.();
}

/** Every registered field, sorted by filter name (what `vmbus-dissect fields` prints). */
export function allFields(): FieldInfo[] {
  registerEverything();
  return [...registry.values()].sort((a, b) => a.filter.localeCompare(b.filter));
}

export function lookupField(filter: string): FieldInfo | undefined {
  const known = registry.get(filter);
  if (known || !registerRemaining) return known;
  registerEverything();
  return registry.get(filter);
}
