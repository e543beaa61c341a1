// The description language: every message is a list of typed field declarations.
// Decoder, tree, JSON names, filter names, the field list, the encoder and the Wireshark
// plugin are all derived from these values, so they are plain data (no closures) that
// can be walked and translated to another language.

/** Expressions: field references, session state, remaining bytes and a few operators. */
export type Expr =
  | number
  | { op: "ref"; name: string }
  | { op: "state"; name: string }
  | { op: "remaining" }
  | { op: "offset" }
  /** The integer of that type in the bytes at `at` from the struct start (default: the current position); NaN past the end. */
  | { op: "peek"; type: ScalarType; at?: Expr }
  | { op: BinaryOp; a: Expr; b: Expr }
  | { op: "!"; a: Expr }
  /** a when c holds, else b (only the chosen branch is evaluated). */
  | { op: "if"; c: Expr; a: Expr; b: Expr }
  /** The number the table holds for key a (e.g. the last message type of a version); NaN when it has none. */
  | { op: "lookup"; table: NumberTable; a: Expr }
  /** 1 when the value strings name key a, else 0. */
  | { op: "known"; table: ValueStrings; a: Expr };

export type NumberTable = Readonly<Record<number, number>>;

/**
 * Text made from values (a computed string field, the words a check names): a template as in
 * `info`; a number's digits; the name a table gives a key (none when it has none); pieces joined
 * (none when a piece has none); a choice.
 */
export type TextExpr =
  | string
  | { text: "number"; value: Expr; radix?: 10 | 16; width?: number }
  | { text: "name"; table: ValueStrings; key: Expr }
  | { text: "join"; parts: readonly TextExpr[] }
  | { text: "if"; c: Expr; a: TextExpr; b: TextExpr };

export type BinaryOp =
  | "+" | "-" | "*" | "/" | "ceildiv" | "&" | "|" | ">>" | "min" | "max"
  | "==" | "!=" | "<" | "<=" | ">" | ">=" | "&&" | "||";

export type ScalarType =
  | "u8" | "u16" | "u24" | "u32" | "u64"
  | "i8" | "i16" | "i32" | "i64"
  | "u16be" | "u24be" | "u32be" | "u64be"
  | "bool8"
  /** 100 ns intervals since 1601-01-01 (Windows FILETIME), u64 LE. */
  | "filetime";

export type BlobType =
  | "bytes"
  | "guid"
  | "utf16"
  | "ascii"
  | "ipv4"
  | "ipv6"
  | "mac";

export type ValueStrings = Readonly<Record<number, string>>;

export interface BitDescription {
  mask: number;
  key: string;
  label: string;
  /** Other names the same bit has in other sources (shown beside the label). */
  alternate?: string;
}

interface FieldCommon {
  /** JSON key and last part of the filter name. */
  key: string;
  label: string;
  description?: string;
  /** Full filter name when it does not follow `<struct prefix>.<key>`. */
  filter?: string;
  /** Present only when this holds. */
  when?: Expr;
  /** Decode from this offset in the struct instead of the running position. */
  at?: Expr;
}

export interface ScalarField extends FieldCommon {
  kind: "scalar";
  type: ScalarType;
  values?: ValueStrings;
  bits?: readonly BitDescription[];
  base?: "hex" | "dec";
  /** Value that is expected here; any other value becomes expert info. */
  expect?: number;
  unit?: string;
  /**
   * Bit field of the integer (Wireshark's header-field bitmask): the value is `(raw & mask) >> shift`,
   * the shift being the mask's trailing zero bits. `bits` then test the value, not the raw integer.
   * Integers up to 32 bits.
   */
  mask?: number;
  /** The value is multiplied by this (e.g. 4 for a header length in 32-bit words that Wireshark shows in bytes). */
  scale?: number;
  /**
   * The next field reads the same bytes (several bit fields of one word, each with its own filter
   * name, as Wireshark's masked header fields): this one does not advance the position.
   */
  shared?: boolean;
}

