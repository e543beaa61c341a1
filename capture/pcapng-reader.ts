// pcapng reader (IETF pcapng draft): every section, either byte order, SHB/IDB/EPB/SPB/obsolete
// packet blocks; other blocks are skipped. VMBus link types become VmbusRecords.
import { BlockType, BYTE_ORDER_MAGIC, EPB_INBOUND, EPB_OUTBOUND, OptionCode } from "./pcapng-constants.js";
import type { CaptureInput } from "./input.js";
import { CaptureError, Direction, type ReaderProblem, type VmbusRecord } from "./record.js";
import { vmbusRecordFromPacket } from "./vmbus-pseudo-header.js";

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

interface Block {
  type: number;
  offset: number;
  littleEndian: boolean;
  /** The bytes between the total length and its trailing copy; a view into the input's buffer, valid until the next block. */
  body: DataView;
}

interface Interface {
  linkType: number;
  snaplen: number;
  timestampToNs: (units: bigint) => bigint;
}

interface PacketFraming {
  interfaceId: number;
  timestampUnits?: bigint;
  data: Uint8Array;
  originalLength: number;
  options: PcapngOption[];
  problems: ReaderProblem[];
}

interface PcapngOption {
  code: number;
  value: DataView;
}

/** Yields the VMBus records of a pcapng input in file order; throws CaptureError at the first unreadable block. */
export async function* readPcapng(input: CaptureInput, options: CaptureReadOptions = {}): AsyncGenerator<VmbusRecord> {
  const reader = new PcapngReader(input, options);
  for (;;) {
    const block = reader.bufferedBlock() ?? (await reader.nextBlock());
    if (!block) return;
    const record = reader.handle(block);
    if (record) yield record;
  }
}

class PcapngReader {
  private littleEndian?: boolean;
  private interfaces: Interface[] = [];
  private recordCount = 0;
  private sectionIndex = -1;
  private readonly vmbusLinkTypes: ReadonlySet<number>;
  private readonly stats: ReaderStats;

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

  /** The next block when the input already holds all of it: no promise per block on the fast path. */
  bufferedBlock(): Block | undefined {
    const offset = this.input.position;
    const head = this.input.peekBuffered(12);
    if (!head) return undefined;
    const { littleEndian, totalLength } = this.blockHeader(head, offset);
    const bytes = this.input.readBuffered(totalLength);
    return bytes && this.completeBlock(bytes, offset, littleEndian);
  }

  /** Reads one whole block after checking its length against what the input can hold; undefined at a clean end. */
  async nextBlock(): Promise<Block | undefined> {
    const offset = this.input.position;
    const head = await this.input.peek(12);
    if (head.length === 0) return undefined;
    if (head.length < 8) this.fail(offset, `file ends inside a block header (${head.length} of 8 bytes)`);
    const { littleEndian, totalLength } = this.blockHeader(head, offset);
    const bytes = await this.input.read(totalLength);
    if (bytes.length < totalLength) this.fail(offset, `file ends inside a block of ${totalLength} bytes (${bytes.length} present)`);
    return this.completeBlock(bytes, offset, littleEndian);
  }

  private blockHeader(head: Uint8Array, offset: number): { littleEndian: boolean; totalLength: number } {
    const headView = new DataView(head.buffer, head.byteOffset, head.byteLength);
    const isSectionHeader = headView.getUint32(0) === BlockType.SectionHeader;
    const littleEndian = isSectionHeader ? this.sectionByteOrder(headView, offset) : this.currentByteOrder(offset);
    const totalLength = headView.getUint32(4, littleEndian);
    this.checkTotalLength(offset, totalLength, isSectionHeader ? SECTION_HEADER_MINIMUM : BLOCK_FRAMING_LENGTH);
    return { littleEndian, totalLength };
  }

  private completeBlock(bytes: Uint8Array, offset: number, littleEndian: boolean): Block {
    const totalLength = bytes.length;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const trailingLength = view.getUint32(totalLength - 4, littleEndian);
    if (trailingLength !== totalLength) {
      this.fail(offset, `block total length ${totalLength} does not match its trailing copy ${trailingLength}`);
    }
    const body = new DataView(bytes.buffer, bytes.byteOffset + 8, totalLength - BLOCK_FRAMING_LENGTH);
    return { type: view.getUint32(0, littleEndian), offset, littleEndian, body };
  }

