// `stats --plot FILE.svg|.html`: throughput per channel over time and the response times of each
// request type, drawn from the statistics report as one self-contained file (no scripts, no
// external fonts or styles) that any browser opens. Every series is an element with
// class="series" and data-series="<its legend>", so tools and tests can find what was drawn.

import type { StatisticsReport } from "./statistics.js";

const WIDTH = 960;
const MARGIN = { left: 90, right: 220, top: 40, bottom: 50 };
const PLOT_WIDTH = WIDTH - MARGIN.left - MARGIN.right;
const THROUGHPUT_HEIGHT = 300;
const ROW_HEIGHT = 26;
/** The response-time rows are labelled on the left: "vstor SERVICE ACTION IN(16) (12)". */
const LABEL_WIDTH = 300;
/** Tableau 10: distinct for the colour-blind too. */
export const SERIES_COLOURS = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];

const escapeXml = (text: string): string =>
  text.replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c]!)
    // XML 1.0 has no place for control characters; captures may carry them.
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, "\ufffd");

const text = (x: number, y: number, content: string, extra = ""): string =>
  `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${extra}>${escapeXml(content)}</text>`;

/** Round tick steps (1, 2, 5 × 10^n, at least `smallest`) for a linear axis from 0 to max. */
function ticks(max: number, smallest = 0, wanted = 5): number[] {
  if (!(max > 0)) return [0];
  const rough = Math.max(smallest, max / wanted);
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? rough;
  const values: number[] = [];
  for (let v = 0; v <= max * 1.0001; v += step) values.push(Number(v.toPrecision(12)));
  return values;
}

const shortNumber = (value: number): string =>
  value >= 1e6 ? `${Number((value / 1e6).toPrecision(3))}M` : value >= 1e3 ? `${Number((value / 1e3).toPrecision(3))}k` : String(Number(value.toPrecision(4)));

const secondsLabel = (value: number): string =>
  value >= 1 ? `${Number(value.toPrecision(3))} s` : value >= 1e-3 ? `${Number((value * 1e3).toPrecision(3))} ms` : `${Number((value * 1e6).toPrecision(3))} µs`;

interface Series { label: string; colour: string; points: Array<[number, number]> }

function throughputSeries(report: StatisticsReport): Series[] {
  const byRelid = new Map<number, Array<[number, number]>>();
  for (const row of report.throughput.rows) {
    const points = byRelid.get(row.relid) ?? [];
    points.push([row.start_s, row.records]);
    byRelid.set(row.relid, points);
  }
  const devices = new Map(report.channels.map((c) => [c.relid, c.device]));
  return [...byRelid].map(([relid, points], index) => ({
    label: `relid ${relid}${relid === 0 ? " (control)" : devices.get(relid) ? ` (${devices.get(relid)})` : ""}`,
    colour: SERIES_COLOURS[index % SERIES_COLOURS.length],
    points: withZeros(points, report.throughput.interval_s, report.throughput.intervals),
  }));
}

/** Intervals with no records of a channel are drawn at zero, not skipped over. */
function withZeros(points: Array<[number, number]>, interval: number, intervals: number): Array<[number, number]> {
  const counts = new Map(points.map(([start, count]) => [Math.round(start / interval), count]));
  return Array.from({ length: Math.max(1, intervals) }, (_, index) => [index * interval, counts.get(index) ?? 0] as [number, number]);
}

function legend(series: readonly Series[], top: number): string[] {
  return series.map((s, index) => {
    const y = top + index * 18;
    return `<g class="legend">${`<rect x="${WIDTH - MARGIN.right + 16}" y="${y - 9}" width="12" height="12" fill="${s.colour}"/>`}${text(WIDTH - MARGIN.right + 34, y + 1, s.label, 'font-size="12"')}</g>`;
  });
}

function throughputChart(report: StatisticsReport, top: number): { svg: string[]; height: number } {
  const series = throughputSeries(report);
  const height = THROUGHPUT_HEIGHT;
  const bottom = top + height - MARGIN.bottom;
  const interval = report.throughput.interval_s;
  const span = Math.max(interval, interval * report.throughput.intervals);
  const maxCount = Math.max(1, ...series.flatMap((s) => s.points.map(([, count]) => count)));
  const yTicks = ticks(maxCount, 1);
  const yMax = yTicks[yTicks.length - 1] || 1;
  const x = (seconds: number) => MARGIN.left + (seconds / span) * PLOT_WIDTH;
  const y = (count: number) => bottom - (count / yMax) * (height - MARGIN.bottom - 30);
  const svg = [text(MARGIN.left, top + 16, `Throughput: records per ${secondsLabel(interval)} interval, per channel`, 'font-size="15" font-weight="bold"')];
  svg.push(`<line x1="${MARGIN.left}" y1="${bottom}" x2="${MARGIN.left + PLOT_WIDTH}" y2="${bottom}" stroke="#333"/>`);
  for (const tick of yTicks) {
    svg.push(`<line x1="${MARGIN.left}" y1="${y(tick).toFixed(1)}" x2="${MARGIN.left + PLOT_WIDTH}" y2="${y(tick).toFixed(1)}" stroke="#ddd"/>`);
    svg.push(text(MARGIN.left - 8, y(tick) + 4, shortNumber(tick), 'font-size="11" text-anchor="end"'));
  }
  for (const tick of ticks(span)) svg.push(text(x(tick), bottom + 16, secondsLabel(tick), 'font-size="11" text-anchor="middle"'));
  svg.push(text(MARGIN.left + PLOT_WIDTH / 2, bottom + 36, "time since the first record", 'font-size="12" text-anchor="middle"'));
  for (const s of series) {
    // Each interval is a step: its count holds from its start to the next interval's.
    const path = s.points.map(([start, count], index) => `${index === 0 ? "M" : "L"}${x(start).toFixed(1)},${y(count).toFixed(1)} H${x(start + interval).toFixed(1)}`).join(" ");
    svg.push(`<path class="series" data-series="${escapeXml(s.label)}" d="${path}" fill="none" stroke="${s.colour}" stroke-width="2.5"><title>${escapeXml(s.label)}</title></path>`);
  }
  svg.push(...legend(series, top + 40));
  return { svg, height };
}

