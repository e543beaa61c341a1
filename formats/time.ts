// Timestamps as tshark shows them (-t r / a / ad / e), exact to the nanosecond: no floating point.

export type TimeFormat = "r" | "a" | "ad" | "e";

const NS_PER_SECOND = 1_000_000_000n;

function secondsText(ns: bigint, digits = 9): string {
  const negative = ns < 0n;
  const magnitude = negative ? -ns : ns;
  const fraction = (magnitude % NS_PER_SECOND).toString().padStart(9, "0").slice(0, digits);
  return `${negative ? "-" : ""}${magnitude / NS_PER_SECOND}.${fraction}`;
}

/** The date and time of the last second isoTime formatted: records come many to a second. */
let lastSeconds: bigint | undefined;
let lastSecondText: string | undefined;

/** ISO 8601 UTC with nanoseconds, e.g. 2026-11-25T19:50:38.123456700Z. */
export function isoTime(ns: bigint): string {
  const seconds = ns / NS_PER_SECOND;
  const remainder = ns - seconds * NS_PER_SECOND;
  const fraction = (remainder < 0n ? remainder + NS_PER_SECOND : remainder).toString().padStart(9, "0");
  if (seconds !== lastSeconds) {
    const date = new Date(Number(seconds) * 1000);
    lastSecondText = Number.isNaN(date.getTime()) ? undefined : date.toISOString().slice(0, 19);
    lastSeconds = seconds;
  }
  if (lastSecondText === undefined) return `${secondsText(ns)} s since 1970`;
  return `${lastSecondText}.${fraction}Z`;
}

export class TimeColumn {
  private first: bigint | undefined;
  constructor(private readonly format: TimeFormat) {}

  /** Relative times count from the capture's first record, shown or not (as tshark's -t r). */
  observe(ns: bigint | undefined): void {
    if (ns !== undefined) this.first ??= ns;
  }

  text(ns: bigint | undefined): string {
    if (ns === undefined) return "-";
    this.first ??= ns;
    switch (this.format) {
      case "r": return secondsText(ns - this.first, 6);
      case "e": return secondsText(ns);
      case "a": return isoTime(ns).slice(11, 26);
      case "ad": return isoTime(ns).replace("T", " ").slice(0, 26);
    }
  }
}
