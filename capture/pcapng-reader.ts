// pcapng reader (IETF pcapng draft): every section, either byte order, SHB/IDB/EPB/SPB/obsolete
// packet blocks; other blocks are skipped. VMBus link types become VmbusRecords (or, for a writer
// that can take them so, copies: readPcapngPacketBatches).
import { BlockType, BYTE_ORDER_MAGIC, END_OF_OPTIONS_LENGTH, EPB_INBOUND, EPB_OUTBOUND, epbFlagsOf, FLAGS_OPTION_LENGTH, OptionCode } from "./pcapng-constants.js";
import { BATCH_SIZE, bufferedBatches, recordBatches, type BufferedReader, type CaptureInput } from "./input.js";
import { PacketBatch, type CopyCondition } from "./packet-batch.js";
import { CaptureError, Direction, eachRecord, type VmbusRecord } from "./record.js";
import { copyableDirection, PSEUDO_HEADER_LENGTH, vmbusRecordFromPacket, type CapturedPacket } from "./vmbus-pseudo-header.js";
import { paddedTo4 } from "./bytes.js";

export const DEFAULT_VMBUS_LINK_TYPES: ReadonlySet<number> = new Set([147]);

/** Counters a caller may pass in to learn what the reader saw besides VMBus records. */
export interface ReaderStats {
  sections: number;
  interfaces: number;
  /** Packets on interfaces whose link type is not a VMBus one (e.g. extracted Ethernet frames). */
  otherLinkTypePackets: number;
  /** Blocks of types that carry no packets (name resolution, statistics, custom, unknown). */
  skippedBlocks: number;
}

export function newReaderStats(): ReaderStats {
  return { sections: 0, interfaces: 0, otherLinkTypePackets: 0, skippedBlocks: 0 };
}

/** A packet of a link type that is not VMBus, handed to onOtherPacket as the file framed it. */
export interface OtherPacket {
  file: string;
  fileOffset: number;
  interfaceId?: number;
  linkType: number;
  timestampNs?: bigint;
  data: Uint8Array;
  originalLength: number;
  direction?: Direction;
  comments?: string[];
}

/** An interface as its IDB describes it, handed to onInterface when the reader meets it. */
export interface InterfaceInfo {
  /** 0-based section number: interface ids start again in each section. */
  section: number;
  interfaceId: number;
  linkType: number;
  snaplen: number;
  name?: string;
  description?: string;
  fileOffset: number;
}

export interface CaptureReadOptions {
  /** Link types whose packets carry the VMBus pseudo-header; default {147}. */
  vmbusLinkTypes?: ReadonlySet<number>;
  stats?: ReaderStats;
  onOtherPacket?: (packet: OtherPacket) => void;
  onInterface?: (info: InterfaceInfo) => void;
}

const BLOCK_FRAMING_LENGTH = 12;
const SECTION_HEADER_MINIMUM = 28;
/** Bytes the reader looks at before it knows a block's length (type, length, and an SHB's byte-order magic). */
const BLOCK_HEADER_PEEK = 12;

/** The block being read: one object per reader, reused for every block. */
interface Block {
  type: number;
  offset: number;
  littleEndian: boolean;
  /** The input's chunk, its buffer and its DataView; the body (between the total length and its trailing copy) is bodyStart..bodyEnd of it. */
  bytes: Uint8Array;
  buffer: ArrayBufferLike;
  view: DataView;
  bodyStart: number;
  bodyEnd: number;
}

interface Interface {
  linkType: number;
  snaplen: number;
  clock: TimestampClock;
}

/** A packet block's fields (EPB, SPB, obsolete PB); one object per reader, reused. */
interface PacketFraming {
  interfaceId: number;
  hasTimestamp: boolean;
  timestampHigh: number;
  timestampLow: number;
  /** Chunk offsets of the captured data. */
  dataStart: number;
  capturedLength: number;
  originalLength: number;
  /** Chunk offset of the options, or -1 when the block has none. */
  optionsStart: number;
}

interface PcapngOption {
  code: number;
  value: DataView;
}

/** Yields the VMBus records of a pcapng input in file order; throws CaptureError at the first unreadable block. */
export function readPcapng(input: CaptureInput, options: CaptureReadOptions = {}): AsyncGenerator<VmbusRecord> {
  return eachRecord(readPcapngBatches(input, options));
}

