// Ring dumps of a network channel with the memory their packets point into:
// - a wrapped single guest→host ring whose consumed history is still there; its sends name
//   send-buffer sections (netvsc-send-buffer.bin) or GPA pages;
// - a channel's ring pair whose host→guest transfer-page packets point into the receive buffer
//   (netvsc-recv-buffer.bin).

import type { RingDumpLayout } from "../capture/ring-writer.js";
import { buildRingPacket } from "../dissectors/vmbus/packets.js";
import { frames } from "./frames.js";
import { nvsp, rndisPacket } from "./network.js";
import { Direction } from "../capture/record.js";

/** Four data pages: small enough to commit, large enough to wrap. */
const DATA_SIZE = 4 * 4096;
export const SEND_SECTION_SIZE = 6144;
const SEND_SECTIONS = 16;
const RECV_SLOT = 0x800;
const RECV_SLOTS = 8;

const sendCompletion = nvsp({ msg_type: 108, body: { status: 1 } });
const inSection = (index: number, size: number) => nvsp({ msg_type: 107, body: { channel_type: 0, location: { send_buf_section_index: index, send_buf_section_size: size } } });
const notInSection = inSection(0xffffffff, 0);

/** The RNDIS packets of the sample frames, in turn. */
function rndisMessages(direction: Direction): Uint8Array[] {
  return frames().map((frame) => rndisPacket(frame.bytes, direction));
}

/** Section i holds the i-th RNDIS message (cycling through the sample frames). */
export function netvscSendBuffer(): Uint8Array {
  const buffer = new Uint8Array(SEND_SECTIONS * SEND_SECTION_SIZE);
  const messages = rndisMessages(Direction.GuestToHost);
  for (let section = 0; section < SEND_SECTIONS; section++) buffer.set(messages[section % messages.length], section * SEND_SECTION_SIZE);
  return buffer;
}

/** Guest-to-host ring: an NVSP INIT, then 119 sends in sections (every fourth in GPA pages); written from near the end so it wraps; 56 of the last 60 consumed. */
export function netvscSingleRing(): RingDumpLayout {
  const messages = rndisMessages(Direction.GuestToHost);
  const sends = Array.from({ length: 119 }, (_, i) => {
    const section = i % SEND_SECTIONS;
    const inPages = i % 4 === 3;
    return buildRingPacket(inPages
      ? { type: 0x9, flags: 1, transId: 2 + i, payload: notInSection, header: { gpa_reserved: 0, range_count: 1, gpa_ranges: [{ byte_count: 1514, byte_offset: 0x200, pfns: [{ pfn: 0x50000 + i }] }] } }
      : { type: 0x6, flags: 1, transId: 2 + i, payload: inSection(section, messages[section % messages.length].length) });
  });
  const packets = [buildRingPacket({ type: 0x6, flags: 1, transId: 1, payload: nvsp({ msg_type: 1, body: { protocol_version: 0x60001, protocol_version2: 0x60001 } }) }), ...sends];
  return { dataSize: DATA_SIZE, rings: [{ packets: packets.slice(-60), consumed: 56, startOffset: DATA_SIZE - 3 * 1024 }] };
}

/** Receive buffer: slot k holds the k-th received RNDIS message. */
export function netvscRecvBuffer(): Uint8Array {
  const buffer = new Uint8Array(RECV_SLOTS * RECV_SLOT);
  const messages = rndisMessages(Direction.HostToGuest);
  for (let slot = 0; slot < RECV_SLOTS; slot++) buffer.set(messages[slot % messages.length], slot * RECV_SLOT);
  return buffer;
}

function receivePackets(): Uint8Array[] {
  const messages = rndisMessages(Direction.HostToGuest);
  return Array.from({ length: RECV_SLOTS }, (_, slot) => buildRingPacket({
    type: 0x7, flags: 1, transId: 0x100 + slot, payload: notInSection,
    header: { xfer_pageset_id: 0xcafe, sender_owns_set: 0, range_count: 1, xfer_ranges: [{ byte_count: messages[slot % messages.length].length, byte_offset: slot * RECV_SLOT }] },
  }));
}

function completions(count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => buildRingPacket({ type: 0xb, transId: 0x100 + i, payload: sendCompletion }));
}

/** A channel's pair: guest-to-host completions first, then host-to-guest receive packets. */
export function netvscPairDump(): RingDumpLayout {
  return {
    dataSize: DATA_SIZE,
    rings: [
      { packets: completions(6), consumed: 2, startOffset: 0 },
      { packets: receivePackets(), consumed: 3, startOffset: DATA_SIZE - 256, interruptMask: 1 },
    ],
  };
}
