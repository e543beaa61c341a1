// Streaming byte input shared by every capture reader: a file or standard input ("-").
import { open, type FileHandle } from "node:fs/promises";
import { CaptureError } from "./record.js";

/**
 * Sequential access to the bytes of one capture.
 * peek and read return views into a reused buffer: valid until the next call on the input,
 * so a caller that keeps bytes copies them (readers copy exactly the parts a record keeps).
 */
export interface CaptureInput {
  /** The name as given ("-" for standard input). */
  readonly name: string;
  /** Total size in bytes when known (regular files). */
  readonly size?: number;
  /** Bytes consumed so far. */
  readonly position: number;
  /** The next n bytes without consuming them (fewer at end of input). */
  peek(n: number): Promise<Uint8Array>;
  /** The next n bytes, or fewer at end of input. */
  read(n: number): Promise<Uint8Array>;
  /** Like peek, without waiting: undefined unless all n bytes are already buffered. */
  peekBuffered(n: number): Uint8Array | undefined;
  /** Like read, without waiting: undefined (and nothing consumed) unless all n bytes are already buffered. */
  readBuffered(n: number): Uint8Array | undefined;
  /** Skips n bytes; returns how many were actually skipped. */
  skip(n: number): Promise<number>;
  /** Everything that remains, as bytes the caller owns; throws CaptureError when that is more than limit bytes. */
  readAll(limit: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

const CHUNK_SIZE = 1 << 20;

/** Where the bytes come from: fills target from the current source position, 0 at end. */
interface ByteSource {
  size?: number;
  readInto(target: Uint8Array, offset: number, length: number): Promise<number>;
  /** Moves the source position forward without reading, when the source can. */
  seekForward?(count: number): number;
  close(): Promise<void>;
}

export async function openInput(name: string): Promise<CaptureInput> {
  const source = name === "-" ? standardInputSource() : await fileSource(name);
  return new BufferedInput(name, source);
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
  private readonly buffer = new Uint8Array(CHUNK_SIZE);
  private start = 0;
  private end = 0;
  private sourceEnded = false;

  constructor(
    readonly name: string,
    private readonly source: ByteSource,
  ) {
    this.size = source.size;
  }

  private get buffered(): number {
    return this.end - this.start;
  }

  /** Tops the buffer up until it holds wanted bytes (at most one chunk) or the source ends. */
  private async fill(wanted: number): Promise<void> {
    wanted = Math.min(wanted, CHUNK_SIZE);
    if (this.buffered >= wanted || this.sourceEnded) return;
    if (this.start > 0) {
      this.buffer.copyWithin(0, this.start, this.end);
      this.end -= this.start;
      this.start = 0;
    }
    while (this.end < wanted && !this.sourceEnded) {
      const count = await this.source.readInto(this.buffer, this.end, CHUNK_SIZE - this.end);
      if (count === 0) this.sourceEnded = true;
      this.end += count;
    }
  }

  async peek(n: number): Promise<Uint8Array> {
    await this.fill(n);
    return this.buffer.subarray(this.start, this.start + Math.min(n, this.buffered));
  }

  peekBuffered(n: number): Uint8Array | undefined {
    return this.buffered >= n ? this.buffer.subarray(this.start, this.start + n) : undefined;
  }

  readBuffered(n: number): Uint8Array | undefined {
    if (this.buffered < n) return undefined;
    const bytes = this.buffer.subarray(this.start, this.start + n);
    this.consume(n);
    return bytes;
  }

  async read(n: number): Promise<Uint8Array> {
    if (n <= CHUNK_SIZE) {
      await this.fill(n);
      const count = Math.min(n, this.buffered);
      const bytes = this.buffer.subarray(this.start, this.start + count);
      this.consume(count);
      return bytes;
    }
    return this.readLarge(n);
  }

  /** Reads more than one chunk: never allocates more than the input can still hold. */
  private async readLarge(n: number): Promise<Uint8Array> {
    const limit = this.size === undefined ? n : Math.min(n, this.size - this.position);
    const parts: Uint8Array[] = [];
    let total = 0;
    while (total < limit) {
      const part = await this.read(Math.min(CHUNK_SIZE, limit - total));
      if (part.length === 0) break;
      parts.push(part.slice());
      total += part.length;
    }
    return joinParts(parts, total);
  }

  async skip(n: number): Promise<number> {
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
    const startPosition = this.position;
    if (this.size !== undefined && this.size - this.position > limit) {
      throw new CaptureError(this.name, startPosition, `input of ${this.size - this.position} bytes is larger than the limit of ${limit} bytes`);
    }
    const parts: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const part = await this.read(CHUNK_SIZE);
      if (part.length === 0) break;
      total += part.length;
      if (total > limit) {
        throw new CaptureError(this.name, startPosition, `input is larger than the limit of ${limit} bytes`);
      }
      parts.push(part.slice());
    }
    return joinParts(parts, total);
  }

  private consume(count: number): void {
    this.start += count;
    this.position += count;
    if (this.start === this.end) this.start = this.end = 0;
  }

  async close(): Promise<void> {
    await this.source.close();
  }
}

/** parts are owned copies already, so a single one is returned as it is. */
function joinParts(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const joined = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return joined;
}
