// The storage protocol, shared by the synthetic SCSI, IDE and Fibre Channel controllers:
// vstor packets (Part B), the SCSI CDBs and sense data inside them, and the data buffers (Part C).

import { registerDeviceProtocol } from "../devices.js";
import { addToTable } from "../tables.js";
import type { ProtocolDescription } from "../describe/types.js";
import { dataDescriptions } from "./data.js";
import { ntStatus } from "./names.js";
import { vscsiCdbProtocol } from "./scsi.js";
import { vscsiSenseProtocol } from "./sense.js";
import { PACKET_SIZE, SRB_SIZE, vstorPacket } from "./vstor.js";

export const vstorProtocol: ProtocolDescription = { name: "vstor", short: "vstor", label: "vstor (StorVSC)", root: vstorPacket, messageType: ["vstor.operation"] };

/** A vstor packet: 48 or 64 bytes, a known operation, flags 0/1, and a status that fits the direction. */
export function recogniseVstor(payload: Uint8Array, packetType: number): boolean {
  if (payload.length !== PACKET_SIZE.pre && payload.length !== PACKET_SIZE.win8) return false;
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const operation = view.getUint32(0, true);
  const flags = view.getUint32(4, true);
  const status = view.getUint32(8, true);
  if ((flags & ~1) !== 0) return false;
  if (operation === 1) return packetType === 0xb && ntStatus[status] !== undefined;
  if (operation < 2 || operation > 14 || status !== 0) return false;
  if (operation === 3) {
    const length = view.getUint16(12, true);
    return (packetType === 0x6 || packetType === 0x9) && (length === SRB_SIZE.pre || length === SRB_SIZE.win8) && payload[20] <= 16;
  }
  return packetType === 0x6;
}

const note = "decoded (vstor; SCSI CDBs, sense and captured data buffers as vscsi)";
for (const short of ["storvsc", "storvsc-ide", "storvsc-fc"]) registerDeviceProtocol(short, vstorProtocol, { note, recognise: recogniseVstor });

addToTable("vscsi.cdb", 0, vscsiCdbProtocol);
addToTable("vscsi.sense", 0, vscsiSenseProtocol);
for (const [key, root] of dataDescriptions) addToTable("vscsi.data", key, { name: "vscsi", short: "SCSI", label: "SCSI (vscsi)", root });
