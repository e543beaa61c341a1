// The loop every record-reading command shares: open the input, dissect each record (all of them
// teach the session), keep those the display filter selects, stop on Ctrl-C, -c or a broken
// output, show progress on a terminal, and with -2 read the capture twice (answers on requests).
// Outputs that need no trees (-w alone) visit the records undissected instead.

import type { CopyCondition, PacketBatch } from "../../capture/packet-batch.js";
import { CaptureError, type VmbusRecord } from "../../capture/record.js";
import type { ResponseLog } from "../../dissectors/describe/compile.js";
import { Dissector, type Dissection } from "../../dissectors/index.js";
import type { Session } from "../../dissectors/session.js";
import { Progress } from "../../formats/progress.js";
import { UsageError } from "../errors.js";
import type { RecordFilter } from "../../dissectors/filter/evaluate.js";
import { displayFilter, note, openRecords, type InputOptions, type OpenedRecords } from "./records.js";

export interface LoopOptions extends InputOptions {
  displayFilter?: string;
  /** Nothing shows the Info summary (stats, -w without printing): it is not made. */
  skipInfo?: boolean;
  /** Stop after this many selected records. */
  count?: number;
  /** -2: a first pass learns which record answers each request. */
  twoPass?: boolean;
  /** Show progress on standard error when it is a terminal (off when records go to that terminal). */
  progress: boolean;
}

export interface LoopResult {
  opened: OpenedRecords;
  dissector: Dissector;
  selected: number;
  malformed: number;
  interrupted: boolean;
  /** The capture became unreadable here; everything before it was visited. */
  failure?: CaptureError;
}

/** Returns true when the consumer wants no more records (its output went away). */
export type Visit = (dissection: Dissection, session: Session) => Promise<boolean | void> | boolean | void;

/** Returns true when the consumer wants no more records; a promise only when it has to wait. */
export type RecordVisit = (record: VmbusRecord) => Promise<boolean> | boolean;

/** A consumer of undissected records that also takes packets as copies (PacketBatch): -w alone. */
export interface CopyingVisit {
  condition: CopyCondition;
  /** As RecordVisit, for the packets from..to-1 of the batch, all of them copies. */
  copies(batch: PacketBatch, from: number, to: number): Promise<boolean> | boolean;
  record: RecordVisit;
}

export interface OpenedDissection {
  opened: OpenedRecords;
  /** The loops' dissector: its session is what they learned (e.g. the channels, for Dissector.channelFacts). */
  dissector: Dissector;
  run(visit: Visit, observe?: (dissection: Dissection) => void): Promise<LoopResult>;
  /**
   * Visits every record without its tree, for outputs that need none (-w alone): only offers are
   * dissected (Dissector.learnChannels), so that channelFacts still names every channel. No display
   * filter; nothing is counted as malformed.
   */
  runUndissected(visit: RecordVisit): Promise<LoopResult>;
  /** runUndissected, where the input is a pcapng: the packets the condition lets through come as copies. */
  runCopying(visit: CopyingVisit): Promise<LoopResult>;
}

/**
 * Opens the input (and with -2 reads it once) before any output is created, so that an input that
 * cannot be read leaves an existing output file as it was.
 */
export async function openDissection(options: LoopOptions): Promise<OpenedDissection> {
  const filter = displayFilter(options.displayFilter);
  const responses = options.twoPass ? await firstPass(options) : undefined;
  const opened = await openRecords(options);
  const dissector = new Dissector({ defaultDevice: opened.device, responses, skipInfo: options.skipInfo });
  return {
    opened,
    dissector,
    run: (visit, observe) => dissectEach(new RecordLoop(options, opened, dissector), filter, visit, observe),
    runUndissected: (visit) => visitUndissected(new RecordLoop(options, opened, dissector), visit),
    runCopying: (visit) => {
      const packetBatches = opened.capture.packetBatches;
      const loop = new RecordLoop(options, opened, dissector);
      return packetBatches ? visitCopying(loop, packetBatches(visit.condition), visit) : visitUndissected(loop, visit.record);
    },
  };
}

/** What every loop over the records shares: progress, Ctrl-C, -c, and the failure that ends reading. */
class RecordLoop {
  readonly result: LoopResult;
  private readonly progress?: Progress;
  private seen = 0;

  constructor(private readonly options: LoopOptions, opened: OpenedRecords, dissector: Dissector) {
    this.result = { opened, dissector, selected: 0, malformed: 0, interrupted: false };
    this.progress = options.progress ? new Progress(opened.capture.size) : undefined;
  }

  /** Counts records read; progress shows the place in the file of the last one. */
  read(fileOffset: number, count = 1): void {
    this.seen += count;
    this.progress?.update(fileOffset, this.seen);
  }

  /** Counts selected records; true when -c is reached. */
  select(count = 1): boolean {
    this.result.selected += count;
    return this.result.selected === this.options.count;
  }

  /** How many records may still be selected before -c is reached. */
  get remaining(): number {
    return this.options.count === undefined ? Infinity : this.options.count - this.result.selected;
  }

