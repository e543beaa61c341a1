// A ring dump carries no device class: each device that can recognise its own protocol votes on
// the dump's packets, and the tool says which device won and on what evidence.

import { RecordKind, type VmbusRecord } from "../capture/record.js";
import { allDevices, type DeviceClass } from "./devices.js";

export interface Recognition {
  device: DeviceClass;
  reason: string;
}

function packetPayload(record: VmbusRecord): { payload: Uint8Array; type: number } | undefined {
  const bytes = record.payload;
  if (bytes.length < 16) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const start = view.getUint16(2, true) * 8;
  const end = Math.min(bytes.length, view.getUint16(4, true) * 8);
  return start < end ? { payload: bytes.subarray(start, end), type: view.getUint16(0, true) } : undefined;
}

/** Decides by majority of the packets that any device recognises; undefined when none does. */
export function recogniseDevice(records: readonly VmbusRecord[]): Recognition | undefined {
  const candidates = allDevices().filter((device) => device.recognise);
  const votes = new Map<DeviceClass, number>();
  let packets = 0;
  for (const record of records) {
    if (record.kind !== RecordKind.RingPacket) continue;
    const packet = packetPayload(record);
    if (!packet) continue;
    packets++;
    for (const device of candidates) {
      if (device.recognise!(packet.payload, packet.type)) votes.set(device, (votes.get(device) ?? 0) + 1);
    }
  }
  const ranked = [...votes.entries()].sort((a, b) => b[1] - a[1]);
  if (ranked.length === 0) return undefined;
  const [device, count] = ranked[0];
  // The same protocol under another class (SCSI, IDE and Fibre Channel share vstor) is no rival.
  const others = ranked.slice(1).filter(([d]) => d.protocol !== device.protocol).map(([d, n]) => `${d.short} ${n}`).join(", ");
  return { device, reason: `${count} of ${packets} packets look like ${device.short}'s protocol${others ? ` (also matched: ${others})` : ""}` };
}
