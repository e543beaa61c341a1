// Streaming byte input shared by every capture reader: a file or standard input ("-").
import { open, type FileHandle } from "node:fs/promises";
import { CaptureError, type VmbusRecord } from "./record.js";

/**
 * Sequential access to the bytes of one capture, through a chunk of buffered bytes. Bytes once
 * buffered are not overwritten while they may be in use: a refill reads into the chunk's free end
 * or moves to another chunk, and a chunk left behind is read into again only with reuseChunks,
 * once the consumer asks for more. So records may keep views into the input (no copy per record),
 * and readers parse the buffered bytes synchronously through one DataView per chunk, awaiting only
 * when it runs dry.
 */
export interface CaptureInput {
  /** The name as given ("-" for standard input). */
  readonly name: string;
  /** Total size in bytes when known (regular files). */
  readonly size?: number;
  /** Bytes consumed so far. */
  readonly position: number;
  /** The current chunk (a whole buffer: its byteOffset is 0); bytes start..end of it are buffered and not consumed yet. */
  readonly chunk: Uint8Array;
  /** A DataView on the whole chunk (made once per chunk). */
  readonly chunkView: DataView;
  readonly start: number;
  readonly end: number;
  /** True once the source has delivered its last byte: what is buffered is all there is. */
  readonly ended: boolean;
  /** Buffers at least n bytes, or everything left when the input ends first. */
  fill(n: number): Promise<void>;
  /** Consumes n buffered bytes. */
  consume(n: number): void;
  /** The next n bytes without consuming them (fewer at end of input). */
  peek(n: number): Promise<Uint8Array>;
  /** The next n bytes, or fewer at end of input. */
  read(n: number): Promise<Uint8Array>;
  /** Skips n bytes; returns how many were actually skipped. */
  skip(n: number): Promise<number>;
  /** Everything that remains; throws CaptureError when that is more than limit bytes. */
  readAll(limit: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

const CHUNK_SIZE = 1 << 20;
/** A refill reads into the current chunk's free end only when at least this much is free. */
const MINIMUM_READ = 64 * 1024;
/** Room before read-ahead bytes for the unconsumed end of the chunk before them (most often part of one block). */
const HEADROOM = 64 * 1024;
const AHEAD_CHUNK_LENGTH = HEADROOM + CHUNK_SIZE;

/** Where the bytes come from: fills target from the current source position, 0 at end. */
interface ByteSource {
  size?: number;
  readInto(target: Uint8Array, offset: number, length: number): Promise<number>;
  /** Moves the source position forward without reading, when the source can. */
  seekForward?(count: number): number;
  /** Files: reading the next chunk while this one is parsed pays (a pipe's stream reads ahead by itself). */
  readAhead?: boolean;
  close(): Promise<void>;
}

/** A chunk read ahead: HEADROOM free bytes, then count bytes; or the error reading it. */
type AheadRead = { read: true; bytes: Uint8Array; count: number } | { read: false; error: unknown };

export interface InputOptions {
  /**
   * The consumer is done with a batch's records (and every view into them) once it asks for the
   * next batch: chunks behind the current one may then be read into again. Without this, each
   * chunk is new memory, freed only when the garbage collector gets to it: dead chunks pile up to
   * tens of MB between collections (V8 starts one for external memory only past 64 MB).
   */
  reuseChunks?: boolean;
}

/** A test switch: chunks are overwritten with this byte when retired, so that a view kept past its batch reads garbage. */
const RETIRED_CHUNK_FILL = process.env.VMBUS_DISSECT_POISON_RETIRED_CHUNKS === "1" ? 0xee : undefined;

export async function openInput(name: string, options: InputOptions = {}): Promise<CaptureInput> {
  const source = name === "-" ? standardInputSource() : await fileSource(name);
  return new BufferedInput(name, source, options.reuseChunks === true);
}

async function fileSource(name: string): Promise<ByteSource> {
  let handle: FileHandle;
  try {
    handle = await open(name, "r");
  } catch (error) {
    throw new CaptureError(name, 0, `cannot open: ${(error as Error).message}`);
  }
  const size = (await handle.stat()).size;
  let filePosition = 0;
  return {
    size,
    async readInto(target, offset, length) {
      const { bytesRead } = await handle.read(target, offset, length, filePosition);
      filePosition += bytesRead;
      return bytesRead;
    },
    seekForward(count) {
      const moved = Math.min(count, size - filePosition);
      filePosition += moved;
      return moved;
    },
    readAhead: true,
    close: () => handle.close(),
  };
}

function standardInputSource(): ByteSource {
  const chunks = process.stdin[Symbol.asyncIterator]();
  let pending: Uint8Array = new Uint8Array(0);
  let ended = false;
  return {
    async readInto(target, offset, length) {
      while (pending.length === 0 && !ended) {
        const next = await chunks.next();
        if (next.done) ended = true;
        else pending = next.value as Uint8Array;
      }
      const count = Math.min(length, pending.length);
      target.set(pending.subarray(0, count), offset);
      pending = pending.subarray(count);
      return count;
    },
    async close() {
      await chunks.return?.();
    },
  };
}

class BufferedInput implements CaptureInput {
  readonly size?: number;
  position = 0;
  chunk: Uint8Array = new Uint8Array(0);
  chunkView: DataView = new DataView(this.chunk.buffer);
  start = 0;
  end = 0;
  ended = false;
  private ahead?: Promise<AheadRead>;
  /** reuseChunks: chunks left behind since the last fill, and those free to read into. */
  private readonly retired: Uint8Array[] = [];
  private readonly spares: Uint8Array[] = [];

  constructor(
    readonly name: string,
    private readonly source: ByteSource,
    private readonly reuseChunks: boolean,
  ) {
    this.size = source.size;
  }

  private get buffered(): number {
    return this.end - this.start;
  }

  async fill(wanted: number): Promise<void> {
    // The consumer asks for more: the records of chunks left behind are done with.
    if (this.retired.length > 0) this.spares.push(...this.retired.splice(0));
    while (this.buffered < wanted && !this.ended) {
      if (this.ahead) {
        await this.takeAhead(wanted);
        continue;
      }
      const free = this.chunk.length - this.end;
      if (free < wanted - this.buffered || free < MINIMUM_READ) this.startChunk(this.capacityFor(wanted));
      const count = await this.source.readInto(this.chunk, this.end, this.chunk.length - this.end);
      if (count === 0) this.ended = true;
      this.end += count;
    }
    if (this.source.readAhead && !this.ended && !this.ahead) this.ahead = this.readAhead();
  }

  /** Reads the next chunk in the background while the reader parses this one. */
  private readAhead(): Promise<AheadRead> {
    const bytes = this.spares.pop() ?? new Uint8Array(AHEAD_CHUNK_LENGTH);
    return this.source.readInto(bytes, HEADROOM, CHUNK_SIZE).then(
      (count): AheadRead => ({ read: true, bytes, count }),
      (error: unknown): AheadRead => ({ read: false, error }),
    );
  }

  /** Appends the chunk read ahead: it becomes the current chunk when the unconsumed bytes fit its headroom. */
  private async takeAhead(wanted: number): Promise<void> {
    const ahead = await this.ahead!;
    this.ahead = undefined;
    if (!ahead.read) throw ahead.error;
    const { bytes, count } = ahead;
    if (count === 0) {
      this.ended = true;
      return;
    }
    const kept = this.buffered;
    if (kept <= HEADROOM) {
      bytes.set(this.chunk.subarray(this.start, this.end), HEADROOM - kept);
      this.retire(this.chunk);
      this.chunk = bytes;
      this.chunkView = new DataView(bytes.buffer);
      this.start = HEADROOM - kept;
      this.end = HEADROOM + count;
      return;
    }
    if (this.chunk.length - this.end < count) this.startChunk(Math.max(this.capacityFor(wanted), kept + count));
    this.chunk.set(bytes.subarray(HEADROOM, HEADROOM + count), this.end);
    this.end += count;
  }

  /** Moves the unconsumed bytes to a new chunk; the old one stays as it is for the views into it. */
  private startChunk(capacity: number): void {
    const next = new Uint8Array(capacity);
    next.set(this.chunk.subarray(this.start, this.end));
    this.end -= this.start;
    this.start = 0;
    this.retire(this.chunk);
    this.chunk = next;
    this.chunkView = new DataView(next.buffer);
  }

  /** A chunk no longer read from: read into again after the next fill (reuseChunks; only chunks of the read-ahead size). */
  private retire(chunk: Uint8Array): void {
    if (!this.reuseChunks || chunk.length !== AHEAD_CHUNK_LENGTH) return;
    if (RETIRED_CHUNK_FILL !== undefined) chunk.fill(RETIRED_CHUNK_FILL);
    this.retired.push(chunk);
  }

  /** Room for wanted bytes, but not much more than the input can deliver: without a known size a length field proves nothing, so chunks grow with what arrives. */
  private capacityFor(wanted: number): number {
    const deliverable = this.size === undefined ? 2 * this.buffered : this.size - this.position;
    return Math.max(CHUNK_SIZE, this.buffered + MINIMUM_READ, Math.min(wanted, deliverable));
  }

  consume(count: number): void {
    this.start += count;
    this.position += count;
  }

  async peek(n: number): Promise<Uint8Array> {
    await this.fill(n);
    return this.chunk.subarray(this.start, this.start + Math.min(n, this.buffered));
  }

  async read(n: number): Promise<Uint8Array> {
    const bytes = await this.peek(n);
    this.consume(bytes.length);
    return bytes;
  }

  async skip(n: number): Promise<number> {
    // The source may only move once the chunk read ahead is in the buffer.
    if (this.ahead) await this.takeAhead(0);
    const fromBuffer = Math.min(n, this.buffered);
    this.consume(fromBuffer);
    let skipped = fromBuffer;
    if (skipped < n && this.source.seekForward) {
      const moved = this.source.seekForward(n - skipped);
      this.position += moved;
      skipped += moved;
    }
    while (skipped < n) {
      const part = await this.read(Math.min(CHUNK_SIZE, n - skipped));
      if (part.length === 0) break;
      skipped += part.length;
    }
    return skipped;
  }

  async readAll(limit: number): Promise<Uint8Array> {
    if (this.size !== undefined && this.size - this.position > limit) {
      throw new CaptureError(this.name, this.position, `input of ${this.size - this.position} bytes is larger than the limit of ${limit} bytes`);
    }
    if (this.size !== undefined) await this.fill(this.size - this.position);
    // Without a known size, doubling what is asked for keeps the copies into larger chunks linear.
    for (let wanted = CHUNK_SIZE; this.size === undefined && !this.ended && this.buffered <= limit; wanted = 2 * this.buffered) {
      await this.fill(Math.min(limit + 1, wanted));
    }
    if (this.buffered > limit) throw new CaptureError(this.name, this.position, `input is larger than the limit of ${limit} bytes`);
    return this.read(this.buffered);
  }

  async close(): Promise<void> {
    await this.ahead;
    await this.source.close();
  }
}

/** Records per batch: enough to make a promise per batch cheap, few enough to die young (a batch stays alive while it is used). */
export const BATCH_SIZE = 256;

/** A capture reader working on what the input already holds. */
export interface BufferedReader {
  /**
   * Appends the records of the complete blocks (or records) in the buffer to batch, up to
   * BATCH_SIZE (a reader of a capture held in memory may give them all at once); returns how many
   * bytes must be buffered for the next one (perhaps already are), or 0 at the end of the capture.
   * Throws CaptureError at the first unreadable one (and only once the input ended, when it is cut short).
   */
  readBuffered(batch: VmbusRecord[]): number;
}

/** A reader's records in batches (a promise per batch, not per record); the records before a failure come before it. */
export function recordBatches(input: CaptureInput, reader: BufferedReader): AsyncGenerator<VmbusRecord[]> {
  return bufferedBatches(input, (): VmbusRecord[] => [], (batch) => reader.readBuffered(batch));
}

/** recordBatches for any kind of batch: read fills a batch as readBuffered does. */
export async function* bufferedBatches<Batch extends { readonly length: number }>(input: CaptureInput, newBatch: () => Batch, read: (batch: Batch) => number): AsyncGenerator<Batch> {
  for (;;) {
    const batch = newBatch();
    let needed: number;
    try {
      needed = read(batch);
    } catch (error) {
      if (batch.length > 0) yield batch;
      throw error;
    }
    if (batch.length > 0) yield batch;
    if (needed === 0) return;
    await input.fill(needed);
  }
}
