// The shape that crosses from capture/ to every other room: one observed VMBus record.
// Readers yield these one at a time; nothing here knows any device protocol.

export enum Direction {
  GuestToHost = 0,
  HostToGuest = 1,
  Unknown = 255,
}

/** Record kinds 1..3 are the pcapng contract's; RingHeader is ours and is never written as a kind byte. */
export enum RecordKind {
  ChannelMessage = 1,
  RingPacket = 2,
  SynicMessage = 3,
  /** The control page of a ring dump (indices, masks, feature bits); payload = its first 128 bytes. */
  RingHeader = 100,
}

export enum RecordFlags {
  Truncated = 1 << 0,
  Recovered = 1 << 1,
  AttachedData = 1 << 2,
}

/** Contract 2.1: where attached bytes came from. */
export enum AttachedSource {
  TransferPageRange = 1,
  GpaRange = 2,
  ProtocolBuffer = 3,
}

export interface AttachedChunk {
  source: AttachedSource;
  /** Which range (0-based); 0 for ProtocolBuffer. */
  index: number;
  /** Where within that range or buffer these bytes start. */
  offset: number;
  data: Uint8Array;
}

export interface RingPosition {
  /** Which ring of the dump: 0 = the first (guest→host in a pair), 1 = the second. */
  index: number;
  /** Size of the ring's data area in bytes (needed to show fill levels). */
  dataSize: number;
  /** Data-area offset of the packet (RingHeader records: 0). */
  offset: number;
}

export interface ReaderProblem {
  severity: "note" | "warn" | "error";
  text: string;
  /** Offset within the payload the problem refers to, when there is one. */
  offset?: number;
}

export interface RecordOrigin {
  /** File name as given by the user ("-" for standard input). */
  file: string;
  /** Byte offset of the record in the file (pcapng: the block start; ring dump: the packet start in the file). */
  fileOffset: number;
  /** 1-based record number in the input, as tshark counts frames. */
  number: number;
  /** Free text the reader adds, e.g. "ring 0 (guest→host), pending" for ring dumps. */
  note?: string;
}

export interface VmbusRecord {
  origin: RecordOrigin;
  /** Timestamp in nanoseconds since the Unix epoch, exact (bigint: 100 ns clocks need 64 bits). Undefined when the input has no times. */
  timestampNs?: bigint;
  direction: Direction;
  kind: RecordKind;
  flags: number;
  /** Channel relative id; 0 for channel-management messages. */
  relid: number;
  /** Binary (mixed-endian) class GUID, 16 bytes, or undefined when not known (all-zero on the wire). */
  classGuid?: Uint8Array;
  /** The payload as the contract defines it per kind (without the 28-byte pseudo-header, without attached chunks). */
  payload: Uint8Array;
  /** Length of the original packet when the capture kept fewer bytes (flag Truncated). */
  originalLength?: number;
  attached: AttachedChunk[];
  /** Ring dumps: where the record sits in its ring. */
  ring?: RingPosition;
  /** Problems the reader found in the record's framing (e.g. a length running past the pending data); they become expert info. */
  readerProblems?: ReaderProblem[];
  /** pcapng: the interface id the record arrived on, and its link type. */
  interfaceId?: number;
  linkType?: number;
  /** pcapng comment options, kept so that rewriting a file preserves them. */
  comments?: string[];
}

/** A capture reader: yields records in file order; throws CaptureError when the file itself is unreadable. */
export type RecordSource = AsyncIterable<VmbusRecord>;

/** Records in file order, in batches (a promise per batch, not per record); the records before a CaptureError come before it. */
export type RecordBatches = AsyncIterable<VmbusRecord[]>;

/** One record at a time, for consumers that want no batches. */
export async function* eachRecord(batches: RecordBatches): AsyncGenerator<VmbusRecord> {
  for await (const batch of batches) yield* batch;
}

/** An unreadable file: everything yielded before it stands; this names the file and the byte offset. */
export class CaptureError extends Error {
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly reason: string,
  ) {
    super(`${file}: ${reason} at byte offset ${offset}`);
    this.name = "CaptureError";
  }
}

export const isRecovered = (record: VmbusRecord): boolean => (record.flags & RecordFlags.Recovered) !== 0;
