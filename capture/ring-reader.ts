// Reads raw VMBus ring-buffer dumps (one ring, or a channel's pair of rings) into records.
// Framing only: header page, descriptors, trailers, transfer-page and GPA-direct ranges.

import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import {
  AttachedSource,
  CaptureError,
  Direction,
  RecordFlags,
  RecordKind,
  type AttachedChunk,
  type ReaderProblem,
  type VmbusRecord,
} from "./record.js";

export interface RandomAccess {
  size: number;
  /** Up to `length` bytes from `offset`; fewer at the end, none past it. */
  read(offset: number, length: number): Uint8Array;
}

export interface RingDumpOptions {
  /** File name, for record origins and errors. */
  file: string;
  /** Size of each ring's header page; default 4096. */
  pageSize?: number;
  layout?: "auto" | "single" | "pair";
  /** Where the second ring starts, in 4096-byte pages (OPEN_CHANNEL downstream_ringbuffer_pageoffset); default: half the dump. */
  secondRingPage?: number;
  /** Walk the trailers back from read_index to recover consumed packets. */
  history?: boolean;
  /** Direction of a single ring; default Unknown. */
  direction?: Direction;
  /** Memory that transfer-page and GPA ranges point into. */
  memory?: { recvBuffer?: RandomAccess; guestMemory?: RandomAccess };
  /** Most bytes attached per chunk; default 16 MiB. */
  maxAttachedBytes?: number;
}

export interface RingDescription {
  index: number;
  fileOffset: number;
  headerSize: number;
  dataSize: number;
  writeIndex: number;
  readIndex: number;
}

export interface RingLayout {
  rings: RingDescription[];
  layout: "single" | "pair";
  reason: string;
}

const DEFAULT_PAGE_SIZE = 4096;
const HYPERVISOR_PAGE_SIZE = 4096;
const MINIMUM_HEADER_SIZE = 0x44;
const HEADER_RECORD_BYTES = 128;
const DESCRIPTOR_SIZE = 16;
const TRAILER_SIZE = 8;
const DEFAULT_MAX_ATTACHED_BYTES = 16 * 1024 * 1024;
const TRANSFER_PAGE_PACKET = 0x7;
const GPA_DIRECT_PACKET = 0x9;
/** Range headers of both packet types start after the 16-byte descriptor and an 8-byte type header (count at 20). */
const RANGE_COUNT_OFFSET = 20;
const FIRST_RANGE_OFFSET = 24;
/** Types any source defines (Linux 0x1..0xD); 0 is INVALID. Only the history walk uses this, to tell stale packets from garbage. */
const HIGHEST_DEFINED_PACKET_TYPE = 0xd;

// ---------------------------------------------------------------- random access

export function bufferRandomAccess(bytes: Uint8Array): RandomAccess {
  return {
    size: bytes.length,
    read(offset, length) {
      const start = Math.min(Math.max(0, offset), bytes.length);
      return bytes.slice(start, Math.min(bytes.length, start + Math.max(0, length)));
    },
  };
}

/** Positions are plain numbers, exact up to 2^53, so images past 4 GB work. */
export function fileRandomAccess(path: string): RandomAccess & { close(): void } {
  let descriptor: number;
  let size: number;
  try {
    descriptor = openSync(path, "r");
    size = fstatSync(descriptor).size;
  } catch (error) {
    throw new CaptureError(path, 0, `cannot open: ${(error as Error).message}`);
  }
  return {
    size,
    read(offset, length) {
      if (offset < 0) return new Uint8Array(0);
      const available = Math.max(0, Math.min(length, size - offset));
      const bytes = new Uint8Array(available);
      let done = 0;
      while (done < available) {
        const count = readSync(descriptor, bytes, done, available - done, offset + done);
        if (count === 0) break;
        done += count;
      }
      return bytes.subarray(0, done);
    },
    close() {
      closeSync(descriptor);
    },
  };
}

// ---------------------------------------------------------------- layout

const u32At = (dump: Uint8Array, offset: number): number =>
  new DataView(dump.buffer, dump.byteOffset + offset, 4).getUint32(0, true);

