// -w: records to pcapng per the capture contract: one interface per channel (if_name vmbus/<relid>,
// if_description naming the device class and instance), direction in epb_flags, attached data kept.

import { PcapngWriter } from "../capture/pcapng-writer.js";
import { RecordKind } from "../capture/record.js";
import type { Dissection } from "../dissectors/dissect.js";

export const LINKTYPE_VMBUS_DEFAULT = 147;
/** Channel messages and SynIC messages share the "vmbus" interface. */
const CONTROL = -1;

export interface RecordWriterOptions {
  userAppl: string;
  linkType?: number;
}

function interfaceDescription(dissection: Dissection): string | undefined {
  const { device, classGuid, channel } = dissection;
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

  private interfaceFor(dissection: Dissection): number {
    const isPacket = dissection.record.kind === RecordKind.RingPacket;
    const key = isPacket ? dissection.record.relid : CONTROL;
    let id = this.interfaces.get(key);
    if (id === undefined) {
      const name = isPacket ? `vmbus/${key}` : "vmbus";
      id = this.writer.addInterface(this.linkType, name, isPacket ? interfaceDescription(dissection) : "VMBus channel management");
      this.interfaces.set(key, id);
    }
    return id;
  }

  async write(dissection: Dissection): Promise<void> {
    if (dissection.record.kind === RecordKind.RingHeader) {
      this.skipped++;
      return;
    }
    await this.writer.writeVmbusRecord(this.interfaceFor(dissection), dissection.record);
    this.written++;
  }

  close(): Promise<void> {
    return this.writer.close();
  }

  abort(): Promise<void> {
    return this.writer.abort();
  }
}
