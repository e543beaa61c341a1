// Opens any capture by its content: pcapng, classic pcap, or a raw ring dump.

import { chooseFormat } from "./detect.js";
import { openInput, type CaptureInput } from "./input.js";
import { readPcap } from "./pcap-reader.js";
import { newReaderStats, readPcapng, type ReaderStats } from "./pcapng-reader.js";
import { CaptureError, type VmbusRecord } from "./record.js";
import { describeRingLayout, fileRandomAccess, readRingDump, type RandomAccess, type RingDumpOptions } from "./ring-reader.js";

export type CaptureFormat = "pcapng" | "pcap" | "ring dump";

export interface OpenOptions extends Omit<RingDumpOptions, "file" | "memory"> {
  /** Files that ring-dump packets point into. */
  recvBufferFile?: string;
  guestMemoryFile?: string;
  vmbusLinkTypes?: ReadonlySet<number>;
}

export interface OpenedCapture {
  format: CaptureFormat;
  records: AsyncIterable<VmbusRecord>;
  /** What the reader chose and why (ring layout), for the user. */
  notes: string[];
  stats: ReaderStats;
  /** Size of the input in bytes, when known (progress). */
  size?: number;
  close(): Promise<void>;
}

/** A ring dump is a few MiB (a uio mapping is 4 MiB); this bound keeps a wrong guess from eating memory. */
const MAX_RING_DUMP_BYTES = 1 << 30;

function memoryOf(options: OpenOptions): { memory: RingDumpOptions["memory"]; close: () => void } {
  const opened: Array<RandomAccess & { close(): void }> = [];
  const load = (path: string | undefined) => (path ? opened[opened.push(fileRandomAccess(path)) - 1] : undefined);
  const memory = { recvBuffer: load(options.recvBufferFile), guestMemory: load(options.guestMemoryFile) };
  return { memory, close: () => opened.forEach((file) => file.close()) };
}

async function openRingDump(input: CaptureInput, options: OpenOptions, stats: ReaderStats): Promise<OpenedCapture> {
  const dump = await input.readAll(MAX_RING_DUMP_BYTES);
  const ringOptions: RingDumpOptions = { ...options, file: input.name };
  let layout;
  try {
    layout = describeRingLayout(dump, ringOptions);
  } catch (error) {
    if (error instanceof CaptureError) throw new CaptureError(input.name, error.offset, `not a pcapng, pcap or VMBus ring dump (${error.reason})`);
    throw error;
  }
  const { memory, close } = memoryOf(options);
  const notes = [`${input.name}: ring dump, ${layout.layout === "pair" ? "a channel's ring pair" : "a single ring"}: ${layout.reason}`];
  const records = (async function* () { yield* readRingDump(dump, { ...ringOptions, memory }); })();
  return { format: "ring dump", records, notes, stats, size: dump.length, close: async () => { close(); await input.close(); } };
}

export async function openCapture(name: string, options: OpenOptions = {}): Promise<OpenedCapture> {
  const input = await openInput(name);
  try {
    return await openFormat(input, options);
  } catch (error) {
    await input.close();
    throw error;
  }
}

async function openFormat(input: CaptureInput, options: OpenOptions): Promise<OpenedCapture> {
  const stats = newReaderStats();
  const format = chooseFormat(await input.peek(4));
  if (format === "unknown") return openRingDump(input, options, stats);
  const readerOptions = { vmbusLinkTypes: options.vmbusLinkTypes, stats };
  const records = format === "pcapng" ? readPcapng(input, readerOptions) : readPcap(input, readerOptions);
  return { format, records, notes: [], stats, size: input.size, close: () => input.close() };
}