const hex = (value: number): string => `0x${value.toString(16)}`;

function describeRing(dump: Uint8Array, index: number, fileOffset: number, length: number, pageSize: number): RingDescription {
  return {
    index,
    fileOffset,
    headerSize: pageSize,
    dataSize: length - pageSize,
    writeIndex: u32At(dump, fileOffset),
    readIndex: u32At(dump, fileOffset + 4),
  };
}

interface HeaderFault {
  offset: number;
  reason: string;
}

function indexFault(ring: RingDescription, name: string, value: number, fieldOffset: number): HeaderFault | undefined {
  const offset = ring.fileOffset + fieldOffset;
  if (value >= ring.dataSize) {
    return { offset, reason: `not a VMBus ring: ${name} ${hex(value)} beyond data size ${hex(ring.dataSize)}` };
  }
  if (value % 8 !== 0) return { offset, reason: `not a VMBus ring: ${name} ${hex(value)} is not a multiple of 8` };
  return undefined;
}

function headerFault(ring: RingDescription): HeaderFault | undefined {
  return indexFault(ring, "write_index", ring.writeIndex, 0) ?? indexFault(ring, "read_index", ring.readIndex, 4);
}

function pageSizeOf(options: RingDumpOptions): number {
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  if (!Number.isSafeInteger(pageSize) || pageSize < MINIMUM_HEADER_SIZE) {
    throw new CaptureError(options.file, 0, `page size ${pageSize} is smaller than the ${MINIMUM_HEADER_SIZE}-byte ring header`);
  }
  return pageSize;
}

function requireRingSize(file: string, fileOffset: number, length: number, pageSize: number, what: string): void {
  if (length < pageSize + TRAILER_SIZE) {
    throw new CaptureError(
      file,
      fileOffset,
      `${what} too small to be a ring: ${length} bytes, need at least a ${pageSize}-byte header page and 8 data bytes`,
    );
  }
}

/** Where the second ring would start, or a reason there is none. */
function pairSplit(dump: Uint8Array, options: RingDumpOptions): number | string {
  if (options.secondRingPage !== undefined) {
    const split = options.secondRingPage * HYPERVISOR_PAGE_SIZE;
    if (!Number.isSafeInteger(split) || split <= 0 || split >= dump.length) {
      return `second ring page ${options.secondRingPage} lies outside the ${dump.length}-byte dump`;
    }
    return split;
  }
  if (dump.length % 2 !== 0) return `dump size ${dump.length} is odd, so it is not two equal rings`;
  return dump.length / 2;
}

function pairRings(dump: Uint8Array, split: number, pageSize: number): RingDescription[] {
  return [describeRing(dump, 0, 0, split, pageSize), describeRing(dump, 1, split, dump.length - split, pageSize)];
}

function splitDescription(split: number, options: RingDumpOptions): string {
  return options.secondRingPage === undefined ? `halves of ${split} bytes` : `second ring at page ${options.secondRingPage}`;
}

function forcedPair(dump: Uint8Array, options: RingDumpOptions, pageSize: number): RingLayout {
  const split = pairSplit(dump, options);
  if (typeof split === "string") throw new CaptureError(options.file, 0, `cannot split into a ring pair: ${split}`);
  requireRingSize(options.file, 0, split, pageSize, "first ring");
  requireRingSize(options.file, split, dump.length - split, pageSize, "second ring");
  return { rings: pairRings(dump, split, pageSize), layout: "pair", reason: `pair as requested (${splitDescription(split, options)})` };
}

/** Why a candidate pair is not one, or undefined when both rings look sound. */
function pairObjection(dump: Uint8Array, options: RingDumpOptions, pageSize: number): string | RingDescription[] {
  const split = pairSplit(dump, options);
  if (typeof split === "string") return split;
  if (split < pageSize + TRAILER_SIZE || dump.length - split < pageSize + TRAILER_SIZE) {
    return `a split at ${split} leaves a ring too small to hold a header page`;
  }
  const rings = pairRings(dump, split, pageSize);
  for (const ring of rings) {
    const fault = headerFault(ring) ?? firstPacketFault(new RingData(dump, ring));
    if (fault) return `as a pair, ring ${ring.index} at ${ring.fileOffset}: ${fault.reason}`;
  }
  return rings;
}

