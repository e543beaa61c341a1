// `stats`: what is on this bus, who is slow, what went wrong. Counts records from their trees and
// analysis events only; no protocol is named here. Memory stays bounded by the number of channels,
// message types, request types and intervals, never by the number of records.

import { Direction, RecordKind } from "../capture/record.js";
import type { Dissection } from "../dissectors/dissect.js";
import type { FieldInfo, TreeNode } from "../dissectors/tree.js";
import { ResponseTimes, type ResponseTimeSummary } from "./response-times.js";
import { Throughput, type ThroughputReport } from "./throughput.js";
import { isoTime } from "./time.js";

export interface ChannelRow {
  relid: number;
  device: string | null;
  device_name: string | null;
  instance: string | null;
  sub_channel: number | null;
  records: { guest_to_host: number; host_to_guest: number; unknown: number };
  bytes: { guest_to_host: number; host_to_guest: number; unknown: number };
  first_s: number | null;
  last_s: number | null;
}

export interface MessageTypeRow { protocol: string; type: string; count: number; bytes: number }
export interface ResponseTimeRow extends ResponseTimeSummary { protocol: string; request: string }
export interface VersionRow { relid: number; device: string | null; name: string; version: string; value: number; record: number }
/** first_record is null for requests left unanswered at the end (no record says so in one pass). */
export interface AnomalyRow { severity: string; group: string; pattern: string; count: number; first_record: number | null; example: string }

export interface StatisticsReport {
  records: number;
  bytes: number;
  first_time: string | null;
  duration_s: number | null;
  malformed: number;
  channels: ChannelRow[];
  message_types: MessageTypeRow[];
  response_times: ResponseTimeRow[];
  versions: VersionRow[];
  throughput: ThroughputReport;
  anomalies: AnomalyRow[];
}

const directionKey = (direction: Direction): keyof ChannelRow["records"] =>
  direction === Direction.GuestToHost ? "guest_to_host" : direction === Direction.HostToGuest ? "host_to_guest" : "unknown";

/** Numbers in expert texts vary per record; the pattern groups them (as Zeek's weird names do). */
const anomalyPattern = (text: string): string => text.replace(/0x[0-9a-f]+|\d+(\.\d+)?/gi, "N");

const SEVERITY_ORDER = ["error", "warn", "note", "chat"];

/**
 * Names come from captures (an unknown message type is its number, an expert text may name a
 * GUID): past this many rows in a table, new names are counted together as "(other)".
 */
const MAX_ROWS = 4096;
const OTHER = "(other)";
const rowName = (table: Map<string, unknown>, key: (name: string) => string, name: string): string =>
  table.size < MAX_ROWS || table.has(key(name)) ? name : OTHER;

export class TrafficStatistics {
  private records = 0;
  private bytes = 0;
  private malformed = 0;
  private firstNs: bigint | undefined;
  private lastNs: bigint | undefined;
  private readonly channels = new Map<number, ChannelRow & { firstNs?: bigint; lastNs?: bigint }>();
  private readonly messageTypes = new Map<string, MessageTypeRow>();
  /** addMessageTypes' nodes of each declared filter, each followed by its parent (reused). */
  private readonly typeNodes: TreeNode[][] = [];
  /** Message-type rows by the type field and its value (a cache of messageTypes). */
  private readonly rowsByTypeValue = new Map<FieldInfo, Map<TreeNode["value"], MessageTypeRow>>();
  private readonly responseTimes = new Map<string, { protocol: string; request: string; times: ResponseTimes }>();
  private readonly versions = new Map<string, VersionRow>();
  private readonly anomalies = new Map<string, AnomalyRow>();
  private readonly throughput: Throughput;

  constructor(options: { intervalSeconds?: number } = {}) {
    this.throughput = new Throughput(options.intervalSeconds);
  }