/** The same records in batches. */
export function readPcapngBatches(input: CaptureInput, options: CaptureReadOptions = {}): AsyncGenerator<VmbusRecord[]> {
  return recordBatches(input, new PcapngReader(input, options));
}

/** The same in batches where the packets that meet the condition are copies, not records (PacketBatch). */
export function readPcapngPacketBatches(input: CaptureInput, copy: CopyCondition, options: CaptureReadOptions = {}): AsyncGenerator<PacketBatch> {
  const reader = new PcapngReader(input, options);
  const batch = new PacketBatch();
  return bufferedBatches(input, () => batch, (into) => reader.readBufferedPackets(into, copy));
}

class PcapngReader implements BufferedReader {
  private littleEndian?: boolean;
  private interfaces: Interface[] = [];
  private recordCount = 0;
  private sectionIndex = -1;
  private readonly vmbusLinkTypes: ReadonlySet<number>;
  private readonly stats: ReaderStats;
  private readonly block: Block = { type: 0, offset: 0, littleEndian: true, bytes: new Uint8Array(0), buffer: new ArrayBuffer(0), view: new DataView(new ArrayBuffer(0)), bodyStart: 0, bodyEnd: 0 };
  private readonly framing: PacketFraming = { interfaceId: 0, hasTimestamp: false, timestampHigh: 0, timestampLow: 0, dataStart: 0, capturedLength: 0, originalLength: 0, optionsStart: -1 };
  private readonly packetOptions = new PacketOptionValues();
  private readonly capturedPacket: CapturedPacket = { file: "", fileOffset: 0, number: 0, bytes: new Uint8Array(0), buffer: new ArrayBuffer(0), dataStart: 0, dataLength: 0, originalLength: 0, linkType: 0 };

  constructor(
    private readonly input: CaptureInput,
    private readonly options: CaptureReadOptions,
  ) {
    this.vmbusLinkTypes = options.vmbusLinkTypes ?? DEFAULT_VMBUS_LINK_TYPES;
    this.stats = options.stats ?? newReaderStats();
  }

  private fail(offset: number, reason: string): never {
    throw new CaptureError(this.input.name, offset, reason);
  }

  readBuffered(batch: VmbusRecord[]): number {
    return this.readBlocks(batch, (block) => {
      const record = this.handle(block);
      if (record) batch.push(record);
    });
  }

  /** readBuffered, with the packets that meet the condition as copies. */
  readBufferedPackets(batch: PacketBatch, copy: CopyCondition): number {
    batch.start(this.input.chunk);
    return this.readBlocks(batch, (block) => {
      if (block.type === BlockType.EnhancedPacket && this.copyPacket(block, batch, copy)) return;
      const record = this.handle(block);
      if (record) batch.addRecord(record);
    });
  }

  /** Hands each complete buffered block to take until the batch is full; returns what readBuffered does. */
  private readBlocks(batch: { readonly length: number }, take: (block: Block) => void): number {
    const input = this.input;
    while (batch.length < BATCH_SIZE) {
      const available = input.end - input.start;
      if (available < BLOCK_HEADER_PEEK && !input.ended) return BLOCK_HEADER_PEEK;
      if (available === 0) return 0;
      const totalLength = this.blockLength(available);
      if (available < totalLength) {
        if (!input.ended) return totalLength;
        this.fail(input.position, `file ends inside a block of ${totalLength} bytes (${available} present)`);
      }
      take(this.frameBlock(totalLength));
      input.consume(totalLength);
    }
    return BLOCK_HEADER_PEEK;
  }

  /**
   * Adds the EPB to the batch as a copy when its packet is one the writer would write back as it is
   * (copyableDirection), in the output's timestamp units, without comments, and one the consumer
   * copies; false leaves it to handle (which frames it again: rare).
   */
  private copyPacket(block: Block, batch: PacketBatch, copy: CopyCondition): boolean {
    const framing = this.enhancedPacket(block);
    const networkInterface = this.interfaceOf(block, framing.interfaceId);
    if (!this.vmbusLinkTypes.has(networkInterface.linkType) || !networkInterface.clock.countsIn(copy.tsresol)) return false;
    const options = this.packetOptions.read(block, framing.optionsStart);
    if (options.comments.length > 0) return false;
    const { bytes } = block;
    const { dataStart, capturedLength } = framing;
    const direction = copyableDirection(bytes, dataStart, capturedLength, options.direction);
    if (direction < 0) return false;
    const kind = bytes[dataStart + 4];
    const relid = block.view.getUint32(dataStart + 8, true);
    if (!copy.copies(kind, relid, bytes, dataStart + PSEUDO_HEADER_LENGTH, dataStart + capturedLength)) return false;
    this.recordCount++;
    const index = batch.addCopy(block.offset, dataStart, capturedLength, framing.originalLength, framing.timestampHigh, framing.timestampLow, direction, kind, relid);
    const blockStart = block.bodyStart - 8;
    batch.placeBlock(index, blockStart, block.bodyEnd + 4 - blockStart, this.writtenAsIs(block, framing, direction) ? framing.interfaceId : -1);
    return true;
  }