const headerIsZero = (dump: Uint8Array, ring: RingDescription): boolean =>
  dump.subarray(ring.fileOffset, ring.fileOffset + ring.headerSize).every((byte) => byte === 0);

/**
 * An all-zero second header page proves nothing (a wrapped single ring is zero in the middle, and
 * producers set feature bit 0 on rings they use), so it only makes a pair when one ring cannot explain the dump.
 */
function detectLayout(dump: Uint8Array, options: RingDumpOptions, pageSize: number): RingLayout {
  const pair = pairObjection(dump, options, pageSize);
  const single = describeRing(dump, 0, 0, dump.length, pageSize);
  const singleFault = headerFault(single);
  if (typeof pair !== "string") {
    const how = options.secondRingPage === undefined ? `both halves of ${dump.length / 2} bytes` : `both rings (second at page ${options.secondRingPage})`;
    if (!headerIsZero(dump, pair[1]) || singleFault) return { rings: pair, layout: "pair", reason: `pair: ${how} have valid ring headers` };
    return { rings: [single], layout: "single", reason: `single ring: the second half's header page is all zero (no ring there); use --layout pair if it is an unused second ring` };
  }
  if (singleFault) throw new CaptureError(options.file, singleFault.offset, `${singleFault.reason} (and not a ring pair: ${pair})`);
  return { rings: [single], layout: "single", reason: `single ring: not a pair (${pair}); the whole dump has a valid ring header` };
}

function chooseLayout(dump: Uint8Array, options: RingDumpOptions): RingLayout {
  const pageSize = pageSizeOf(options);
  requireRingSize(options.file, 0, dump.length, pageSize, "dump");
  const layout = options.layout ?? "auto";
  if (layout === "pair") return forcedPair(dump, options, pageSize);
  if (layout === "single") {
    return { rings: [describeRing(dump, 0, 0, dump.length, pageSize)], layout: "single", reason: "single ring as requested" };
  }
  return detectLayout(dump, options, pageSize);
}

/**
 * Which layout the reader will use and why. Index faults of a layout chosen by the caller are
 * left for readRingDump to report (after the earlier rings' records); auto-detection throws when
 * the dump is no ring at all.
 */
export function describeRingLayout(dump: Uint8Array, options: RingDumpOptions): RingLayout {
  return chooseLayout(dump, options);
}

// ---------------------------------------------------------------- the data area

/** A ring's data area, read with wrap-around: a dump is not double-mapped as the kernel's view is. */
class RingData {
  readonly bytes: Uint8Array;
  readonly size: number;

  constructor(
    dump: Uint8Array,
    readonly ring: RingDescription,
  ) {
    const start = ring.fileOffset + ring.headerSize;
    this.bytes = dump.subarray(start, start + ring.dataSize);
    this.size = ring.dataSize;
  }

  wrap(offset: number): number {
    return ((offset % this.size) + this.size) % this.size;
  }

  /** A copy of `length` bytes (at most the data size) from `offset`, continuing at 0 past the end. */
  copy(offset: number, length: number): Uint8Array {
    const start = this.wrap(offset);
    const result = new Uint8Array(Math.min(length, this.size));
    const firstPart = Math.min(result.length, this.size - start);
    result.set(this.bytes.subarray(start, start + firstPart), 0);
    result.set(this.bytes.subarray(0, result.length - firstPart), firstPart);
    return result;
  }

  view(offset: number, length: number): DataView {
    const bytes = this.copy(offset, length);
    return new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  }

  /** Distance going forward from `from` to `to`. */
  distance(from: number, to: number): number {
    return this.wrap(to - from);
  }

  pendingBytes(): number {
    return this.distance(this.ring.readIndex, this.ring.writeIndex);
  }

  fileOffsetOf(dataOffset: number): number {
    return this.ring.fileOffset + this.ring.headerSize + dataOffset;
  }
}

