// The statistics report as tables for a terminal (cli-table3), one section per question.

import { escapeText } from "./escape.js";
import type { StatisticsReport } from "./statistics.js";
import { renderTable } from "./tables.js";

const seconds = (value: number | null): string => (value === null ? "-" : value.toFixed(6));
const count = (value: number): string => String(value);
const orDash = (value: string | number | null): string => (value === null || value === "" ? "-" : escapeText(String(value)));

function section(title: string, head: string[], rows: string[][], empty: string): string {
  return `${title}\n${rows.length === 0 ? `  (${empty})` : renderTable(head, rows, { compact: true })}`;
}

function overview(report: StatisticsReport): string {
  const duration = report.duration_s === null ? "no timestamps" : `${seconds(report.duration_s)} s from ${report.first_time}`;
  return `Capture: ${report.records} records, ${report.bytes} bytes of payload, ${duration}, ${report.malformed} malformed`;
}

function channels(report: StatisticsReport): string {
  const rows = report.channels.map((c) => [
    c.relid === 0 ? "0 (control)" : String(c.relid), orDash(c.device), orDash(c.instance), orDash(c.sub_channel),
    count(c.records.guest_to_host), count(c.bytes.guest_to_host), count(c.records.host_to_guest), count(c.bytes.host_to_guest),
    seconds(c.first_s), seconds(c.last_s),
  ]);
  return section("Channels", ["relid", "device", "instance", "sub", "G→H records", "G→H bytes", "H→G records", "H→G bytes", "first s", "last s"], rows, "no records");
}

function messageTypes(report: StatisticsReport): string {
  const rows = report.message_types.map((m) => [m.protocol, escapeText(m.type), count(m.count), count(m.bytes)]);
  return section("Message types", ["protocol", "message type", "count", "bytes"], rows, "no records");
}

function responseTimes(report: StatisticsReport): string {
  const rows = report.response_times.map((r) => [
    r.protocol, escapeText(r.request), count(r.count), count(r.answered), count(r.unanswered),
    seconds(r.min_s), seconds(r.mean_s), `${r.approximate ? "~" : ""}${seconds(r.median_s)}`, `${r.approximate ? "~" : ""}${seconds(r.p95_s)}`,
    `${r.approximate ? "~" : ""}${seconds(r.p99_s)}`, seconds(r.max_s),
  ]);
  return section("Response times (seconds)", ["protocol", "request", "count", "answered", "unanswered", "min", "mean", "median", "p95", "p99", "max"], rows, "no paired requests");
}

function versions(report: StatisticsReport): string {
  const rows = report.versions.map((v) => [v.relid === 0 ? "0 (control)" : String(v.relid), orDash(v.device), v.name, escapeText(v.version), String(v.record)]);
  return section("Negotiated versions", ["relid", "device", "what", "version", "in record"], rows, "no negotiation seen");
}

function throughput(report: StatisticsReport): string {
  const { interval_s: interval, rows } = report.throughput;
  const table = rows.map((row) => [seconds(row.start_s), String(row.relid), count(row.records), count(row.bytes)]);
  return section(`Throughput (interval ${interval} s)`, ["start s", "relid", "records", "bytes"], table, "no timestamps");
}

function anomalies(report: StatisticsReport): string {
  const rows = report.anomalies.map((a) => [a.severity, a.group, count(a.count), a.first_record === null ? "-" : String(a.first_record), escapeText(a.count > 1 ? a.pattern : a.example)]);
  return section("Anomalies (expert info)", ["severity", "group", "count", "first record", "message (N = a number)"], rows, "none");
}

export function statisticsText(report: StatisticsReport): string {
  return [overview(report), channels(report), messageTypes(report), responseTimes(report), versions(report), throughput(report), anomalies(report)].join("\n\n");
}
