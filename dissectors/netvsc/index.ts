// The synthetic network adapter (class f8615163-…): NVSP in the ring, RNDIS in the buffers the
// NVSP messages point to (attached data), Ethernet frames inside RNDIS PACKET messages.

import { registerDeviceProtocol } from "../devices.js";
import { addToTable } from "../tables.js";
import { nvspProtocol, nvspVersions } from "./nvsp.js";
import { rndisProtocol } from "./rndis.js";

addToTable("netvsc.rndis", 0, rndisProtocol);

const SEND_RNDIS_PKT = 107;
const NO_SECTION = 0xffffffff;
const IN_BAND = 6;
const TRANSFER_PAGES = 7;
const GPA_DIRECT = 9;
const COMPLETION = 11;

const u32At = (payload: Uint8Array, at: number): number | undefined =>
  payload.length >= at + 4 ? new DataView(payload.buffer, payload.byteOffset, payload.byteLength).getUint32(at, true) : undefined;

const isVersion = (value: number | undefined): boolean => value !== undefined && value !== 0xffffffff && nvspVersions[value] !== undefined;
const isStatus = (value: number | undefined): boolean => value !== undefined && value <= 8;

/** Says whether a ring packet's payload looks like NVSP: a known type with consistent fields for its packet type. */
export function recogniseNvsp(payload: Uint8Array, packetType: number): boolean {
  const type = u32At(payload, 0);
  const a = u32At(payload, 4);
  const b = u32At(payload, 8);
  const c = u32At(payload, 12);
  switch (type) {
    case 1: return packetType === IN_BAND && isVersion(a) && isVersion(b) && a! <= b!;
    case 2: return packetType === COMPLETION && isStatus(c) && c !== 0 && b !== undefined && b < 0x10000;
    case 100: return packetType === IN_BAND && (a === 5 || a === 6) && b !== undefined && b <= 100;
    case 101: case 104: return packetType === IN_BAND && a !== undefined && a !== 0 && b !== undefined && (b >>> 16) === 0;
    case 102: return packetType === COMPLETION && isStatus(a) && b !== undefined && b <= 16;
    case 105: return packetType === COMPLETION && isStatus(a) && b !== undefined && b % 4 === 0;
    case SEND_RNDIS_PKT:
      if (a === undefined || a > 2 || b === undefined || c === undefined) return false;
      if (packetType === TRANSFER_PAGES) return b === NO_SECTION;
      if (packetType === IN_BAND) return b !== NO_SECTION && c > 0;
      return packetType === GPA_DIRECT;
    case 108: return packetType === COMPLETION && isStatus(a) && a !== 0;
    case 125: return packetType === IN_BAND && a !== undefined && a >= 576 && a <= 65536 && b === 0;
    case 133: return (packetType === IN_BAND || packetType === COMPLETION) && a !== undefined && a <= 2 && b !== undefined && b <= 64;
    case 134: return packetType === IN_BAND && a !== undefined && a > 0 && a <= 128;
    default: return false;
  }
}

/** A SEND_RNDIS_PKT's send-buffer section (index and bytes used), for `--send-buffer` on ring dumps. */
export function sendBufferSection(payload: Uint8Array): { index: number; size: number } | undefined {
  if (u32At(payload, 0) !== SEND_RNDIS_PKT) return undefined;
  const index = u32At(payload, 8);
  const size = u32At(payload, 12);
  if (index === undefined || size === undefined || index === NO_SECTION) return undefined;
  return { index, size };
}

registerDeviceProtocol("netvsc", nvspProtocol, {
  note: "decoded: NVSP (all message types of versions 1–6.1), RNDIS from attached data (control messages, OIDs, status indications, per-packet info); frames handed to table rndis.data",
  recognise: recogniseNvsp,
});

export { nvspProtocol, rndisProtocol };
