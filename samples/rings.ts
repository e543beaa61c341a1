// Ring dumps of a network channel: a wrapped single ring whose consumed history is still there,
// and a channel's ring pair with transfer-page packets pointing into a receive buffer file.

import type { RingDumpLayout } from "../capture/ring-writer.js";
import { buildRingPacket } from "../dissectors/vmbus/packets.js";
import { nvspBytes } from "./payloads.js";

/** Four data pages: small enough to commit, large enough to wrap. */
const DATA_SIZE = 4 * 4096;
const RECV_BUFFER_SIZE = 4 * 4096;

function sendPackets(count: number, firstTransId: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => buildRingPacket({
    type: 0x9, flags: 1, transId: firstTransId + i, payload: nvspBytes(107, [0, 0xffffffff, 0]),
    header: { gpa_reserved: 0, range_count: 1, gpa_ranges: [{ byte_count: 1514, byte_offset: (i * 0x200) & 0xfff, pfns: [{ pfn: 0x50000 + i }] }] },
  }));
}

/** Guest-to-host ring: 120 packets written from near the end, so the ring has wrapped; 100 consumed. */
export function netvscSingleRing(): RingDumpLayout {
  const packets = [
    buildRingPacket({ type: 0x6, flags: 1, transId: 1, payload: nvspBytes(1, [0x2, 0x60001]) }),
    ...sendPackets(119, 2),
  ];
  return { dataSize: DATA_SIZE, rings: [{ packets: packets.slice(-60), consumed: 56, startOffset: DATA_SIZE - 3 * 1024 }] };
}

/** Receive buffer: frame-like bytes at each range the transfer-page packets name. */
export function netvscRecvBuffer(): Uint8Array {
  return Uint8Array.from({ length: RECV_BUFFER_SIZE }, (_, i) => (i * 13 + (i >> 8)) & 0xff);
}

function receivePackets(count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => buildRingPacket({
    type: 0x7, flags: 1, transId: 0x100 + i, payload: nvspBytes(107, [0, 0xffffffff, 0]),
    header: { xfer_pageset_id: 0xcafe, sender_owns_set: 0, range_count: 1, xfer_ranges: [{ byte_count: 342, byte_offset: i * 0x400 }] },
  }));
}

function completions(count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => buildRingPacket({ type: 0xb, transId: 0x100 + i, payload: nvspBytes(108, [1]) }));
}

/** A channel's pair: guest-to-host completions first, then host-to-guest receive packets. */
export function netvscPairDump(): RingDumpLayout {
  return {
    dataSize: DATA_SIZE,
    rings: [
      { packets: completions(6), consumed: 2, startOffset: 0 },
      { packets: receivePackets(8), consumed: 3, startOffset: DATA_SIZE - 256, interruptMask: 1 },
    ],
  };
}
