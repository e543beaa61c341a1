// The hand-written parts of the storage dissector: pairing completions with their requests by
// transaction id, the request's CDB as the key of the data buffer, and a few derived values.

import type { DecodeContext, Hook } from "../describe/compile.js";
import type { Scope } from "../describe/expr.js";
import { registerField } from "../describe/fields.js";
import { registerHooks, type HookEnvironment } from "../hooks.js";
import type { FieldInfo, FieldValue, TreeNode } from "../tree.js";
import { versionText } from "./names.js";
import { PACKET_SIZE, SRB_SIZE, VERSION_STATE, WIN8_STATE } from "./vstor.js";

const layout = registerField({ filter: "vstor.layout", label: "Request-block layout", kind: "string", description: "Which vmscsi layout was used and the rule that chose it" });
const dataLength = registerField({ filter: "vscsi.data.block_data_length", label: "Data length", kind: "uint", width: 4, unit: "bytes" });


const num = (value: FieldValue | undefined): number => (typeof value === "number" ? value : typeof value === "bigint" ? Number(value) : NaN);
const generated = (node: TreeNode, field: FieldInfo, value: FieldValue): TreeNode =>
  ({ field, value, offset: node.offset, length: 0, source: node.source, generated: true });
const isSrbOperation = (op: number): boolean => op >= 3 && op <= 6;



function layoutText(env: HookEnvironment, packetSize: number): string {
  const win8 = env.session.get(WIN8_STATE) === 1;
  const version = env.session.get(VERSION_STATE);
  const name = win8 ? `Win8+ (${SRB_SIZE.win8}-byte request block)` : `pre-Win8 (${SRB_SIZE.pre}-byte request block)`;
  if (version !== undefined) return `${name}, negotiated ${versionText(version)}`;
  return `${name}, from the ${packetSize}-byte packet (no negotiation seen; ${PACKET_SIZE.win8} bytes or more = Win8+)`;
}

function displayHooks(env: HookEnvironment): Record<string, Hook> {
  return {
    /** Which vmscsi layout applies and the rule that chose it (the packet's own or the one it answers). */
    "vstor.layout": (scope, _context, node) => {
      const root = scope.parent!;
      const op = num(root.values.operation);
      const answered = op === 1 ? env.session.get("channel.vstor.request.operation") : op;
      if (answered !== undefined && isSrbOperation(answered)) node.children!.push(generated(node, layout, layoutText(env, root.end - root.start)));
    },
    "vscsi.sense": (scope, context) => senseLengthNote(scope, context),
    "vscsi.data_length": (scope, _context, node) => {
      node.children!.push(generated(node, dataLength, scope.end - scope.start));
    },
  };
}

/** The additional length may promise more sense bytes than the vmscsi sense area holds. */
function senseLengthNote(scope: Scope, context: DecodeContext): void {
  const length = scope.end - scope.start;
  const additional = length > 7 ? context.bytes[scope.start + 7] : undefined;
  if (additional === undefined || 8 + additional <= length) return;
  context.experts.push({
    severity: "note", group: "protocol", source: context.source, offset: scope.start + 7,
    text: `sense data states ${8 + additional} bytes; only ${length} are in the buffer (the vmscsi sense area holds 20, 18 before 5.1)`,
  });
}

registerHooks(displayHooks);
