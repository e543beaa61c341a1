// The packet data of a VMBus record (capture contract section 2): the 28-byte pseudo-header,
// the payload and the attached chunks, in both directions. Always little-endian.
import {
  type AttachedChunk,
  type ReaderProblem,
  type VmbusRecord,
  Direction,
  RecordFlags,
  RecordKind,
} from "./record.js";
import { paddedTo4, u16At, u32At } from "./bytes.js";

export const PSEUDO_HEADER_VERSION = 1;
export const PSEUDO_HEADER_LENGTH = 28;
export const CHUNK_HEADER_LENGTH = 12;
const GUID_LENGTH = 16;
const KNOWN_FLAGS = RecordFlags.Truncated | RecordFlags.Recovered | RecordFlags.AttachedData;

/** What the encoder needs from a record. */
export type VmbusRecordFields = Pick<VmbusRecord, "direction" | "kind" | "flags" | "relid" | "classGuid" | "payload" | "attached">;

/** Pseudo-header, payload and chunks as one packet; sets flag bit 2 exactly when chunks exist. */
export function encodeVmbusRecord(record: VmbusRecordFields): Uint8Array {
  const bytes = new Uint8Array(vmbusFrameLength(record));
  encodeVmbusRecordInto(record, bytes, new DataView(bytes.buffer), 0);
  return bytes;
}

/**
 * Encodes the record at `at` in bytes (view: a DataView starting where bytes starts); returns the
 * offset after it. Every byte is written, zeros included: the target may be a reused buffer.
 */
export function encodeVmbusRecordInto(record: VmbusRecordFields, bytes: Uint8Array, view: DataView, at: number): number {
  writeHeader(record, bytes, view, at);
  const { payload, attached } = record;
  bytes.set(payload, at + PSEUDO_HEADER_LENGTH);
  let offset = at + PSEUDO_HEADER_LENGTH + payload.length;
  for (let i = 0; i < attached.length; i++) offset = encodeChunk(attached[i], bytes, view, offset);
  return offset;
}

/** Bytes of the record's packet: pseudo-header, payload and chunks. */
export function vmbusFrameLength(record: VmbusRecordFields): number {
  let length = PSEUDO_HEADER_LENGTH + record.payload.length;
  for (const chunk of record.attached) length += encodedChunkLength(chunk);
  return length;
}

const flagsToWrite = (record: VmbusRecordFields): number =>
  record.attached.length > 0 ? record.flags | RecordFlags.AttachedData : record.flags & ~RecordFlags.AttachedData;

/** The 28 header bytes at `at`, reserved bytes and an absent GUID as zeros; values are truncated to their fields' widths. */
function writeHeader(record: VmbusRecordFields, bytes: Uint8Array, view: DataView, at: number): void {
  // Whole words: fewer calls than a byte or half-word per field.
  view.setUint32(at, PSEUDO_HEADER_VERSION | ((record.direction & 0xff) << 8) | (PSEUDO_HEADER_LENGTH << 16), true);
  view.setUint32(at + 4, (record.kind & 0xff) | ((flagsToWrite(record) & 0xff) << 8), true);
  view.setUint32(at + 8, record.relid, true);
  const guid = record.classGuid;
  if (guid !== undefined && guid.length === GUID_LENGTH) {
    bytes.set(guid, at + 12);
    return;
  }
  bytes.fill(0, at + 12, at + PSEUDO_HEADER_LENGTH);
  if (guid) bytes.set(guid.subarray(0, GUID_LENGTH), at + 12);
}

/**
 * The record's packet bytes as encodeVmbusRecord writes them. A record the readers made holds its
 * payload and chunks as views into the packet it was read from: when every other byte of that
 * packet is what the encoder would write, the packet itself is returned (no copy). Any record
 * (built or changed after reading) is checked byte for byte, so the result never differs.
 */
export function vmbusFrame(record: VmbusRecordFields): Uint8Array {
  return capturedFrame(record) ?? encodeVmbusRecord(record);
}

