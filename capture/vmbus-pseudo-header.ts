// The packet data of a VMBus record (capture contract section 2): the 28-byte pseudo-header,
// the payload and the attached chunks, in both directions. Always little-endian.
import {
  type AttachedChunk,
  type ReaderProblem,
  type RecordOrigin,
  type VmbusRecord,
  Direction,
  RecordFlags,
  RecordKind,
} from "./record.js";

export const PSEUDO_HEADER_VERSION = 1;
export const PSEUDO_HEADER_LENGTH = 28;
export const CHUNK_HEADER_LENGTH = 12;
const GUID_LENGTH = 16;
const KNOWN_FLAGS = RecordFlags.Truncated | RecordFlags.Recovered | RecordFlags.AttachedData;

/** What the encoder needs from a record. */
export type VmbusRecordFields = Pick<VmbusRecord, "direction" | "kind" | "flags" | "relid" | "classGuid" | "payload" | "attached">;

/** What the decoder finds in one packet's data. */
export interface DecodedVmbusRecord extends VmbusRecordFields {
  problems: ReaderProblem[];
}

/** Pseudo-header, payload and chunks as one packet; sets flag bit 2 exactly when chunks exist. */
export function encodeVmbusRecord(record: VmbusRecordFields): Uint8Array {
  const bytes = new Uint8Array(encodedLength(record));
  const view = new DataView(bytes.buffer);
  writeHeader(record, bytes, view);
  bytes.set(record.payload, PSEUDO_HEADER_LENGTH);
  let offset = PSEUDO_HEADER_LENGTH + record.payload.length;
  for (const chunk of record.attached) offset = encodeChunk(chunk, bytes, view, offset);
  return bytes;
}

const encodedLength = (record: VmbusRecordFields): number =>
  record.attached.reduce((sum, chunk) => sum + encodedChunkLength(chunk), PSEUDO_HEADER_LENGTH + record.payload.length);

/** The 28 header bytes into bytes that are zero there. */
function writeHeader(record: VmbusRecordFields, bytes: Uint8Array, view: DataView): void {
  const flags = record.attached.length > 0 ? record.flags | RecordFlags.AttachedData : record.flags & ~RecordFlags.AttachedData;
  view.setUint8(0, PSEUDO_HEADER_VERSION);
  view.setUint8(1, record.direction);
  view.setUint16(2, PSEUDO_HEADER_LENGTH, true);
  view.setUint8(4, record.kind);
  view.setUint8(5, flags);
  view.setUint32(8, record.relid, true);
  if (record.classGuid) bytes.set(record.classGuid.subarray(0, GUID_LENGTH), 12);
}

/** Room to write one header (or chunk header) and compare it with bytes that are already there. */
const expected = new Uint8Array(PSEUDO_HEADER_LENGTH);
const expectedView = new DataView(expected.buffer);

function sameAsExpected(bytes: Uint8Array, at: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (bytes[at + i] !== expected[i]) return false;
  return true;
}

/**
 * The record's packet bytes as encodeVmbusRecord writes them. A record the readers made holds its
 * payload and chunks as views into the packet it was read from: when every other byte of that
 * packet is what the encoder would write, the packet itself is returned (no copy). Any record
 * (built or changed after reading) is checked byte for byte, so the result never differs.
 */
export function vmbusFrame(record: VmbusRecordFields): Uint8Array {
  return packetAround(record) ?? encodeVmbusRecord(record);
}

function packetAround(record: VmbusRecordFields): Uint8Array | undefined {
  const { payload } = record;
  const start = payload.byteOffset - PSEUDO_HEADER_LENGTH;
  const length = encodedLength(record);
  if (start < 0 || start + length > payload.buffer.byteLength) return undefined;
  const frame = new Uint8Array(payload.buffer, start, length);
  expected.fill(0);
  writeHeader(record, expected, expectedView);
  if (!sameAsExpected(frame, 0, PSEUDO_HEADER_LENGTH)) return undefined;
  let offset = PSEUDO_HEADER_LENGTH + payload.length;
  for (const chunk of record.attached) {
    const data = chunk.data;
    if (data.buffer !== payload.buffer || data.byteOffset !== start + offset + CHUNK_HEADER_LENGTH) return undefined;
    expected.fill(0);
    writeChunkHeader(chunk, expectedView, 0);
    if (!sameAsExpected(frame, offset, CHUNK_HEADER_LENGTH)) return undefined;
    const end = offset + encodedChunkLength(chunk);
    for (let padding = offset + CHUNK_HEADER_LENGTH + data.length; padding < end; padding++) if (frame[padding] !== 0) return undefined;
    offset = end;
  }
  return frame;
}

/** Chunks alone, as they follow a packet. */
export function encodeAttachedChunks(chunks: AttachedChunk[]): Uint8Array {
  const bytes = new Uint8Array(chunks.reduce((sum, chunk) => sum + encodedChunkLength(chunk), 0));
  const view = new DataView(bytes.buffer);
  let offset = 0;
  for (const chunk of chunks) offset = encodeChunk(chunk, bytes, view, offset);
  return bytes;
}

