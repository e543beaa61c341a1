// Display-only note (our decoder, not the Wireshark plugin): a message that the negotiated synthvid
// version does not have yet (devices.md §13.1, §13.3). Decoding does not depend on it.

import type { Hook } from "../describe/compile.js";
import { registerHooks, type HookEnvironment } from "../hooks.js";

/** The feature level (major << 16 | minor & 0xFF, as OpenVMM compares) each message needs. */
const NEEDS: Record<number, { level: number; text: string }> = {
  11: { level: 0x30003, text: "3.3" }, 12: { level: 0x30003, text: "3.3" },
  13: { level: 0x30004, text: "3.4 (Linux asks only from 3.5)" }, 14: { level: 0x30004, text: "3.4 (Linux asks only from 3.5)" },
  15: { level: 0x30005, text: "3.5" }, 16: { level: 0x30005, text: "3.5" },
};

/** synthvid u32 = (minor << 16) | major. */
const featureLevel = (version: number): number => ((version & 0xffff) << 16) | ((version >>> 16) & 0xff);

registerHooks((env: HookEnvironment): Record<string, Hook> => ({
  "synthvid.version_check": (scope, context, node) => {
    const type = scope.values.msg_type;
    const needs = typeof type === "number" ? NEEDS[type] : undefined;
    const version = env.session.get("channel.synthvid.version");
    if (!needs || version === undefined || featureLevel(version) >= needs.level) return;
    const negotiated = `${version & 0xffff}.${version >>> 16}`;
    context.experts.push({
      severity: "note", group: "protocol", offset: node.offset, source: context.source,
      text: `synthvid message ${type} needs version ${needs.text}; the channel negotiated ${negotiated}`,
    });
  },
}));
