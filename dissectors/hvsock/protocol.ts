// Hyper-V sockets (core.md §7.1, §7.2): every packet of an hv_sock channel is an in-band ring
// packet whose payload is a pipe header and the socket bytes. A Data message with no bytes is the
// end of stream (FIN) for its direction. Offsets in the comments are from the payload start.

import { array, bytes, choice, enumOf, eq, gt, hasBytes, hex, mux, peek, ref, sub, u16, u32, u8, computed } from "../describe/dsl.js";
import type { Field, ProtocolDescription, StructDescription } from "../describe/types.js";
import { gpaRange } from "../vmbus/gpa.js";
import { MAX_PIPE_PAYLOAD, pipeMessageTypes } from "./pipe.js";

const P = "hvsock";
const dataSize = u32("data_size", "Data size", { unit: "bytes" });
const body = (name: string, key: string, label: string, fields: Field[], extra: Partial<StructDescription> = {}): StructDescription =>
  ({ name, key, prefix: P, label, fields, ...extra });

// Type 1 with data_size > 0: socket bytes at 8, data_size of them, then zero padding to 8.
const data = body("Data", "data_packet", "Data", [dataSize, bytes("data", "Socket data", ref("data_size"))], {
  info: "data {data_size:raw} bytes",
  checks: [{ fails: gt(ref("data_size"), MAX_PIPE_PAYLOAD), field: "data_size", text: "data size {data_size:raw} exceeds the 16384-byte pipe maximum" }],
});

// Type 1 with data_size 0: end of stream for this direction (core.md §7.2, "Close").
const fin = body("Fin", "fin", "End of stream (FIN)", [dataSize], { info: "FIN" });

// Type 2: written by the reader into its own incoming ring (never sent by the peer); the size
// word becomes low u16 = total data size, high u16 = bytes already consumed.
const partial = body("Partial", "partial", "Partially consumed data (reader bookkeeping)", [
  u16("partial_size", "Total data size", { unit: "bytes" }),
  u16("partial_offset", "Bytes already consumed", { unit: "bytes" }),
  computed("u16")("partial_left", "Bytes not yet consumed", sub(ref("partial_size"), ref("partial_offset")), { unit: "bytes" }),
  bytes("partial_data", "Data (as written; the consumed part is stale)", ref("partial_size")),
], {
  info: "partial: {partial_offset:raw} of {partial_size:raw} bytes consumed",
  checks: [{ fails: gt(ref("partial_offset"), ref("partial_size")), field: "partial_offset", text: "consumed {partial_offset:raw} bytes of a {partial_size:raw}-byte packet" }],
});

// Type 3 (mu_msvm, packed(1); its use is unconfirmed): Handle u32 at 8, IsWritable u8 at 12,
// RangeCount u32 at 13, GPA ranges from 17.
const setupGpaDirect = body("SetupGpaDirect", "setup_gpa_direct", "Set up GPA-direct buffer", [
  dataSize,
  hex("u32")("handle", "Handle"),
  u8("is_writable", "Is writable", { values: { 0: "no", 1: "yes" } }),
  u32("range_count", "Range count"),
  array("ranges", "GPA ranges", gpaRange, { count: ref("range_count") }),
], { info: "setup GPA direct handle {handle} {range_count:raw} range(s)" });

// Type 4: Handle u32 at 8.
const teardownGpaDirect = body("TeardownGpaDirect", "teardown_gpa_direct", "Tear down GPA-direct buffer", [dataSize, hex("u32")("handle", "Handle")], {
  info: "teardown GPA direct handle {handle}",
});

// Type 5 (mu_msvm only, meaning unconfirmed): shown as bytes.
const indicationComplete = body("IndicationComplete", "indication_complete", "Indication complete (meaning unconfirmed)", [
  dataSize, bytes("body_data", "Body (layout not public)", ref("data_size")),
], { info: "indication complete" });

// Type 0 and unknown types.
const invalid = body("InvalidPipeMessage", "invalid", "Invalid or unknown pipe message", [dataSize, bytes("body_data", "Body (layout not public)", "rest")], {
  info: "invalid pipe message",
  checks: [{ fails: 1, field: "data_size", text: "pipe message type is not 1..5" }],
});

const dataOrFin = mux(eq(peek("u32"), 0), 1, 0);

export const hvsockMessage: StructDescription = {
  name: "HvSocketPacket", key: "msg", prefix: P, label: "hv_sock pipe message",
  fields: [
    enumOf("u32", pipeMessageTypes)("packet_type", "Pipe message type"),
    choice("body", "Body", ref("packet_type"), {
      1: { name: "DataMessage", key: "data_message", prefix: P, label: "Data message", fields: [choice("kind", "Data or FIN", dataOrFin, { 0: data, 1: fin })] },
      2: partial, 3: setupGpaDirect, 4: teardownGpaDirect, 5: indicationComplete,
    }, { default: invalid }),
    bytes("padding", "Padding", "rest", { when: hasBytes(1) }),
  ],
  minSize: 8,
  info: "hv_sock",
};

export const hvsockProtocol: ProtocolDescription = { name: "hvsock", label: "Hyper-V socket", short: "hv_sock", root: hvsockMessage };