/**
 * The packet the record was read from, when its bytes are exactly what the encoder would write.
 * Fields are compared with the bytes the encoder writes for them: a value the encoder would
 * truncate never matches, and is then encoded (to the same bytes).
 */
export function capturedFrame(record: VmbusRecordFields): Uint8Array | undefined {
  const { payload } = record;
  // Typed arrays' buffer and byteOffset getters are not free: each is read once.
  const buffer = payload.buffer;
  const start = payload.byteOffset - PSEUDO_HEADER_LENGTH;
  const length = vmbusFrameLength(record);
  if (start < 0 || start + length > buffer.byteLength) return undefined;
  const frame = new Uint8Array(buffer, start, length);
  if (!headerMatches(record, frame)) return undefined;
  let offset = PSEUDO_HEADER_LENGTH + payload.length;
  for (const chunk of record.attached) {
    if (!chunkMatches(chunk, frame, offset, start, buffer)) return undefined;
    offset += encodedChunkLength(chunk);
  }
  return frame;
}

function headerMatches(record: VmbusRecordFields, frame: Uint8Array): boolean {
  if (frame[0] !== PSEUDO_HEADER_VERSION || frame[1] !== record.direction || u16At(frame, 2) !== PSEUDO_HEADER_LENGTH) return false;
  if (frame[4] !== record.kind || frame[5] !== flagsToWrite(record) || frame[6] !== 0 || frame[7] !== 0) return false;
  if (u32At(frame, 8) !== record.relid) return false;
  const guid = record.classGuid;
  if (guid === undefined) return (u32At(frame, 12) | u32At(frame, 16) | u32At(frame, 20) | u32At(frame, 24)) === 0;
  if (guid.length >= GUID_LENGTH) {
    for (let at = 0; at < GUID_LENGTH; at += 4) if (u32At(frame, 12 + at) !== u32At(guid, at)) return false;
    return true;
  }
  for (let i = 0; i < GUID_LENGTH; i++) if (frame[12 + i] !== (i < guid.length ? guid[i] : 0)) return false;
  return true;
}

/** The chunk's data sits right after its header in the same packet, the header says what the encoder would, and the padding is zero. */
function chunkMatches(chunk: AttachedChunk, frame: Uint8Array, offset: number, frameStart: number, buffer: ArrayBufferLike): boolean {
  const data = chunk.data;
  if (data.buffer !== buffer || data.byteOffset !== frameStart + offset + CHUNK_HEADER_LENGTH) return false;
  if (frame[offset] !== chunk.source || frame[offset + 1] !== 0 || u16At(frame, offset + 2) !== chunk.index) return false;
  if (u32At(frame, offset + 4) !== chunk.offset || u32At(frame, offset + 8) !== data.length) return false;
  const end = offset + encodedChunkLength(chunk);
  for (let padding = offset + CHUNK_HEADER_LENGTH + data.length; padding < end; padding++) if (frame[padding] !== 0) return false;
  return true;
}

/**
 * The direction of the record the reader makes of this packet (bytes[at, at + length), its framing
 * said framingDirection), when the encoder writes that record back as exactly these bytes; -1 when
 * it would not (a longer header, reserved bits, chunks laid out otherwise, an undefined kind).
 * What this accepts may be copied instead of decoded.
 */