  /**
   * Whether the writer, given the same interface id, writes this copyable EPB back byte for byte: it
   * writes little-endian, the original length at least the captured one, zero padding, and as its
   * only option the epb_flags of the direction (none when the direction is unknown).
   */
  private writtenAsIs(block: Block, framing: PacketFraming, direction: Direction): boolean {
    const { bytes, view } = block;
    const { dataStart, capturedLength, optionsStart } = framing;
    if (!block.littleEndian || framing.originalLength < capturedLength) return false;
    for (let padding = dataStart + capturedLength; padding < optionsStart; padding++) if (bytes[padding] !== 0) return false;
    const flags = epbFlagsOf(direction);
    if (flags === 0) return optionsStart === block.bodyEnd;
    return optionsStart + FLAGS_OPTION_LENGTH + END_OF_OPTIONS_LENGTH === block.bodyEnd
      && view.getUint16(optionsStart, true) === OptionCode.PacketFlags && view.getUint16(optionsStart + 2, true) === 4
      && view.getUint32(optionsStart + 4, true) === flags && view.getUint32(optionsStart + FLAGS_OPTION_LENGTH, true) === 0;
  }

  /** The block's total length, checked against what the input can hold. */
  private blockLength(available: number): number {
    const { chunkView: view, start, position: offset } = this.input;
    if (available < 8) this.fail(offset, `file ends inside a block header (${available} of 8 bytes)`);
    const isSectionHeader = view.getUint32(start) === BlockType.SectionHeader;
    const littleEndian = isSectionHeader ? this.sectionByteOrder(view, start, available, offset) : this.currentByteOrder(offset);
    const totalLength = view.getUint32(start + 4, littleEndian);
    this.checkTotalLength(offset, totalLength, isSectionHeader ? SECTION_HEADER_MINIMUM : BLOCK_FRAMING_LENGTH);
    this.block.littleEndian = littleEndian;
    return totalLength;
  }

  /** Points this.block at the complete block at the input's start. */
  private frameBlock(totalLength: number): Block {
    const { chunk, chunkView: view, start, position: offset } = this.input;
    const block = this.block;
    const trailingLength = view.getUint32(start + totalLength - 4, block.littleEndian);
    if (trailingLength !== totalLength) {
      this.fail(offset, `block total length ${totalLength} does not match its trailing copy ${trailingLength}`);
    }
    block.type = view.getUint32(start, block.littleEndian);
    block.offset = offset;
    if (block.bytes !== chunk) {
      // Once per chunk: a typed array's buffer getter is not free.
      block.bytes = chunk;
      block.buffer = chunk.buffer;
      block.view = view;
    }
    block.bodyStart = start + 8;
    block.bodyEnd = start + totalLength - 4;
    return block;
  }

  private sectionByteOrder(view: DataView, start: number, available: number, offset: number): boolean {
    if (available < 12) this.fail(offset, "file ends inside a section header block");
    const magic = view.getUint32(start + 8, true);
    if (magic === BYTE_ORDER_MAGIC) return true;
    if (view.getUint32(start + 8, false) === BYTE_ORDER_MAGIC) return false;
    return this.fail(offset, `section header byte-order magic 0x${magic.toString(16)} is not 0x1a2b3c4d in either byte order`);
  }

  private currentByteOrder(offset: number): boolean {
    if (this.littleEndian === undefined) this.fail(offset, "not a pcapng file: it does not start with a section header block");
    return this.littleEndian;
  }

