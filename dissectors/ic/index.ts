// The integration services (devices.md §3–§10): heartbeat, shutdown, time sync, KVP, VSS and file
// copy, one IC description for all six channels.

import { registerDeviceProtocol } from "../devices.js";
import { icProtocol } from "./ic.js";

const IN_BAND = 6;
const MAX_MESSAGE = 13312;

/** The IC message type each service uses besides negotiation (0). */
export const icServiceTypes: Readonly<Record<string, number>> = { heartbeat: 1, kvp: 2, shutdown: 3, timesync: 4, vss: 5, fcopy: 7 };

/**
 * Says whether a packet looks like an IC message of that message type (or a negotiation): an in-band
 * packet, pipe DATA header, an IC header whose size fits, flags with only the three known bits.
 */
export function recogniseIc(payload: Uint8Array, packetType: number, messageType?: number): boolean {
  if (packetType !== IN_BAND || payload.length < 28) return false;
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const pipeType = view.getUint32(0, true);
  const pipeLength = view.getUint32(4, true);
  if (pipeType !== 1 || pipeLength < 20 || pipeLength > 16384) return false;
  const framework = view.getUint16(8, true);
  const type = view.getUint16(12, true);
  const size = view.getUint16(18, true);
  const flags = payload[25];
  if (framework !== 0 && framework !== 1 && framework !== 3) return false;
  if (type > 8 || (messageType !== undefined && type !== 0 && type !== messageType)) return false;
  if (size > MAX_MESSAGE || 28 + size > payload.length) return false;
  return (flags & ~7) === 0 && (flags & 6) !== 0;
}

const notes: Record<string, string> = {
  heartbeat: "decoded (IC: pipe and IC headers, negotiation, heartbeat sequence with missed/repeated beats)",
  shutdown: "decoded (IC: negotiation, shutdown reason, timeout, force/restart/hibernate, message text)",
  timesync: "decoded (IC: negotiation, time samples of versions 1.0/3.0 and 4.0 as UTC calendar time)",
  kvp: "decoded (IC: negotiation, KVP GET/SET/DELETE/ENUMERATE, IP info in string and binary form)",
  vss: "decoded (IC: negotiation, every VSS operation, LUN lists)",
  fcopy: "decoded (IC: negotiation, start/write/complete/cancel file copy)",
};

for (const [short, type] of Object.entries(icServiceTypes)) {
  registerDeviceProtocol(short, icProtocol, { note: notes[short], recognise: (payload, packetType) => recogniseIc(payload, packetType, type) });
}

export { icProtocol };