interface Descriptor {
  type: number;
  offset8: number;
  len8: number;
}

function readDescriptor(data: RingData, start: number): Descriptor {
  const view = data.view(start, DESCRIPTOR_SIZE);
  return { type: view.getUint16(0, true), offset8: view.getUint16(2, true), len8: view.getUint16(4, true) };
}

/** core.md 3.7 step 2: why the packet at `start` cannot be framed within `remaining` bytes. */
function framingFault(data: RingData, start: number, remaining: number): HeaderFault | undefined {
  if (remaining < DESCRIPTOR_SIZE) {
    return { offset: 0, reason: `only ${remaining} pending bytes left, fewer than a ${DESCRIPTOR_SIZE}-byte descriptor` };
  }
  const { offset8, len8 } = readDescriptor(data, start);
  if (offset8 < 2) return { offset: 2, reason: `descriptor offset8 ${offset8} is below 2 (the descriptor alone takes 16 bytes)` };
  if (len8 < offset8) return { offset: 4, reason: `descriptor len8 ${len8} is below offset8 ${offset8}` };
  if (len8 * 8 + TRAILER_SIZE > remaining) {
    return {
      offset: 4,
      reason: `descriptor len8 ${len8} (${len8 * 8} bytes and an 8-byte trailer) runs past the ${remaining} pending bytes`,
    };
  }
  return undefined;
}

function firstPacketFault(data: RingData): HeaderFault | undefined {
  const pending = data.pendingBytes();
  return pending === 0 ? undefined : framingFault(data, data.ring.readIndex, pending);
}

// ---------------------------------------------------------------- attached data

interface Attachment {
  chunks: AttachedChunk[];
  problems: ReaderProblem[];
}

interface RangeHeader {
  view: DataView;
  count: number;
  /** The type-specific header ends here (offset8 × 8, or the packet end if that is shorter). */
  end: number;
}

function rangeHeader(packet: Uint8Array, problems: ReaderProblem[]): RangeHeader | undefined {
  const view = new DataView(packet.buffer, packet.byteOffset, packet.length);
  const end = Math.min(view.getUint16(2, true) * 8, packet.length);
  if (end < FIRST_RANGE_OFFSET) {
    problems.push({ severity: "warn", offset: 2, text: `type-specific header ends at byte ${end}, before the range count and ranges; nothing attached` });
    return undefined;
  }
  return { view, count: view.getUint32(RANGE_COUNT_OFFSET, true), end };
}

function transferPageRanges(packet: Uint8Array, recvBuffer: RandomAccess, cap: number): Attachment {
  const attachment: Attachment = { chunks: [], problems: [] };
  const header = rangeHeader(packet, attachment.problems);
  if (!header) return attachment;
  const fitting = Math.floor((header.end - FIRST_RANGE_OFFSET) / 8);
  if (header.count > fitting) {
    attachment.problems.push({
      severity: "warn",
      offset: RANGE_COUNT_OFFSET,
      text: `range_cnt ${header.count} needs ${header.count * 8} bytes of ranges but the type-specific header ends at byte ${header.end}; attaching the ${fitting} that fit`,
    });
  }
  for (let index = 0; index < Math.min(header.count, fitting); index++) {
    const at = FIRST_RANGE_OFFSET + index * 8;
    const byteCount = header.view.getUint32(at, true);
    const byteOffset = header.view.getUint32(at + 4, true);
    attachment.chunks.push(readTransferRange(recvBuffer, index, at, byteOffset, byteCount, cap, attachment.problems));
  }
  return attachment;
}

function readTransferRange(
  recvBuffer: RandomAccess,
  index: number,
  at: number,
  byteOffset: number,
  byteCount: number,
  cap: number,
  problems: ReaderProblem[],
): AttachedChunk {
  const available = Math.max(0, recvBuffer.size - byteOffset);
  if (byteCount > available) {
    problems.push({
      severity: "warn",
      offset: at,
      text: `range ${index} (${byteCount} bytes at ${hex(byteOffset)}) runs past the ${recvBuffer.size}-byte receive buffer; kept ${Math.min(available, cap)} bytes`,
    });
  } else if (byteCount > cap) {
    problems.push({ severity: "note", offset: at, text: `range ${index} holds ${byteCount} bytes; attached the first ${cap}` });
  }
  const length = Math.min(byteCount, available, cap);
  const data = length > 0 ? recvBuffer.read(byteOffset, length) : new Uint8Array(0);
  return { source: AttachedSource.TransferPageRange, index, offset: 0, data };
}