  private checkTotalLength(offset: number, totalLength: number, minimum: number): void {
    if (totalLength < minimum) this.fail(offset, `block total length ${totalLength} is below the minimum of ${minimum}`);
    if (totalLength % 4 !== 0) this.fail(offset, `block total length ${totalLength} is not a multiple of 4`);
    const remaining = this.input.size === undefined ? undefined : this.input.size - offset;
    if (remaining !== undefined && totalLength > remaining) {
      this.fail(offset, `block total length ${totalLength} runs past the end of the file (${remaining} bytes remain)`);
    }
  }

  private handle(block: Block): VmbusRecord | undefined {
    switch (block.type) {
      case BlockType.SectionHeader:
        this.startSection(block);
        return undefined;
      case BlockType.InterfaceDescription:
        this.addInterface(block);
        return undefined;
      case BlockType.EnhancedPacket:
        return this.packet(block, this.enhancedPacket(block));
      case BlockType.ObsoletePacket:
        return this.packet(block, this.obsoletePacket(block));
      case BlockType.SimplePacket:
        return this.packet(block, this.simplePacket(block));
      default:
        this.stats.skippedBlocks++;
        return undefined;
    }
  }

  private startSection(block: Block): void {
    const major = block.view.getUint16(block.bodyStart + 4, block.littleEndian);
    if (major !== 1) this.fail(block.offset, `pcapng major version ${major} is not supported`);
    this.littleEndian = block.littleEndian;
    this.interfaces = [];
    this.sectionIndex++;
    this.stats.sections++;
  }

  private addInterface(block: Block): void {
    const { view, bodyStart, littleEndian } = block;
    if (block.bodyEnd - bodyStart < 8) this.fail(block.offset, "interface description block too short for its fixed fields");
    const interfaceOptions = collectOptions(block, bodyStart + 8);
    const linkType = view.getUint16(bodyStart, littleEndian);
    const snaplen = view.getUint32(bodyStart + 4, littleEndian);
    this.interfaces.push({ linkType, snaplen, clock: new TimestampClock(interfaceOptions, littleEndian) });
    this.stats.interfaces++;
    const textOption = (code: number) => {
      const option = interfaceOptions.find((candidate) => candidate.code === code);
      return option ? textOf(option.value) : undefined;
    };
    this.options.onInterface?.({
      section: this.sectionIndex,
      interfaceId: this.interfaces.length - 1,
      linkType,
      snaplen,
      name: textOption(OptionCode.InterfaceName),
      description: textOption(OptionCode.InterfaceDescription),
      fileOffset: block.offset,
    });
  }

  private enhancedPacket(block: Block): PacketFraming {
    if (block.bodyEnd - block.bodyStart < 20) this.fail(block.offset, "enhanced packet block too short for its fixed fields");
    return this.packetWithHeader(block, block.view.getUint32(block.bodyStart, block.littleEndian));
  }

  /** The obsolete Packet Block: a 16-bit interface id and a drops count where the EPB has a 32-bit id. */
  private obsoletePacket(block: Block): PacketFraming {
    if (block.bodyEnd - block.bodyStart < 20) this.fail(block.offset, "packet block too short for its fixed fields");
    return this.packetWithHeader(block, block.view.getUint16(block.bodyStart, block.littleEndian));
  }

  /** EPB and obsolete packet block share, after the interface id: timestamp (high, low), captured length, original length, data, options. */
  private packetWithHeader(block: Block, interfaceId: number): PacketFraming {
    const { view, littleEndian } = block;
    const fields = block.bodyStart + 4;
    const framing = this.framing;
    framing.interfaceId = interfaceId;
    framing.hasTimestamp = true;
    framing.timestampHigh = view.getUint32(fields, littleEndian);
    framing.timestampLow = view.getUint32(fields + 4, littleEndian);
    framing.capturedLength = view.getUint32(fields + 8, littleEndian);
    framing.originalLength = view.getUint32(fields + 12, littleEndian);
    framing.dataStart = fields + 16;
    if (framing.capturedLength > block.bodyEnd - framing.dataStart) {
      this.fail(block.offset, `captured length ${framing.capturedLength} runs past the block`);
    }
    framing.optionsStart = framing.dataStart + paddedTo4(framing.capturedLength);
    return framing;
  }

