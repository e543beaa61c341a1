// The Ethernet frames a network record carries, for `extract ethernet`: each frame's bytes as
// the guest sent or received them, with the 802.1Q tag put back when it travelled in an RNDIS
// per-packet info (the NIC inserts or strips it in hardware, so the frame itself has none).

import type { Dissection } from "../dissect.js";
import type { TreeNode } from "../tree.js";

export interface CarriedFrame {
  bytes: Uint8Array;
  /** The tag restored from the per-packet info, if any. */
  vlan?: { id: number; priority: number; cfi: number };
}

function* walk(node: TreeNode): Generator<TreeNode> {
  yield node;
  for (const child of node.children ?? []) yield* walk(child);
}

const numberAt = (node: TreeNode, filter: string): number | undefined => {
  for (const found of walk(node)) if (found.field.filter === filter && typeof found.value === "number") return found.value;
  return undefined;
};

/** The RNDIS message (in the same data source) whose bytes contain the frame. */
function enclosingMessage(layers: readonly TreeNode[], frame: TreeNode): TreeNode | undefined {
  for (const layer of layers) {
    if (layer.field.filter !== "rndis") continue;
    for (const node of walk(layer)) {
      const inside = node.source === frame.source && node.offset <= frame.offset && frame.offset + frame.length <= node.offset + node.length;
      if (inside && node.field.filter === "rndis.msg") return node;
    }
  }
  return undefined;
}

function vlanOf(message: TreeNode | undefined): CarriedFrame["vlan"] {
  if (!message) return undefined;
  const id = numberAt(message, "rndis.ppi.vlan.id");
  const priority = numberAt(message, "rndis.ppi.vlan.priority");
  if (id === undefined && priority === undefined) return undefined;
  return { id: id ?? 0, priority: priority ?? 0, cfi: numberAt(message, "rndis.ppi.vlan.cfi") ?? 0 };
}

const TPID_8021Q = 0x8100;

/** Inserts the 802.1Q tag after the two MAC addresses (unless the frame is tagged already). */
export function withVlanTag(frame: Uint8Array, vlan: NonNullable<CarriedFrame["vlan"]>): Uint8Array {
  if (frame.length < 14 || ((frame[12] << 8) | frame[13]) === TPID_8021Q) return frame;
  const tci = ((vlan.priority & 7) << 13) | ((vlan.cfi & 1) << 12) | (vlan.id & 0xfff);
  const tagged = new Uint8Array(frame.length + 4);
  tagged.set(frame.subarray(0, 12));
  tagged.set([TPID_8021Q >> 8, TPID_8021Q & 0xff, tci >> 8, tci & 0xff], 12);
  tagged.set(frame.subarray(12), 16);
  return tagged;
}

export function carriedFrames(dissection: Dissection): CarriedFrame[] {
  return dissection.layers.filter((layer) => layer.field.filter === "eth").map((frame) => {
    const source = dissection.sources[frame.source]?.bytes ?? new Uint8Array(0);
    const bytes = source.subarray(frame.offset, frame.offset + frame.length);
    const vlan = vlanOf(enclosingMessage(dissection.layers, frame));
    return vlan ? { bytes: withVlanTag(bytes, vlan), vlan } : { bytes };
  });
}

/** Frames whose bytes were not captured (the NVSP message says where they were). */
export const uncapturedFrames = (dissection: Dissection): number =>
  dissection.experts.filter((e) => e.group === "undecoded" && /^RNDIS message .* not captured$/.test(e.text)).length;
