// The main job: read a capture, dissect every record, print it and/or write it to pcapng.

import { openCapture, type OpenedCapture } from "../../capture/open.js";
import { CaptureError, Direction, RecordKind, type VmbusRecord } from "../../capture/record.js";
import { guidBytes } from "../../dissectors/describe/read.js";
import { findDevice, type DeviceClass } from "../../dissectors/devices.js";
import { recogniseDevice } from "../../dissectors/recognise.js";
import { attachSendBufferSection } from "../../dissectors/netvsc/send-buffer.js";
import { fileRandomAccess, type RandomAccess } from "../../capture/ring-reader.js";
import { Dissector, type Dissection } from "../../dissectors/index.js";
import { hexDumpSources } from "../../formats/hexdump.js";
import { recordJsonLine } from "../../formats/json.js";
import { LineOutput } from "../../formats/output.js";
import { RecordPcapngWriter } from "../../formats/pcapng-output.js";
import { makeStyle, type Style } from "../../formats/style.js";
import { summaryLine } from "../../formats/summary.js";
import { TimeColumn, type TimeFormat } from "../../formats/time.js";
import { treeText } from "../../formats/tree-text.js";
import { escapeText } from "../../formats/escape.js";
import { UsageError, userAppl } from "../errors.js";

export interface ReadOptions {
  file: string;
  verbose: boolean;
  hex: boolean;
  format: "text" | "json";
  count?: number;
  write?: string;
  print: boolean;
  timeFormat: TimeFormat;
  device?: string;
  history: boolean;
  pageSize?: number;
  layout: "auto" | "single" | "pair";
  secondRingPage?: number;
  recvBuffer?: string;
  sendBuffer?: string;
  sendSectionSize: number;
  guestMemory?: string;
  direction?: "guest-to-host" | "host-to-guest";
  relid?: number;
  linkType: number;
  color: boolean;
  strict: boolean;
}

const note = (text: string): void => void process.stderr.write(`${escapeText(text)}\n`);

function chosenDevice(options: ReadOptions): DeviceClass | undefined {
  if (options.device === undefined) return undefined;
  const device = findDevice(options.device);
  if (!device) throw new UsageError(`unknown device "${options.device}": see vmbus-dissect devices`);
  return device;
}

/** Ring dumps carry no channel metadata: the user's --device and --relid fill it in, and --send-buffer the sections packets name. */
function labelRingRecord(record: VmbusRecord, device: DeviceClass | undefined, options: ReadOptions, sendBuffer: RandomAccess | undefined): void {
  if (record.kind !== RecordKind.RingPacket) return;
  if (options.relid !== undefined) record.relid = options.relid;
  if (device?.guid && !record.classGuid) record.classGuid = guidBytes(device.guid);
  if (sendBuffer && device?.short === "netvsc") attachSendBufferSection(record, sendBuffer, options.sendSectionSize);
}

/**
 * A ring dump's device: --device, or else recognised from the packets themselves (a dump is at most
 * a few MiB, so its records are read first). The choice and its reason go to standard error.
 */
async function ringDumpDevice(capture: OpenedCapture, given: DeviceClass | undefined): Promise<{ device?: DeviceClass; records: AsyncIterable<VmbusRecord> }> {
  if (given) {
    note(`device: ${given.short} (${given.name}), as given by --device`);
    return { device: given, records: capture.records };
  }
  const records: VmbusRecord[] = [];
  let failure: unknown;
  try {
    for await (const record of capture.records) records.push(record);
  } catch (error) {
    failure = error;
  }
  const recognised = recogniseDevice(records);
  if (recognised) note(`device: ${recognised.device.short} (${recognised.device.name}), recognised: ${recognised.reason}; --device overrides`);
  else note("device: not recognised from the packets (a ring dump carries no device class); give --device NAME|GUID to decode the payloads");
  return { device: recognised?.device, records: replay(records, failure) };
}

async function* replay(records: readonly VmbusRecord[], failure: unknown): AsyncGenerator<VmbusRecord> {
  yield* records;
  if (failure) throw failure;
}

class RecordPrinter {
  private readonly time: TimeColumn;
  private first = true;
  constructor(private readonly options: ReadOptions, private readonly out: LineOutput, private readonly style: Style) {
    this.time = new TimeColumn(options.timeFormat);
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

function capturedDirection(options: ReadOptions): Direction | undefined {
  if (options.direction === "guest-to-host") return Direction.GuestToHost;
  if (options.direction === "host-to-guest") return Direction.HostToGuest;
  return undefined;
}

export async function runRead(options: ReadOptions): Promise<number> {
  const given = chosenDevice(options);
  const capture = await openCapture(options.file, {
    history: options.history, pageSize: options.pageSize, layout: options.layout, secondRingPage: options.secondRingPage,
    recvBufferFile: options.recvBuffer, guestMemoryFile: options.guestMemory, direction: capturedDirection(options),
    vmbusLinkTypes: new Set([147, options.linkType]),
  });
  for (const text of capture.notes) note(text);
  const fromRingDump = capture.format === "ring dump";
  const { device, records } = fromRingDump ? await ringDumpDevice(capture, given) : { device: given, records: capture.records };
  if (options.sendBuffer && !fromRingDump) note("--send-buffer applies to ring dumps only: a capture keeps the bytes it saw as attached data");
  if (options.sendBuffer && fromRingDump && device?.short !== "netvsc") note("--send-buffer is for network (netvsc) channels; ignored");
  const sendBuffer = options.sendBuffer && fromRingDump ? fileRandomAccess(options.sendBuffer) : undefined;
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
      if (fromRingDump) labelRingRecord(record, device, options, sendBuffer);
      const dissection = dissector.dissect(record);
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
    await capture.close();
    sendBuffer?.close();
  }
  if (writer && writer.skipped > 0) note(`${writer.skipped} ring-header record(s) are not packets and were not written to ${options.write}`);
  if (capture.stats.otherLinkTypePackets > 0) note(`${capture.stats.otherLinkTypePackets} packet(s) on non-VMBus link types were skipped`);
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
