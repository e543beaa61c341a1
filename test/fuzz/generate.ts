// Structure-aware records: every message the descriptions know, filled with extreme field values.

import { Direction, RecordKind, type VmbusRecord } from "../../capture/record.js";
import { encodeStruct, type EncodeValues } from "../../dissectors/describe/encode.js";
import { guidBytes } from "../../dissectors/describe/read.js";
import type { Field, StructDescription } from "../../dissectors/describe/types.js";
import { allDevices } from "../../dissectors/devices.js";
import { channelMessage } from "../../dissectors/vmbus/channel-messages.js";
import { buildRingPacket, packetHeaders } from "../../dissectors/vmbus/packets.js";
import type { Rng } from "./mutate.js";

const MAXIMUM: Record<string, number> = { u8: 0xff, u16: 0xffff, u24: 0xffffff, u32: 0xffffffff, i8: 0x7f, i16: 0x7fff, i32: 0x7fffffff, bool8: 1, u16be: 0xffff, u24be: 0xffffff, u32be: 0xffffffff };
const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)];

function extremeScalar(type: string, rng: Rng): number | bigint {
  if (type.includes("64") || type === "filetime") return pick(rng, [0n, 1n, 0xffffffffffffffffn, 0x7fffffffffffffffn, BigInt(Math.floor(rng() * 2 ** 40))]);
  const maximum = MAXIMUM[type] ?? 0xff;
  return pick(rng, [0, 1, maximum, maximum - 1, Math.floor(rng() * (maximum + 1))]);
}

function extremeField(field: Field, rng: Rng, depth: number): EncodeValues[string] {
  switch (field.kind) {
    case "scalar": case "bits": return extremeScalar(field.type, rng);
    case "blob": return field.type === "bytes" || field.type === "utf16" || field.type === "ascii"
      ? Uint8Array.from({ length: Math.floor(rng() * 24) }, () => Math.floor(rng() * 256))
      : undefined;
    case "struct": return depth > 0 ? extremeValues(field.struct, rng, depth - 1) : {};
    case "array": return depth > 0 ? Array.from({ length: Math.floor(rng() * 3) }, () => extremeValues(field.element, rng, depth - 1)) : [];
    case "switch": {
      const keys = Object.keys(field.cases).map(Number);
      const chosen = field.cases[pick(rng, keys)] ?? field.default;
      return chosen && depth > 0 ? extremeValues(chosen, rng, depth - 1) : {};
    }
    case "handoff": return Uint8Array.from({ length: Math.floor(rng() * 64) }, () => Math.floor(rng() * 256));
    case "computed": return undefined;
  }
}

export function extremeValues(description: StructDescription, rng: Rng, depth = 4): EncodeValues {
  const values: EncodeValues = {};
  for (const field of description.fields) {
    if (rng() < 0.1) continue;
    values[field.key] = extremeField(field, rng, depth);
  }
  return values;
}

const record = (kind: RecordKind, payload: Uint8Array, classGuid?: Uint8Array): VmbusRecord =>
  ({ origin: { file: "generated", fileOffset: 0, number: 0 }, direction: Direction.HostToGuest, kind, flags: 0, relid: 1, classGuid, payload, attached: [] });

/** Extreme values can ask the encoder for the impossible (a length of 2^64): such a value set is skipped, it tests nothing. */
function encoded(build: () => Uint8Array): Uint8Array | undefined {
  try {
    return build();
  } catch (error) {
    if (error instanceof RangeError || error instanceof TypeError) return undefined;
    throw error;
  }
}

/** `count` records of each kind: channel messages of every type, packets of every type, each device protocol's messages. */
export function generatedRecords(rng: Rng, count: number): VmbusRecord[] {
  const out: VmbusRecord[] = [];
  const types = Object.keys((channelMessage.fields[2] as { cases: object }).cases).map(Number);
  const devices = allDevices().filter((d) => d.protocol);
  for (let i = 0; i < count; i++) {
    const msgtype = pick(rng, types);
    const message = encoded(() => encodeStruct(channelMessage, { ...extremeValues(channelMessage, rng), msgtype }));
    if (message) out.push(record(RecordKind.ChannelMessage, message));
    const type = pick(rng, [...Object.keys(packetHeaders).map(Number), 0x6, 0xb]);
    const header = packetHeaders[type] ? extremeValues(packetHeaders[type], rng) : undefined;
    const device = devices.length > 0 ? pick(rng, devices) : undefined;
    const payload = device?.protocol ? encoded(() => encodeStruct(device.protocol!.root, extremeValues(device.protocol!.root, rng))) : new Uint8Array(8);
    const packet = payload && encoded(() => buildRingPacket({ type, flags: 1, transId: i, header, payload }));
    if (packet) out.push(record(RecordKind.RingPacket, packet, device ? guidBytes(device.guid) : undefined));
  }
  return out;
}
