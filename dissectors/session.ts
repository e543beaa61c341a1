// Session state learned from the capture itself: the negotiated VMBus version, the channel table
// from offers and rescinds, and per-channel protocol state. Bounded; it says when it forgets.

import type { ResponseLog, SessionAccess } from "./describe/compile.js";
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

  private readonly remembered = new Map<string, unknown>();

  /** Keeps a value (e.g. an open request by transaction id) for a later record; bounded. */
  remember(key: string, value: unknown): void {
    this.remembered.delete(key);
    if (this.remembered.size >= MAX_REMEMBERED) this.forgetOldest(this.remembered);
    this.remembered.set(key, value);
  }

  recall<T>(key: string): T | undefined {
    return this.remembered.get(key) as T | undefined;
  }

  forget(key: string): void {
    this.remembered.delete(key);
  }

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
