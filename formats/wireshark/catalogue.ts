// Everything the plugin must know, found by walking the descriptions from the VMBus record:
// structs, value strings, fields by filter name, device protocols and dissector tables.
// Protocols that Wireshark dissects itself (e.g. Ethernet) end the walk.

import { lookupField } from "../../dissectors/describe/fields.js";
import { filterOf } from "../../dissectors/describe/fields.js";
import type { Field, Pairing, ProtocolDescription, StructDescription, ValueStrings } from "../../dissectors/describe/types.js";
import { PAIRING_FIELD_SUFFIXES } from "../../dissectors/describe/pairing.js";
import { allDevices, deviceDisplayName, HV_SOCKET } from "../../dissectors/devices.js";
import { keyedTables } from "../../dissectors/tables.js";
import type { FieldInfo } from "../../dissectors/tree.js";

export interface Catalogue {
  structs: Map<StructDescription, number>;
  values: Map<ValueStrings, number>;
  fields: Map<string, FieldInfo>;
  /** Our protocols by filter name (each becomes a Proto). */
  protocols: Map<string, ProtocolDescription>;
  devices: Array<{ guid: string; short: string; name: string; protocol?: ProtocolDescription; unpublished?: boolean }>;
  tables: Map<string, Map<number, ProtocolDescription>>;
}

export function newCatalogue(): Catalogue {
  return { structs: new Map(), values: new Map(), fields: new Map(), protocols: new Map(), devices: [], tables: new Map() };
}

function addField(catalogue: Catalogue, filter: string): void {
  const info = lookupField(filter);
  if (!info || catalogue.fields.has(filter)) return;
  catalogue.fields.set(filter, info);
  if (info.values && !catalogue.values.has(info.values)) catalogue.values.set(info.values, catalogue.values.size + 1);
  for (const bit of info.bits ?? []) addField(catalogue, `${filter}.${bit.key}`);
}

/** Filter names of struct nodes as the decoder makes them (see describe/compile.ts). */
export const structNodeFilter = (description: StructDescription, parentPrefix: string): string =>
  `${parentPrefix}.${description.key ?? description.name.toLowerCase()}`;
export const elementNodeFilter = (description: StructDescription): string =>
  `${description.prefix}.${description.key ?? description.name.toLowerCase()}`;

function walkField(catalogue: Catalogue, field: Field, prefix: string): void {
  switch (field.kind) {
    case "scalar": case "blob": case "bits": return addField(catalogue, filterOf(field, prefix));
    case "struct": addField(catalogue, filterOf(field, prefix)); return walkStruct(catalogue, field.struct);
    case "array": addField(catalogue, filterOf(field, prefix)); addField(catalogue, elementNodeFilter(field.element)); return walkStruct(catalogue, field.element);
    case "switch":
      for (const chosen of [...Object.values(field.cases), ...(field.default ? [field.default] : [])]) {
        addField(catalogue, structNodeFilter(chosen, prefix));
        walkStruct(catalogue, chosen);
      }
      return;
    case "handoff": return walkTable(catalogue, field.table);
    case "computed": return addField(catalogue, filterOf(field, prefix));
  }
}

export function walkStruct(catalogue: Catalogue, description: StructDescription): void {
  if (catalogue.structs.has(description)) return;
  catalogue.structs.set(description, catalogue.structs.size + 1);
  const pairings = description.pairing === undefined ? [] : Array.isArray(description.pairing) ? description.pairing : [description.pairing];
  for (const pairing of pairings as Pairing[]) {
    for (const suffix of PAIRING_FIELD_SUFFIXES) addField(catalogue, `${pairing.namespace}.${suffix}`);
    for (const filter of Object.values(pairing.show ?? {})) addField(catalogue, filter);
  }
  for (const field of description.fields) walkField(catalogue, field, description.prefix);
}

/** A protocol name may have several roots (e.g. vscsi's CDBs, sense data and data-in): walk each. */
function walkProtocol(catalogue: Catalogue, protocol: ProtocolDescription): void {
  if (protocol.wiresharkDissector) return;
  if (!catalogue.protocols.has(protocol.name)) catalogue.protocols.set(protocol.name, protocol);
  addField(catalogue, protocol.name);
  walkStruct(catalogue, protocol.root);
}

function walkTable(catalogue: Catalogue, name: string): void {
  const entries = keyedTables().get(name);
  if (!entries || catalogue.tables.has(name)) return;
  catalogue.tables.set(name, new Map(entries));
  for (const protocol of entries.values()) walkProtocol(catalogue, protocol);
}

export function catalogueFrom(root: StructDescription, generated: readonly string[]): Catalogue {
  const catalogue = newCatalogue();
  addField(catalogue, "vmbus");
  walkStruct(catalogue, root);
  for (const filter of generated) addField(catalogue, filter);
  for (const device of [...allDevices(), HV_SOCKET]) {
    catalogue.devices.push({ guid: device.guid, short: device.short, name: deviceDisplayName(device), protocol: device.protocol, unpublished: device.specification === "none-public" });
    if (device.protocol) walkProtocol(catalogue, device.protocol);
  }
  return catalogue;
}
