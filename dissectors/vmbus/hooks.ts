// The hand-written parts of the VMBus core: what the descriptions cannot say.
// Learning channels from offers, checking packet framing, deriving ring fill levels.

import type { DecodeContext, Hook } from "../describe/compile.js";
import { malformed } from "../describe/compile.js";
import type { Scope } from "../describe/expr.js";
import { registerField } from "../describe/fields.js";
import { registerHooks, type HookEnvironment } from "../hooks.js";
import type { TreeNode } from "../tree.js";

const numberOf = (scope: Scope, key: string): number => Number(scope.values[key] ?? NaN);
const textOf = (scope: Scope, key: string): string => String(scope.values[key] ?? "");

const ringDataSize = registerField({ filter: "vmbus.ring.data_size", label: "Data area size", kind: "uint", width: 4, unit: "bytes" });
const ringPending = registerField({ filter: "vmbus.ring.bytes_pending", label: "Bytes pending (unread)", kind: "uint", width: 4, unit: "bytes" });
const ringFree = registerField({ filter: "vmbus.ring.bytes_free", label: "Bytes free for writing", kind: "uint", width: 4, unit: "bytes" });
const ringFill = registerField({ filter: "vmbus.ring.fill_percent", label: "Fill level", kind: "uint", width: 1, unit: "%" });

const generated = (node: TreeNode, field: TreeNode["field"], value: number): TreeNode =>
  ({ field, value, offset: node.offset, length: 0, source: node.source, generated: true });

/** Core.md §2.4: bytes to read and to write, from the indices and the data size. */
export function ringLevels(node: TreeNode, scope: Scope, dataSize: number): TreeNode[] {
  const write = numberOf(scope, "write_index");
  const read = numberOf(scope, "read_index");
  const pending = write >= read ? write - read : dataSize - read + write;
  return [
    generated(node, ringDataSize, dataSize),
    generated(node, ringPending, pending),
    generated(node, ringFree, dataSize - pending),
    generated(node, ringFill, dataSize > 0 ? Math.round((pending * 100) / dataSize) : 0),
  ];
}

const LEGACY_TYPES = new Set([0x1, 0x2, 0x3, 0x4, 0x5, 0x8, 0xa, 0xc, 0xd]);

/** The payload must start after the type-specific header, or the two would overlap. */
function checkPayloadOffset(node: TreeNode, offset8: number, context: DecodeContext): void {
  const header = node.children?.find((child) => child.field.kind === "struct" && child.offset > node.offset);
  const headerEnd = header ? header.offset + header.length : node.offset + 16;
  if (offset8 >= 2 && node.offset + offset8 * 8 < headerEnd) {
    malformed(context, `payload offset ${offset8 * 8} lies inside the type-specific header, which ends at ${headerEnd - node.offset}`, node.offset + 2, "vmbus.pkt.offset8");
  }
}

/** Core.md §3.1, 3.7: the descriptor's own consistency. */
function checkPacket(scope: Scope, context: DecodeContext, node: TreeNode): void {
  const type = numberOf(scope, "type");
  const offset8 = numberOf(scope, "offset8");
  const len8 = numberOf(scope, "len8");
  const flags = numberOf(scope, "flags");
  const at = scope.start;
  if (type === 0) malformed(context, "packet type 0 (invalid)", at, "vmbus.pkt.type");
  else if (type > 0xd) malformed(context, `unknown packet type ${type}`, at, "vmbus.pkt.type");
  else if (LEGACY_TYPES.has(type)) context.experts.push({ severity: "note", group: "protocol", text: `packet type ${type} is a legacy or unconfirmed type (Linux definition only)`, offset: at, source: context.source });
  if (offset8 < 2) malformed(context, `payload offset ${offset8 * 8} is inside the 16-byte descriptor`, at + 2, "vmbus.pkt.offset8");
  if (len8 < offset8) malformed(context, `packet length ${len8 * 8} is shorter than the payload offset ${offset8 * 8}`, at + 4, "vmbus.pkt.len8");
  if (at + len8 * 8 > scope.end) malformed(context, `packet length ${len8 * 8} runs past the ${scope.end - at} bytes captured`, at + 4, "vmbus.pkt.len8");
  checkPayloadOffset(node, offset8, context);
  if ((flags & ~1) !== 0) context.experts.push({ severity: "warn", group: "protocol", text: `undefined packet flag bits 0x${(flags & ~1).toString(16)}`, offset: at + 6, source: context.source });
}

export function coreHooks(environment: HookEnvironment): Record<string, Hook> {
  const recordNumber = () => environment.record().origin.number;
  return {
    "vmbus.offer": (scope) => {
      environment.session.offer({
        relid: numberOf(scope, "child_relid"),
        classGuid: textOf(scope, "if_type"),
        instanceGuid: textOf(scope, "if_instance"),
        subChannelIndex: numberOf(scope, "sub_channel_index"),
        monitorId: numberOf(scope, "monitor_id"),
        offerFlags: numberOf(scope, "flags"),
        offeredIn: recordNumber(),
      });
    },
    "vmbus.rescind": (scope) => environment.session.rescind(numberOf(scope, "child_relid"), recordNumber()),
    "vmbus.unknown_message": (scope, context) => {
      malformed(context, `unknown channel message type ${String(scope.parent?.values.msgtype)}`, scope.start - 8, "vmbus.chan.msgtype");
    },
    "vmbus.packet": checkPacket,
    "vmbus.ring_header": (scope, _context, node) => {
      const dataSize = environment.record().ring?.dataSize;
      if (dataSize !== undefined) node.children!.push(...ringLevels(node, scope, dataSize));
    },
  };
}

registerHooks(coreHooks);
