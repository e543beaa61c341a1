// Everything we decode: the VMBus core and every device protocol, whose modules add themselves to
// the dissector tables on import. Their fields are registered when first decoded, and all of them
// when something needs every field (`fields`, display filters, the plugin): see describe/fields.ts.

import { registerDescription } from "./describe/compile.js";
import { onAllFieldsNeeded, protocolInfo } from "./describe/fields.js";
import { ringHeader } from "./vmbus/ring-header.js";
import { vmbusRecord } from "./vmbus/record.js";
import { allDevices, HV_SOCKET } from "./devices.js";
import { tableProtocols } from "./tables.js";
import type { ProtocolDescription } from "./describe/types.js";
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

const deviceProtocols = (): ProtocolDescription[] => [...allDevices(), HV_SOCKET].flatMap((device) => (device.protocol ? [device.protocol] : []));

onAllFieldsNeeded(() => {
  registerDescription(vmbusRecord);
  registerDescription(ringHeader);
  for (const protocol of [...deviceProtocols(), ...tableProtocols()]) registerDescription(protocol.root);
});
// Protocol names are known before any record is decoded (display filters name them: -Y tcp).
for (const protocol of [...tableProtocols(), ...deviceProtocols()]) {
  protocolInfo(protocol.name, protocol.label, protocol.short, protocol.messageType);
}

export { Dissector, type Dissection, type DissectorOptions } from "./dissect.js";
