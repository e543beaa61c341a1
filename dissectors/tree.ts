// The tree that dissectors hand to output formats: typed values with offsets; display text
// is made only when an output asks for it (see describe/display.ts).

import type { BitDescription, ValueStrings } from "./describe/types.js";

export type FieldValue = number | bigint | string | boolean | Uint8Array | null;

export type FieldKind =
  | "protocol" | "struct" | "array"
  | "uint" | "int" | "bool" | "filetime" | "bit" | "reltime"
  | "bytes" | "guid" | "string" | "ipv4" | "ipv6" | "mac";

/** A field as registered once under its filter name (Wireshark's header_field_info). */
export interface FieldInfo {
  filter: string;
  label: string;
  kind: FieldKind;
  /** Byte width of integers (for hex display and Lua types). */
  width?: number;
  signed?: boolean;
  bigEndian?: boolean;
  values?: ValueStrings;
  bits?: readonly BitDescription[];
  /** The mask of a "bit" field, or the bitmask of an integer that is a bit field of a wider word. */
  mask?: number;
  base?: "hex" | "dec";
  description?: string;
  unit?: string;
  /** Protocols: the name for the Protocol column. */
  short?: string;
  /** Protocols: filter names of the field that says which message a layer is (statistics). */
  messageTypes?: readonly string[];
  /** Name table for GUID values (e.g. device classes). */
  guidNames?: string;
}

export interface TreeNode {
  field: FieldInfo;
  value: FieldValue;
  /** Offset and length within the node's data source. */
  offset: number;
  length: number;
  /** 0 = the record's frame bytes; k > 0 = attached chunk k-1. */
  source: number;
  children?: TreeNode[];
  /** Extra words shown after the value, e.g. "(continues in GPADL_BODY)". */
  note?: string;
  /** Not in the bytes: derived from them or from the session (shown in brackets, as Wireshark does). */
  generated?: boolean;
}

export type Severity = "chat" | "note" | "warn" | "error";
export type ExpertGroup = "malformed" | "protocol" | "sequence" | "undecoded" | "reassemble" | "comment" | "capture";

export interface ExpertItem {
  severity: Severity;
  group: ExpertGroup;
  text: string;
  offset?: number;
  source?: number;
  /** Filter name of the field the item is attached to, when there is one. */
  filter?: string;
}

/** One data source of a record: the frame bytes, or an attached chunk. */
export interface DataSource {
  name: string;
  bytes: Uint8Array;
}
