// Opening any input as labelled records: the capture, and for ring dumps the device (given or
// recognised), the relid, and the memory that packets point into. Shared by read and extract.

import { openCapture, type OpenedCapture } from "../../capture/open.js";
import { Direction, RecordKind, type RecordBatches, type VmbusRecord } from "../../capture/record.js";
import { fileRandomAccess, type RandomAccess } from "../../capture/ring-reader.js";
import { guidBytes } from "../../dissectors/describe/read.js";
import { findDevice, type DeviceClass } from "../../dissectors/devices.js";
import { attachSendBufferSection } from "../../dissectors/netvsc/send-buffer.js";
import { recogniseDevice } from "../../dissectors/recognise.js";
import { escapeText } from "../../formats/escape.js";
import { UsageError } from "../errors.js";
import { compileFilter, type RecordFilter } from "../../dissectors/filter/evaluate.js";
import { FilterError } from "../../dissectors/filter/parse.js";

export interface InputOptions {
  file: string;
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
  /** Say nothing on standard error (the first pass of a two-pass run). */
  quiet?: boolean;
}

export interface OpenedRecords {
  capture: OpenedCapture;
  device?: DeviceClass;
  /** The records, labelled, in batches (read once); a batch's records are valid until the next batch is asked for. */
  batches: RecordBatches;
  close(): Promise<void>;
}

export const note = (text: string): void => void process.stderr.write(`${escapeText(text)}\n`);

function chosenDevice(options: InputOptions): DeviceClass | undefined {
  if (options.device === undefined) return undefined;
  const device = findDevice(options.device);
  if (!device) throw new UsageError(`unknown device "${options.device}": see vmbus-dissect devices`);
  return device;
}

/** Ring dumps carry no channel metadata: the user's --device and --relid fill it in, and --send-buffer the sections packets name. */
function labelRingRecord(record: VmbusRecord, device: DeviceClass | undefined, options: InputOptions, sendBuffer: RandomAccess | undefined): void {
  if (record.kind !== RecordKind.RingPacket) return;
  if (options.relid !== undefined) record.relid = options.relid;
  if (device?.guid && !record.classGuid) record.classGuid = guidBytes(device.guid);
  if (sendBuffer && device?.short === "netvsc") attachSendBufferSection(record, sendBuffer, options.sendSectionSize);
}

/**
 * A ring dump's device: --device, or else recognised from the packets themselves (a dump is at most
 * a few MiB, so its records are read first). The choice and its reason go to standard error.
 */
async function ringDumpDevice(capture: OpenedCapture, given: DeviceClass | undefined, say: (text: string) => void): Promise<{ device?: DeviceClass; batches: RecordBatches }> {
  if (given) {
    say(`device: ${given.short} (${given.name}), as given by --device`);
    return { device: given, batches: capture.batches };
  }
  const records: VmbusRecord[] = [];
  let failure: unknown;
  try {
    for await (const batch of capture.batches) for (const record of batch) records.push(record);
  } catch (error) {
    failure = error;
  }
  const recognised = recogniseDevice(records);
  if (recognised) say(`device: ${recognised.device.short} (${recognised.device.name}), recognised: ${recognised.reason}; --device overrides`);
  else say("device: not recognised from the packets (a ring dump carries no device class); give --device NAME|GUID to decode the payloads");
  return { device: recognised?.device, batches: replay(records, failure) };
}

async function* replay(records: VmbusRecord[], failure: unknown): AsyncGenerator<VmbusRecord[]> {
  if (records.length > 0) yield records;
  if (failure) throw failure;
}

function capturedDirection(options: InputOptions): Direction | undefined {
  if (options.direction === "guest-to-host") return Direction.GuestToHost;
  if (options.direction === "host-to-guest") return Direction.HostToGuest;
  return undefined;
}

/** -Y: compiled before anything is read; a filter that does not parse is a usage error naming the place. */
export function displayFilter(source: string | undefined): RecordFilter | undefined {
  if (source === undefined) return undefined;
  try {
    return compileFilter(source);
  } catch (error) {
    if (error instanceof FilterError) throw new UsageError(`-Y: ${error.message}: ${source}`);
    throw error;
  }
}

export async function openRecords(options: InputOptions): Promise<OpenedRecords> {
  const say = options.quiet ? () => undefined : note;
  const given = chosenDevice(options);
  const capture = await openCapture(options.file, {
    history: options.history, pageSize: options.pageSize, layout: options.layout, secondRingPage: options.secondRingPage,
    recvBufferFile: options.recvBuffer, guestMemoryFile: options.guestMemory, direction: capturedDirection(options),
    vmbusLinkTypes: new Set([147, options.linkType]),
    // Every command is done with a batch before it asks for the next: nothing keeps views into records.
    reuseChunks: true,
  });
  for (const text of capture.notes) say(text);
  const fromRingDump = capture.format === "ring dump";
  const { device, batches } = fromRingDump ? await ringDumpDevice(capture, given, say) : { device: given, batches: capture.batches };
  if (options.sendBuffer && !fromRingDump) say("--send-buffer applies to ring dumps only: a capture keeps the bytes it saw as attached data");
  if (options.sendBuffer && fromRingDump && device?.short !== "netvsc") say("--send-buffer is for network (netvsc) channels; ignored");
  const sendBuffer = options.sendBuffer && fromRingDump ? fileRandomAccess(options.sendBuffer) : undefined;
  async function* labelled(): AsyncGenerator<VmbusRecord[]> {
    for await (const batch of batches) {
      for (const record of batch) labelRingRecord(record, device, options, sendBuffer);
      yield batch;
    }
  }
  return { capture, device, batches: fromRingDump ? labelled() : batches, close: async () => { sendBuffer?.close(); await capture.close(); } };
}
