// A progress line on standard error for long runs: shown only when standard error is a terminal
// and the run has taken a couple of seconds, redrawn at most ten times a second, erased at the end.

const DEFAULT_DELAY_MS = 2000;
const REDRAW_MS = 100;
const BAR_WIDTH = 24;

export interface ProgressTarget {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

const mebibytes = (bytes: number): string => `${(bytes / 1048576).toFixed(1)} MiB`;

export class Progress {
  private readonly started = performance.now();
  private lastDraw = 0;
  private drawn = false;
  private readonly delayMs: number;

  /** `VMBUS_DISSECT_PROGRESS_DELAY` (milliseconds) changes when the line first appears. */
  constructor(private readonly total: number | undefined, private readonly target: ProgressTarget = process.stderr) {
    const configured = Number(process.env.VMBUS_DISSECT_PROGRESS_DELAY);
    this.delayMs = Number.isFinite(configured) && configured >= 0 ? configured : DEFAULT_DELAY_MS;
  }

  update(bytesRead: number, records: number): void {
    if (!this.target.isTTY) return;
    const now = performance.now();
    if (now - this.started < this.delayMs || now - this.lastDraw < REDRAW_MS) return;
    this.lastDraw = now;
    this.drawn = true;
    this.target.write(`\r\u001b[K${this.line(bytesRead, records, (now - this.started) / 1000)}`);
  }

  private line(bytesRead: number, records: number, elapsed: number): string {
    const rate = `${Math.round(records / elapsed)} records/s`;
    if (!this.total) return `${records} records, ${mebibytes(bytesRead)}, ${rate}`;
    const fraction = Math.min(1, bytesRead / this.total);
    const filled = Math.round(fraction * BAR_WIDTH);
    const bar = `[${"#".repeat(filled)}${"-".repeat(BAR_WIDTH - filled)}]`;
    return `${bar} ${(fraction * 100).toFixed(0).padStart(3)}% ${mebibytes(bytesRead)} of ${mebibytes(this.total)}, ${records} records, ${rate}`;
  }

  /** Erases the line so that what follows starts clean. */
  finish(): void {
    if (this.drawn) this.target.write("\r\u001b[K");
    this.drawn = false;
  }
}
