// `vmbus-dissect extract ethernet FILE -w frames.pcapng`: the guest's Ethernet traffic as a plain
// capture (link type 1) that Wireshark, tcpdump and every network tool read with no plugin.

import { PcapngWriter } from "../../capture/pcapng-writer.js";
import { CaptureError } from "../../capture/record.js";
import type { Dissection } from "../../dissectors/dissect.js";
import { Dissector } from "../../dissectors/index.js";
import { carriedFrames, uncapturedFrames } from "../../dissectors/netvsc/frames.js";
import type { Session } from "../../dissectors/session.js";
import { userAppl } from "../errors.js";
import { displayFilter, note, openRecords, type InputOptions } from "./records.js";

const LINKTYPE_ETHERNET = 1;

export interface ExtractOptions extends InputOptions {
  output: string;
  displayFilter?: string;
}

/** Sub-channels share their primary channel's interface: they carry the same NIC's traffic. */
function channelKey(dissection: Dissection, session: Session): { key: string; name: string; description: string } {
  const { record, channel } = dissection;
  if (!channel) return { key: `relid:${record.relid}`, name: `netvsc/${record.relid}`, description: `Ethernet frames of network channel relid ${record.relid}` };
  const primary = [...session.channels.values()].find((c) => c.instanceGuid === channel.instanceGuid && c.subChannelIndex === 0);
  const relid = primary?.relid ?? channel.relid;
  return { key: channel.instanceGuid, name: `netvsc/${relid}`, description: `Ethernet frames of network adapter ${channel.instanceGuid} (channel relid ${relid} and its sub-channels)` };
}

class FrameWriter {
  private readonly interfaces = new Map<string, number>();
  frames = 0;
  constructor(private readonly writer: PcapngWriter, private readonly session: Session) {}

  async write(dissection: Dissection): Promise<void> {
    for (const frame of carriedFrames(dissection)) {
      const channel = channelKey(dissection, this.session);
      let id = this.interfaces.get(channel.key);
      if (id === undefined) this.interfaces.set(channel.key, (id = this.writer.addInterface(LINKTYPE_ETHERNET, channel.name, channel.description)));
      await this.writer.writePacket(id, dissection.record.timestampNs, frame.bytes, frame.bytes.length, { direction: dissection.record.direction });
      this.frames++;
    }
  }

  get interfaceCount(): number {
    return this.interfaces.size;
  }
}

export async function runExtractEthernet(options: ExtractOptions): Promise<number> {
  const filter = displayFilter(options.displayFilter);
  const opened = await openRecords(options);
  const dissector = new Dissector({ defaultDevice: opened.device });
  const writer = await PcapngWriter.create(options.output, { userAppl: userAppl() });
  const frames = new FrameWriter(writer, dissector.session);
  let uncaptured = 0;
  let failure: CaptureError | undefined;
  try {
    for await (const record of opened.records) {
      const dissection = dissector.dissect(record);
      if (filter && !filter(dissection)) continue;
      uncaptured += uncapturedFrames(dissection);
      await frames.write(dissection);
      if (writer.outputGone) break;
    }
  } catch (error) {
    if (!(error instanceof CaptureError)) throw error;
    failure = error;
  } finally {
    await writer.close();
    await opened.close();
  }
  const missing = uncaptured > 0 ? `; ${uncaptured} RNDIS message(s) were not captured (their bytes were not in the capture) and are not in it` : "";
  note(`extract: ${frames.frames} Ethernet frame(s) written to ${options.output} on ${frames.interfaceCount} interface(s)${missing}`);
  if (failure) {
    note(`vmbus-dissect: ${failure.message}`);
    return 2;
  }
  return 0;
}