export interface BlobField extends FieldCommon {
  kind: "blob";
  type: BlobType;
  /** Length in bytes; "rest" = to the end of the enclosing struct. */
  length: Expr | "rest";
  /** Strings: stop at the first NUL. */
  nulTerminated?: boolean;
}

export interface StructField extends FieldCommon {
  kind: "struct";
  struct: StructDescription;
  /** Length of the sub-struct's region (defaults to what its fields use). */
  length?: Expr | "rest";
}

export interface ArrayField extends FieldCommon {
  kind: "array";
  element: StructDescription;
  /** Number of elements; omitted = until the end of the enclosing struct. */
  count?: Expr;
  /** When the count asks for more than fits: true = take what fits and add a note (continuation elsewhere); false = malformed. */
  clipToEnd?: boolean;
  /** Note text when clipToEnd took fewer than asked. */
  clipNote?: string;
}

export interface SwitchField extends FieldCommon {
  kind: "switch";
  on: Expr;
  cases: Readonly<Record<number, StructDescription>>;
  default?: StructDescription;
}

/** The bytes from here go to another protocol, chosen at run time from a dissector table. */
export interface HandoffField extends FieldCommon {
  kind: "handoff";
  table: string;
  length?: Expr | "rest";
  /** The table's key (e.g. an EtherType); tables without keys choose by themselves (e.g. by channel). */
  by?: Expr;
  /**
   * Hand over the record's attached data instead of bytes from here: each attached chunk whose
   * source is listed (contract 2.1: 1 transfer-page range, 2 GPA range, 3 protocol buffer).
   */
  attached?: readonly number[];
  /** With `attached`: summary template said when no such chunk was captured. */
  missing?: string;
}

/** A value derived from others (shown in brackets, as Wireshark's generated items): e.g. blocks = last LBA + 1. */
export interface ComputedNumber extends FieldCommon {
  kind: "computed";
  /** The integer type whose shape the value has (its field type for filters). */
  type: ScalarType;
  value: Expr;
  values?: ValueStrings;
  unit?: string;
  base?: "hex" | "dec";
}

/** A derived string, e.g. a PCI function's "vendor:device" id or the name a table gives it; absent when the text has no value. */
export interface ComputedText extends FieldCommon {
  kind: "computed";
  type: "string";
  text: TextExpr;
}

export type ComputedField = ComputedNumber | ComputedText;

/**
 * An integer of `bitWidth` bits (1..32) at bit `bitOffset` from the struct start, least significant
 * bit first (as HID reports pack their fields): positions that are data, e.g. what a captured report
 * descriptor taught the session. The field occupies the bytes its bits touch.
 */
export interface BitsField extends FieldCommon {
  kind: "bits";
  /** Registered type: "i32" for fields that may be signed, else "u32". */
  type: "u32" | "i32";
  bitOffset: Expr;
  bitWidth: Expr;
  /** Sign-extended when this holds (a logical minimum below zero). */
  signed?: Expr;
  bits?: readonly BitDescription[];
  unit?: string;
}

export type Field = ScalarField | BlobField | StructField | ArrayField | SwitchField | HandoffField | ComputedField | BitsField;

/** What a struct teaches the session when it decodes (declarative state learning). */
export interface StateEffect {
  /** Session key, e.g. "vmbus.version". Keys starting with "channel." are per channel. */
  set: string;
  value: Expr;
  when?: Expr;
  /** A negotiated version, for statistics: how its number reads (16-bit halves, bytes, or a name table). */
  negotiated?: VersionLayout;
}

/** "major.minor": (major << 16) | minor; "minor.major": (minor << 16) | major; "major8.minor8": (major << 8) | minor. */
export type VersionLayout = "major.minor" | "minor.major" | "major8.minor8" | ValueStrings;