  add(dissection: Dissection): void {
    const { record } = dissection;
    const size = record.payload.length;
    this.records++;
    this.bytes += size;
    if (dissection.malformed) this.malformed++;
    if (record.timestampNs !== undefined) {
      this.firstNs ??= record.timestampNs;
      this.lastNs = record.timestampNs;
    }
    if (record.kind !== RecordKind.RingHeader) this.addChannel(dissection, size);
    for (const layer of dissection.layers) this.addMessageTypes(layer);
    this.addEvents(dissection);
    for (const expert of dissection.experts) this.addAnomaly(expert.severity, expert.group, expert.text, record.origin.number);
    const seconds = this.secondsOf(record.timestampNs);
    if (seconds !== null) this.throughput.add(seconds, record.relid, size);
  }

  private secondsOf(ns: bigint | undefined): number | null {
    return ns === undefined || this.firstNs === undefined ? null : Number(ns - this.firstNs) / 1e9;
  }

  private addChannel(dissection: Dissection, size: number): void {
    const { record, channel } = dissection;
    let row = this.channels.get(record.relid);
    if (!row && this.channels.size >= MAX_ROWS) return; // relids from a damaged capture: totals still count them
    if (!row) {
      row = {
        relid: record.relid, device: null, device_name: null, instance: null, sub_channel: null,
        records: { guest_to_host: 0, host_to_guest: 0, unknown: 0 }, bytes: { guest_to_host: 0, host_to_guest: 0, unknown: 0 },
        first_s: null, last_s: null,
      };
      this.channels.set(record.relid, row);
    }
    row.device ??= dissection.device?.short ?? null;
    row.device_name ??= dissection.device?.name ?? null;
    row.instance = channel?.instanceGuid ?? row.instance;
    row.sub_channel = channel?.subChannelIndex ?? row.sub_channel;
    const direction = directionKey(record.direction);
    row.records[direction]++;
    row.bytes[direction] += size;
    if (record.timestampNs !== undefined) {
      row.firstNs ??= record.timestampNs;
      row.lastNs = record.timestampNs;
    }
  }

  /** Each message in a layer counts once, with the bytes of the struct that holds its type field. */
  private addMessageTypes(layer: TreeNode): void {
    const protocol = layer.field.filter;
    const declared = layer.field.messageTypes;
    if (declared === undefined) return void this.countMessage(protocol, "(all)", layer.length);
    // One walk finds the nodes of every declared filter; the first filter that has any counts.
    const found = this.typeNodes;
    while (found.length < declared.length) found.push([]);
    collectTypeNodes(layer, declared, found, 0);
    const chosen = found.findIndex((nodes, index) => index < declared.length && nodes.length > 0);
    if (chosen < 0) this.countMessage(protocol, "(no message type)", layer.length);
    else for (let i = 0; i < found[chosen].length; i += 2) this.countTypeNode(protocol, found[chosen][i], found[chosen][i + 1].length);
    for (let index = 0; index < declared.length; index++) found[index].length = 0;
  }

  /** The row of a type field's value is found again by the field and value: no text per record. */
  private countTypeNode(protocol: string, node: TreeNode, bytes: number): void {
    const { field, value } = node;
    let rows = this.rowsByTypeValue.get(field);
    if (rows === undefined) this.rowsByTypeValue.set(field, (rows = new Map()));
    const row = rows.get(value);
    if (row !== undefined) {
      row.count++;
      row.bytes += bytes;
      return;
    }
    const counted = this.countMessage(protocol, valueName(node), bytes);
    // Values from a damaged capture may be many: past the bound, rows are found by name again.
    if (rows.size < MAX_ROWS) rows.set(value, counted);
  }

  private countMessage(protocol: string, name: string, bytes: number): MessageTypeRow {
    const type = rowName(this.messageTypes, (t) => `${protocol}\u0000${t}`, name);
    const key = `${protocol}\u0000${type}`;
    let row = this.messageTypes.get(key);
    if (row === undefined) this.messageTypes.set(key, (row = { protocol, type, count: 0, bytes: 0 }));
    row.count++;
    row.bytes += bytes;
    return row;
  }

