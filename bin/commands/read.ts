// The main job: read a capture, dissect every record, print it and/or write it to pcapng.
// -w alone copies the records, dissecting only the offers (they name the channels).

import type { PacketBatch } from "../../capture/packet-batch.js";
import type { VmbusRecord } from "../../capture/record.js";
import type { Dissection } from "../../dissectors/index.js";
import { hexDumpSources } from "../../formats/hexdump.js";
import { writeRecordJson } from "../../formats/json.js";
import { LineOutput } from "../../formats/output.js";
import { RecordPcapngWriter } from "../../formats/pcapng-output.js";
import { makeStyle, type Style } from "../../formats/style.js";
import { summaryLine } from "../../formats/summary.js";
import { TimeColumn, type TimeFormat } from "../../formats/time.js";
import { treeText } from "../../formats/tree-text.js";
import { userAppl } from "../errors.js";
import { finish, openDissection, type LoopOptions, type LoopResult, type OpenedDissection } from "./dissect-loop.js";
import { note } from "./records.js";

export interface ReadOptions extends Omit<LoopOptions, "progress"> {
  verbose: boolean;
  hex: boolean;
  format: "text" | "json";
  write?: string;
  print: boolean;
  timeFormat: TimeFormat;
  color: boolean;
  strict: boolean;
}

class RecordPrinter {
  private readonly time: TimeColumn;
  private first = true;
  constructor(private readonly options: ReadOptions, private readonly out: LineOutput, private readonly style: Style) {
    this.time = new TimeColumn(options.timeFormat);
  }

  observe(dissection: Dissection): void {
    this.time.observe(dissection.record.timestampNs);
  }

  async print(dissection: Dissection): Promise<void> {
    const { options, out } = this;
    if (options.format === "json") return writeRecordJson(dissection, out);
    if (options.verbose || options.hex) {
      if (!this.first) await out.line("");
      this.first = false;
    }
    if (options.verbose) await out.lines(treeText(dissection, this.style));
    else await out.line(summaryLine(dissection, this.time, this.style));
    if (options.hex) await out.lines(hexDumpSources(dissection.sources));
  }
}

/** Whether anything but the records' channels matters: a display filter, malformed records (--strict), answers (-2). */
const needsTrees = (options: ReadOptions): boolean => options.displayFilter !== undefined || options.strict || options.twoPass === true;

/**
 * -w alone: the records are copied, not dissected (from a pcapng, most packets without even
 * becoming records); the writer only asks for a channel's facts when it adds its interface.
 */
function writeUndissected(input: OpenedDissection, writer: RecordPcapngWriter): Promise<LoopResult> {
  const channelFacts = (record: VmbusRecord) => input.dissector.channelFacts(record);
  const flushed = async () => {
    await writer.flush();
    return writer.outputGone;
  };
  const added = () => (writer.full ? flushed() : writer.outputGone);
  /** The copies the full buffer did not take. */
  const copyRest = async (batch: PacketBatch, from: number, to: number) => {
    for (let index = from; index < to; index = writer.addCopies(batch, index, to)) {
      if (await flushed()) return true;
    }
    return added();
  };
  const { dissector } = input;
  return input.runCopying({
    condition: {
      tsresol: writer.timestampResolution,
      copies: (kind, relid, bytes, start, end) => writer.hasInterfaceFor(kind, relid) && !dissector.teachesChannels(kind, bytes, start, end),
    },
    copies(batch, from, to) {
      const next = writer.addCopies(batch, from, to);
      return next === to ? added() : copyRest(batch, next, to);
    },
    record(record) {
      writer.add(record, channelFacts);
      return added();
    },
  });
}

export async function runRead(options: ReadOptions): Promise<number> {
  // Progress only when records do not go to the terminal that would show it.
  const progress = !((!options.write || options.print || options.write === "-") && process.stdout.isTTY);
  const printing = !options.write || options.print === true;
  const input = await openDissection({ ...options, progress, skipInfo: !printing });
  const out = new LineOutput();
  const writer = options.write ? await RecordPcapngWriter.create(options.write, { userAppl: userAppl(), linkType: options.linkType }) : undefined;
  const printer = printing ? new RecordPrinter(options, out, makeStyle(options.color)) : undefined;
  let result: LoopResult;
  try {
    if (writer && !printer && !needsTrees(options)) result = await writeUndissected(input, writer);
    else {
      result = await input.run(async (dissection) => {
        await writer?.write(dissection);
        await printer?.print(dissection);
        return out.gone || writer?.outputGone === true;
      }, (dissection) => printer?.observe(dissection));
    }
  } finally {
    await out.flush();
    await writer?.close();
  }
  await result.opened.close();
  if (writer && writer.skipped > 0) note(`${writer.skipped} ring-header record(s) are not packets and were not written to ${options.write}`);
  return finish(result, options.strict, writer ? `; ${writer.written} record(s) written to ${options.write}` : "");
}
