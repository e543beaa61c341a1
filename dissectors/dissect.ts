// Record in, tree out: builds the record's frame, decodes it from the descriptions, hands payloads
// to device protocols through dissector tables, and keeps the session state between records.

import { PSEUDO_HEADER_LENGTH, vmbusFrame } from "../capture/vmbus-pseudo-header.js";
import { RecordFlags, RecordKind, type VmbusRecord } from "../capture/record.js";
import { decoderFor, type DecodeContext, type Hook, type AnalysisEvent, type ResponseLog, type StructDecoder } from "./describe/compile.js";
import type { Scope } from "./describe/expr.js";
import { protocolInfo, registerField } from "./describe/fields.js";
import { guidText } from "./describe/read.js";
import type { ProtocolDescription, StructDescription, SwitchField } from "./describe/types.js";
import { deviceByGuid, deviceDisplayName, HV_SOCKET, type DeviceClass } from "./devices.js";
import { Session, type ChannelInfo } from "./session.js";
import { registerTable, tableResolver } from "./tables.js";
import type { DataSource, ExpertItem, FieldInfo, TreeNode } from "./tree.js";
import { buildHooks } from "./hooks.js";
import "./vmbus/hooks.js";
import { channelMessage } from "./vmbus/channel-messages.js";
import { ringHeader } from "./vmbus/ring-header.js";
import { vmbusRecord } from "./vmbus/record.js";
import { i32At, u32At } from "../capture/bytes.js";

export interface Dissection {
  record: VmbusRecord;
  /** Data sources: 0 = the frame (pseudo-header, payload, attached chunks), then each attached chunk. */
  sources: DataSource[];
  layers: TreeNode[];
  experts: ExpertItem[];
  /** The Info column: each layer's summary, outermost first. */
  info: string;
  device?: DeviceClass;
  /** Class GUID text when known (also for classes not in the registry). */
  classGuid?: string;
  /** The channel as learned from its offer, when one was seen. */
  channel?: ChannelInfo;
  malformed: boolean;
  /** What analysis learns from this record: requests, answers, negotiated versions. */
  events: AnalysisEvent[];
}

/** A record's channel as a dissection names it. */
export type ChannelFacts = Pick<Dissection, "device" | "classGuid" | "channel">;

/** Channel message types whose body offers a channel (runs the offer hook), as the description says. */
const offerMessages: ReadonlySet<number> = new Set(
  Object.entries((channelMessage.fields.find((field) => field.key === "body") as SwitchField).cases)
    .filter(([, body]) => body.hooks?.includes("vmbus.offer"))
    .map(([type]) => Number(type)),
);
/** A SynIC message of hypervisor type 1 carries a channel message after its 16-byte header (core.md §4.1). */
const SYNIC_CHANNEL_MESSAGE = { type: 1, at: 16 };
const MAX_REMEMBERED_OFFERS = 4096;

/** False only when the record surely is no offer; one too short to tell is dissected. */
const mayBeOffer = (record: VmbusRecord): boolean => mayBeOfferAt(record.kind, record.payload, 0, record.payload.length);

/** mayBeOffer for a record of this kind whose payload is bytes[start, end). */
function mayBeOfferAt(kind: RecordKind, bytes: Uint8Array, start: number, end: number): boolean {
  const at = kind === RecordKind.ChannelMessage ? 0 : kind === RecordKind.SynicMessage ? SYNIC_CHANNEL_MESSAGE.at : -1;
  if (at < 0) return false;
  if (end - start < at + 4) return true;
  if (kind === RecordKind.SynicMessage && u32At(bytes, start) !== SYNIC_CHANNEL_MESSAGE.type) return false;
  return offerMessages.has(u32At(bytes, start + at));
}

/** FNV-1a over 32-bit words: cheap, and a collision only costs a dissection (the bytes are compared). */
function bytesHash(bytes: Uint8Array): number {
  // `| 0` keeps the hash an int32 in optimised code (3x faster than without).
  let hash = 0x811c9dc5 | 0;
  const length = bytes.length;
  let i = 0;
  for (; i + 4 <= length; i += 4) hash = Math.imul(hash ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24)), 0x01000193) | 0;
  for (; i < length; i++) hash = Math.imul(hash ^ bytes[i], 0x01000193) | 0;
  return hash;
}

/** The value of the first node with this filter name, depth first. */
function treeValue(nodes: readonly TreeNode[], filter: string): TreeNode["value"] | undefined {
  for (const node of nodes) {
    if (node.field.filter === filter) return node.value;
    const found = node.children && treeValue(node.children, filter);
    if (found !== undefined) return found;
  }
  return undefined;
}