  private addEvents(dissection: Dissection): void {
    for (const event of dissection.events) {
      if (event.kind === "negotiated") {
        const relid = dissection.record.relid;
        if (this.versions.size >= MAX_ROWS && !this.versions.has(`${relid}\u0000${event.name}`)) continue;
        this.versions.set(`${relid}\u0000${event.name}`, {
          relid, device: dissection.device?.short ?? null, name: event.name, version: event.text, value: event.value, record: dissection.record.origin.number,
        });
        continue;
      }
      const type = rowName(this.responseTimes, (t) => `${event.namespace}\u0000${t}`, event.type);
      const key = `${event.namespace}\u0000${type}`;
      let entry = this.responseTimes.get(key);
      if (!entry) this.responseTimes.set(key, (entry = { protocol: event.namespace, request: type, times: new ResponseTimes() }));
      if (event.kind === "request") entry.times.request();
      else entry.times.answer(event.seconds);
    }
  }

  private addAnomaly(severity: string, group: string, text: string, record: number): void {
    const pattern = rowName(this.anomalies, (p) => `${severity}\u0000${group}\u0000${p}`, anomalyPattern(text));
    const key = `${severity}\u0000${group}\u0000${pattern}`;
    const row = this.anomalies.get(key);
    if (row) row.count++;
    else this.anomalies.set(key, { severity, group, pattern, count: 1, first_record: record, example: text });
  }

  report(): StatisticsReport {
    const relative = (ns: bigint | undefined) => this.secondsOf(ns);
    return {
      records: this.records,
      bytes: this.bytes,
      first_time: this.firstNs === undefined ? null : isoTime(this.firstNs),
      duration_s: relative(this.lastNs),
      malformed: this.malformed,
      channels: [...this.channels.values()].sort((a, b) => a.relid - b.relid).map(({ firstNs, lastNs, ...row }) => ({ ...row, first_s: relative(firstNs), last_s: relative(lastNs) })),
      message_types: [...this.messageTypes.values()].sort((a, b) => a.protocol.localeCompare(b.protocol) || b.count - a.count || a.type.localeCompare(b.type)),
      response_times: [...this.responseTimes.values()]
        .map(({ protocol, request, times }) => ({ protocol, request, ...times.summary() }))
        .sort((a, b) => a.protocol.localeCompare(b.protocol) || b.count - a.count || a.request.localeCompare(b.request)),
      versions: [...this.versions.values()].sort((a, b) => a.relid - b.relid || a.name.localeCompare(b.name)),
      throughput: this.throughput.report(),
      anomalies: [...this.anomalies.values(), ...unansweredRows(this.responseTimes.values())].sort((a, b) => SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity) || b.count - a.count),
    };
  }
}

/** Requests with no answer by the end of the capture, per protocol: what -2 marks on each request. */
function unansweredRows(rows: Iterable<{ protocol: string; times: ResponseTimes }>): AnomalyRow[] {
  const byProtocol = new Map<string, number>();
  for (const { protocol, times } of rows) byProtocol.set(protocol, (byProtocol.get(protocol) ?? 0) + times.summary().unanswered);
  return [...byProtocol].filter(([, count]) => count > 0).map(([protocol, count]) => {
    const text = `${protocol}: no answer seen for this request`;
    return { severity: "note", group: "sequence", pattern: text, count, first_record: null, example: text };
  });
}

function valueName(node: TreeNode): string {
  const { value, field } = node;
  return (typeof value === "number" ? field.values?.[value] : undefined) ?? String(value);
}

/**
 * Adds each node below parent whose filter is filters[i] to found[i], followed by its parent; a
 * node of filters[i] is not looked into for more of filters[i] (bit i of inside), but for the others.
 */
function collectTypeNodes(parent: TreeNode, filters: readonly string[], found: TreeNode[][], inside: number): void {
  const children = parent.children;
  if (children === undefined) return;
  for (let i = 0; i < children.length; i++) {
    const child = children[i];
    const index = filters.indexOf(child.field.filter);
    let within = inside;
    if (index >= 0 && (inside & (1 << index)) === 0) {
      found[index].push(child, parent);
      within |= 1 << index;
    }
    // Message types are integers: below other values there are only their bits.
    if (child.children !== undefined && HOLDS_FIELDS.has(child.field.kind)) collectTypeNodes(child, filters, found, within);
  }
}

const HOLDS_FIELDS: ReadonlySet<string> = new Set(["protocol", "struct", "array"]);
