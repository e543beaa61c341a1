// Ring packets (core.md §3): the 16-byte descriptor, the type-specific headers, then the payload
// handed to the channel's device dissector.

import {
  add, and, array, bitAnd, bitSet, bytes, digits, eq, ge, gt, lookup, lt, ne, choice, enumOf, flagsOf, handoff, hex, mul, offset, ref, reserved, structSize, sub, u16, u32, u8,
} from "../describe/dsl.js";
import type { StructCheck, StructDescription, ValueStrings } from "../describe/types.js";
import { encodeStruct, type EncodeValues } from "../describe/encode.js";
import { gpaRange } from "./gpa.js";

export const packetTypes: ValueStrings = {
  0x0: "Invalid", 0x1: "Synch (legacy)", 0x2: "AddTransferPageSet (legacy)", 0x3: "RemoveTransferPageSet (legacy)",
  0x4: "EstablishGpadl (legacy)", 0x5: "TeardownGpadl (legacy)", 0x6: "DataInBand", 0x7: "DataUsingTransferPages",
  0x8: "DataUsingGpadl (legacy)", 0x9: "DataUsingGpaDirect", 0xa: "CancelRequest", 0xb: "Completion",
  0xc: "DataUsingAdditionalPacket", 0xd: "AdditionalData",
};

const P = "vmbus.pkt";
const COMPLETION = 0xb;
const payloadOffset = mul(ref("offset8"), 8);
/** The payload must start after the type-specific header (core.md §3.1), or the two would overlap. */
const payloadOutsideHeader: StructCheck = {
  fails: and(ge(ref("offset8"), 2), lt(payloadOffset, add(16, offset))), field: "offset8",
  text: "payload offset {payload} lies inside the type-specific header, which ends at {end}", args: { payload: digits(payloadOffset), end: digits(add(16, offset)) },
};
const header = (name: string, key: string, fields: StructDescription["fields"]): StructDescription =>
  ({ name, key, prefix: P, label: `${name} header`, fields, checks: [payloadOutsideHeader] });

const transferPageRange: StructDescription = {
  name: "TransferPageRange", key: "xfer_range", prefix: `${P}.xfer`, label: "Transfer-page range", size: 8,
  fields: [u32("byte_count", "Byte count"), hex("u32")("byte_offset", "Byte offset in the transfer-page set")],
  info: undefined,
};

const gpadlHandle = hex("u32")("gpadl", "GPADL handle");

export const packetHeaders: Record<number, StructDescription> = {
  0x2: header("TransferPageSet", "xfer_pageset_hdr", [gpadlHandle, u16("xfer_pageset_id", "Transfer-page set id"), reserved("u16")]),
  0x3: header("TransferPageSet", "xfer_pageset_hdr", [gpadlHandle, u16("xfer_pageset_id", "Transfer-page set id"), reserved("u16")]),
  0x4: header("EstablishGpadl", "establish_gpadl_hdr", [
    gpadlHandle, u32("range_count", "Range count"),
    array("gpa_ranges", "GPA ranges", gpaRange, { count: ref("range_count") }),
  ]),
  0x5: header("TeardownGpadl", "teardown_gpadl_hdr", [gpadlHandle, reserved("u32")]),
  0x7: header("TransferPages", "xfer_hdr", [
    u16("xfer_pageset_id", "Transfer-page set id"),
    u8("sender_owns_set", "Sender owns set"),
    reserved("u8"),
    u32("range_count", "Range count"),
    array("xfer_ranges", "Transfer-page ranges", transferPageRange, { count: ref("range_count") }),
  ]),
  0x8: header("Gpadl", "gpadl_hdr", [gpadlHandle, reserved("u32")]),
  0x9: header("GpaDirect", "gpa_direct_hdr", [
    hex("u32")("gpa_reserved", "Reserved (may hold garbage)"),
    u32("range_count", "Range count"),
    array("gpa_ranges", "GPA ranges", gpaRange, { count: ref("range_count") }),
  ]),
  0xd: header("AdditionalData", "additional_data_hdr", [
    u32("total_bytes_low", "Total bytes (low)"), u32("total_bytes_high", "Total bytes (high)"),
    hex("u32")("data_offset", "Offset"), u32("data_byte_count", "Byte count"),
  ]),
};

/** Contract 2.1: the chunks of attached data that follow the packet in a record. */
export const attachedSources: ValueStrings = { 1: "Transfer-page range", 2: "GPA range", 3: "Protocol buffer" };