  private simplePacket(block: Block): PacketFraming {
    const { view, bodyStart, bodyEnd, littleEndian } = block;
    if (bodyEnd - bodyStart < 4) this.fail(block.offset, "simple packet block too short for its fixed fields");
    const framing = this.framing;
    framing.originalLength = view.getUint32(bodyStart, littleEndian);
    const snaplen = this.interfaceOf(block, 0).snaplen;
    let capturedLength = Math.min(framing.originalLength, bodyEnd - bodyStart - 4);
    if (snaplen !== 0) capturedLength = Math.min(capturedLength, snaplen);
    framing.interfaceId = 0;
    framing.hasTimestamp = false;
    framing.dataStart = bodyStart + 4;
    framing.capturedLength = capturedLength;
    framing.optionsStart = -1;
    return framing;
  }

  private interfaceOf(block: Block, interfaceId: number): Interface {
    const found = this.interfaces[interfaceId];
    if (!found) this.fail(block.offset, `packet refers to interface ${interfaceId}, but the section defines ${this.interfaces.length}`);
    return found;
  }

  private packet(block: Block, framing: PacketFraming): VmbusRecord | undefined {
    const networkInterface = this.interfaceOf(block, framing.interfaceId);
    const timestampNs = framing.hasTimestamp ? networkInterface.clock.nanoseconds(framing.timestampHigh, framing.timestampLow) : undefined;
    const packetOptions = this.packetOptions.read(block, framing.optionsStart);
    if (!this.vmbusLinkTypes.has(networkInterface.linkType)) {
      this.reportOtherPacket(block, framing, networkInterface.linkType, timestampNs, packetOptions);
      return undefined;
    }
    const packet = this.capturedPacket;
    packet.file = this.input.name;
    packet.fileOffset = block.offset;
    packet.number = ++this.recordCount;
    packet.bytes = block.bytes;
    packet.buffer = block.buffer;
    packet.dataStart = framing.dataStart;
    packet.dataLength = framing.capturedLength;
    packet.originalLength = framing.originalLength;
    packet.timestampNs = timestampNs;
    packet.framingDirection = packetOptions.direction;
    packet.interfaceId = framing.interfaceId;
    packet.linkType = networkInterface.linkType;
    packet.comments = packetOptions.comments;
    packet.problems = packetOptions.malformed === undefined ? undefined : [{ severity: "warn", text: packetOptions.malformed }];
    return vmbusRecordFromPacket(packet);
  }

  private reportOtherPacket(
    block: Block,
    framing: PacketFraming,
    linkType: number,
    timestampNs: bigint | undefined,
    packetOptions: PacketOptionValues,
  ): void {
    this.stats.otherLinkTypePackets++;
    this.options.onOtherPacket?.({
      file: this.input.name,
      fileOffset: block.offset,
      interfaceId: framing.interfaceId,
      linkType,
      timestampNs,
      data: block.bytes.slice(framing.dataStart, framing.dataStart + framing.capturedLength),
      originalLength: framing.originalLength,
      direction: packetOptions.direction,
      comments: packetOptions.comments,
    });
  }
}

/** Shared by packets without comments (never changed: a record keeps comments only when there are some). */
const NO_COMMENTS: string[] = [];

/**
 * Walks a block's options: code, length, value padded to 4, until end-of-options or the end of the
 * block. Reusable: no object per option.
 */
class OptionCursor {
  code = 0;
  /** Chunk offset and length of the current option's value. */
  valueStart = 0;
  length = 0;
  /** Why the walk stopped before the end, when an option ran past its block. */
  malformed?: string;
  private block!: Block;
  private next = 0;

  start(block: Block, offset: number): this {
    this.block = block;
    this.next = offset;
    this.malformed = undefined;
    return this;
  }

  /** Moves to the next option; false at the end. */
  advance(): boolean {
    const { view, bodyEnd, littleEndian } = this.block;
    const offset = this.next;
    if (offset + 4 > bodyEnd) return false;
    const code = view.getUint16(offset, littleEndian);
    const length = view.getUint16(offset + 2, littleEndian);
    if (code === OptionCode.EndOfOptions) return false;
    if (offset + 4 + length > bodyEnd) {
      this.malformed = `option ${code} of ${length} bytes runs past its block; later options ignored`;
      return false;
    }
    this.code = code;
    this.valueStart = offset + 4;
    this.length = length;
    this.next = offset + 4 + paddedTo4(length);
    return true;
  }
}

/** Every option of an IDB, values as views. */
function collectOptions(block: Block, start: number): PcapngOption[] {
  const options: PcapngOption[] = [];
  const cursor = new OptionCursor().start(block, start);
  while (cursor.advance()) options.push({ code: cursor.code, value: new DataView(block.view.buffer, block.view.byteOffset + cursor.valueStart, cursor.length) });
  return options;
}