function gpaRanges(packet: Uint8Array, guestMemory: RandomAccess, cap: number): Attachment {
  const attachment: Attachment = { chunks: [], problems: [] };
  const header = rangeHeader(packet, attachment.problems);
  if (!header) return attachment;
  let at = FIRST_RANGE_OFFSET;
  for (let index = 0; index < header.count; index++) {
    const range = gpaRangeAt(header, at, index, attachment.problems);
    if (!range) break;
    attachment.chunks.push(readGpaRange(guestMemory, range, index, cap, attachment.problems));
    at = range.end;
  }
  return attachment;
}

interface GpaRange {
  at: number;
  byteCount: number;
  byteOffset: number;
  pageCount: number;
  view: DataView;
  end: number;
}

function gpaRangeAt(header: RangeHeader, at: number, index: number, problems: ReaderProblem[]): GpaRange | undefined {
  const runsPast = (what: string) =>
    problems.push({
      severity: "warn",
      offset: at,
      text: `range ${index} of range_cnt ${header.count}: ${what} runs past the type-specific header (ends at byte ${header.end}); no further ranges attached`,
    });
  if (at + 8 > header.end) return void runsPast("its byte_count and byte_offset");
  const byteCount = header.view.getUint32(at, true);
  const byteOffset = header.view.getUint32(at + 4, true);
  const pageCount = Math.ceil((byteOffset + byteCount) / HYPERVISOR_PAGE_SIZE);
  const end = at + 8 + pageCount * 8;
  if (end > header.end) return void runsPast(`its ${pageCount} page numbers`);
  return { at, byteCount, byteOffset, pageCount, view: header.view, end };
}

/** Gathers the range page by page; allocation follows the bytes actually read, never byte_count. */
function readGpaRange(memory: RandomAccess, range: GpaRange, index: number, cap: number, problems: ReaderProblem[]): AttachedChunk {
  const wanted = Math.min(range.byteCount, cap);
  if (range.byteCount > cap) {
    problems.push({ severity: "note", offset: range.at, text: `range ${index} holds ${range.byteCount} bytes; attached the first ${cap}` });
  }
  const parts: Uint8Array[] = [];
  let gathered = 0;
  while (gathered < wanted) {
    const position = range.byteOffset + gathered;
    const page = Math.floor(position / HYPERVISOR_PAGE_SIZE);
    const within = position % HYPERVISOR_PAGE_SIZE;
    const length = Math.min(HYPERVISOR_PAGE_SIZE - within, wanted - gathered);
    const part = readGuestPage(memory, range, page, within, length);
    if (part.length > 0) parts.push(part);
    gathered += part.length;
    if (part.length < length) {
      problems.push({
        severity: "warn",
        offset: range.at + 8 + page * 8,
        text: `range ${index} page ${page} (pfn ${pfnAt(range, page).toString(16)}) lies beyond the ${memory.size}-byte guest memory image; kept the first ${gathered} of ${range.byteCount} bytes`,
      });
      break;
    }
  }
  return { source: AttachedSource.GpaRange, index, offset: 0, data: concatenate(parts, gathered) };
}

const pfnAt = (range: GpaRange, page: number): bigint => range.view.getBigUint64(range.at + 8 + page * 8, true);

function readGuestPage(memory: RandomAccess, range: GpaRange, page: number, within: number, length: number): Uint8Array {
  const address = pfnAt(range, page) * BigInt(HYPERVISOR_PAGE_SIZE) + BigInt(within);
  if (address >= BigInt(memory.size)) return new Uint8Array(0);
  return memory.read(Number(address), length);
}

