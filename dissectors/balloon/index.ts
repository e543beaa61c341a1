// Dynamic memory (class 525074dc-…): the hv_balloon protocol in the ring (devices.md §15).

import { registerDeviceProtocol } from "../devices.js";
import { dmProtocol, dmVersions } from "./dm.js";

const IN_BAND = 6;

/** Minimum size of each message type (header included), §15.5. */
const minimumSize: Record<number, number> = { 1: 16, 2: 16, 3: 32, 4: 16, 5: 48, 6: 16, 7: 16, 8: 16, 9: 8, 10: 16, 11: 16, 12: 16 };

/** A DM payload: an in-band packet whose header names a known type with a size that fits the payload and the type. */
export function recogniseDm(payload: Uint8Array, packetType: number): boolean {
  if (packetType !== IN_BAND || payload.length < 8) return false;
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const type = view.getUint16(0, true);
  const size = view.getUint16(2, true);
  const minimum = minimumSize[type];
  if (minimum === undefined || size < minimum || size > payload.length) return false;
  if (type === 1) return dmVersions[view.getUint32(8, true)] !== undefined;
  if (type === 7 || type === 8) {
    const count = type === 7 ? view.getUint32(12, true) >>> 1 : view.getUint32(12, true);
    return size === 16 + 8 * count;
  }
  return true;
}

registerDeviceProtocol("balloon", dmProtocol, {
  note: "decoded: dynamic memory 0.3, 1.0 and 2.0, message types 0–12 (page ranges with totals); answers paired by kind",
  recognise: recogniseDm,
});

export { dmProtocol };
