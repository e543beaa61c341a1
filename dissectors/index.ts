// Everything we decode, registered once: the VMBus core and every device protocol.
// Importing this module fills the field registry (for `fields`, filters and the plugin).

import { registerDescription } from "./describe/compile.js";
import { protocolInfo } from "./describe/fields.js";
import { ringHeader } from "./vmbus/ring-header.js";
import { vmbusRecord } from "./vmbus/record.js";
import { allDevices, HV_SOCKET } from "./devices.js";
import { tableProtocols } from "./tables.js";
import "./dissect.js";
import "./netvsc/index.js";
import "./ethernet/index.js";
// Device and payload protocols register themselves on import.
import "./storvsc/index.js";
import "./ic/index.js";
import "./input/index.js";
import "./synthvid/index.js";
import "./hvsock/index.js";
import "./vmbfs/index.js";
import "./paravisor/index.js";
import "./vpci/index.js";
import "./balloon/index.js";

registerDescription(vmbusRecord);
registerDescription(ringHeader);
for (const device of [...allDevices(), HV_SOCKET]) {
  if (device.protocol) registerDescription(device.protocol.root);
}
for (const protocol of tableProtocols()) registerDescription(protocol.root);
// Protocol names are known before any record is decoded (display filters name them: -Y tcp).
for (const protocol of [...tableProtocols(), ...[...allDevices(), HV_SOCKET].flatMap((d) => (d.protocol ? [d.protocol] : []))]) {
  protocolInfo(protocol.name, protocol.label, protocol.short, protocol.messageType);
}

export { Dissector, type Dissection } from "./dissect.js";
