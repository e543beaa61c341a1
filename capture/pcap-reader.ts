// Classic libpcap reader: microsecond and nanosecond magics in either byte order.
import type { CaptureInput } from "./input.js";
import { DEFAULT_VMBUS_LINK_TYPES, newReaderStats, type CaptureReadOptions } from "./pcapng-reader.js";
import { CaptureError, type VmbusRecord } from "./record.js";
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

interface PcapRecord {
  offset: number;
  timestampNs: bigint;
  data: Uint8Array;
  originalLength: number;
}

/** Yields the VMBus records of a classic pcap input; throws CaptureError at the first unreadable record. */
export async function* readPcap(input: CaptureInput, options: CaptureReadOptions = {}): AsyncGenerator<VmbusRecord> {
  const header = await readFileHeader(input);
  const isVmbus = (options.vmbusLinkTypes ?? DEFAULT_VMBUS_LINK_TYPES).has(header.linkType);
  const stats = options.stats ?? newReaderStats();
  stats.sections++;
  stats.interfaces++;
  options.onInterface?.({ section: 0, interfaceId: 0, linkType: header.linkType, snaplen: header.snaplen, fileOffset: 0 });
  let recordCount = 0;
  for (;;) {
    const record = await readRecord(input, header);
    if (!record) return;
    const { offset, timestampNs, data, originalLength } = record;
    if (!isVmbus) {
      stats.otherLinkTypePackets++;
      options.onOtherPacket?.({ file: input.name, fileOffset: offset, linkType: header.linkType, timestampNs, data: data.slice(), originalLength });
      continue;
    }
    const origin = { file: input.name, fileOffset: offset, number: ++recordCount };
    yield vmbusRecordFromPacket({ origin, data, originalLength, timestampNs, linkType: header.linkType });
  }
}

/** The next record, undefined at a clean end; data is a view valid until the next read. */
async function readRecord(input: CaptureInput, header: FileHeader): Promise<PcapRecord | undefined> {
  const offset = input.position;
  const recordHeader = await input.read(RECORD_HEADER_LENGTH);
  if (recordHeader.length === 0) return undefined;
  if (recordHeader.length < RECORD_HEADER_LENGTH) {
    fail(input, offset, `file ends inside a record header (${recordHeader.length} of ${RECORD_HEADER_LENGTH} bytes)`);
  }
  const view = new DataView(recordHeader.buffer, recordHeader.byteOffset, RECORD_HEADER_LENGTH);
  const seconds = BigInt(view.getUint32(0, header.littleEndian));
  const fraction = BigInt(view.getUint32(4, header.littleEndian));
  const capturedLength = view.getUint32(8, header.littleEndian);
  const originalLength = view.getUint32(12, header.littleEndian);
  const data = await readRecordData(input, offset, capturedLength);
  return { offset, timestampNs: seconds * 1_000_000_000n + fraction * header.nanosecondsPerFraction, data, originalLength };
}

async function readFileHeader(input: CaptureInput): Promise<FileHeader> {
  const bytes = await input.read(FILE_HEADER_LENGTH);
  if (bytes.length < FILE_HEADER_LENGTH) fail(input, 0, `file ends inside the pcap file header (${bytes.length} of ${FILE_HEADER_LENGTH} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, FILE_HEADER_LENGTH);
  const littleMagic = view.getUint32(0, true);
  const bigMagic = view.getUint32(0, false);
  const littleEndian = littleMagic === MICROSECOND_MAGIC || littleMagic === NANOSECOND_MAGIC;
  const magic = littleEndian ? littleMagic : bigMagic;
  if (magic !== MICROSECOND_MAGIC && magic !== NANOSECOND_MAGIC) {
    fail(input, 0, `not a pcap file: magic 0x${bigMagic.toString(16).padStart(8, "0")}`);
  }
  const major = view.getUint16(4, littleEndian);
  if (major !== 2) fail(input, 0, `pcap major version ${major} is not supported`);
  return {
    littleEndian,
    nanosecondsPerFraction: magic === NANOSECOND_MAGIC ? 1n : 1000n,
    linkType: view.getUint32(20, littleEndian) & LINK_TYPE_MASK,
    snaplen: view.getUint32(16, littleEndian),
  };
}

async function readRecordData(input: CaptureInput, offset: number, capturedLength: number): Promise<Uint8Array> {
  const remaining = input.size === undefined ? undefined : input.size - input.position;
  if (remaining !== undefined && capturedLength > remaining) {
    fail(input, offset, `captured length ${capturedLength} runs past the end of the file (${remaining} bytes remain)`);
  }
  const data = await input.read(capturedLength);
  if (data.length < capturedLength) fail(input, offset, `file ends inside a record of ${capturedLength} bytes (${data.length} present)`);
  return data;
}

function fail(input: CaptureInput, offset: number, reason: string): never {
  throw new CaptureError(input.name, offset, reason);
}
