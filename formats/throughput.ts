// Records and bytes per interval per channel (tshark's -z io,stat). Without --interval the
// interval adapts: counting starts at 1 µs and coarsens (1, 5, 10, 50 µs ...: each step divides the
// next, so merged counts stay exact) whenever there would be more than MAX_INTERVALS; memory is
// bounded by intervals × channels whatever the capture's length.

export interface ThroughputRow { start_s: number; relid: number; records: number; bytes: number }
export interface ThroughputReport { interval_s: number; intervals: number; rows: ThroughputRow[] }

const MAX_INTERVALS = 100;
const MAX_CHANNELS_PER_INTERVAL = 4096;
const STEPS = [1, 5];

/** 1 µs, 5 µs, 10 µs, 50 µs, ... */
const stepSeconds = (step: number): number => Number((STEPS[step % 2] * 10 ** (Math.floor(step / 2) - 6)).toPrecision(12));

export class Throughput {
  private step = 0;
  private readonly fixed: number | undefined;
  /** The interval in use: made once per step, not per record. */
  private interval: number;
  /** interval index → relid → [records, bytes] */
  private buckets = new Map<number, Map<number, [number, number]>>();
  private lastIndex = 0;

  constructor(intervalSeconds?: number) {
    this.fixed = intervalSeconds;
    this.interval = intervalSeconds ?? stepSeconds(0);
  }

  get intervalSeconds(): number {
    return this.interval;
  }

  add(seconds: number, relid: number, bytes: number): void {
    let index = Math.floor(seconds / this.intervalSeconds + 1e-9);
    while (this.fixed === undefined && index >= MAX_INTERVALS) {
      this.coarsen();
      index = Math.floor(seconds / this.intervalSeconds + 1e-9);
    }
    this.lastIndex = Math.max(this.lastIndex, index);
    let channels = this.buckets.get(index);
    if (!channels) this.buckets.set(index, (channels = new Map()));
    // Past this many channels in one interval (a damaged capture's relids) records are not drawn per channel.
    if (!channels.has(relid) && channels.size >= MAX_CHANNELS_PER_INTERVAL) return;
    const counts = channels.get(relid) ?? [0, 0];
    counts[0]++;
    counts[1] += bytes;
    channels.set(relid, counts);
  }

  /** Merges the intervals into the next larger step. */
  private coarsen(): void {
    const before = this.intervalSeconds;
    this.step++;
    this.interval = stepSeconds(this.step);
    const merged = new Map<number, Map<number, [number, number]>>();
    for (const [index, channels] of this.buckets) {
      const target = Math.floor((index * before) / this.intervalSeconds + 1e-9);
      let into = merged.get(target);
      if (!into) merged.set(target, (into = new Map()));
      for (const [relid, [records, bytes]] of channels) {
        const counts = into.get(relid) ?? [0, 0];
        into.set(relid, [counts[0] + records, counts[1] + bytes]);
      }
    }
    this.buckets = merged;
    this.lastIndex = Math.max(0, ...merged.keys());
  }

  report(): ThroughputReport {
    const interval = this.intervalSeconds;
    const rows: ThroughputRow[] = [];
    for (const index of [...this.buckets.keys()].sort((a, b) => a - b)) {
      for (const [relid, [records, bytes]] of [...this.buckets.get(index)!].sort((a, b) => a[0] - b[0])) {
        rows.push({ start_s: Number((index * interval).toPrecision(12)), relid, records, bytes });
      }
    }
    return { interval_s: interval, intervals: this.buckets.size === 0 ? 0 : this.lastIndex + 1, rows };
  }
}
