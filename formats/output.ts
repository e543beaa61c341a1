// Standard output in large writes, with backpressure, and a quiet stop when the reader goes away
// (`vmbus-dissect big.pcapng | head` must not print an EPIPE stack trace).

const FLUSH_AT = 64 * 1024;

export class LineOutput {
  private pending: string[] = [];
  private size = 0;
  /** True once the reader closed the pipe; callers stop producing. */
  gone = false;

  constructor(private readonly stream: NodeJS.WritableStream = process.stdout) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EPIPE" || error.code === "ERR_STREAM_DESTROYED") this.gone = true;
      else throw error;
    });
  }

  async line(text: string): Promise<void> {
    this.pending.push(text);
    this.size += text.length + 1;
    if (this.size >= FLUSH_AT) await this.flush();
  }

  async lines(texts: readonly string[]): Promise<void> {
    for (const text of texts) await this.line(text);
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0 || this.gone) return;
    const chunk = this.pending.join("\n") + "\n";
    this.pending = [];
    this.size = 0;
    if (!this.stream.write(chunk)) await new Promise<void>((resolve) => {
      const done = () => { this.stream.off("drain", done); this.stream.off("error", done); this.stream.off("close", done); resolve(); };
      this.stream.on("drain", done).on("error", done).on("close", done);
    });
  }
}
