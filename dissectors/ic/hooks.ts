// What the IC descriptions cannot say: whether a heartbeat's sequence number follows the previous
// one of the channel (a missed or repeated beat), and the field the pairing shows on answers.

import type { Hook } from "../describe/compile.js";
import { lookup, toNumber } from "../describe/expr.js";
import { registerField } from "../describe/fields.js";
import { registerHooks } from "../hooks.js";
import { icMessageTypes } from "./ic.js";

registerField({ filter: "ic.request_message_type", label: "Request message type", kind: "uint", width: 2, values: icMessageTypes });

const LAST_REQUEST = "channel.heartbeat.last_request_seq";
const LAST_RESPONSE_DUE = "channel.heartbeat.expected_response_seq";

/**
 * Host requests: the next sequence number is the previous request's + 1 (the host counts on from the
 * guest's answer, which is request + 1). A gap is a missed beat, the same or a lower number a repeat.
 * Guest responses: request + 1 (devices.md §4).
 */
const sequence: Hook = (scope, context, node) => {
  const seq = toNumber(lookup(scope, "seq_num"));
  const flags = toNumber(lookup(scope, "flags"));
  if (!Number.isFinite(seq) || !Number.isFinite(flags)) return;
  const seqNode = node.children?.find((child) => child.field.filter === "heartbeat.seq_num");
  const note = (severity: "note" | "warn", text: string) =>
    context.experts.push({ severity, group: "sequence", text, offset: seqNode?.offset ?? node.offset, source: node.source, filter: "heartbeat.seq_num" });
  if ((flags & 4) !== 0) {
    const due = context.session.get(LAST_RESPONSE_DUE);
    if (due !== undefined && seq !== due) note("warn", `heartbeat response carries ${seq}, expected ${due} (request + 1)`);
    return;
  }
  const previous = context.session.get(LAST_REQUEST);
  if (previous !== undefined) {
    if (seq > previous + 1) note("warn", `heartbeat sequence ${seq} after ${previous}: ${seq - previous - 1} beat(s) missed`);
    else if (seq <= previous) note("warn", `heartbeat sequence ${seq} repeats or goes back (previous ${previous})`);
  }
  context.session.set(LAST_REQUEST, seq);
  context.session.set(LAST_RESPONSE_DUE, seq + 1);
};

registerHooks(() => ({ "heartbeat.sequence": sequence }));
