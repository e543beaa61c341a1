// What every output says of a record besides its tree: direction arrows, channel and device labels.

import { Direction } from "../capture/record.js";
import type { Dissection } from "../dissectors/dissect.js";

export const directionText = (direction: Direction): string =>
  direction === Direction.GuestToHost ? "G→H" : direction === Direction.HostToGuest ? "H→G" : "?";

export const directionName = (direction: Direction): string =>
  direction === Direction.GuestToHost ? "guest-to-host" : direction === Direction.HostToGuest ? "host-to-guest" : "unknown";

export function channelText(dissection: Dissection): string {
  const { record } = dissection;
  if (record.ring) return `ring ${record.ring.index}`;
  return record.relid === 0 ? "control" : `relid ${record.relid}`;
}

/** The innermost protocol layer's name, as tshark's Protocol column. */
export function protocolText(dissection: Dissection): string {
  const layers = dissection.layers.filter((layer) => layer.field.filter !== "data");
  const last = layers[layers.length - 1];
  if (!last) return "VMBus";
  return last.field.filter === "vmbus" ? "VMBus" : last.field.short ?? last.field.label;
}
