// Everything we decode, registered once: the VMBus core and every device protocol.
// Importing this module fills the field registry (for `fields`, filters and the plugin).

import { registerDescription } from "./describe/compile.js";
import { ringHeader } from "./vmbus/ring-header.js";
import { vmbusRecord } from "./vmbus/record.js";
import { allDevices, HV_SOCKET } from "./devices.js";
import "./dissect.js";

registerDescription(vmbusRecord);
registerDescription(ringHeader);
for (const device of [...allDevices(), HV_SOCKET]) {
  if (device.protocol) registerDescription(device.protocol.root);
}

export { Dissector, type Dissection } from "./dissect.js";