  /**
   * Hands each batch to handle until it returns true. Ctrl-C stops reading and the outputs close
   * normally (a valid pcapng of everything so far); a second Ctrl-C ends the process at once.
   * Standard input is closed so a waiting read returns.
   */
  async over<Batch>(batches: AsyncIterable<Batch>, handle: (batch: Batch) => Promise<boolean> | boolean): Promise<LoopResult> {
    const { result } = this;
    const onInterrupt = () => {
      result.interrupted = true;
      if (this.options.file === "-") process.stdin.destroy();
    };
    process.once("SIGINT", onInterrupt);
    try {
      for await (const batch of batches) if (result.interrupted || (await handle(batch))) break;
    } catch (error) {
      // Once interrupted, a read cut short by closing standard input is expected, not a failure.
      if (result.interrupted) return result;
      if (!(error instanceof CaptureError)) throw error;
      result.failure = error;
    } finally {
      process.off("SIGINT", onInterrupt);
      this.progress?.finish();
    }
    return result;
  }
}

/** `observe` sees every record, selected or not (e.g. relative times count from the first record). */
function dissectEach(loop: RecordLoop, filter: RecordFilter | undefined, visit: Visit, observe?: (dissection: Dissection) => void): Promise<LoopResult> {
  const { result } = loop;
  const { dissector } = result;
  return loop.over(loop.result.opened.batches, async (batch) => {
    for (const record of batch) {
      const dissection = dissector.dissect(record);
      observe?.(dissection);
      loop.read(record.origin.fileOffset);
      if (result.interrupted) return true;
      if (filter && !filter(dissection)) continue;
      if (dissection.malformed) result.malformed++;
      const last = loop.select();
      if ((await visit(dissection, dissector.session)) === true || last) return true;
    }
    return false;
  });
}

/** The loop without trees: synchronous within a batch, waiting only when the visit has to. */
function visitUndissected(loop: RecordLoop, visit: RecordVisit): Promise<LoopResult> {
  const { result } = loop;
  const { dissector } = result;
  return loop.over(result.opened.batches, async (batch) => {
    if (batch.length > 0) loop.read(batch[batch.length - 1].origin.fileOffset, batch.length);
    for (const record of batch) {
      dissector.learnChannels(record);
      const last = loop.select();
      const outcome = visit(record);
      const stop = typeof outcome === "boolean" ? outcome : (await outcome) || result.interrupted;
      if (stop || last) return true;
    }
    return false;
  });
}

/** visitUndissected over batches of records and copies (packets the condition judged to teach the channel table nothing). */
function visitCopying(loop: RecordLoop, batches: AsyncIterable<PacketBatch>, visit: CopyingVisit): Promise<LoopResult> {
  const { result } = loop;
  const { dissector } = result;
  return loop.over(batches, async (batch) => {
    const last = batch.length - 1;
    if (last >= 0) loop.read(batch.records[last]?.origin.fileOffset ?? batch.fileOffset[last], batch.length);
    for (let index = 0; index < batch.length; ) {
      const record = batch.records[index];
      // A record alone; copies in runs (as far as -c allows), which the writer may copy at once.
      let end = index + 1;
      if (!record) while (end < batch.length && batch.records[end] === undefined) end++;
      end = Math.min(end, index + loop.remaining);
      if (record) dissector.learnChannels(record);
      const lastSelected = loop.select(end - index);
      const outcome = record ? visit.record(record) : visit.copies(batch, index, end);
      const stop = typeof outcome === "boolean" ? outcome : (await outcome) || result.interrupted;
      if (stop || lastSelected) return true;
      index = end;
    }
    return false;
  });
}

/** -2: dissects the whole capture once, silently, to learn which record answers each request. */
async function firstPass(options: LoopOptions): Promise<ResponseLog> {
  if (options.file === "-") throw new UsageError("-2 reads the capture twice: give a file, not standard input");
  const log: ResponseLog = { complete: false, byNamespace: new Map() };
  const opened = await openRecords({ ...options, quiet: true });
  const dissector = new Dissector({ defaultDevice: opened.device, responses: log, skipInfo: true });
  try {
    for await (const batch of opened.batches) for (const record of batch) dissector.dissect(record);
  } catch (error) {
    if (!(error instanceof CaptureError)) throw error;
  } finally {
    await opened.close();
  }
  log.complete = true;
  return log;
}

/** What every record-reading command says at the end, and its exit status. */
export function finish(result: LoopResult, strict: boolean, interruptedNote = ""): number {
  if (result.opened.capture.stats.otherLinkTypePackets > 0) note(`${result.opened.capture.stats.otherLinkTypePackets} packet(s) on non-VMBus link types were skipped`);
  if (result.dissector.session.forgotten > 0) note(`session state stayed bounded: ${result.dissector.session.forgotten} old entries were forgotten`);
  if (result.failure) {
    note(`vmbus-dissect: ${result.failure.message}`);
    return 2;
  }
  if (result.interrupted) {
    note(`vmbus-dissect: interrupted${interruptedNote}`);
    return 130;
  }
  return strict && result.malformed > 0 ? 1 : 0;
}