function concatenate(parts: Uint8Array[], length: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const result = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    result.set(part, at);
    at += part.length;
  }
  return result;
}

function attachedData(packet: Uint8Array, options: RingDumpOptions): Attachment | undefined {
  const type = packet[0]! | (packet[1]! << 8);
  const cap = options.maxAttachedBytes ?? DEFAULT_MAX_ATTACHED_BYTES;
  const { recvBuffer, guestMemory } = options.memory ?? {};
  if (type === TRANSFER_PAGE_PACKET && recvBuffer) return transferPageRanges(packet, recvBuffer, cap);
  if (type === GPA_DIRECT_PACKET && guestMemory) return gpaRanges(packet, guestMemory, cap);
  return undefined;
}

// ---------------------------------------------------------------- records

interface RingContext {
  data: RingData;
  direction: Direction;
  options: RingDumpOptions;
  nextNumber: () => number;
}

function directionLabel(direction: Direction): string {
  if (direction === Direction.GuestToHost) return "guest→host";
  if (direction === Direction.HostToGuest) return "host→guest";
  return "direction unknown";
}

function headerRecord(dump: Uint8Array, context: RingContext): VmbusRecord {
  const ring = context.data.ring;
  return {
    origin: {
      file: context.options.file,
      fileOffset: ring.fileOffset,
      number: context.nextNumber(),
      note: `ring ${ring.index} header (${directionLabel(context.direction)})`,
    },
    direction: context.direction,
    kind: RecordKind.RingHeader,
    flags: 0,
    relid: 0,
    payload: dump.slice(ring.fileOffset, ring.fileOffset + Math.min(HEADER_RECORD_BYTES, ring.headerSize)),
    attached: [],
    ring: { index: ring.index, dataSize: ring.dataSize, offset: 0 },
  };
}

function packetRecord(context: RingContext, start: number, payload: Uint8Array, flags: number, note: string): VmbusRecord {
  const ring = context.data.ring;
  return {
    origin: { file: context.options.file, fileOffset: context.data.fileOffsetOf(start), number: context.nextNumber(), note },
    direction: context.direction,
    kind: RecordKind.RingPacket,
    flags,
    relid: 0,
    payload,
    attached: [],
    ring: { index: ring.index, dataSize: ring.dataSize, offset: start },
  };
}

function trailerProblem(data: RingData, start: number, length: number): ReaderProblem | undefined {
  const trailer = data.view(start + length, TRAILER_SIZE);
  const reserved = trailer.getUint32(0, true);
  const recordedStart = trailer.getUint32(4, true);
  if (reserved === 0 && recordedStart === start) return undefined;
  return {
    severity: "warn",
    text: `trailer after the packet reads start ${hex(recordedStart)} (reserved ${hex(reserved)}), expected start ${hex(start)} with reserved 0`,
  };
}

function addProblems(record: VmbusRecord, problems: ReaderProblem[]): void {
  if (problems.length > 0) record.readerProblems = [...(record.readerProblems ?? []), ...problems];
}

function completePacket(context: RingContext, start: number, flags: number, note: string): VmbusRecord {
  const length = readDescriptor(context.data, start).len8 * 8;
  const record = packetRecord(context, start, context.data.copy(start, length), flags, note);
  const trailer = trailerProblem(context.data, start, length);
  addProblems(record, trailer ? [trailer] : []);
  attach(record, context.options);
  return record;
}

function attach(record: VmbusRecord, options: RingDumpOptions): void {
  const attachment = attachedData(record.payload, options);
  if (!attachment) return;
  record.attached = attachment.chunks;
  if (attachment.chunks.length > 0) record.flags |= RecordFlags.AttachedData;
  const reuse: ReaderProblem[] =
    record.flags & RecordFlags.Recovered && attachment.chunks.length > 0
      ? [{ severity: "note", text: "attached bytes are the memory as dumped; a consumed packet's buffer may have been reused since" }]
      : [];
  addProblems(record, [...attachment.problems, ...reuse]);
}

