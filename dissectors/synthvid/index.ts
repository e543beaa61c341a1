// Synthetic video (class da0a7802-…, devices.md §13).

import { registerDeviceProtocol } from "../devices.js";
import { synthvidProtocol } from "./synthvid.js";

const u32At = (payload: Uint8Array, at: number): number | undefined =>
  payload.length >= at + 4 ? new DataView(payload.buffer, payload.byteOffset, payload.byteLength).getUint32(at, true) : undefined;

/** A synthvid message: a DATA pipe packet, a type 1–16 and a size that is the body or 8 + the body. */
export function recogniseSynthvid(payload: Uint8Array, packetType: number): boolean {
  if (packetType !== 6) return false;
  const pipeLen = u32At(payload, 4);
  const type = u32At(payload, 8);
  const size = u32At(payload, 12);
  if (u32At(payload, 0) !== 1 || pipeLen === undefined || type === undefined || size === undefined) return false;
  if (type < 1 || type > 16 || pipeLen < 8 || pipeLen + 8 > payload.length) return false;
  if (size !== pipeLen && size !== pipeLen - 8) return false;
  if (type === 1) return (u32At(payload, 16) ?? 0) % 0x10000 === 3;
  return true;
}

registerDeviceProtocol("synthvid", synthvidProtocol, {
  note: "decoded (all synthvid messages 0–16 of versions 3.0–3.5: versions, VRAM, situation, pointer, feature change, dirt, BIOS info, resolutions with EDID, capability)",
  recognise: recogniseSynthvid,
});

export { synthvidProtocol };
