// Classic libpcap reader: microsecond and nanosecond magics in either byte order.
import { BATCH_SIZE, recordBatches, type BufferedReader, type CaptureInput } from "./input.js";
import { DEFAULT_VMBUS_LINK_TYPES, newReaderStats, type CaptureReadOptions, type ReaderStats } from "./pcapng-reader.js";
import { CaptureError, eachRecord, type VmbusRecord } from "./record.js";
import { vmbusRecordFromPacket } from "./vmbus-pseudo-header.js";

const MICROSECOND_MAGIC = 0xa1b2c3d4;
const NANOSECOND_MAGIC = 0xa1b23c4d;
const FILE_HEADER_LENGTH = 24;
const RECORD_HEADER_LENGTH = 16;
/** The upper bits of the link-type field carry FCS information, not the link type. */
const LINK_TYPE_MASK = 0xffff;

interface FileHeader {
  littleEndian: boolean;
  nanosecondsPerFraction: bigint;
  linkType: number;
  snaplen: number;
}

/** Yields the VMBus records of a classic pcap input; throws CaptureError at the first unreadable record. */
export function readPcap(input: CaptureInput, options: CaptureReadOptions = {}): AsyncGenerator<VmbusRecord> {
  return eachRecord(readPcapBatches(input, options));
}

/** The same records in batches. */
export function readPcapBatches(input: CaptureInput, options: CaptureReadOptions = {}): AsyncGenerator<VmbusRecord[]> {
  return recordBatches(input, new PcapReader(input, options));
}

class PcapReader implements BufferedReader {
  private header?: FileHeader;
  private isVmbus = false;
  private recordCount = 0;
  private readonly stats: ReaderStats;

  constructor(
    private readonly input: CaptureInput,
    private readonly options: CaptureReadOptions,
  ) {
    this.stats = options.stats ?? newReaderStats();
  }

  readBuffered(batch: VmbusRecord[]): number {
    if (!this.header) {
      if (this.input.end - this.input.start < FILE_HEADER_LENGTH && !this.input.ended) return FILE_HEADER_LENGTH;
      this.startFile(readFileHeader(this.input));
    }
    while (batch.length < BATCH_SIZE) {
      const needed = this.readRecord(batch);
      if (needed !== undefined) return needed;
    }
    return RECORD_HEADER_LENGTH;
  }

  private startFile(header: FileHeader): void {
    this.header = header;
    this.isVmbus = (this.options.vmbusLinkTypes ?? DEFAULT_VMBUS_LINK_TYPES).has(header.linkType);
    this.stats.sections++;
    this.stats.interfaces++;
    this.options.onInterface?.({ section: 0, interfaceId: 0, linkType: header.linkType, snaplen: header.snaplen, fileOffset: 0 });
  }

  /** Reads the record at the input's start; returns the bytes it needs when they are not buffered yet (0 at a clean end). */
  private readRecord(batch: VmbusRecord[]): number | undefined {
    const { input } = this;
    const header = this.header!;
    const offset = input.position;
    const available = input.end - input.start;
    if (available < RECORD_HEADER_LENGTH) {
      if (!input.ended) return RECORD_HEADER_LENGTH;
      if (available === 0) return 0;
      fail(input, offset, `file ends inside a record header (${available} of ${RECORD_HEADER_LENGTH} bytes)`);
    }
    const view = input.chunkView;
    const at = input.start;
    const capturedLength = view.getUint32(at + 8, header.littleEndian);
    checkCapturedLength(input, offset, capturedLength);
    if (available < RECORD_HEADER_LENGTH + capturedLength) {
      if (!input.ended) return RECORD_HEADER_LENGTH + capturedLength;
      fail(input, offset, `file ends inside a record of ${capturedLength} bytes (${available - RECORD_HEADER_LENGTH} present)`);
    }
    const seconds = BigInt(view.getUint32(at, header.littleEndian));
    const fraction = BigInt(view.getUint32(at + 4, header.littleEndian));
    const timestampNs = seconds * 1_000_000_000n + fraction * header.nanosecondsPerFraction;
    const originalLength = view.getUint32(at + 12, header.littleEndian);
    const bytes = input.chunk;
    const dataStart = at + RECORD_HEADER_LENGTH;
    input.consume(RECORD_HEADER_LENGTH + capturedLength);
    if (!this.isVmbus) {
      this.stats.otherLinkTypePackets++;
      const data = bytes.slice(dataStart, dataStart + capturedLength);
      this.options.onOtherPacket?.({ file: input.name, fileOffset: offset, linkType: header.linkType, timestampNs, data, originalLength });
      return undefined;
    }
    const number = ++this.recordCount;
    batch.push(vmbusRecordFromPacket({ file: input.name, fileOffset: offset, number, bytes, buffer: bytes.buffer, dataStart, dataLength: capturedLength, originalLength, timestampNs, linkType: header.linkType }));
    return undefined;
  }
}

/** Reads the buffered file header (all of what the input holds when it ended sooner) and consumes it. */
function readFileHeader(input: CaptureInput): FileHeader {
  const available = Math.min(input.end - input.start, FILE_HEADER_LENGTH);
  if (available < FILE_HEADER_LENGTH) fail(input, 0, `file ends inside the pcap file header (${available} of ${FILE_HEADER_LENGTH} bytes)`);
  const view = input.chunkView;
  const at = input.start;
  const littleMagic = view.getUint32(at, true);
  const bigMagic = view.getUint32(at, false);
  const littleEndian = littleMagic === MICROSECOND_MAGIC || littleMagic === NANOSECOND_MAGIC;
  const magic = littleEndian ? littleMagic : bigMagic;
  if (magic !== MICROSECOND_MAGIC && magic !== NANOSECOND_MAGIC) {
    fail(input, 0, `not a pcap file: magic 0x${bigMagic.toString(16).padStart(8, "0")}`);
  }
  const major = view.getUint16(at + 4, littleEndian);
  if (major !== 2) fail(input, 0, `pcap major version ${major} is not supported`);
  input.consume(FILE_HEADER_LENGTH);
  return {
    littleEndian,
    nanosecondsPerFraction: magic === NANOSECOND_MAGIC ? 1n : 1000n,
    linkType: view.getUint32(at + 20, littleEndian) & LINK_TYPE_MASK,
    snaplen: view.getUint32(at + 16, littleEndian),
  };
}

/** With a known size, a record longer than the rest of the file is refused before anything waits for it. */
function checkCapturedLength(input: CaptureInput, offset: number, capturedLength: number): void {
  const remaining = input.size === undefined ? undefined : input.size - input.position - RECORD_HEADER_LENGTH;
  if (remaining !== undefined && capturedLength > remaining) {
    fail(input, offset, `captured length ${capturedLength} runs past the end of the file (${remaining} bytes remain)`);
  }
}

function fail(input: CaptureInput, offset: number, reason: string): never {
  throw new CaptureError(input.name, offset, reason);
}
