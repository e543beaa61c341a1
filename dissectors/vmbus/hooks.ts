// The hand-written parts of the VMBus core: what the descriptions cannot say. Learning channels
// from offers (the plugin's runtime does the same), deriving ring fill levels (ring headers come
// only from ring dumps, never from a capture Wireshark reads).

import type { Hook } from "../describe/compile.js";
import type { Scope } from "../describe/expr.js";
import { channelInstance, instanceState } from "../devices.js";
import type { Session } from "../session.js";
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

/** A channel told from others of its class by its instance GUID learns which it is (per-channel state of the offered relid). */
function markInstance(session: Session, relid: number, classGuid: string, instanceGuid: string): void {
  const instance = channelInstance(classGuid, instanceGuid);
  if (!instance) return;
  const current = session.currentRelid;
  session.currentRelid = relid;
  session.set(instanceState(instance), 1);
  session.currentRelid = current;
}

export function coreHooks(environment: HookEnvironment): Record<string, Hook> {
  const recordNumber = () => environment.record().origin.number;
  return {
    "vmbus.offer": (scope) => {
      const [relid, classGuid, instanceGuid] = [numberOf(scope, "child_relid"), textOf(scope, "if_type"), textOf(scope, "if_instance")];
      environment.session.offer({
        relid,
        classGuid,
        instanceGuid,
        subChannelIndex: numberOf(scope, "sub_channel_index"),
        monitorId: numberOf(scope, "monitor_id"),
        offerFlags: numberOf(scope, "flags"),
        offeredIn: recordNumber(),
      });
      markInstance(environment.session, relid, classGuid, instanceGuid);
    },
    "vmbus.rescind": (scope) => environment.session.rescind(numberOf(scope, "child_relid"), recordNumber()),
    "vmbus.ring_header": (scope, _context, node) => {
      const dataSize = environment.record().ring?.dataSize;
      if (dataSize !== undefined) node.children!.push(...ringLevels(node, scope, dataSize));
    },
  };
}

registerHooks(coreHooks);