function encodedChunkLength(chunk: AttachedChunk): number {
  return CHUNK_HEADER_LENGTH + paddedTo4(chunk.data.length);
}

function encodeChunk(chunk: AttachedChunk, bytes: Uint8Array, view: DataView, offset: number): number {
  writeChunkHeader(chunk, view, offset);
  bytes.set(chunk.data, offset + CHUNK_HEADER_LENGTH);
  return offset + encodedChunkLength(chunk);
}

function writeChunkHeader(chunk: AttachedChunk, view: DataView, offset: number): void {
  view.setUint8(offset, chunk.source);
  view.setUint16(offset + 2, chunk.index, true);
  view.setUint32(offset + 4, chunk.offset, true);
  view.setUint32(offset + 8, chunk.data.length, true);
}

// Records own their bytes (the input's buffer is reused), but an ArrayBuffer per record costs more
// than decoding the record: small packets are copied into shared slabs instead.
const SLAB_SIZE = 64 * 1024;
const OWN_BUFFER_FROM = 4 * 1024;
let slab = new Uint8Array(0);
let slabUsed = 0;

function ownCopy(data: Uint8Array): Uint8Array {
  if (data.length >= OWN_BUFFER_FROM) return data.slice();
  if (slabUsed + data.length > slab.length) {
    slab = new Uint8Array(SLAB_SIZE);
    slabUsed = 0;
  }
  const copy = slab.subarray(slabUsed, slabUsed + data.length);
  copy.set(data);
  slabUsed += data.length;
  return copy;
}

/**
 * Decodes one packet's data into bytes of its own (data may be reused afterwards); never throws: what
 * is wrong becomes a problem on the record. The data is copied once: payload, chunks and class GUID
 * are views into that copy (so that vmbusFrame finds the packet again).
 */
export function decodeVmbusRecord(packetData: Uint8Array): DecodedVmbusRecord {
  const problems: ReaderProblem[] = [];
  if (packetData.length < PSEUDO_HEADER_LENGTH) return tooShortRecord(packetData, problems);
  const data = ownCopy(packetData);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const version = view.getUint8(0);
  if (version !== PSEUDO_HEADER_VERSION) {
    problems.push({ severity: "warn", text: `pseudo-header version ${version} is not understood; read as version ${PSEUDO_HEADER_VERSION}` });
  }
  const kind = view.getUint8(4) as RecordKind;
  const flags = view.getUint8(5);
  checkKindAndFlags(kind, flags, problems);
  const payloadStart = payloadStartOf(view, problems);
  const guid = data.subarray(12, 12 + GUID_LENGTH);
  const { payload, attached } = splitAttached(data.subarray(payloadStart), kind, flags, problems);
  const decoded: DecodedVmbusRecord = {
    direction: directionOf(view.getUint8(1), problems),
    kind,
    flags,
    relid: view.getUint32(8, true),
    payload,
    attached,
    problems,
  };
  if (!allZero(guid)) decoded.classGuid = guid;
  return decoded;
}

function allZero(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}

function tooShortRecord(data: Uint8Array, problems: ReaderProblem[]): DecodedVmbusRecord {
  problems.push({ severity: "error", text: `packet of ${data.length} bytes is shorter than the ${PSEUDO_HEADER_LENGTH}-byte VMBus pseudo-header` });
  const kind = (data.length > 4 ? data[4] : 0) as RecordKind;
  return { direction: Direction.Unknown, kind, flags: 0, relid: 0, payload: data.slice(), attached: [], problems };
}

function directionOf(value: number, problems: ReaderProblem[]): Direction {
  if (value === Direction.GuestToHost || value === Direction.HostToGuest || value === Direction.Unknown) return value;
  problems.push({ severity: "warn", text: `pseudo-header direction ${value} is not defined; taken as unknown` });
  return Direction.Unknown;
}

function checkKindAndFlags(kind: number, flags: number, problems: ReaderProblem[]): void {
  if (kind !== RecordKind.ChannelMessage && kind !== RecordKind.RingPacket && kind !== RecordKind.SynicMessage) {
    problems.push({ severity: "warn", text: `pseudo-header kind ${kind} is not defined` });
  }
  if ((flags & ~KNOWN_FLAGS) !== 0) {
    problems.push({ severity: "note", text: `pseudo-header flags 0x${flags.toString(16)} set undefined bits` });
  }
}

function payloadStartOf(view: DataView, problems: ReaderProblem[]): number {
  const headerLength = view.getUint16(2, true);
  if (headerLength < PSEUDO_HEADER_LENGTH) {
    problems.push({ severity: "error", text: `pseudo-header length ${headerLength} is below ${PSEUDO_HEADER_LENGTH}; taken as ${PSEUDO_HEADER_LENGTH}` });
    return PSEUDO_HEADER_LENGTH;
  }
  if (headerLength > view.byteLength) {
    problems.push({ severity: "error", text: `pseudo-header length ${headerLength} runs past the packet of ${view.byteLength} bytes` });
    return view.byteLength;
  }
  return headerLength;
}

