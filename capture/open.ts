// Opens any capture by its content: pcapng, classic pcap, or a raw ring dump.

import { chooseFormat } from "./detect.js";
import { openInput, recordBatches, type CaptureInput } from "./input.js";
import { readPcapBatches } from "./pcap-reader.js";
import type { CopyCondition, PacketBatch } from "./packet-batch.js";
import { newReaderStats, readPcapngBatches, readPcapngPacketBatches, type ReaderStats } from "./pcapng-reader.js";
import { CaptureError, eachRecord, type RecordBatches, type VmbusRecord } from "./record.js";
import { describeRingLayout, fileRandomAccess, readRingDump, type RandomAccess, type RingDumpOptions } from "./ring-reader.js";

export type CaptureFormat = "pcapng" | "pcap" | "ring dump";

export interface OpenOptions extends Omit<RingDumpOptions, "file" | "memory"> {
  /** Files that ring-dump packets point into. */
  recvBufferFile?: string;
  guestMemoryFile?: string;
  vmbusLinkTypes?: ReadonlySet<number>;
  /** The consumer is done with each batch of records when it asks for the next one (see InputOptions). */
  reuseChunks?: boolean;
}

export interface OpenedCapture {
  format: CaptureFormat;
  /** The records in batches; `records` is the same sequence one by one (read one of the two, once). */
  batches: RecordBatches;
  records: AsyncIterable<VmbusRecord>;
  /** pcapng: the same sequence with the packets that meet the condition as copies (read one of the three, once). */
  packetBatches?: (copy: CopyCondition) => AsyncIterable<PacketBatch>;
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
  // The dump is in memory: all its records make one batch.
  const batches = recordBatches(input, {
    readBuffered(batch) {
      for (const record of readRingDump(dump, { ...ringOptions, memory })) batch.push(record);
      return 0;
    },
  });
  return { format: "ring dump", batches, records: eachRecord(batches), notes, stats, size: dump.length, close: async () => { close(); await input.close(); } };
}

export async function openCapture(name: string, options: OpenOptions = {}): Promise<OpenedCapture> {
  const input = await openInput(name, { reuseChunks: options.reuseChunks });
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
  const batches = format === "pcapng" ? readPcapngBatches(input, readerOptions) : readPcapBatches(input, readerOptions);
  const packetBatches = format === "pcapng" ? (copy: CopyCondition) => readPcapngPacketBatches(input, copy, readerOptions) : undefined;
  return { format, batches, records: eachRecord(batches), packetBatches, notes: [], stats, size: input.size, close: () => input.close() };
}