/** What a packet's options say: its comments and, from the first epb_flags, its direction. One object per reader, reused. */
class PacketOptionValues {
  direction?: Direction;
  comments: string[] = NO_COMMENTS;
  malformed?: string;
  private readonly cursor = new OptionCursor();

  /** optionsStart -1: the block has no options. */
  read(block: Block, optionsStart: number): this {
    this.direction = undefined;
    this.comments = NO_COMMENTS;
    this.malformed = undefined;
    if (optionsStart < 0) return this;
    const cursor = this.cursor.start(block, optionsStart);
    let sawFlags = false;
    while (cursor.advance()) {
      if (cursor.code === OptionCode.Comment) {
        if (this.comments === NO_COMMENTS) this.comments = [];
        this.comments.push(textAt(block.bytes, cursor.valueStart, cursor.length));
      } else if (cursor.code === OptionCode.PacketFlags && cursor.length >= 4 && !sawFlags) {
        sawFlags = true;
        this.direction = directionOfFlags(block.view.getUint32(cursor.valueStart, block.littleEndian) & 3);
      }
    }
    this.malformed = cursor.malformed;
    return this;
  }
}

/** epb_flags bits 0-1: 01 inbound (host to guest), 10 outbound (guest to host). */
function directionOfFlags(direction: number): Direction | undefined {
  if (direction === EPB_INBOUND) return Direction.HostToGuest;
  if (direction === EPB_OUTBOUND) return Direction.GuestToHost;
  return undefined;
}

/**
 * if_tsresol: a power of ten, or of two when bit 7 is set (default 10^-6); if_tsoffset: whole
 * seconds added. Timestamps near each other share their high 32 bits, so the exact nanoseconds of
 * those bits are kept and the low bits added as a number where that is exact.
 */
class TimestampClock {
  private readonly toNs: (units: bigint) => bigint;
  /** if_tsresol as the file gives it, when there is no if_tsoffset; undefined with one. */
  private readonly plainResolution?: number;
  /** Nanoseconds per unit when units convert by multiplication and low × factor stays below 2^53. */
  private readonly smallFactor?: number;
  private cachedHigh = -1;
  private cachedHighNs = 0n;

  constructor(options: PcapngOption[], littleEndian: boolean) {
    const resolution = options.find((option) => option.code === OptionCode.TimestampResolution && option.value.byteLength >= 1);
    const offsetOption = options.find((option) => option.code === OptionCode.TimestampOffset && option.value.byteLength >= 8);
    const offsetNs = offsetOption ? offsetOption.value.getBigInt64(0, littleEndian) * 1_000_000_000n : 0n;
    const resolutionByte = resolution ? resolution.value.getUint8(0) : 6;
    if (offsetNs === 0n) this.plainResolution = resolutionByte;
    const exponent = BigInt(resolutionByte & 0x7f);
    if ((resolutionByte & 0x80) !== 0) {
      this.toNs = (units) => (units * 1_000_000_000n) / (1n << exponent) + offsetNs;
    } else if (exponent <= 9n) {
      const factor = 10n ** (9n - exponent);
      this.toNs = (units) => units * factor + offsetNs;
      if (factor <= 1n << 21n) this.smallFactor = Number(factor);
    } else {
      const divisor = 10n ** (exponent - 9n);
      this.toNs = (units) => units / divisor + offsetNs;
    }
  }

  /** Whether the EPB's timestamp units are those of a writer with this if_tsresol (a power of ten). */
  countsIn(tsresol: number): boolean {
    return this.plainResolution === tsresol;
  }

  nanoseconds(high: number, low: number): bigint {
    if (this.smallFactor === undefined) return this.toNs((BigInt(high) << 32n) | BigInt(low));
    if (high !== this.cachedHigh) {
      this.cachedHigh = high;
      this.cachedHighNs = this.toNs(BigInt(high) << 32n);
    }
    return this.cachedHighNs + BigInt(low * this.smallFactor);
  }
}

const utf8 = new TextDecoder();

function textOf(value: DataView): string {
  return utf8.decode(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
}

function textAt(bytes: Uint8Array, start: number, length: number): string {
  return utf8.decode(new Uint8Array(bytes.buffer, bytes.byteOffset + start, length));
}