/** Separates the packet (len8 x 8 bytes for ring packets) from the chunks that follow it. */
function splitAttached(
  body: Uint8Array,
  kind: RecordKind,
  flags: number,
  problems: ReaderProblem[],
): { payload: Uint8Array; attached: AttachedChunk[] } {
  const whole = { payload: body, attached: [] };
  if ((flags & RecordFlags.AttachedData) === 0) return whole;
  if (kind !== RecordKind.RingPacket) {
    problems.push({ severity: "warn", text: `attached-data flag set on a record of kind ${kind}, where attached data is not defined; ignored` });
    return whole;
  }
  if (body.length < 8) {
    problems.push({ severity: "error", text: `ring packet of ${body.length} bytes is too short to hold its length; attached data not read` });
    return whole;
  }
  const packetLength = (body[4] | (body[5] << 8)) * 8;
  if (packetLength > body.length) {
    problems.push({ severity: "error", text: `packet total length ${packetLength} runs past the ${body.length} bytes recorded; attached data not read`, offset: 4 });
    return whole;
  }
  const attached = decodeAttachedChunks(body.subarray(packetLength), packetLength, problems);
  return { payload: body.subarray(0, packetLength), attached };
}

/** Reads chunks until the end (their data are views into bytes); baseOffset places problem offsets relative to the payload start. */
export function decodeAttachedChunks(bytes: Uint8Array, baseOffset: number, problems: ReaderProblem[]): AttachedChunk[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks: AttachedChunk[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    if (bytes.length - offset < CHUNK_HEADER_LENGTH) {
      problems.push({ severity: "warn", text: `${bytes.length - offset} bytes after the last attached chunk are too few for a chunk header`, offset: baseOffset + offset });
      break;
    }
    const length = view.getUint32(offset + 8, true);
    const dataStart = offset + CHUNK_HEADER_LENGTH;
    const present = Math.min(length, bytes.length - dataStart);
    if (present < length) {
      problems.push({ severity: "error", text: `attached chunk of ${length} bytes runs past the record; ${present} bytes kept`, offset: baseOffset + offset });
    }
    chunks.push({
      source: view.getUint8(offset),
      index: view.getUint16(offset + 2, true),
      offset: view.getUint32(offset + 4, true),
      data: bytes.subarray(dataStart, dataStart + present),
    });
    offset = dataStart + paddedTo4(present);
  }
  if (chunks.length === 0) problems.push({ severity: "note", text: "attached-data flag set but no chunk follows the packet" });
  return chunks;
}

function paddedTo4(length: number): number {
  return length + ((4 - (length % 4)) % 4);
}

/** One packet of a VMBus link type as a capture file framed it. */
export interface CapturedPacket {
  origin: RecordOrigin;
  /** The captured bytes, possibly a view into a reused buffer: the record keeps copies of its parts. */
  data: Uint8Array;
  /** The packet's original length as the file states it (pseudo-header included; the record's counts the payload only). */
  originalLength: number;
  timestampNs?: bigint;
  /** Direction from the file's own framing (pcapng epb_flags), when it has one. */
  framingDirection?: Direction;
  interfaceId?: number;
  linkType: number;
  comments?: string[];
  /** Problems the file framing already found (e.g. malformed options). */
  problems?: ReaderProblem[];
}

/** Builds the record that readers yield: the pseudo-header's fields, completed by the framing. */
export function vmbusRecordFromPacket(packet: CapturedPacket): VmbusRecord {
  const decoded = decodeVmbusRecord(packet.data);
  const problems = packet.problems === undefined || packet.problems.length === 0 ? decoded.problems : [...packet.problems, ...decoded.problems];
  const record: VmbusRecord = {
    origin: packet.origin,
    direction: decoded.direction === Direction.Unknown && packet.framingDirection !== undefined ? packet.framingDirection : decoded.direction,
    kind: decoded.kind,
    flags: decoded.flags,
    relid: decoded.relid,
    payload: decoded.payload,
    attached: decoded.attached,
    linkType: packet.linkType,
  };
  // Optional fields are left absent, not undefined, so that records compare and serialise cleanly.
  if (packet.timestampNs !== undefined) record.timestampNs = packet.timestampNs;
  if (decoded.classGuid) record.classGuid = decoded.classGuid;
  if (packet.interfaceId !== undefined) record.interfaceId = packet.interfaceId;
  if (packet.originalLength > packet.data.length) {
    // The record's original length counts payload bytes, as the ring reader's does: the missing bytes belong to the payload.
    record.originalLength = decoded.payload.length + (packet.originalLength - packet.data.length);
    if ((decoded.flags & RecordFlags.Truncated) === 0) {
      problems.push({ severity: "note", text: `the capture kept ${packet.data.length} of ${packet.originalLength} bytes but the truncated flag is clear` });
    }
  }
  if (packet.comments && packet.comments.length > 0) record.comments = packet.comments;
  if (problems.length > 0) record.readerProblems = problems;
  return record;
}