const attachedChunk: StructDescription = {
  name: "AttachedChunk", key: "chunk", prefix: "vmbus.attached", label: "Attached data",
  fields: [
    enumOf("u8", attachedSources)("source", "Source"),
    reserved("u8"),
    u16("index", "Range index"),
    hex("u32")("offset", "Offset within the range"),
    u32("length", "Length", { unit: "bytes" }),
    bytes("data", "Data", ref("length")),
    bytes("padding", "Padding", { op: "&", a: sub(4, { op: "&", a: ref("length"), b: 3 }), b: 3 }),
  ],
  info: undefined,
};

/** Types only Linux defines (core.md §3.1). */
const LEGACY_TYPES = { 0x1: 1, 0x2: 1, 0x3: 1, 0x4: 1, 0x5: 1, 0x8: 1, 0xa: 1, 0xc: 1, 0xd: 1 };
const packetLength = mul(ref("len8"), 8);
/** Core.md §3.1, 3.7: the descriptor's own consistency. */
const packetChecks: StructCheck[] = [
  { fails: eq(ref("type"), 0), field: "type", text: "packet type 0 (invalid)" },
  { fails: gt(ref("type"), 0xd), field: "type", text: "unknown packet type {type:raw}" },
  { fails: eq(lookup(LEGACY_TYPES, ref("type")), 1), field: "type", severity: "note", group: "protocol", text: "packet type {type:raw} is a legacy or unconfirmed type (Linux definition only)" },
  { fails: lt(ref("offset8"), 2), field: "offset8", text: "payload offset {payload} is inside the 16-byte descriptor", args: { payload: digits(payloadOffset) } },
  { fails: lt(ref("len8"), ref("offset8")), field: "len8", text: "packet length {length} is shorter than the payload offset {payload}", args: { length: digits(packetLength), payload: digits(payloadOffset) } },
  { fails: gt(packetLength, structSize), field: "len8", text: "packet length {length} runs past the {size} bytes captured", args: { length: digits(packetLength), size: digits(structSize) } },
  { fails: ne(bitAnd(ref("flags"), 0xfffe), 0), field: "flags", severity: "warn", group: "protocol", text: "undefined packet flag bits 0x{bits}", args: { bits: digits(bitAnd(ref("flags"), 0xfffe), 16) } },
];

const packetFlags = flagsOf("u16", [{ mask: 1, key: "completion_requested", label: "Completion requested" }]);

/** A ring packet: descriptor, type-specific header, payload (to the device), then any attached data. */
export const ringPacket: StructDescription = {
  name: "RingPacket", key: "pkt", prefix: P, label: "VMBus ring packet",
  fields: [
    enumOf("u16", packetTypes)("type", "Packet type"),
    u16("offset8", "Payload offset", { unit: "× 8 bytes" }),
    u16("len8", "Packet length", { unit: "× 8 bytes" }),
    packetFlags("flags", "Packet flags"),
    hex("u64")("trans_id", "Transaction id"),
    choice("type_header", "Type-specific header", ref("type"), packetHeaders),
    handoff("payload", "Payload", "vmbus.device", { at: mul(ref("offset8"), 8), length: mul(sub(ref("len8"), ref("offset8")), 8) }),
    array("attached", "Attached data", attachedChunk, { at: mul(ref("len8"), 8), when: bitSet("record_flags", 4) }),
  ],
  minSize: 16,
  info: "{type} trans {trans_id}",
  checks: packetChecks,
  // A packet that asks for a completion is answered by a Completion packet with its transaction id.
  pairing: [
    { namespace: P, role: "request", id: ref("trans_id"), when: and(bitSet("flags", 1), ne(ref("type"), COMPLETION)), text: "{type} trans {trans_id}" },
    { namespace: P, role: "response", id: ref("trans_id"), when: eq(ref("type"), COMPLETION) },
  ],
};


export interface RingPacketValues {
  type: number;
  flags?: number;
  transId?: number | bigint;
  header?: EncodeValues;
  payload: Uint8Array;
}

/** Builds a packet from the description; offset8 and len8 follow from the header and payload (8-byte padding). */
export function buildRingPacket(values: RingPacketValues): Uint8Array {
  const headerDescription = packetHeaders[values.type];
  const headerLength = headerDescription ? encodeStruct(headerDescription, values.header ?? {}).length : 0;
  const offset8 = Math.ceil((16 + headerLength) / 8);
  const len8 = offset8 + Math.ceil(values.payload.length / 8);
  const payload = new Uint8Array((len8 - offset8) * 8);
  payload.set(values.payload);
  return encodeStruct(ringPacket, {
    type: values.type, offset8, len8, flags: values.flags ?? 0, trans_id: values.transId ?? 0,
    type_header: values.header ?? {}, payload,
  });
}
