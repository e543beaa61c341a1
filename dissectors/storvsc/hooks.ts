// The hand-written parts of the storage dissector: pairing completions with their requests by
// transaction id, the request's CDB as the key of the data buffer, and a few derived values.

import type { DecodeContext, Hook } from "../describe/compile.js";
import { hexText } from "../describe/display.js";
import { lookup, type Scope } from "../describe/expr.js";
import { registerField } from "../describe/fields.js";
import { registerHooks, type HookEnvironment } from "../hooks.js";
import type { FieldInfo, FieldValue, TreeNode } from "../tree.js";
import { dataDescriptions, dataKey } from "./data.js";
import { ascAscq, ntStatus, scsiOpcodes, senseKeys, versionText, vstorOperations } from "./names.js";
import { ANSWER_STATE, DATA_KEY_STATE, PACKET_SIZE, SRB_SIZE, VERSION_STATE, WIN8_STATE } from "./vstor.js";

const requestIn = registerField({ filter: "vstor.request_in", label: "Request in record", kind: "uint", width: 4, description: "Record number of the request this completion answers" });
const responseTime = registerField({ filter: "vstor.time", label: "Time since request", kind: "uint", unit: "s", description: "Seconds between the request and this completion (a fraction; not an integer)" });
const answers = registerField({ filter: "vstor.answers", label: "Answers", kind: "string", description: "The request this completion answers (operation, or the SCSI command)" });
const answersOp = registerField({ filter: "vstor.request_operation", label: "Request operation", kind: "uint", width: 4, values: vstorOperations });
const layout = registerField({ filter: "vstor.layout", label: "Request-block layout", kind: "string", description: "Which vmscsi layout was used and the rule that chose it" });
const senseKey = registerField({ filter: "vscsi.sense.sense_key", label: "Sense key", kind: "uint", width: 1, values: senseKeys, base: "hex" });
const ascAscqField = registerField({ filter: "vscsi.sense.asc_ascq", label: "ASC/ASCQ", kind: "uint", width: 2, values: ascAscq, base: "hex" });
const capBlocks = registerField({ filter: "vscsi.cap.blocks", label: "Number of blocks", kind: "uint", width: 8 });
const capBytes = registerField({ filter: "vscsi.cap.bytes", label: "Capacity", kind: "uint", width: 8, unit: "bytes" });
const capSize = registerField({ filter: "vscsi.cap.size", label: "Capacity (readable)", kind: "string" });
const dataLength = registerField({ filter: "vscsi.data.block_data_length", label: "Data length", kind: "uint", width: 4, unit: "bytes" });

interface Pending {
  op: number;
  number: number;
  timestampNs?: bigint;
  dataKey: number;
  summary: string;
}

const registeredKeys = new Set(dataDescriptions.map(([key]) => key));
const num = (value: FieldValue | undefined): number => (typeof value === "number" ? value : typeof value === "bigint" ? Number(value) : NaN);
const generated = (node: TreeNode, field: FieldInfo, value: FieldValue): TreeNode =>
  ({ field, value, offset: node.offset, length: 0, source: node.source, generated: true });
const isSrbOperation = (op: number): boolean => op >= 3 && op <= 6;

