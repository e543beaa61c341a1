// -w: records to pcapng per the capture contract: one interface per channel (if_name vmbus/<relid>,
// if_description naming the device class and instance), direction in epb_flags, attached data kept.

import type { PacketBatch } from "../capture/packet-batch.js";
import { FLUSH_THRESHOLD, PcapngWriter } from "../capture/pcapng-writer.js";
import { RecordKind, type VmbusRecord } from "../capture/record.js";
import type { ChannelFacts, Dissection } from "../dissectors/dissect.js";

export const LINKTYPE_VMBUS_DEFAULT = 147;
/** Channel messages and SynIC messages share the "vmbus" interface. */
const CONTROL = -1;
const interfaceKey = (kind: RecordKind, relid: number): number => (kind === RecordKind.RingPacket ? relid : CONTROL);

export interface RecordWriterOptions {
  userAppl: string;
  linkType?: number;
}

/** Names a record's channel; asked once per channel, when its interface is added. */
export type ChannelFactsOf = (record: VmbusRecord) => ChannelFacts;

function interfaceDescription(facts: ChannelFacts): string | undefined {
  const { device, classGuid, channel } = facts;
  if (!device && !classGuid) return undefined;
  const parts = [device ? `${device.short}: ${device.name}` : "unknown device", classGuid ? `class ${classGuid}` : ""];
  if (channel) parts.push(`instance ${channel.instanceGuid}`, `sub-channel ${channel.subChannelIndex}`);
  return parts.filter(Boolean).join(", ");
}

export class RecordPcapngWriter {
  private readonly interfaces = new Map<number, number>();
  /** Records that are not packets (ring headers): not written, counted for the user. */
  skipped = 0;
  written = 0;

  private constructor(private readonly writer: PcapngWriter, private readonly linkType: number) {}

  static async create(path: string, options: RecordWriterOptions): Promise<RecordPcapngWriter> {
    const writer = await PcapngWriter.create(path, { userAppl: options.userAppl });
    return new RecordPcapngWriter(writer, options.linkType ?? LINKTYPE_VMBUS_DEFAULT);
  }

  get outputGone(): boolean {
    return this.writer.outputGone;
  }

  /** True when enough is buffered for a write: flush() before adding more. */
  get full(): boolean {
    return this.writer.full;
  }

  private interfaceFor(record: VmbusRecord, factsOf: ChannelFactsOf): number {
    const isPacket = record.kind === RecordKind.RingPacket;
    const key = interfaceKey(record.kind, record.relid);
    let id = this.interfaces.get(key);
    if (id === undefined) {
      const name = isPacket ? `vmbus/${key}` : "vmbus";
      id = this.writer.addInterface(this.linkType, name, isPacket ? interfaceDescription(factsOf(record)) : "VMBus channel management");
      this.interfaces.set(key, id);
    }
    return id;
  }

  /** A dissected record. */
  async write(dissection: Dissection): Promise<void> {
    this.add(dissection.record, () => dissection);
    if (this.full) await this.flush();
  }

  /** A record, without waiting (flush when `full`); factsOf names its channel if the record is the channel's first. */
  add(record: VmbusRecord, factsOf: ChannelFactsOf): void {
    if (record.kind === RecordKind.RingHeader) {
      this.skipped++;
      return;
    }
    this.writer.appendVmbusRecord(this.interfaceFor(record, factsOf), record);
    this.written++;
  }

  /** The if_tsresol of what this writes: copies must be in these units. */
  get timestampResolution(): number {
    return this.writer.timestampResolution;
  }

  /** Whether a packet of this kind and channel can go as a copy: its interface exists (named from an earlier record). */
  hasInterfaceFor(kind: RecordKind, relid: number): boolean {
    return this.interfaces.has(interfaceKey(kind, relid));
  }

  /**
   * Copies from..to-1 of the batch (their interfaces exist) until the buffer is full; returns the
   * index after the last one added (flush, then add the rest). A run of blocks this writer would
   * write as they are (PacketBatch.verbatimInterface is its id for them), one after the other in
   * the input, goes as one copy.
   */
  addCopies(batch: PacketBatch, from: number, to: number): number {
    let index = from;
    while (index < to && !this.writer.full) {
      const id = this.copyInterface(batch, index);
      if (batch.verbatimInterface[index] !== id) {
        this.writer.appendCopiedPacket(id, batch, index++);
        continue;
      }
      const runStart = batch.blockStart[index];
      let runEnd = runStart + batch.blockLength[index++];
      while (index < to && batch.blockStart[index] === runEnd && runEnd - runStart < FLUSH_THRESHOLD && batch.verbatimInterface[index] === this.copyInterface(batch, index)) {
        runEnd += batch.blockLength[index++];
      }
      this.writer.appendBlocks(batch.bytes, runStart, runEnd);
    }
    this.written += index - from;
    return index;
  }

  private copyInterface(batch: PacketBatch, index: number): number {
    return this.interfaces.get(interfaceKey(batch.kind[index], batch.relid[index]))!;
  }

  flush(): Promise<void> {
    return this.writer.flush();
  }

  close(): Promise<void> {
    return this.writer.close();
  }

  abort(): Promise<void> {
    return this.writer.abort();
  }
}