  private sectionByteOrder(head: DataView, offset: number): boolean {
    if (head.byteLength < 12) this.fail(offset, "file ends inside a section header block");
    const magic = head.getUint32(8, true);
    if (magic === BYTE_ORDER_MAGIC) return true;
    if (head.getUint32(8, false) === BYTE_ORDER_MAGIC) return false;
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

  handle(block: Block): VmbusRecord | undefined {
    switch (block.type) {
      case BlockType.SectionHeader:
        this.startSection(block);
        return undefined;
      case BlockType.InterfaceDescription:
        this.addInterface(block);
        return undefined;
      case BlockType.EnhancedPacket:
        return this.packet(block, enhancedPacket(block, this.fail.bind(this)));
      case BlockType.ObsoletePacket:
        return this.packet(block, obsoletePacket(block, this.fail.bind(this)));
      case BlockType.SimplePacket:
        return this.packet(block, this.simplePacket(block));
      default:
        this.stats.skippedBlocks++;
        return undefined;
    }
  }

  private startSection(block: Block): void {
    const major = block.body.getUint16(4, block.littleEndian);
    if (major !== 1) this.fail(block.offset, `pcapng major version ${major} is not supported`);
    this.littleEndian = block.littleEndian;
    this.interfaces = [];
    this.sectionIndex++;
    this.stats.sections++;
  }

  private addInterface(block: Block): void {
    const { body, littleEndian } = block;
    if (body.byteLength < 8) this.fail(block.offset, "interface description block too short for its fixed fields");
    const interfaceOptions = parseOptions(body, 8, littleEndian).options;
    const linkType = body.getUint16(0, littleEndian);
    const snaplen = body.getUint32(4, littleEndian);
    this.interfaces.push({ linkType, snaplen, timestampToNs: timestampConverter(interfaceOptions, littleEndian) });
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

  private simplePacket(block: Block): PacketFraming {
    const { body, littleEndian } = block;
    if (body.byteLength < 4) this.fail(block.offset, "simple packet block too short for its fixed fields");
    const originalLength = body.getUint32(0, littleEndian);
    const snaplen = this.interfaceOf(block, 0).snaplen;
    let capturedLength = Math.min(originalLength, body.byteLength - 4);
    if (snaplen !== 0) capturedLength = Math.min(capturedLength, snaplen);
    return { interfaceId: 0, data: bytesOf(body, 4, capturedLength), originalLength, options: [], problems: [] };
  }

  private interfaceOf(block: Block, interfaceId: number): Interface {
    const found = this.interfaces[interfaceId];
    if (!found) this.fail(block.offset, `packet refers to interface ${interfaceId}, but the section defines ${this.interfaces.length}`);
    return found;
  }

  private packet(block: Block, framing: PacketFraming): VmbusRecord | undefined {
    const networkInterface = this.interfaceOf(block, framing.interfaceId);
    const timestampNs = framing.timestampUnits === undefined ? undefined : networkInterface.timestampToNs(framing.timestampUnits);
    const direction = directionFromFlags(framing.options, block.littleEndian);
    const comments = framing.options.length === 0 ? NO_COMMENTS : framing.options.filter((option) => option.code === OptionCode.Comment).map((option) => textOf(option.value));
    if (!this.vmbusLinkTypes.has(networkInterface.linkType)) {
      this.reportOtherPacket(block, framing, networkInterface.linkType, timestampNs, direction, comments);
      return undefined;
    }
    return vmbusRecordFromPacket({
      origin: { file: this.input.name, fileOffset: block.offset, number: ++this.recordCount },
      data: framing.data,
      originalLength: framing.originalLength,
      timestampNs,
      framingDirection: direction,
      interfaceId: framing.interfaceId,
      linkType: networkInterface.linkType,
      comments,
      problems: framing.problems,
    });
  }

  private reportOtherPacket(
    block: Block,
    framing: PacketFraming,
    linkType: number,
    timestampNs: bigint | undefined,
    direction: Direction | undefined,
    comments: string[],
  ): void {
    this.stats.otherLinkTypePackets++;
    this.options.onOtherPacket?.({
      file: this.input.name,
      fileOffset: block.offset,
      interfaceId: framing.interfaceId,
      linkType,
      timestampNs,
      data: framing.data.slice(),
      originalLength: framing.originalLength,
      direction,
      comments,
    });
  }
}

type Fail = (offset: number, reason: string) => never;

/** Shared by packets without options (never changed: a record keeps comments only when there are some). */
const NO_COMMENTS: string[] = [];

function enhancedPacket(block: Block, fail: Fail): PacketFraming {
  const { body, littleEndian } = block;
  if (body.byteLength < 20) fail(block.offset, "enhanced packet block too short for its fixed fields");
  return packetWithHeader(block, body.getUint32(0, littleEndian), 4, fail);
}

/** The obsolete Packet Block: a 16-bit interface id and a drops count where the EPB has a 32-bit id. */
function obsoletePacket(block: Block, fail: Fail): PacketFraming {
  const { body, littleEndian } = block;
  if (body.byteLength < 20) fail(block.offset, "packet block too short for its fixed fields");
  return packetWithHeader(block, body.getUint16(0, littleEndian), 4, fail);
}

/** EPB and obsolete packet block share: timestamp (high, low), captured length, original length, data, options. */
function packetWithHeader(block: Block, interfaceId: number, fieldsStart: number, fail: Fail): PacketFraming {
  const { body, littleEndian } = block;
  const timestampUnits = (BigInt(body.getUint32(fieldsStart, littleEndian)) << 32n) | BigInt(body.getUint32(fieldsStart + 4, littleEndian));
  const capturedLength = body.getUint32(fieldsStart + 8, littleEndian);
  const originalLength = body.getUint32(fieldsStart + 12, littleEndian);
  const dataStart = fieldsStart + 16;
  if (capturedLength > body.byteLength - dataStart) {
    fail(block.offset, `captured length ${capturedLength} runs past the block`);
  }
  const parsed = parseOptions(body, dataStart + paddedTo4(capturedLength), littleEndian);
  const problems: ReaderProblem[] = parsed.malformed ? [{ severity: "warn", text: parsed.malformed }] : [];
  return { interfaceId, timestampUnits, data: bytesOf(body, dataStart, capturedLength), originalLength, options: parsed.options, problems };
}

/** Options: code, length, value padded to 4 bytes; stops at end-of-options or the end of the block. */
function parseOptions(body: DataView, start: number, littleEndian: boolean): { options: PcapngOption[]; malformed?: string } {
  const options: PcapngOption[] = [];
  let offset = start;
  while (offset + 4 <= body.byteLength) {
    const code = body.getUint16(offset, littleEndian);
    const length = body.getUint16(offset + 2, littleEndian);
    if (code === OptionCode.EndOfOptions) break;
    if (offset + 4 + length > body.byteLength) {
      return { options, malformed: `option ${code} of ${length} bytes runs past its block; later options ignored` };
    }
    options.push({ code, value: new DataView(body.buffer, body.byteOffset + offset + 4, length) });
    offset += 4 + paddedTo4(length);
  }
  return { options };
}

/** if_tsresol: a power of ten, or of two when bit 7 is set (default 10^-6); if_tsoffset: whole seconds added. */
function timestampConverter(options: PcapngOption[], littleEndian: boolean): (units: bigint) => bigint {
  const resolution = options.find((option) => option.code === OptionCode.TimestampResolution && option.value.byteLength >= 1);
  const offsetOption = options.find((option) => option.code === OptionCode.TimestampOffset && option.value.byteLength >= 8);
  const offsetNs = offsetOption ? offsetOption.value.getBigInt64(0, littleEndian) * 1_000_000_000n : 0n;
  const resolutionByte = resolution ? resolution.value.getUint8(0) : 6;
  const exponent = BigInt(resolutionByte & 0x7f);
  if ((resolutionByte & 0x80) !== 0) return (units) => (units * 1_000_000_000n) / (1n << exponent) + offsetNs;
  if (exponent <= 9n) {
    const factor = 10n ** (9n - exponent);
    return (units) => units * factor + offsetNs;
  }
  const divisor = 10n ** (exponent - 9n);
  return (units) => units / divisor + offsetNs;
}

/** epb_flags bits 0-1: 01 inbound (host to guest), 10 outbound (guest to host). */
function directionFromFlags(options: PcapngOption[], littleEndian: boolean): Direction | undefined {
  const flags = options.find((option) => option.code === OptionCode.PacketFlags && option.value.byteLength >= 4);
  if (!flags) return undefined;
  const direction = flags.value.getUint32(0, littleEndian) & 3;
  if (direction === EPB_INBOUND) return Direction.HostToGuest;
  if (direction === EPB_OUTBOUND) return Direction.GuestToHost;
  return undefined;
}

function bytesOf(view: DataView, start: number, length: number): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset + start, length);
}

const utf8 = new TextDecoder();

function textOf(value: DataView): string {
  return utf8.decode(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
}

function paddedTo4(length: number): number {
  return length + ((4 - (length % 4)) % 4);
}
