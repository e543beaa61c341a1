// Session state learned from the capture itself: the negotiated VMBus version, the channel table
// from offers and rescinds, and per-channel protocol state. Bounded; it says when it forgets.

import type { PendingRequestStore, RequestLane, ResponseLog, SessionAccess } from "./describe/compile.js";
import type { FieldValue } from "./tree.js";

export interface ChannelInfo {
  relid: number;
  classGuid: string;
  instanceGuid: string;
  subChannelIndex: number;
  monitorId: number;
  offerFlags: number;
  /** Record number of the offer. */
  offeredIn: number;
  rescindedIn?: number;
}

const MAX_CHANNELS = 65536;
/** Requests awaiting their answers, kept for pairing; the oldest go first. */
const MAX_REMEMBERED = 65536;
const MAX_CHANNEL_STATES = 65536;
const CHANNEL_PREFIX = "channel.";

export class Session implements SessionAccess {
  private readonly global = new Map<string, number>();
  private readonly perChannel = new Map<number, Map<string, number>>();
  readonly channels = new Map<number, ChannelInfo>();
  /** The channel whose record is being decoded (for "channel." keys). */
  currentRelid = 0;
  /** Entries dropped to stay bounded (reported once by the caller). */
  forgotten = 0;
  /** Two-pass analysis only (-2): one entry per answered request, kept for the whole capture. */
  responses?: ResponseLog;

  get(name: string): number | undefined {
    if (name.startsWith(CHANNEL_PREFIX)) return this.perChannel.get(this.currentRelid)?.get(name);
    return this.global.get(name);
  }

  set(name: string, value: FieldValue): void {
    if (value === null) return this.unset(name);
    const number = typeof value === "number" ? value : typeof value === "bigint" ? Number(value) : typeof value === "boolean" ? +value : NaN;
    if (Number.isNaN(number)) return;
    if (!name.startsWith(CHANNEL_PREFIX)) {
      this.global.set(name, number);
      return;
    }
    let state = this.perChannel.get(this.currentRelid);
    if (!state) {
      if (this.perChannel.size >= MAX_CHANNEL_STATES) this.forgetOldest(this.perChannel);
      this.perChannel.set(this.currentRelid, (state = new Map()));
    }
    state.set(name, number);
  }

  private unset(name: string): void {
    if (name.startsWith(CHANNEL_PREFIX)) this.perChannel.get(this.currentRelid)?.delete(name);
    else this.global.delete(name);
  }

  /** Open requests for pairing; forgetting the oldest counts as forgetting. */
  readonly requests = new PendingRequests(MAX_REMEMBERED, () => this.forgotten++);

  offer(channel: ChannelInfo): void {
    if (!this.channels.has(channel.relid) && this.channels.size >= MAX_CHANNELS) this.forgetOldest(this.channels);
    this.channels.set(channel.relid, channel);
    this.perChannel.delete(channel.relid);
  }

  rescind(relid: number, recordNumber: number): void {
    const channel = this.channels.get(relid);
    if (channel) channel.rescindedIn = recordNumber;
  }

  private forgetOldest<K, V>(map: Map<K, V>): void {
    const oldest = map.keys().next();
    if (!oldest.done) map.delete(oldest.value);
    this.forgotten++;
  }

  /** Negotiated state for reports: global keys, then per-channel keys. */
  snapshot(): { global: Record<string, number>; channels: Record<number, Record<string, number>> } {
    const channels: Record<number, Record<string, number>> = {};
    for (const [relid, state] of this.perChannel) channels[relid] = Object.fromEntries(state);
    return { global: Object.fromEntries(this.global), channels };
  }
}

interface PendingRequest<T> {
  lane: RequestLane;
  id: number;
  value: T;
}

/**
 * Requests awaiting their answers, by lane (pairing namespace, channel and direction) and id. Keys are
 * numbers, not strings built for every record; bounded, the oldest request is forgotten first.
 */
class PendingRequests<T = unknown> implements PendingRequestStore<T> {
  private readonly lanes = new Map<RequestLane, Map<number, PendingRequest<T>>>();
  /** Every pending request, oldest first. */
  private readonly order = new Set<PendingRequest<T>>();

  constructor(private readonly limit: number, private readonly forgot: () => void) {}

  /** Keeps a request in place of any earlier one with its lane and id. */
  remember(lane: RequestLane, id: number, value: T): void {
    const earlier = this.lanes.get(lane)?.get(id);
    if (earlier) this.order.delete(earlier);
    else if (this.order.size >= this.limit) this.forgetOldest();
    // Looked up after forgetting: the oldest request may have been this lane's last.
    let ids = this.lanes.get(lane);
    if (!ids) this.lanes.set(lane, (ids = new Map()));
    const request = { lane, id, value };
    ids.set(id, request);
    this.order.add(request);
  }

  recall(lane: RequestLane, id: number): T | undefined {
    return this.lanes.get(lane)?.get(id)?.value;
  }

  private forgetOldest(): void {
    const oldest = this.order.values().next();
    if (oldest.done) return;
    const { lane, id } = oldest.value;
    this.order.delete(oldest.value);
    const ids = this.lanes.get(lane)!;
    ids.delete(id);
    // Lanes come from captured relids: an empty one goes, so that their number stays bounded too.
    if (ids.size === 0) this.lanes.delete(lane);
    this.forgot();
  }
}
