// Dissector tables: a hand-off names a table; the table chooses the next protocol at run time,
// by a key (an EtherType, a message type) or by itself (the channel's device).

import type { DecodeContext } from "./describe/compile.js";
import type { Scope } from "./describe/expr.js";
import type { ProtocolDescription } from "./describe/types.js";

/** Chooses the protocol for the bytes [start, end) or says why there is none. */
export type TableResolver = (context: DecodeContext, start: number, end: number, scope: Scope, key?: number) => ProtocolDescription | string;

const resolvers = new Map<string, TableResolver>();
const keyed = new Map<string, Map<number, ProtocolDescription>>();

export function registerTable(name: string, resolver: TableResolver): void {
  resolvers.set(name, resolver);
}

/** Like Wireshark's dissector_add_uint: `protocol` handles key `key` of table `table`. */
export function addToTable(table: string, key: number, protocol: ProtocolDescription): void {
  let entries = keyed.get(table);
  if (!entries) {
    keyed.set(table, (entries = new Map()));
    resolvers.set(table, (_context, _start, _end, _scope, wanted) =>
      entries!.get(wanted ?? NaN) ?? `no dissector in ${table} for ${wanted === undefined ? "this payload" : `0x${wanted.toString(16)}`}`);
  }
  entries.set(key, protocol);
}

export const tableResolver = (name: string): TableResolver | undefined => resolvers.get(name);

/** Every protocol reachable through keyed tables (for registration of all fields). */
export const tableProtocols = (): ProtocolDescription[] => [...keyed.values()].flatMap((entries) => [...entries.values()]);

/** The keyed tables as they stand (for the Wireshark plugin generator). */
export const keyedTables = (): ReadonlyMap<string, ReadonlyMap<number, ProtocolDescription>> => keyed;
