// What the NVSP/RNDIS descriptions cannot say: pairing requests and completions (NVSP by the VMBus
// transaction id, RNDIS by RequestId).

import type { DecodeContext, Hook } from "../describe/compile.js";
import { lookup, toNumber, type Scope } from "../describe/expr.js";
import { registerField } from "../describe/fields.js";
import { registerHooks, type HookEnvironment } from "../hooks.js";
import type { FieldInfo, FieldValue, TreeNode } from "../tree.js";
import { oidNames } from "./oids.js";

const field = (filter: string, label: string, kind: FieldInfo["kind"], extra: Partial<FieldInfo> = {}): FieldInfo =>
  registerField({ filter, label, kind, width: kind === "uint" ? 4 : undefined, ...extra });

const nvspResponseIn = field("nvsp.response_in", "Completion in record", "uint");
const nvspRequestIn = field("nvsp.request_in", "Request in record", "uint");
const nvspTime = field("nvsp.time", "Time since request", "uint", { width: 8, unit: "ns" });
const rndisResponseIn = field("rndis.response_in", "Completion in record", "uint");
const rndisRequestIn = field("rndis.request_in", "Request in record", "uint");
const rndisTime = field("rndis.time", "Time since request", "uint", { width: 8, unit: "ns" });
const rndisOid = registerField({ filter: "rndis.oid", label: "OID", kind: "uint", width: 4, values: oidNames, base: "hex" });

const generated = (node: TreeNode, info: FieldInfo, value: FieldValue): TreeNode =>
  ({ field: info, value, offset: node.offset, length: 0, source: node.source, generated: true });

/** A2.0: the highest message type a Windows host accepts per negotiated version; above it is flagged, not rejected. */
const HIGHEST_TYPE: Record<number, number> = { 0x2: 108, 0x30002: 127, 0x40000: 130, 0x50000: 134, 0x60000: 134, 0x60001: 136 };
function checkVersion(msgType: number, version: number | undefined, context: DecodeContext, node: TreeNode): void {
  const highest = version === undefined ? undefined : HIGHEST_TYPE[version];
  if (highest === undefined || msgType <= highest || msgType < 100) return;
  context.experts.push({ severity: "note", group: "protocol", text: `NVSP message type ${msgType} is above ${highest}, the last one of the negotiated version`, offset: node.offset, source: node.source, filter: "nvsp.msg_type" });
}

interface Request { number: number; time?: bigint; oid?: number; answeredIn?: number }

const num = (scope: Scope, key: string): number => toNumber(lookup(scope, key));

function netvscHooks(env: HookEnvironment): Record<string, Hook> {
  const record = () => env.record();
  const elapsed = (request: Request): number | undefined => {
    const now = record().timestampNs;
    return now === undefined || request.time === undefined ? undefined : Number(now - request.time);
  };
  /** The request side: remember it; on a second pass (same record) show where it was answered. */
  const request = (key: string, node: TreeNode, responseField: FieldInfo, oid?: number): void => {
    const known = env.session.recall<Request>(key);
    if (known && known.number === record().origin.number) {
      if (known.answeredIn !== undefined) node.children!.push(generated(node, responseField, known.answeredIn));
      return;
    }
    env.session.remember(key, { number: record().origin.number, time: record().timestampNs, oid });
  };
  /** The completion side: find the request, link both ways. */
  const answer = (key: string, node: TreeNode, requestField: FieldInfo, timeField: FieldInfo): Request | undefined => {
    const known = env.session.recall<Request>(key);
    if (!known || known.number >= record().origin.number) return undefined;
    known.answeredIn ??= record().origin.number;
    node.children!.push(generated(node, requestField, known.number));
    const ns = elapsed(known);
    if (ns !== undefined) node.children!.push(generated(node, timeField, ns));
    return known;
  };
  const rndisKey = (scope: Scope) => `netvsc:${record().relid}:rndis:${num(scope, "request_id")}`;

  const hooks: Record<string, Hook> = {
    "nvsp.pair": (scope, context, node) => {
      checkVersion(num(scope, "msg_type"), context.session.get("channel.nvsp.version"), context, node);
      const type = num(scope, "type");
      const direction = num(scope, "direction");
      const known = direction === 0 || direction === 1;
      const transId = String(lookup(scope, "trans_id"));
      const key = (from: number | string) => `netvsc:${record().relid}:nvsp:${from}:${transId}`;
      if (type === 11) answer(key(known ? 1 - direction : "?"), node, nvspRequestIn, nvspTime);
      else if ((num(scope, "flags") & 1) !== 0) request(key(known ? direction : "?"), node, nvspResponseIn);
    },
    "rndis.request": (scope, _context, node) => {
      const oid = lookup(scope, "oid");
      request(rndisKey(scope), node, rndisResponseIn, oid === undefined ? undefined : toNumber(oid));
    },
    "rndis.answer": (scope, context, node) => {
      const known = answer(rndisKey(scope), node, rndisRequestIn, rndisTime);
      if (known?.oid !== undefined) node.children!.push(generated(node, rndisOid, known.oid));
      context.session.set("channel.ndis.answered_oid", known?.oid ?? 0);
    },
  };
  return hooks;
}

registerHooks(netvscHooks);