function truncatedPacket(context: RingContext, start: number, remaining: number, fault: HeaderFault): VmbusRecord {
  const claimed = remaining >= DESCRIPTOR_SIZE ? readDescriptor(context.data, start).len8 * 8 : 0;
  const kept = Math.min(remaining, Math.max(claimed, DESCRIPTOR_SIZE));
  const record = packetRecord(context, start, context.data.copy(start, kept), RecordFlags.Truncated, "pending");
  if (claimed > kept) record.originalLength = claimed;
  const rest = `the ${remaining} pending bytes from data offset ${hex(start)} cannot be framed, so the pending walk of ring ${context.data.ring.index} stops here`;
  addProblems(record, [{ severity: "error", offset: fault.offset, text: `${fault.reason}; ${rest}` }]);
  return record;
}

function* pendingPackets(context: RingContext): Generator<VmbusRecord> {
  const data = context.data;
  let start = data.ring.readIndex;
  let remaining = data.pendingBytes();
  while (remaining > 0) {
    const fault = framingFault(data, start, remaining);
    if (fault) {
      yield truncatedPacket(context, start, remaining, fault);
      return;
    }
    const record = completePacket(context, start, 0, "pending");
    const consumed = record.payload.length + TRAILER_SIZE;
    yield record;
    start = data.wrap(start + consumed);
    remaining -= consumed;
  }
}

// ---------------------------------------------------------------- history (core.md 2.3)

/** The start of the consumed packet that ends just before `end`, if every check holds. */
function previousPacketStart(data: RingData, end: number, staleBudget: number): number | undefined {
  if (staleBudget < DESCRIPTOR_SIZE + TRAILER_SIZE) return undefined;
  const trailer = data.view(end - TRAILER_SIZE, TRAILER_SIZE);
  const start = trailer.getUint32(4, true);
  if (trailer.getUint32(0, true) !== 0 || start % 8 !== 0 || start >= data.size || start === end) return undefined;
  const span = data.distance(start, end);
  if (span > staleBudget) return undefined;
  const { type, offset8, len8 } = readDescriptor(data, start);
  const sane = type >= 1 && type <= HIGHEST_DEFINED_PACKET_TYPE && offset8 >= 2 && len8 >= offset8;
  return sane && len8 * 8 + TRAILER_SIZE === span ? start : undefined;
}

/** Starts of consumed packets, oldest first; the stale region runs from write_index forward to read_index. */
function consumedPacketStarts(data: RingData): number[] {
  const starts: number[] = [];
  let end = data.ring.readIndex;
  let budget = data.size - data.pendingBytes();
  for (;;) {
    const start = previousPacketStart(data, end, budget);
    if (start === undefined) break;
    starts.push(start);
    budget -= data.distance(start, end);
    end = start;
  }
  return starts.reverse();
}

function* recoveredPackets(context: RingContext): Generator<VmbusRecord> {
  for (const start of consumedPacketStarts(context.data)) {
    yield completePacket(context, start, RecordFlags.Recovered, "recovered");
  }
}

// ---------------------------------------------------------------- the reader

function ringDirection(layout: RingLayout, index: number, options: RingDumpOptions): Direction {
  if (layout.layout === "single") return options.direction ?? Direction.Unknown;
  return index === 0 ? Direction.GuestToHost : Direction.HostToGuest;
}

/**
 * Yields, per ring: its header record, the recovered consumed packets oldest first (with
 * `history`), then the pending packets. Throws CaptureError when a ring's header is not a ring's,
 * after the earlier rings' records.
 */
export function* readRingDump(dump: Uint8Array, options: RingDumpOptions): Generator<VmbusRecord> {
  const layout = chooseLayout(dump, options);
  let number = 0;
  const nextNumber = () => ++number;
  for (const ring of layout.rings) {
    const fault = headerFault(ring);
    if (fault) throw new CaptureError(options.file, fault.offset, fault.reason);
    const context: RingContext = { data: new RingData(dump, ring), direction: ringDirection(layout, ring.index, options), options, nextNumber };
    yield headerRecord(dump, context);
    if (options.history) yield* recoveredPackets(context);
    yield* pendingPackets(context);
  }
}
