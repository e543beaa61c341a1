// Hyper-V sockets: channels whose offer carries flag 0x2000 (TLNPI provider), core.md §7.2.

import { registerDeviceProtocol } from "../devices.js";
import { MAX_PIPE_PAYLOAD, u32At } from "./pipe.js";
import { hvsockMessage, hvsockProtocol } from "./protocol.js";

const IN_BAND = 6;

/** An in-band payload starting with a pipe Data header whose size fits, or a GPA-direct teardown. */
export function recogniseHvsock(payload: Uint8Array, packetType: number): boolean {
  if (packetType !== IN_BAND) return false;
  const type = u32At(payload, 0);
  const size = u32At(payload, 4);
  if (type === undefined || size === undefined) return false;
  const padded = Math.ceil((8 + size) / 8) * 8;
  if (type === 1) return size <= MAX_PIPE_PAYLOAD && padded === payload.length;
  if (type === 4) return size === 4 && payload.length === 16;
  return false;
}

registerDeviceProtocol("hvsock", hvsockProtocol, {
  note: "decoded: pipe header (all pipe message types), socket data, zero-length Data as FIN, Partial, GPA-direct setup (layout unconfirmed)/teardown; connection set-up is in the VMBus channel messages (offer flag 0x2000, TL_CONNECT_REQUEST/RESULT)",
  recognise: recogniseHvsock,
});

export { hvsockMessage, hvsockProtocol };