export interface DissectorOptions {
  /** The device of channels we cannot learn from offers (ring dumps): from --device. */
  defaultDevice?: DeviceClass;
  /** Two-pass analysis: the first pass records answers into this log, the second (complete) shows them on requests. */
  responses?: ResponseLog;
  /**
   * The Info summary is not made (`info` is empty), for callers that never show it (stats, -w
   * without printing). The tree, which display filters read, stays the same.
   */
  skipInfo?: boolean;
}

const vmbusProtocol = protocolInfo("vmbus", "VMBus", undefined, ["vmbus.chan.msgtype", "vmbus.pkt.type", "vmbus.synic.message_type"]);
const dataProtocol = protocolInfo("data", "Data");
const dataBytes = registerField({ filter: "data.data", label: "Data", kind: "bytes" });
const dataLength = registerField({ filter: "data.len", label: "Length", kind: "uint", width: 4, unit: "bytes" });
const deviceField = registerField({ filter: "vmbus.device", label: "Device", kind: "string", description: "Short name of the channel's device class (netvsc, storvsc, kvp, ...)" });
const deviceNameField = registerField({ filter: "vmbus.device_name", label: "Device class", kind: "string" });

/** Within a layer the structs' summaries read as one phrase; layers are joined by arrows. */
const LAYER_SEPARATOR = "→";
const infoTextByRegex = (parts: readonly string[]): string =>
  parts.filter((part) => part !== "").join(" ").replace(/→(\s*→)+/g, "→").replace(/(\s*→\s*)+$/, "").replace(/^(\s*→\s*)+/, "");

const ARROW_CODE = LAYER_SEPARATOR.charCodeAt(0);

/** Neither a space as `\s` counts them nor an arrow (ASCII printable characters are the common case). */
const solid = (code: number): boolean => (code > 0x20 && code < 0x7f) || (code !== ARROW_CODE && !/\s/.test(String.fromCharCode(code)));

/** A part that the arrow-collapsing rules leave alone: no space or arrow at either end, no two arrows with only spaces between. */
const plainPart = (part: string): boolean =>
  solid(part.charCodeAt(0)) && solid(part.charCodeAt(part.length - 1)) && (!part.includes(LAYER_SEPARATOR) || !/→\s*→/.test(part));

/**
 * The summary: parts joined by spaces, runs of layer arrows collapsed, none at either end. The same
 * result as the regular expressions (kept for unusual parts), without running three of them per record.
 */
export function infoText(parts: readonly string[]): string {
  let text = "";
  let arrowPending = false;
  for (const part of parts) {
    if (part === "") continue;
    if (part === LAYER_SEPARATOR) {
      arrowPending = text !== "";
      continue;
    }
    if (!plainPart(part)) return infoTextByRegex(parts);
    text += text === "" ? part : arrowPending ? ` ${LAYER_SEPARATOR} ${part}` : ` ${part}`;
    arrowPending = false;
  }
  return text;
}

/** A protocol's layer info and decoder, found once rather than for every hand-off. */
const handedOverProtocols = new Map<ProtocolDescription, { info: FieldInfo; decode: StructDecoder }>();

function handedOver(protocol: ProtocolDescription): { info: FieldInfo; decode: StructDecoder } {
  let entry = handedOverProtocols.get(protocol);
  if (entry === undefined) {
    entry = { info: protocolInfo(protocol.name, protocol.label, protocol.short), decode: decoderFor(protocol.root) };
    handedOverProtocols.set(protocol, entry);
  }
  return entry;
}

const protocolLayer = (info: TreeNode["field"], node: TreeNode): TreeNode =>
  ({ field: info, value: null, offset: node.offset, length: node.length, source: node.source, children: node.children });

/** Every record of a channel carries the same class GUID: its text is made once per channel, not three times per record. */
class GuidTextCache {
  private readonly byRelid = new Map<number, { bytes: Uint8Array; text: string }>();
  private static readonly LIMIT = 4096;

