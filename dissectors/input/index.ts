// The synthetic keyboard (class f912ad6d-…) and mouse (cfa8b69e-…, synthhid) of devices.md §11–12.

import { registerDeviceProtocol } from "../devices.js";
import { keyboardProtocol } from "./keyboard.js";
import { synthhidProtocol } from "./synthhid.js";

const IN_BAND = 6;
const u32At = (payload: Uint8Array, at: number): number | undefined =>
  payload.length >= at + 4 ? new DataView(payload.buffer, payload.byteOffset, payload.byteLength).getUint32(at, true) : undefined;

/** A keyboard message: a known type with the fields its layout allows (raw framing, no pipe header). */
export function recogniseKeyboard(payload: Uint8Array, packetType: number): boolean {
  if (packetType !== IN_BAND && packetType !== 11) return false;
  const type = u32At(payload, 0);
  const a = u32At(payload, 4);
  const b = u32At(payload, 8);
  switch (type) {
    case 1: return a === 0x00010000;
    case 2: return a !== undefined && (a & ~1) === 0;
    case 3: return a !== undefined && b !== undefined && (a >>> 16) === 0 && (b & ~0xf) === 0;
    case 4: return a !== undefined && (a & ~0x7) === 0;
    default: return false;
  }
}

/** A synthhid message: a DATA pipe packet whose length covers the 8-byte header and a known type's body. */
export function recogniseSynthhid(payload: Uint8Array, packetType: number): boolean {
  if (packetType !== IN_BAND) return false;
  const pipeType = u32At(payload, 0);
  const pipeLen = u32At(payload, 4);
  const type = u32At(payload, 8);
  const size = u32At(payload, 12);
  if (pipeType !== 1 || pipeLen === undefined || type === undefined || size === undefined) return false;
  if (type > 4 || pipeLen < 8 + size || pipeLen + 8 > payload.length) return false;
  if (type === 0) return u32At(payload, 16) === 0x00020000 || u32At(payload, 16) === 0x00010000;
  if (type === 4) return size > 0 && size <= 16;
  return true;
}

registerDeviceProtocol("keyboard", keyboardProtocol, {
  note: "decoded (all 4 message types; scan codes with set-1 key names, E0/E1/Unicode flags, LEDs)",
  recognise: recogniseKeyboard,
});
registerDeviceProtocol("mouse", synthhidProtocol, {
  note: "decoded (pipe header, all 5 synthhid messages; HID attributes and descriptor, report descriptor items; input reports read by the captured report descriptor: X, Y, buttons, wheel, report id; else in the standard 7-byte absolute-mouse layout)",
  recognise: recogniseSynthhid,
});

export { keyboardProtocol, synthhidProtocol };
