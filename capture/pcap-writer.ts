// Classic libpcap output (microsecond timestamps): for tools and tests that want the older format.

export interface PcapPacket {
  timestampNs?: bigint;
  data: Uint8Array;
}

const MAGIC_MICROSECONDS = 0xa1b2c3d4;
const SNAPLEN = 262144;

export function classicPcap(linkType: number, packets: readonly PcapPacket[]): Uint8Array {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(MAGIC_MICROSECONDS, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(SNAPLEN, 16);
  header.writeUInt32LE(linkType, 20);
  const records = packets.flatMap((packet) => {
    const head = Buffer.alloc(16);
    const micros = (packet.timestampNs ?? 0n) / 1000n;
    head.writeUInt32LE(Number(micros / 1_000_000n), 0);
    head.writeUInt32LE(Number(micros % 1_000_000n), 4);
    head.writeUInt32LE(packet.data.length, 8);
    head.writeUInt32LE(packet.data.length, 12);
    return [head, Buffer.from(packet.data.buffer, packet.data.byteOffset, packet.data.byteLength)];
  });
  return new Uint8Array(Buffer.concat([header, ...records]));
}
