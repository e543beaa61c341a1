// Shared fixtures for the capture tests: sample records, a byte builder for hand-made files, readers.
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readCapture } from "../../capture/detect.js";
import { openInput } from "../../capture/input.js";
import type { CaptureReadOptions } from "../../capture/pcapng-reader.js";
import { PcapngWriter } from "../../capture/pcapng-writer.js";
import {
  AttachedSource,
  CaptureError,
  Direction,
  RecordFlags,
  RecordKind,
  type VmbusRecord,
} from "../../capture/record.js";

export const temporaryDirectory = (): string => mkdtempSync(join(tmpdir(), "vmbus-capture-"));

export function run(command: string, args: string[]): string {
  return execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

const NETVSC_GUID = Uint8Array.from([0x63, 0x51, 0x61, 0xf8, 0x3e, 0xdf, 0xc5, 0x46, 0x91, 0x3f, 0xf2, 0xd2, 0xf9, 0x65, 0xed, 0x0e]);

/** A ring packet whose descriptor states its own length (len8 at offset 4), as the contract requires. */
function ringPacket(bodyLength: number, seed: number): Uint8Array {
  const length = 16 + Math.ceil(bodyLength / 8) * 8;
  const bytes = new Uint8Array(length);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, 6, true);
  view.setUint16(2, 2, true);
  view.setUint16(4, length / 8, true);
  view.setBigUint64(8, BigInt(seed), true);
  for (let index = 16; index < length; index++) bytes[index] = (index * seed) & 0xff;
  return bytes;
}

function filled(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, index) => (index + seed) & 0xff);
}

type Sample = Omit<VmbusRecord, "origin">;

/** Records of every kind, with chunks, comments, all directions, a truncated one; interface 0 = relid 0, 1 = relid 5. */
export function sampleRecords(baseNs = 1_700_000_000_123_456_700n): Sample[] {
  const common = { linkType: 147 };
  return [
    { ...common, interfaceId: 0, timestampNs: baseNs, direction: Direction.HostToGuest, kind: RecordKind.ChannelMessage, flags: 0, relid: 0, payload: filled(8 + 188, 1), attached: [], comments: ["offer"] },
    { ...common, interfaceId: 1, timestampNs: baseNs + 100n, direction: Direction.GuestToHost, kind: RecordKind.RingPacket, flags: 0, relid: 5, classGuid: NETVSC_GUID, payload: ringPacket(40, 2), attached: [] },
    {
      ...common,
      interfaceId: 1,
      timestampNs: baseNs + 1_000_000_300n,
      direction: Direction.GuestToHost,
      kind: RecordKind.RingPacket,
      flags: RecordFlags.AttachedData,
      relid: 5,
      classGuid: NETVSC_GUID,
      payload: ringPacket(24, 3),
      attached: [
        { source: AttachedSource.ProtocolBuffer, index: 0, offset: 0, data: filled(61, 3) },
        { source: AttachedSource.GpaRange, index: 2, offset: 4096, data: filled(8, 4) },
        { source: AttachedSource.TransferPageRange, index: 1, offset: 7, data: new Uint8Array(0) },
      ],
      comments: ["send RNDIS", "second comment, ünïcode"],
    },
    { ...common, interfaceId: 1, timestampNs: baseNs + 2_000_000_000n, direction: Direction.HostToGuest, kind: RecordKind.RingPacket, flags: RecordFlags.Recovered, relid: 5, classGuid: NETVSC_GUID, payload: ringPacket(3, 5), attached: [] },
    { ...common, interfaceId: 0, timestampNs: baseNs + 2_500_000_000n, direction: Direction.Unknown, kind: RecordKind.SynicMessage, flags: 0, relid: 0, payload: filled(16 + 240, 6), attached: [] },
    { ...common, interfaceId: 1, timestampNs: baseNs + 3_000_000_000n, direction: Direction.HostToGuest, kind: RecordKind.RingPacket, flags: RecordFlags.Truncated, relid: 5, classGuid: NETVSC_GUID, payload: ringPacket(64, 7).slice(0, 32), originalLength: 80, attached: [] },
  ];
}

