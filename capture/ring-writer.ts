// Lays packets into ring memory as a producer would (core.md §2): 8-byte aligned, wrapping at the
// end of the data area, each followed by its trailer. Used to build sample and test dumps.

export interface RingContent {
  /** Complete packets (descriptor through len8 × 8 bytes). */
  packets: readonly Uint8Array[];
  /** How many of the first packets the consumer has already read (they stay as history). */
  consumed: number;
  /** Data-area offset of the first packet (choose it near the end to make the ring wrap). */
  startOffset: number;
  interruptMask?: number;
  pendingSendSize?: number;
  featureBits?: number;
}

export interface RingDumpLayout {
  pageSize?: number;
  dataSize: number;
  rings: readonly RingContent[];
}

const TRAILER = 8;

function writeWrapped(data: Uint8Array, at: number, bytes: Uint8Array): void {
  for (let i = 0; i < bytes.length; i++) data[(at + i) % data.length] = bytes[i];
}

function trailer(start: number): Uint8Array {
  const bytes = new Uint8Array(TRAILER);
  new DataView(bytes.buffer).setUint32(4, start, true);
  return bytes;
}

function buildRing(pageSize: number, dataSize: number, content: RingContent): Uint8Array {
  if (content.startOffset % 8 !== 0 || content.startOffset >= dataSize) throw new RangeError("start offset must be 8-aligned and inside the data area");
  const ring = new Uint8Array(pageSize + dataSize);
  const data = ring.subarray(pageSize);
  let offset = content.startOffset;
  let readIndex = offset;
  content.packets.forEach((packet, index) => {
    if (packet.length % 8 !== 0) throw new RangeError(`packet ${index} is not a multiple of 8 bytes`);
    writeWrapped(data, offset, packet);
    writeWrapped(data, offset + packet.length, trailer(offset));
    offset = (offset + packet.length + TRAILER) % dataSize;
    if (index + 1 === content.consumed) readIndex = offset;
  });
  const header = new DataView(ring.buffer, 0, pageSize);
  header.setUint32(0, offset, true);
  header.setUint32(4, content.consumed === 0 ? content.startOffset : readIndex, true);
  header.setUint32(8, content.interruptMask ?? 0, true);
  header.setUint32(12, content.pendingSendSize ?? 0, true);
  header.setUint32(0x40, content.featureBits ?? 1, true);
  return ring;
}

/** One ring, or a channel's pair (guest-to-host first), as one dump. */
export function buildRingDump(layout: RingDumpLayout): Uint8Array {
  const pageSize = layout.pageSize ?? 4096;
  const rings = layout.rings.map((content) => buildRing(pageSize, layout.dataSize, content));
  const dump = new Uint8Array(rings.reduce((sum, ring) => sum + ring.length, 0));
  let at = 0;
  for (const ring of rings) {
    dump.set(ring, at);
    at += ring.length;
  }
  return dump;
}

/**
 * One channel's captured packets laid into its ring pair as the two producers wrote them:
 * guest-to-host packets in the first ring, host-to-guest in the second, all consumed but the last
 * `pending` of each (so --history recovers the rest), with room to spare.
 */
export function ringPairOf(toHost: readonly Uint8Array[], toGuest: readonly Uint8Array[], pending = 1): RingDumpLayout {
  const bytes = (packets: readonly Uint8Array[]) => packets.reduce((sum, packet) => sum + packet.length + TRAILER, 0);
  const dataSize = Math.ceil((Math.max(bytes(toHost), bytes(toGuest)) + 4096) / 4096) * 4096;
  const ring = (packets: readonly Uint8Array[]): RingContent => ({ packets, consumed: Math.max(0, packets.length - pending), startOffset: 0 });
  return { dataSize, rings: [ring(toHost), ring(toGuest)] };
}
