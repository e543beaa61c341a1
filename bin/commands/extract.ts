// `vmbus-dissect extract ethernet FILE -w frames.pcapng`: the guest's Ethernet traffic as a plain
// capture (link type 1) that Wireshark, tcpdump and every network tool read with no plugin.

import { PcapngWriter } from "../../capture/pcapng-writer.js";
import type { Dissection } from "../../dissectors/dissect.js";
import { carriedFrames, uncapturedFrames } from "../../dissectors/netvsc/frames.js";
import type { Session } from "../../dissectors/session.js";
import { userAppl } from "../errors.js";
import { finish, openDissection, type LoopResult } from "./dissect-loop.js";
import { note, type InputOptions } from "./records.js";

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
  uncaptured = 0;
  constructor(private readonly writer: PcapngWriter) {}

  async write(dissection: Dissection, session: Session): Promise<void> {
    this.uncaptured += uncapturedFrames(dissection);
    for (const frame of carriedFrames(dissection)) {
      const channel = channelKey(dissection, session);
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
  const input = await openDissection({ ...options, progress: options.output !== "-" || !process.stdout.isTTY, skipInfo: true });
  const writer = await PcapngWriter.create(options.output, { userAppl: userAppl() });
  const frames = new FrameWriter(writer);
  let result: LoopResult;
  try {
    result = await input.run(async (dissection, session) => {
      await frames.write(dissection, session);
      return writer.outputGone;
    });
  } finally {
    await writer.close();
  }
  await result.opened.close();
  const missing = frames.uncaptured > 0 ? `; ${frames.uncaptured} RNDIS message(s) were not captured (their bytes were not in the capture) and are not in it` : "";
  note(`extract: ${frames.frames} Ethernet frame(s) written to ${options.output} on ${frames.interfaceCount} interface(s)${missing}`);
  return finish(result, false);
}