function gibText(bytes: bigint): string {
  const units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let value = Number(bytes);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} bytes` : `${value.toFixed(2)} ${units[unit]}`;
}

/** Which selector of the CDB chooses the data layout (INQUIRY page, service actions). */
function cdbDataKey(bytes: Uint8Array, at: number, end: number): number {
  const opcode = bytes[at];
  const byte = (i: number): number => (at + i < end ? bytes[at + i] : 0);
  let key = dataKey(opcode);
  if (opcode === 0x12 && (byte(1) & 1) !== 0) key = dataKey(opcode, 0x100 + byte(2));
  else if (opcode === 0x9e || opcode === 0xa3 || opcode === 0x5e) key = dataKey(opcode, byte(1) & 0x1f);
  return registeredKeys.has(key) ? key : 0;
}

function layoutText(env: HookEnvironment, packetSize: number): string {
  const win8 = env.session.get(WIN8_STATE) === 1;
  const version = env.session.get(VERSION_STATE);
  const name = win8 ? `Win8+ (${SRB_SIZE.win8}-byte request block)` : `pre-Win8 (${SRB_SIZE.pre}-byte request block)`;
  if (version !== undefined) return `${name}, negotiated ${versionText(version)}`;
  return `${name}, from the ${packetSize}-byte packet (no negotiation seen; ${PACKET_SIZE.win8} bytes or more = Win8+)`;
}

function pairKey(env: HookEnvironment, scope: Scope): string | undefined {
  const transId = lookup(scope, "trans_id");
  if (transId === undefined || BigInt(transId as number | bigint) === 0n) return undefined;
  return `vstor:${env.record().relid}:${String(transId)}`;
}

function pairHooks(env: HookEnvironment): Record<string, Hook> {
  let lastCdb: string | undefined;
  return {
    /** Before the payload: a completion finds its request; the layout rule is shown. */
    "vstor.pair": (scope, context, node) => {
      const root = scope.parent!;
      const op = num(root.values.operation);
      const status = num(root.values.status);
      const packetSize = root.end - root.start;
      env.session.set(ANSWER_STATE, 0);
      env.session.set(DATA_KEY_STATE, 0);
      lastCdb = undefined;
      const children = node.children!;
      let answered = op;
      if (op === 1) {
        const key = pairKey(env, scope);
        const pending = key ? env.session.recall<Pending>(key) : undefined;
        if (pending && key) {
          env.session.forget(key);
          answered = pending.op;
          env.session.set(ANSWER_STATE, pending.op);
          env.session.set(DATA_KEY_STATE, pending.dataKey);
          children.push(generated(node, answersOp, pending.op), generated(node, answers, pending.summary), generated(node, requestIn, pending.number));
          const now = env.record().timestampNs;
          if (now !== undefined && pending.timestampNs !== undefined) children.push(generated(node, responseTime, Number(now - pending.timestampNs) / 1e9));
          context.info.push(`for ${pending.summary}`);
        } else {
          const length = scope.start + 2 <= context.bytes.length ? context.view.getUint16(scope.start, true) : 0;
          if (length === SRB_SIZE.pre || length === SRB_SIZE.win8) {
            answered = 3;
            env.session.set(ANSWER_STATE, 3);
          }
          context.experts.push({
            severity: "note", group: "sequence", source: context.source, offset: root.start,
            text: `no request seen for this completion${answered === 3 ? " (its payload looks like a vmscsi response)" : ""}`,
          });
        }
        if (status !== 0) context.info.push(ntStatus[status] ?? hexText(status));
      }
      if (op === 1 ? answered === 3 : isSrbOperation(op)) children.push(generated(node, layout, layoutText(env, packetSize)));
    },
    /** After the payload: a request waits for its completion. */
    "vstor.remember": (scope) => {
      const op = num(scope.values.operation);
      if (!(op >= 2)) return;
      const key = pairKey(env, scope);
      if (!key) return;
      const record = env.record();
      const dataKeyValue = env.session.get(DATA_KEY_STATE) ?? 0;
      const summary = op === 3 && lastCdb ? lastCdb : (vstorOperations[op] ?? `operation ${op}`);
      env.session.remember(key, { op, number: record.origin.number, timestampNs: record.timestampNs, dataKey: dataKeyValue, summary } satisfies Pending);
    },
    /** The CDB's summary and the data layout it implies. */
    "vscsi.cdb": (scope, context) => {
      const opcode = num(scope.values.opcode);
      // The summaries the CDB's structs gave since this layer began (its own slot is still empty).
      const layerStart = context.info.lastIndexOf("→");
      const detail = context.info.slice(layerStart + 1).filter((piece) => piece !== "").join(" ");
      lastCdb = `${scsiOpcodes[opcode] ?? `opcode ${hexText(opcode)}`}${detail ? ` ${detail}` : ""}`;
      env.session.set(DATA_KEY_STATE, cdbDataKey(context.bytes, scope.start, scope.end));
    },
    "vscsi.sense": (scope, context, node) => senseSummary(scope, context, node),
    "vscsi.capacity": (scope, _context, node) => {
      const last = scope.values.last_lba ?? scope.values.last_lba64;
      const blockLength = BigInt(num(scope.values.block_length) || 0);
      if (last === undefined || last === null) return;
      const lastBig = BigInt(last as number | bigint);
      const children = node.children!;
      if (scope.values.last_lba !== undefined && lastBig === 0xffffffffn) {
        children.push(generated(node, capSize, "too large for READ CAPACITY(10): use READ CAPACITY(16)"));
        return;
      }
      const blocks = lastBig + 1n;
      const bytes = blocks * blockLength;
      children.push(
        generated(node, capBlocks, blocks <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(blocks) : blocks),
        generated(node, capBytes, bytes <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(bytes) : bytes),
        generated(node, capSize, gibText(bytes)),
      );
    },
    "vscsi.data_length": (scope, _context, node) => {
      node.children!.push(generated(node, dataLength, scope.end - scope.start));
    },
  };
}

/** Sense key and ASC/ASCQ by name for both formats; additional bytes beyond the buffer are noted. */
function senseSummary(scope: Scope, context: DecodeContext, node: TreeNode): void {
  const at = scope.start;
  const length = scope.end - scope.start;
  const byte = (i: number): number | undefined => (i < length ? context.bytes[at + i] : undefined);
  const code = (byte(0) ?? 0) & 0x7f;
  const fixed = code === 0x70 || code === 0x71;
  if (!fixed && code !== 0x72 && code !== 0x73) return;
  const key = (fixed ? byte(2) ?? 0 : byte(1) ?? 0) & 0xf;
  const asc = fixed ? byte(12) : byte(2);
  const ascq = fixed ? byte(13) : byte(3);
  const children = node.children!;
  if (fixed) children.push(generated(node, senseKey, key));
  let text = senseKeys[key] ?? `key ${key}`;
  if (asc !== undefined && ascq !== undefined) {
    const both = (asc << 8) | ascq;
    children.push(generated(node, ascAscqField, both));
    const hex2 = (v: number) => v.toString(16).padStart(2, "0").toUpperCase();
    text += ` ${hex2(asc)}/${hex2(ascq)}${ascAscq[both] ? ` ${ascAscq[both]}` : ""}`;
  }
  context.info.push(text);
  const additional = byte(7);
  if (additional !== undefined && 8 + additional > length) {
    context.experts.push({
      severity: "note", group: "protocol", source: context.source, offset: at + 7,
      text: `sense data states ${8 + additional} bytes; only ${length} are in the buffer (the vmscsi sense area holds 20, 18 before 5.1)`,
    });
  }
}

registerHooks(pairHooks);