/** Writes sample records on two interfaces vmbus/0 and vmbus/5. */
export async function writeSampleFile(path: string, records: Sample[] = sampleRecords(), tsresol: 7 | 9 = 7): Promise<void> {
  const writer = await PcapngWriter.create(path, { userAppl: "vmbus-dissect test", tsresol });
  writer.addInterface(147, "vmbus/0", "channel management");
  writer.addInterface(147, "vmbus/5", "netvsc f8615163-df3e-46c5-913f-f2d2f965ed0e");
  for (const record of records) await writer.writeVmbusRecord(record.interfaceId!, { ...record, origin: { file: "", fileOffset: 0, number: 0 } });
  await writer.close();
}

export interface ReadResult {
  records: VmbusRecord[];
  error?: CaptureError;
}

/** Reads everything; a CaptureError is returned next to the records before it, any other error is thrown. */
export async function readFile(path: string, options: CaptureReadOptions = {}): Promise<ReadResult> {
  const input = await openInput(path);
  const records: VmbusRecord[] = [];
  try {
    for await (const record of readCapture(input, options)) records.push(record);
    return { records };
  } catch (error) {
    if (error instanceof CaptureError) return { records, error };
    throw error;
  } finally {
    await input.close();
  }
}

export function withoutOrigin(record: VmbusRecord): Sample {
  const { origin: _origin, ...rest } = record;
  return rest;
}

export function epochText(timestampNs: bigint): string {
  return `${timestampNs / 1_000_000_000n}.${(timestampNs % 1_000_000_000n).toString().padStart(9, "0")}`;
}

/** Little- or big-endian bytes for hand-built files. */
export class ByteBuilder {
  private readonly parts: number[] = [];
  constructor(private readonly littleEndian = true) {}

  u8(value: number): this {
    this.parts.push(value & 0xff);
    return this;
  }

  u16(value: number): this {
    const bytes = [value & 0xff, (value >> 8) & 0xff];
    this.parts.push(...(this.littleEndian ? bytes : bytes.reverse()));
    return this;
  }

  u32(value: number): this {
    const bytes = [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff];
    this.parts.push(...(this.littleEndian ? bytes : bytes.reverse()));
    return this;
  }

  u64(value: bigint): this {
    const low = Number(BigInt.asUintN(32, value));
    const high = Number(BigInt.asUintN(32, value >> 32n));
    return this.littleEndian ? this.u32(low).u32(high) : this.u32(high).u32(low);
  }

  /** pcapng timestamps: the high 32 bits first, each half in the file's byte order. */
  timestamp(value: bigint): this {
    return this.u32(Number(BigInt.asUintN(32, value >> 32n))).u32(Number(BigInt.asUintN(32, value)));
  }

  bytes(value: Uint8Array): this {
    this.parts.push(...value);
    return this;
  }

  pad4(): this {
    while (this.parts.length % 4 !== 0) this.parts.push(0);
    return this;
  }

  /** A pcapng option: code, length, value padded to 4. */
  option(code: number, value: Uint8Array): this {
    return this.u16(code).u16(value.length).bytes(value).pad4();
  }

  get length(): number {
    return this.parts.length;
  }

  build(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

/** A whole pcapng block around a body. */
export function pcapngBlock(type: number, body: Uint8Array, littleEndian = true): Uint8Array {
  const totalLength = 12 + body.length;
  return new ByteBuilder(littleEndian).u32(type).u32(totalLength).bytes(body).u32(totalLength).build();
}

export function sectionHeader(littleEndian = true): Uint8Array {
  const body = new ByteBuilder(littleEndian).u32(0x1a2b3c4d).u16(1).u16(0).u64(-1n).option(4, new TextEncoder().encode("hand")).u32(0).build();
  return pcapngBlock(0x0a0d0d0a, body, littleEndian);
}

export function interfaceDescription(linkType: number, snaplen: number, options: Uint8Array, littleEndian = true): Uint8Array {
  const body = new ByteBuilder(littleEndian).u16(linkType).u16(0).u32(snaplen).bytes(options).build();
  return pcapngBlock(1, body, littleEndian);
}

export function enhancedPacket(interfaceId: number, timestampUnits: bigint, data: Uint8Array, options: Uint8Array, littleEndian = true, originalLength = data.length): Uint8Array {
  const body = new ByteBuilder(littleEndian).u32(interfaceId).timestamp(timestampUnits).u32(data.length).u32(originalLength).bytes(data).pad4().bytes(options).build();
  return pcapngBlock(6, body, littleEndian);
}

export function concatenate(...parts: Uint8Array[]): Uint8Array {
  const joined = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return joined;
}