  text(relid: number, bytes: Uint8Array): string {
    const known = this.byRelid.get(relid);
    if (known && sameBytes(known.bytes, bytes)) return known.text;
    const text = guidText(bytes);
    if (bytes.length === 16) {
      if (this.byRelid.size >= GuidTextCache.LIMIT) this.byRelid.clear();
      this.byRelid.set(relid, { bytes: bytes.slice(), text });
    }
    return text;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  const length = a.length;
  if (length !== b.length) return false;
  // By 32-bit words: learnChannels compares every repeated offer (about 190 bytes) this way.
  let i = 0;
  for (; i + 4 <= length; i += 4) if (i32At(a, i) !== i32At(b, i)) return false;
  for (; i < length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class Dissector {
  readonly session = new Session();
  private current: VmbusRecord | undefined;
  private readonly hooks: Record<string, Hook>;
  private readonly guidTexts = new GuidTextCache();
  /** learnChannels: offers by the hash of their bytes, with the channel entry each made. */
  private readonly offers = new Map<number, { kind: RecordKind; payload: Uint8Array; channel: ChannelInfo }>();
  // Made once: every record's context refers to them.
  private readonly boundHandoff: DecodeContext["handoff"] = (table, context, start, end, scope, key) => this.handoff(table, context, start, end, scope, key);
  private readonly boundHandoffAttached: DecodeContext["handoffAttached"] = (table, context, sources, scope, key) => this.handoffAttached(table, context, sources, scope, key);

  constructor(private readonly options: DissectorOptions = {}) {
    this.hooks = buildHooks({ session: this.session, record: () => this.current! });
    registerTable("vmbus.device", () => this.deviceProtocol());
    this.session.responses = options.responses;
  }

  /** Adds hand-written hooks of device dissectors. */
  addHooks(hooks: Record<string, Hook>): void {
    Object.assign(this.hooks, hooks);
  }

  /** Never throws: a fault in a dissector becomes a malformed record, as in Wireshark, and the next record goes on. */
  dissect(record: VmbusRecord): Dissection {
    try {
      return this.dissectRecord(record);
    } catch (error) {
      const text = `dissector failure: ${error instanceof Error ? error.message : String(error)} (please report this with the capture)`;
      return {
        record, sources: [{ name: "frame", bytes: record.payload }], layers: [], info: "[dissector failure]", malformed: true, events: [],
        experts: [{ severity: "error", group: "malformed", text }],
      };
    }
  }

  private dissectRecord(record: VmbusRecord): Dissection {
    this.current = record;
    this.session.currentRelid = record.relid;
    const isRingHeader = record.kind === RecordKind.RingHeader;
    const frame = isRingHeader ? record.payload : vmbusFrame(record);
    const context = this.newContext(frame);
    context.record = { number: record.origin.number, timestampNs: record.timestampNs, relid: record.relid, direction: record.direction };
    const root: StructDescription = isRingHeader ? ringHeader : vmbusRecord;
    const node = decoderFor(root)(context, 0, frame.length, undefined, vmbusProtocol);
    context.layers.unshift(protocolLayer(vmbusProtocol, node));
    const classGuid = this.classGuidOf(record);
    const device = this.deviceOf(record);
    if (!isRingHeader) {
      const after = node.children!.findIndex((child) => child.field.filter === "vmbus.class_guid") + 1;
      node.children!.splice(after, 0, ...this.deviceNodes(device, classGuid));
    }
    this.addRecordExperts(record, context.experts, isRingHeader ? 0 : PSEUDO_HEADER_LENGTH);
    const experts = context.experts;
    return {
      record, device, classGuid, channel: this.session.channels.get(record.relid),
      sources: [{ name: "frame", bytes: frame }, ...record.attached.map((chunk, k) => ({ name: `attached data ${k}`, bytes: chunk.data }))],
      layers: context.layers,
      experts,
      info: this.options.skipInfo ? "" : infoText(context.info),
      malformed: experts.some((e) => e.group === "malformed" || e.severity === "error"),
      events: context.events!,
    };
  }

  private newContext(bytes: Uint8Array): DecodeContext {
    return {
      bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), source: 0,
      session: this.session, experts: [], layers: [], info: [], failed: false, events: [],
      skipInfo: this.options.skipInfo === true,
      hooks: this.hooks,
      handoff: this.boundHandoff,
      handoffAttached: this.boundHandoffAttached,
    };
  }

  private handoff(table: string, context: DecodeContext, start: number, end: number, scope: Scope, key?: number): void {
    const resolved = tableResolver(table)?.(context, start, end, scope, key) ?? `no dissector table ${table}`;
    if (typeof resolved === "string") return this.dataLayer(context, start, end, resolved);
    const { info, decode } = handedOver(resolved);
    context.info.push(LAYER_SEPARATOR);
    const slot = context.layers.length; // outer layers before the ones they hand over to
    const node = decode(context, start, end, scope, info);
    context.layers.splice(slot, 0, protocolLayer(info, node));
  }

  /** Each attached chunk of the wanted sources is a data source of its own, decoded from its start. */
  private handoffAttached(table: string, context: DecodeContext, sources: readonly number[], scope: Scope, key?: number): boolean {
    let found = false;
    this.current!.attached.forEach((chunk, index) => {
      if (!sources.includes(chunk.source)) return;
      found = true;
      const bytes = chunk.data;
      const chunkContext: DecodeContext = { ...context, bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), source: index + 1, failed: false };
      this.handoff(table, chunkContext, 0, bytes.length, scope, key);
    });
    return found;
  }

  private dataLayer(context: DecodeContext, start: number, end: number, reason: string): void {
    const children: TreeNode[] = [
      { field: dataBytes, value: context.bytes.subarray(start, end), offset: start, length: end - start, source: context.source },
      { field: dataLength, value: end - start, offset: start, length: 0, source: context.source, generated: true },
    ];
    context.layers.push({ field: dataProtocol, value: null, offset: start, length: end - start, source: context.source, children });
    context.experts.push({ severity: "note", group: "undecoded", text: reason, offset: start, source: context.source });
    context.info.push(LAYER_SEPARATOR, `${end - start} bytes of payload`);
  }

  private deviceProtocol(): ProtocolDescription | string {
    const record = this.current!;
    const device = this.deviceOf(record);
    if (device?.protocol) return device.protocol;
    if (device) return device.specification === "none-public"
      ? `${device.short}: no public specification of this device's protocol; payload shown as bytes`
      : `${device.short}: device protocol not decoded yet; payload shown as bytes`;
    const guid = this.classGuidOf(record);
    return guid ? `unknown device class ${guid}; payload shown as bytes` : "device of this channel unknown (no offer seen, no --device given); payload shown as bytes";
  }

  /** What names a record's channel (device, class GUID, offer), from what the session learned so far, without decoding the record. */
  channelFacts(record: VmbusRecord): ChannelFacts {
    return { device: this.deviceOf(record), classGuid: this.classGuidOf(record), channel: this.session.channels.get(record.relid) };
  }

  /** Whether learnChannels would learn from a record of this kind whose payload is bytes[start, end): one that does not may skip it. */
  teachesChannels(kind: RecordKind, bytes: Uint8Array, start: number, end: number): boolean {
    return mayBeOfferAt(kind, bytes, start, end);
  }

  /**
   * Keeps the channel table as channelFacts reads it without dissecting every record: only offers
   * change it (a rescind merely marks an entry). An offer is dissected the first time its bytes are
   * seen; when they come again, the entry that dissection made is put back in place.
   */
  learnChannels(record: VmbusRecord): void {
    if (!mayBeOffer(record)) return;
    const { payload } = record;
    const key = bytesHash(payload);
    const offered = this.offers.get(key);
    if (offered && offered.kind === record.kind && sameBytes(offered.payload, payload)) {
      if (this.session.channels.get(offered.channel.relid) !== offered.channel) this.session.offer(offered.channel);
      return;
    }
    const relid = treeValue(this.dissect(record).layers, "vmbus.chan.child_relid");
    const channel = typeof relid === "number" ? this.session.channels.get(relid) : undefined;
    if (channel?.offeredIn !== record.origin.number) return;
    if (this.offers.size >= MAX_REMEMBERED_OFFERS) this.offers.clear();
    this.offers.set(key, { kind: record.kind, payload: payload.slice(), channel });
  }

  private classGuidOf(record: VmbusRecord): string | undefined {
    if (record.classGuid) return this.guidTexts.text(record.relid, record.classGuid);
    return this.session.channels.get(record.relid)?.classGuid ?? (this.options.defaultDevice?.guid || undefined);
  }

  private deviceOf(record: VmbusRecord): DeviceClass | undefined {
    if (record.kind !== RecordKind.RingPacket) return undefined;
    const channel = this.session.channels.get(record.relid);
    if (channel && (channel.offerFlags & 0x2000) !== 0) return HV_SOCKET;
    return deviceByGuid(this.classGuidOf(record)) ?? (channel || record.classGuid ? undefined : this.options.defaultDevice);
  }

  private deviceNodes(device: DeviceClass | undefined, classGuid: string | undefined): TreeNode[] {
    if (!device && !classGuid) return [];
    const short = device?.short ?? "unknown";
    return [
      { field: deviceField, value: short, offset: 12, length: 16, source: 0, generated: true },
      { field: deviceNameField, value: device ? deviceDisplayName(device) : `unknown class ${classGuid}`, offset: 12, length: 16, source: 0, generated: true },
    ];
  }

  private addRecordExperts(record: VmbusRecord, experts: ExpertItem[], payloadStart: number): void {
    for (const problem of record.readerProblems ?? []) {
      const offset = problem.offset === undefined ? undefined : problem.offset + payloadStart;
      experts.push({ severity: problem.severity, group: problem.severity === "error" ? "malformed" : "capture", text: problem.text, offset, source: 0 });
    }
    if (record.flags & RecordFlags.Truncated) {
      const original = record.originalLength === undefined ? "" : ` of ${record.originalLength}`;
      experts.push({ severity: "warn", group: "capture", text: `payload truncated: ${record.payload.length}${original} bytes captured` });
    }
    if (record.flags & RecordFlags.Recovered) {
      experts.push({ severity: "chat", group: "capture", text: "recovered from already-consumed ring memory" });
    }
  }
}
