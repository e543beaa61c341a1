// What the NVSP descriptions cannot say: a message type newer than the negotiated version is worth
// a note (pairing itself is declared on the messages).

import type { DecodeContext, Hook } from "../describe/compile.js";
import { lookup, toNumber } from "../describe/expr.js";
import { registerHooks } from "../hooks.js";
import type { TreeNode } from "../tree.js";

/** The last message type each NVSP version defines (net-storage.md A1/A2). */
const HIGHEST_TYPE: Record<number, number> = { 0x2: 108, 0x30002: 127, 0x40000: 130, 0x50000: 134, 0x60000: 134, 0x60001: 136 };

function checkVersion(msgType: number, version: number | undefined, context: DecodeContext, node: TreeNode): void {
  const highest = version === undefined ? undefined : HIGHEST_TYPE[version];
  if (highest === undefined || msgType <= highest || msgType < 100) return;
  context.experts.push({ severity: "note", group: "protocol", text: `NVSP message type ${msgType} is above ${highest}, the last one of the negotiated version`, offset: node.offset, source: node.source, filter: "nvsp.msg_type" });
}

const versionCheck: Hook = (scope, context, node) =>
  checkVersion(toNumber(lookup(scope, "msg_type")), context.session.get("channel.nvsp.version"), context, node);

registerHooks(() => ({ "nvsp.version_check": versionCheck }));
