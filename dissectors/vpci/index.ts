// PCI pass-through (class 44c4f61d-…): the vPCI protocol in the ring (devices.md §14).

import { registerDeviceProtocol } from "../devices.js";
import { VPCI_BASE, vpciProtocol } from "./vpci.js";

const IN_BAND = 6;
const COMPLETION = 11;

/**
 * A vPCI payload: an in-band packet whose first u32 is a vPCI message type with a plausible body, or
 * a completion whose status is an NTSTATUS (success or an error) — completions carry no message type,
 * so only in-band packets are positive evidence.
 */
export function recogniseVpci(payload: Uint8Array, packetType: number): boolean {
  if (payload.length < 4 || packetType === COMPLETION) return false;
  if (packetType !== IN_BAND) return false;
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const type = view.getUint32(0, true);
  if (type < VPCI_BASE || type > VPCI_BASE + 0x1d) return false;
  const n = type - VPCI_BASE;
  const second = payload.length >= 8 ? view.getUint32(4, true) : undefined;
  switch (n) {
    case 0x00: case 0x19: return second !== undefined && second <= 256 && payload.length >= 8 + second * (n === 0 ? 20 : 28);
    case 0x13: return second !== undefined && second >>> 16 === 1 && (second & 0xffff) <= 0x10;
    case 0x01: case 0x08: return true;
    default: return second !== undefined;
  }
}

registerDeviceProtocol("vpci", vpciProtocol, {
  note: "decoded: vPCI 1.0–1.6, all 30 message types (INVALIDATE_DEVICE/BUS, QUERY_STOP, RE_ENABLE, QUERY_STOP_FAILED as bytes: not public); completions by the request they answer",
  recognise: recogniseVpci,
});

export { vpciProtocol };
