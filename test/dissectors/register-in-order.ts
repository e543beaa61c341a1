// Child process of registration-order.test.ts: registers the protocols' fields in the order given
// (`forward`, `reverse` or a shuffle seed) into a fresh registry and prints every field as JSON.
import { registerDescription } from "../../dissectors/describe/compile.js";
import { allFields } from "../../dissectors/describe/fields.js";
import type { StructDescription } from "../../dissectors/describe/types.js";
import { allDevices, HV_SOCKET } from "../../dissectors/devices.js";
import "../../dissectors/index.js";
import { tableProtocols } from "../../dissectors/tables.js";
import { ringHeader } from "../../dissectors/vmbus/ring-header.js";
import { vmbusRecord } from "../../dissectors/vmbus/record.js";
import { random } from "../fuzz/mutate.js";

const roots: StructDescription[] = [
  vmbusRecord, ringHeader,
  ...[...allDevices(), HV_SOCKET].flatMap((device) => (device.protocol ? [device.protocol.root] : [])),
  ...tableProtocols().map((protocol) => protocol.root),
];

function ordered(order: string): StructDescription[] {
  if (order === "forward") return roots;
  if (order === "reverse") return [...roots].reverse();
  const rng = random(Number(order));
  return roots.map((root) => ({ root, key: rng() })).sort((a, b) => a.key - b.key).map((entry) => entry.root);
}

for (const root of ordered(process.argv[2] ?? "forward")) registerDescription(root);
const shown = allFields().map((field) => [field.filter, field.label, field.description, field.short, field.messageTypes]);
process.stdout.write(`${JSON.stringify(shown)}\n`);
