// Dissector tables: a hand-off names a table; the table chooses the next protocol at run time.

import type { DecodeContext } from "./describe/compile.js";
import type { Scope } from "./describe/expr.js";
import type { ProtocolDescription } from "./describe/types.js";

/** Chooses the protocol for the bytes [start, end) or says why there is none. */
export type TableResolver = (context: DecodeContext, start: number, end: number, scope: Scope) => ProtocolDescription | string;

const tables = new Map<string, TableResolver>();

export function registerTable(name: string, resolver: TableResolver): void {
  tables.set(name, resolver);
}

export const tableResolver = (name: string): TableResolver | undefined => tables.get(name);

/** A table keyed by a number the hand-off reads from the scope (e.g. a message type). */
export function keyedTable(keyName: string, entries: ReadonlyMap<number, ProtocolDescription>, what: string): TableResolver {
  return (_context, _start, _end, scope) => {
    const key = Number(scope.values[keyName]);
    return entries.get(key) ?? `no ${what} for ${keyName} ${key}`;
  };
}
