// Standard output in large writes, with backpressure, and a quiet stop when the reader goes away
// (`vmbus-dissect big.pcapng | head` must not print an EPIPE stack trace). Lines are encoded as
// UTF-8 into one buffer as they come (joining strings and encoding the join cost a copy more).
// What is buffered goes out as soon as the program waits (for input from a pipe that trickles,
// for the disk), so lines never sit in the buffer while nothing else happens.

const FLUSH_AT = 64 * 1024;
/** Room for a flush's worth of lines; a longer line gets a buffer of its size. */
const BUFFER_SIZE = 2 * FLUSH_AT;
const NEWLINE = 0x0a;

export class LineOutput {
  private buffer = Buffer.allocUnsafe(BUFFER_SIZE);
  private size = 0;
  /** The first line goes out at once (the time to the first line is what a person waits for); later ones in batches. */
  private flushedOnce = false;
  /** A flush is scheduled for when the event loop next gets to run (the producer waits). */
  private flushWhenIdleScheduled = false;
  /** True once the reader closed the pipe; callers stop producing. */
  gone = false;

  constructor(private readonly stream: NodeJS.WritableStream = process.stdout) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EPIPE" || error.code === "ERR_STREAM_DESTROYED") this.gone = true;
      else throw error;
    });
  }

  /** A promise only when the buffer was handed to the stream (most lines need no await). */
  line(text: string): Promise<void> | undefined {
    // A UTF-16 unit never takes more than 3 bytes of UTF-8.
    this.reserve(3 * text.length + 1);
    this.size += this.buffer.write(text, this.size, "utf8");
    this.buffer[this.size++] = NEWLINE;
    return this.afterLine();
  }

  /** A line already encoded as UTF-8 (without its newline). */
  lineBytes(bytes: Uint8Array): Promise<void> | undefined {
    this.reserve(bytes.length + 1);
    this.buffer.set(bytes, this.size);
    this.size += bytes.length;
    this.buffer[this.size++] = NEWLINE;
    return this.afterLine();
  }

  async lines(texts: readonly string[]): Promise<void> {
    for (const text of texts) await this.line(text);
  }

  private afterLine(): Promise<void> | undefined {
    if (this.size >= FLUSH_AT || !this.flushedOnce) return this.flush();
    if (!this.flushWhenIdleScheduled) {
      this.flushWhenIdleScheduled = true;
      // setImmediate runs once the current burst of work is over and the loop polls for I/O.
      setImmediate(this.flushWhenIdle);
    }
    return undefined;
  }

  private readonly flushWhenIdle = (): void => {
    this.flushWhenIdleScheduled = false;
    void this.flush();
  };

  async flush(): Promise<void> {
    if (this.size === 0 || this.gone) return;
    this.flushedOnce = true;
    // The stream keeps the bytes until written: the next lines go to a new buffer.
    const chunk = this.buffer.subarray(0, this.size);
    this.buffer = Buffer.allocUnsafe(BUFFER_SIZE);
    this.size = 0;
    if (!this.stream.write(chunk)) await new Promise<void>((resolve) => {
      const done = () => { this.stream.off("drain", done); this.stream.off("error", done); this.stream.off("close", done); resolve(); };
      this.stream.on("drain", done).on("error", done).on("close", done);
    });
  }

  private reserve(length: number): void {
    if (this.size + length <= this.buffer.length) return;
    const larger = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.size + length));
    this.buffer.copy(larger, 0, 0, this.size);
    this.buffer = larger;
  }
}