/**
 * A consistency rule: when `fails` holds, an expert item says so; by default an error that makes
 * the record malformed, or a note or warning of another group (a missed heartbeat, a message the
 * negotiated version does not have).
 */
export interface StructCheck {
  fails: Expr;
  /** Template as in `info`: "{key:raw}" inserts a field's value, "{name}" an argument's text. */
  text: string;
  /** Key of the field the problem points at. */
  field: string;
  severity?: "note" | "warn" | "error";
  group?: "malformed" | "protocol" | "sequence";
  /** Words of the text that are not fields (earlier state, a table's entry): {name} in the text. */
  args?: Readonly<Record<string, TextExpr>>;
}

/**
 * Request/response pairing (Wireshark's "response in / request in / time"), per channel and
 * namespace: a request is remembered by its id and direction; a response in the other direction
 * with the same id finds it. Generated fields: <namespace>.request_in, <namespace>.time,
 * <namespace>.answers (the request's `text`), and any `show`n kept value.
 */
export interface Pairing {
  namespace: string;
  role: "request" | "response";
  /** The id both sides carry, e.g. ref("request_id"), or ref("trans_id") of the VMBus packet. */
  id: Expr;
  when?: Expr;
  /** Request: numbers kept for the response. On the response they become the session state `channel.<namespace>.request.<name>` (unset when no request was seen), for layouts that follow the request. */
  keep?: Readonly<Record<string, Expr>>;
  /** Request: a summary template kept as text, shown on the response as <namespace>.answers; "{layers}" is the summary of the layers decoded inside the struct (e.g. the SCSI command). */
  text?: string;
  /** Response: kept values shown as generated fields: name → filter of a registered field. */
  show?: Readonly<Record<string, string>>;
  /** Response: summary words added when the request was found; "{answers}" is the request's text. */
  say?: string;
  /** Response: kept values its layouts read as state (unset when no request was seen). */
  state?: readonly string[];
  /**
   * Request: filter names of fields whose value names the request type for response-time statistics
   * (the first found in the request's record, e.g. the SCSI opcode); default: the struct's first
   * field with value strings.
   */
  type?: readonly string[];
}

export interface StructDescription {
  /** Display name, e.g. "OfferChannel". */
  name: string;
  /** Last part of the filter name of the struct's own tree node (defaults to the name in lower case). */
  key?: string;
  /** Filter name prefix of its fields, e.g. "vmbus.chan". */
  prefix: string;
  /** Tree label; defaults to name. */
  label?: string;
  fields: readonly Field[];
  /** Summary template: "{field}" inserts a field's display text, "{field:raw}" its plain value. */
  info?: string;
  effects?: readonly StateEffect[];
  checks?: readonly StructCheck[];
  pairing?: Pairing | readonly Pairing[];
  /** Named hand-written session hooks for what a description cannot say (e.g. registering an offered channel). */
  hooks?: readonly string[];
  /** The struct's size as its own fields state it (e.g. a message length field), from its start. */
  sizeFrom?: Expr;
  /** Fixed size in bytes when the struct always has one (used by arrays and the encoder for padding). */
  size?: number;
  /** Expected minimum size; shorter input is malformed. */
  minSize?: number;
}

/** A protocol: the unit Wireshark registers, with its dissector-table entries. */
export interface ProtocolDescription {
  /** Filter name of the protocol itself, e.g. "vmbus" or "nvsp". */
  name: string;
  label: string;
  /** The struct decoded when a payload is handed to this protocol. */
  root: StructDescription;
  /** Name for the Protocol column (as Wireshark's short name): "TCP", "RNDIS". */
  short?: string;
  /**
   * Wireshark already dissects this protocol under this dissector name (e.g. "eth_withoutfcs"): the
   * generated plugin hands the bytes to it instead of decoding them from our description.
   */
  wiresharkDissector?: string;
  /** Filter names of the field that says which message a layer is (the first present counts), for statistics. */
  messageType?: readonly string[];
}
