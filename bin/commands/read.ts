// The main job: read a capture, dissect every record, print it and/or write it to pcapng.

import { CaptureError } from "../../capture/record.js";
import { Dissector, type Dissection } from "../../dissectors/index.js";
import { hexDumpSources } from "../../formats/hexdump.js";
import { recordJsonLine } from "../../formats/json.js";
import { LineOutput } from "../../formats/output.js";
import { RecordPcapngWriter } from "../../formats/pcapng-output.js";
import { makeStyle, type Style } from "../../formats/style.js";
import { summaryLine } from "../../formats/summary.js";
import { TimeColumn, type TimeFormat } from "../../formats/time.js";
import { treeText } from "../../formats/tree-text.js";
import { userAppl } from "../errors.js";
import { displayFilter, note, openRecords, type InputOptions } from "./records.js";

export interface ReadOptions extends InputOptions {
  displayFilter?: string;
  verbose: boolean;
  hex: boolean;
  format: "text" | "json";
  count?: number;
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
    if (options.format === "json") return out.line(recordJsonLine(dissection));
    if (options.verbose || options.hex) {
      if (!this.first) await out.line("");
      this.first = false;
    }
    if (options.verbose) await out.lines(treeText(dissection, this.style));
    else await out.line(summaryLine(dissection, this.time, this.style));
    if (options.hex) await out.lines(hexDumpSources(dissection.sources));
  }
}

export async function runRead(options: ReadOptions): Promise<number> {
  const filter = displayFilter(options.displayFilter);
  const opened = await openRecords(options);
  const { device, records } = opened;
  const out = new LineOutput();
  const writer = options.write ? await RecordPcapngWriter.create(options.write, { userAppl: userAppl(), linkType: options.linkType }) : undefined;
  const printer = options.write && !options.print ? undefined : new RecordPrinter(options, out, makeStyle(options.color));
  const dissector = new Dissector({ defaultDevice: device });
  let interrupted = false;
  // Ctrl-C stops reading and closes the output normally (a valid pcapng of everything so far);
  // a second Ctrl-C ends the process at once. Standard input is closed so a waiting read returns.
  const onInterrupt = () => {
    interrupted = true;
    if (options.file === "-") process.stdin.destroy();
  };
  process.once("SIGINT", onInterrupt);
  let seen = 0;
  let malformed = 0;
  let failure: CaptureError | undefined;
  try {
    for await (const record of records) {
      // Every record is dissected (it teaches the session), but only those the filter keeps are output and counted.
      const dissection = dissector.dissect(record);
      printer?.observe(dissection);
      if (filter && !filter(dissection)) {
        if (interrupted) break;
        continue;
      }
      if (dissection.malformed) malformed++;
      await writer?.write(dissection);
      await printer?.print(dissection);
      if (out.gone || writer?.outputGone || interrupted || (options.count !== undefined && ++seen >= options.count)) break;
    }
  } catch (error) {
    if (!interrupted && !(error instanceof CaptureError)) throw error;
    if (!interrupted) failure = error as CaptureError;
  } finally {
    process.off("SIGINT", onInterrupt);
    await out.flush();
    await writer?.close();
    await opened.close();
  }
  if (writer && writer.skipped > 0) note(`${writer.skipped} ring-header record(s) are not packets and were not written to ${options.write}`);
  if (opened.capture.stats.otherLinkTypePackets > 0) note(`${opened.capture.stats.otherLinkTypePackets} packet(s) on non-VMBus link types were skipped`);
  if (dissector.session.forgotten > 0) note(`session state stayed bounded: ${dissector.session.forgotten} old channel entries were forgotten`);
  if (failure) {
    note(`vmbus-dissect: ${failure.message}`);
    return 2;
  }
  if (interrupted) {
    note(`vmbus-dissect: interrupted${writer ? `; ${writer.written} record(s) written to ${options.write}` : ""}`);
    return 130;
  }
  return options.strict && malformed > 0 ? 1 : 0;
}