export function copyableDirection(bytes: Uint8Array, at: number, length: number, framingDirection: Direction | undefined): number {
  if (length < PSEUDO_HEADER_LENGTH || bytes[at] !== PSEUDO_HEADER_VERSION || u16At(bytes, at + 2) !== PSEUDO_HEADER_LENGTH) return -1;
  const kind = bytes[at + 4];
  if ((kind !== RecordKind.RingPacket && kind !== RecordKind.ChannelMessage && kind !== RecordKind.SynicMessage) || bytes[at + 6] !== 0 || bytes[at + 7] !== 0) return -1;
  // Attached data is read from ring packets only; on other kinds the encoder clears the flag.
  if ((bytes[at + 5] & RecordFlags.AttachedData) !== 0 && (kind !== RecordKind.RingPacket || !chunksAsEncoded(bytes, at + PSEUDO_HEADER_LENGTH, at + length))) return -1;
  const direction = bytes[at + 1];
  if (direction === Direction.GuestToHost || direction === Direction.HostToGuest) return direction;
  // Unknown is replaced by the framing's direction, which the encoder then writes.
  return direction === Direction.Unknown && framingDirection === undefined ? direction : -1;
}

/** Whether the body's chunks (after its len8 x 8 bytes) are at least one, each exactly as encodeChunk writes it, up to the end. */
function chunksAsEncoded(bytes: Uint8Array, start: number, end: number): boolean {
  if (end - start < 8) return false;
  let offset = start + u16At(bytes, start + 4) * 8;
  // No chunk after the packet: the encoder clears the flag.
  if (offset >= end) return false;
  while (offset < end) {
    if (end - offset < CHUNK_HEADER_LENGTH || bytes[offset + 1] !== 0) return false;
    const dataEnd = offset + CHUNK_HEADER_LENGTH + u32At(bytes, offset + 8);
    const next = offset + CHUNK_HEADER_LENGTH + paddedTo4(u32At(bytes, offset + 8));
    if (next > end) return false;
    for (let padding = dataEnd; padding < next; padding++) if (bytes[padding] !== 0) return false;
    offset = next;
  }
  return true;
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

/** The chunk's header, data and zero padding. */
function encodeChunk(chunk: AttachedChunk, bytes: Uint8Array, view: DataView, offset: number): number {
  writeChunkHeader(chunk, view, offset);
  const { data } = chunk;
  const dataStart = offset + CHUNK_HEADER_LENGTH;
  bytes.set(data, dataStart);
  const end = offset + encodedChunkLength(chunk);
  for (let padding = dataStart + data.length; padding < end; padding++) bytes[padding] = 0;
  return end;
}

function writeChunkHeader(chunk: AttachedChunk, view: DataView, offset: number): void {
  view.setUint32(offset, (chunk.source & 0xff) | ((chunk.index & 0xffff) << 16), true);
  view.setUint32(offset + 4, chunk.offset, true);
  view.setUint32(offset + 8, chunk.data.length, true);
}

/** A view of part of a buffer (cheaper than subarray, which looks up a species constructor; typed arrays' buffer and byteOffset getters cost too). */
const part = (buffer: ArrayBufferLike, start: number, length: number): Uint8Array => new Uint8Array(buffer, start, length);

/** One packet of a VMBus link type as a capture file framed it; a reader may reuse one object for all its packets. */
export interface CapturedPacket {
  /** The record's origin; kept as fields so that the record and its origin are made together. */
  file: string;
  fileOffset: number;
  number: number;
  /**
   * The captured bytes are bytes[dataStart, dataStart + dataLength); bytes starts where its buffer
   * starts, and buffer is that buffer. The record's payload and chunks are views into it (so that
   * vmbusFrame finds the packet again): it must stay as it is.
   */
  bytes: Uint8Array;
  buffer: ArrayBufferLike;
  dataStart: number;
  dataLength: number;
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

const EMPTY = new Uint8Array(0);
/** Placeholder until the decoder sets the record's own array. */
const NO_CHUNKS: AttachedChunk[] = [];

/**
 * Builds the record that readers yield: the pseudo-header's fields, completed by the framing.
 * Never throws: what is wrong becomes a problem on the record.
 */
/** Problems of the record being built: most records have none, so one array is reused and copied only when there are some. */
const recordProblems: ReaderProblem[] = [];

export function vmbusRecordFromPacket(packet: CapturedPacket): VmbusRecord {
  const problems = recordProblems;
  if (problems.length !== 0) problems.length = 0;
  if (packet.problems !== undefined) problems.push(...packet.problems);
  const record: VmbusRecord = {
    origin: { file: packet.file, fileOffset: packet.fileOffset, number: packet.number },
    direction: Direction.Unknown,
    kind: 0 as RecordKind,
    flags: 0,
    relid: 0,
    payload: EMPTY,
    attached: NO_CHUNKS,
    linkType: packet.linkType,
  };
  const classGuid = decodePseudoHeader(packet, record, problems);
  if (record.direction === Direction.Unknown && packet.framingDirection !== undefined) record.direction = packet.framingDirection;
  // Optional fields are left absent, not undefined, so that records compare and serialise cleanly.
  if (packet.timestampNs !== undefined) record.timestampNs = packet.timestampNs;
  if (classGuid) record.classGuid = classGuid;
  if (packet.interfaceId !== undefined) record.interfaceId = packet.interfaceId;
  if (packet.originalLength > packet.dataLength) {
    // The record's original length counts payload bytes, as the ring reader's does: the missing bytes belong to the payload.
    record.originalLength = record.payload.length + (packet.originalLength - packet.dataLength);
    if ((record.flags & RecordFlags.Truncated) === 0) {
      problems.push({ severity: "note", text: `the capture kept ${packet.dataLength} of ${packet.originalLength} bytes but the truncated flag is clear` });
    }
  }
  if (packet.comments && packet.comments.length > 0) record.comments = packet.comments;
  if (problems.length > 0) record.readerProblems = problems.slice();
  return record;
}

/** Sets the record's fields from the packet's bytes; returns the class GUID unless it is all zero. */
function decodePseudoHeader(packet: CapturedPacket, record: VmbusRecord, problems: ReaderProblem[]): Uint8Array | undefined {
  const { bytes, dataStart: at, dataLength: length } = packet;
  if (length < PSEUDO_HEADER_LENGTH) {
    problems.push({ severity: "error", text: `packet of ${length} bytes is shorter than the ${PSEUDO_HEADER_LENGTH}-byte VMBus pseudo-header` });
    record.kind = (length > 4 ? bytes[at + 4] : 0) as RecordKind;
    record.payload = bytes.slice(at, at + length);
    record.attached = [];
    return undefined;
  }
  const version = bytes[at];
  if (version !== PSEUDO_HEADER_VERSION) {
    problems.push({ severity: "warn", text: `pseudo-header version ${version} is not understood; read as version ${PSEUDO_HEADER_VERSION}` });
  }
  record.kind = bytes[at + 4] as RecordKind;
  record.flags = bytes[at + 5];
  checkKindAndFlags(record.kind, record.flags, problems);
  const payloadStart = at + payloadStartOf(bytes, at, length, problems);
  record.relid = u32At(bytes, at + 8);
  splitAttached(packet, payloadStart, at + length, record, problems);
  record.direction = directionOf(bytes[at + 1], problems);
  return classGuidAt(bytes, at + 12);
}

/** Read-only class GUIDs by their first four bytes: every record of a channel shares one array rather than making a view of its own. */
const classGuids = new Map<number, Uint8Array>();
const MAX_CLASS_GUIDS = 256;

function classGuidAt(bytes: Uint8Array, at: number): Uint8Array | undefined {
  if (allZero(bytes, at, GUID_LENGTH)) return undefined;
  const key = u32At(bytes, at);
  const known = classGuids.get(key);
  if (known !== undefined && sameBytes(known, bytes, at)) return known;
  const guid = bytes.slice(at, at + GUID_LENGTH);
  if (classGuids.size >= MAX_CLASS_GUIDS) classGuids.clear();
  classGuids.set(key, guid);
  return guid;
}

/** Compared by 32-bit words (every record of a channel comes here); the first word is the map key, already equal. */
function sameBytes(guid: Uint8Array, bytes: Uint8Array, at: number): boolean {
  return u32At(guid, 4) === u32At(bytes, at + 4) && u32At(guid, 8) === u32At(bytes, at + 8) && u32At(guid, 12) === u32At(bytes, at + 12);
}

function allZero(bytes: Uint8Array, start: number, length: number): boolean {
  for (let i = start; i < start + length; i += 4) if (u32At(bytes, i) !== 0) return false;
  return true;
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

/** Where the payload starts, relative to the packet. */
function payloadStartOf(bytes: Uint8Array, at: number, length: number, problems: ReaderProblem[]): number {
  const headerLength = u16At(bytes, at + 2);
  if (headerLength < PSEUDO_HEADER_LENGTH) {
    problems.push({ severity: "error", text: `pseudo-header length ${headerLength} is below ${PSEUDO_HEADER_LENGTH}; taken as ${PSEUDO_HEADER_LENGTH}` });
    return PSEUDO_HEADER_LENGTH;
  }
  if (headerLength > length) {
    problems.push({ severity: "error", text: `pseudo-header length ${headerLength} runs past the packet of ${length} bytes` });
    return length;
  }
  return headerLength;
}

/** Sets the record's payload, bytes[start, end) or for ring packets with attached data their len8 x 8 bytes, and the chunks after it. */
function splitAttached(packet: CapturedPacket, start: number, end: number, record: VmbusRecord, problems: ReaderProblem[]): void {
  const { bytes, buffer } = packet;
  const { kind, flags } = record;
  const bodyLength = end - start;
  record.attached = [];
  if ((flags & RecordFlags.AttachedData) === 0) {
    record.payload = part(buffer, start, bodyLength);
    return;
  }
  const packetLength = bodyLength < 8 ? 0 : u16At(bytes, start + 4) * 8;
  if (kind !== RecordKind.RingPacket) {
    problems.push({ severity: "warn", text: `attached-data flag set on a record of kind ${kind}, where attached data is not defined; ignored` });
  } else if (bodyLength < 8) {
    problems.push({ severity: "error", text: `ring packet of ${bodyLength} bytes is too short to hold its length; attached data not read` });
  } else if (packetLength > bodyLength) {
    problems.push({ severity: "error", text: `packet total length ${packetLength} runs past the ${bodyLength} bytes recorded; attached data not read`, offset: 4 });
  } else {
    record.payload = part(buffer, start, packetLength);
    record.attached = decodeAttachedChunks(packet, start + packetLength, end, packetLength, problems);
    return;
  }
  record.payload = part(buffer, start, bodyLength);
}

/**
 * Reads the chunks in the packet's bytes[start, end) (their data are views into them); baseOffset
 * is start's offset from the payload start, where problem offsets count from.
 */
function decodeAttachedChunks(packet: CapturedPacket, start: number, end: number, baseOffset: number, problems: ReaderProblem[]): AttachedChunk[] {
  const { bytes, buffer } = packet;
  const chunks: AttachedChunk[] = [];
  let offset = start;
  while (offset < end) {
    if (end - offset < CHUNK_HEADER_LENGTH) {
      problems.push({ severity: "warn", text: `${end - offset} bytes after the last attached chunk are too few for a chunk header`, offset: baseOffset + offset - start });
      break;
    }
    const length = u32At(bytes, offset + 8);
    const dataStart = offset + CHUNK_HEADER_LENGTH;
    const present = Math.min(length, end - dataStart);
    if (present < length) {
      problems.push({ severity: "error", text: `attached chunk of ${length} bytes runs past the record; ${present} bytes kept`, offset: baseOffset + offset - start });
    }
    chunks.push({ source: bytes[offset], index: u16At(bytes, offset + 2), offset: u32At(bytes, offset + 4), data: part(buffer, dataStart, present) });
    offset = dataStart + paddedTo4(present);
  }
  if (chunks.length === 0) problems.push({ severity: "note", text: "attached-data flag set but no chunk follows the packet" });
  return chunks;
}