function responseTimeChart(report: StatisticsReport, top: number): { svg: string[]; height: number } {
  const rows = report.response_times.filter((r) => r.min_s !== null && r.max_s !== null);
  const svg = [text(MARGIN.left, top + 16, "Response times per request type (log scale): min–max line, median–p95 box, p99 tick, mean dot", 'font-size="15" font-weight="bold"')];
  if (rows.length === 0) {
    svg.push(text(MARGIN.left, top + 44, "no request was answered in this capture", 'font-size="12"'));
    return { svg, height: 70 };
  }
  const low = Math.min(...rows.map((r) => r.min_s!)) || 1e-7;
  const high = Math.max(...rows.map((r) => r.max_s!));
  const from = Math.floor(Math.log10(Math.max(low, 1e-9)));
  const to = Math.max(from + 1, Math.ceil(Math.log10(Math.max(high, 1e-9))));
  const left = LABEL_WIDTH;
  const width = WIDTH - left - 40;
  const x = (seconds: number) => left + ((Math.log10(Math.max(seconds, 10 ** from)) - from) / (to - from)) * width;
  const chartTop = top + 30;
  const bottom = chartTop + rows.length * ROW_HEIGHT;
  for (let power = from; power <= to; power++) {
    svg.push(`<line x1="${x(10 ** power).toFixed(1)}" y1="${chartTop}" x2="${x(10 ** power).toFixed(1)}" y2="${bottom}" stroke="#ddd"/>`);
    svg.push(text(x(10 ** power), bottom + 16, secondsLabel(10 ** power), 'font-size="11" text-anchor="middle"'));
  }
  rows.forEach((row, index) => {
    const label = `${row.protocol} ${row.request} (${row.answered})`;
    const colour = SERIES_COLOURS[index % SERIES_COLOURS.length];
    const middle = chartTop + index * ROW_HEIGHT + ROW_HEIGHT / 2;
    const [min, max, median, p95, p99, mean] = [row.min_s!, row.max_s!, row.median_s ?? row.min_s!, row.p95_s ?? row.max_s!, row.p99_s ?? row.max_s!, row.mean_s ?? row.min_s!];
    svg.push(text(left - 8, middle + 4, label.length > 46 ? `${label.slice(0, 45)}…` : label, 'font-size="11" text-anchor="end" class="row-label"'));
    svg.push(`<g class="series" data-series="${escapeXml(label)}"><title>${escapeXml(`${label}: min ${secondsLabel(min)}, median ${secondsLabel(median)}, p95 ${secondsLabel(p95)}, p99 ${secondsLabel(p99)}, max ${secondsLabel(max)}`)}</title>`
      + `<line x1="${x(min).toFixed(1)}" y1="${middle}" x2="${x(max).toFixed(1)}" y2="${middle}" stroke="${colour}" stroke-width="2"/>`
      + `<rect x="${x(median).toFixed(1)}" y="${middle - 7}" width="${Math.max(3, x(p95) - x(median)).toFixed(1)}" height="14" fill="${colour}"/>`
      + `<line x1="${x(p99).toFixed(1)}" y1="${middle - 9}" x2="${x(p99).toFixed(1)}" y2="${middle + 9}" stroke="${colour}" stroke-width="2"/>`
      + `<circle cx="${x(mean).toFixed(1)}" cy="${middle}" r="3.5" fill="#222"/></g>`);
  });
  return { svg, height: bottom - top + 40 };
}

function svgDocument(report: StatisticsReport): string {
  const throughput = throughputChart(report, 0);
  const responses = responseTimeChart(report, throughput.height + 10);
  const height = throughput.height + 10 + responses.height;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif">`,
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    ...throughput.svg, ...responses.svg,
    "</svg>",
  ].join("\n");
}

export function plotDocument(report: StatisticsReport, kind: "svg" | "html"): string {
  const svg = svgDocument(report);
  if (kind === "svg") return `<?xml version="1.0" encoding="UTF-8"?>\n${svg}\n`;
  const title = `vmbus-dissect statistics: ${report.records} records`;
  return `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>${escapeXml(title)}</title></head>\n<body style="margin:16px;font-family:sans-serif">\n<h1 style="font-size:18px">${escapeXml(title)}</h1>\n${svg}\n</body></html>\n`;
}
