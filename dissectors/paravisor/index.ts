// Paravisor (OpenHCL) channels, devices.md §18: Guest Emulation Transport and its log channel,
// the guest crash-dump channel, the VMBus serial UART. All are message-mode pipes.

import { registerDeviceProtocol } from "../devices.js";
import { pipeDataSize, u32At } from "../hvsock/pipe.js";
import { crashdumpProtocol, crashdumpTypes } from "./crashdump.js";
import { getProtocol, guestNotifications, hostNotifications, hostRequests } from "./get.js";
import { serialProtocol } from "./serial.js";

const headerOf = (payload: Uint8Array): { version: number; type: number; id: number } =>
  ({ version: payload[8], type: payload[9], id: payload[10] | (payload[11] << 8) });

const knownId = (type: number, id: number, tables: { request: object; host: object; guest: object }): boolean =>
  type === 2 || type === 3 ? id in tables.request : type === 1 ? id in tables.host : type === 4 ? id in tables.guest : false;

/** In-band pipe Data packet with a version-1 header, a type 1..4 and an id known for that type. */
export function recogniseGet(payload: Uint8Array, packetType: number): boolean {
  const size = pipeDataSize(payload, packetType);
  if (size === undefined || size < 4 || size > 12288) return false;
  const { version, type, id } = headerOf(payload);
  return version === 1 && knownId(type, id, { request: hostRequests, host: hostNotifications, guest: guestNotifications });
}

const SERIAL_SIZES: Record<string, number> = { "1:1": 4, "1:2": 70, "2:1": 8, "2:2": 4, "3:1": 6, "3:2": 70, "4:1": 4, "4:2": 6, "4:3": 4 };

/** As GET's header, but only the serial ids with the exact message sizes of §18.4. */
export function recogniseSerial(payload: Uint8Array, packetType: number): boolean {
  const size = pipeDataSize(payload, packetType);
  if (size === undefined || size > 512) return false;
  const { version, type, id } = headerOf(payload);
  return version === 1 && SERIAL_SIZES[`${type}:${id}`] === size;
}

/** In-band pipe Data packet with a 24-byte header and a known message type (high half zero). */
export function recogniseCrashdump(payload: Uint8Array, packetType: number): boolean {
  const size = pipeDataSize(payload, packetType);
  if (size === undefined || size < 24) return false;
  return u32At(payload, 28) === 0 && crashdumpTypes[u32At(payload, 24)!] !== undefined;
}

registerDeviceProtocol("get", getProtocol, {
  note: "decoded: pipe header, GET header (all message types and ids by name), VERSION, TIME response and POWER_OFF bodies, requests paired with responses; the log channel (instance aa5de534-…) as its 80-byte trace header with the string buffer as bytes; other bodies are not in the reference and stay bytes (OpenVMM get_protocol has them)",
  recognise: recogniseGet,
});
registerDeviceProtocol("serial", serialProtocol, {
  note: "decoded: pipe header, serial header, every message of §18.4 (version, TX/RX data, modem status), requests paired with responses",
  recognise: recogniseSerial,
});
registerDeviceProtocol("crashdump", crashdumpProtocol, {
  note: "decoded: pipe header, activity id and message type (all request/response types), capabilities and dump-config responses, requests paired with responses; other bodies (dump start/write/complete, requests) are not in the reference and stay bytes",
  recognise: recogniseCrashdump,
});

export { crashdumpProtocol, getProtocol, serialProtocol };
