// Response times of one request type: exact figures while few, then a log-scale histogram whose
// percentiles are within 1% (as HdrHistogram does), so memory stays flat on any capture.

export interface ResponseTimeSummary {
  /** Requests seen, answers paired, requests left without an answer. */
  count: number;
  answered: number;
  unanswered: number;
  min_s: number | null;
  mean_s: number | null;
  median_s: number | null;
  p95_s: number | null;
  p99_s: number | null;
  max_s: number | null;
  /** True when percentiles come from the histogram (within 1%) rather than every value. */
  approximate: boolean;
}

/** Past this many answers the histogram takes over: 8 KB of exact values per request type at most (a capture may have thousands of types). */
const EXACT_LIMIT = 1024;
/** Bucket k holds times in [FLOOR × GROWTH^k, FLOOR × GROWTH^(k+1)). */
const GROWTH = 1.01;
const FLOOR_S = 1e-9;

export class ResponseTimes {
  private requests = 0;
  private answers = 0;
  private timed = 0;
  private sum = 0;
  private min = Infinity;
  private max = -Infinity;
  private exact: number[] | undefined = [];
  private readonly buckets = new Map<number, number>();

  request(): void {
    this.requests++;
  }

  answer(seconds: number | undefined): void {
    this.answers++;
    if (seconds === undefined || !Number.isFinite(seconds)) return;
    this.timed++;
    this.sum += seconds;
    this.min = Math.min(this.min, seconds);
    this.max = Math.max(this.max, seconds);
    this.exact?.push(seconds);
    if (this.exact && this.exact.length > EXACT_LIMIT) {
      for (const value of this.exact) this.addToBucket(value);
      this.exact = undefined;
    } else if (!this.exact) this.addToBucket(seconds);
  }

  private addToBucket(seconds: number): void {
    const bucket = seconds <= FLOOR_S ? -1 : Math.floor(Math.log(seconds / FLOOR_S) / Math.log(GROWTH));
    this.buckets.set(bucket, (this.buckets.get(bucket) ?? 0) + 1);
  }

  /** The value at a rank (nearest-rank method), from every value or from the histogram. */
  private percentile(fraction: number): number | null {
    if (this.timed === 0) return null;
    const rank = Math.max(1, Math.ceil(fraction * this.timed));
    if (this.exact) return [...this.exact].sort((a, b) => a - b)[rank - 1];
    let seen = 0;
    for (const [bucket, count] of [...this.buckets].sort((a, b) => a[0] - b[0])) {
      seen += count;
      if (seen >= rank) return Math.min(this.max, Math.max(this.min, bucket < 0 ? FLOOR_S : FLOOR_S * GROWTH ** (bucket + 0.5)));
    }
    return this.max;
  }

  summary(): ResponseTimeSummary {
    const timed = this.timed > 0;
    return {
      count: this.requests, answered: this.answers, unanswered: Math.max(0, this.requests - this.answers),
      min_s: timed ? this.min : null, mean_s: timed ? this.sum / this.timed : null,
      median_s: this.percentile(0.5), p95_s: this.percentile(0.95), p99_s: this.percentile(0.99),
      max_s: timed ? this.max : null, approximate: this.exact === undefined,
    };
  }
}
