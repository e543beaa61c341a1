// The loop every record-reading command shares: open the input, dissect each record (all of them
// teach the session), keep those the display filter selects, stop on Ctrl-C, -c or a broken
// output, show progress on a terminal, and with -2 read the capture twice (answers on requests).

import { CaptureError } from "../../capture/record.js";
import type { ResponseLog } from "../../dissectors/describe/compile.js";
import { Dissector, type Dissection } from "../../dissectors/index.js";
import type { Session } from "../../dissectors/session.js";
import { Progress } from "../../formats/progress.js";
import { UsageError } from "../errors.js";
import type { RecordFilter } from "../../dissectors/filter/evaluate.js";
import { displayFilter, note, openRecords, type InputOptions, type OpenedRecords } from "./records.js";

export interface LoopOptions extends InputOptions {
  displayFilter?: string;
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

export interface OpenedDissection {
  opened: OpenedRecords;
  run(visit: Visit, observe?: (dissection: Dissection) => void): Promise<LoopResult>;
}

/**
 * Opens the input (and with -2 reads it once) before any output is created, so that an input that
 * cannot be read leaves an existing output file as it was.
 */
export async function openDissection(options: LoopOptions): Promise<OpenedDissection> {
  const filter = displayFilter(options.displayFilter);
  const responses = options.twoPass ? await firstPass(options) : undefined;
  const opened = await openRecords(options);
  return { opened, run: (visit, observe) => dissectEach(options, opened, filter, responses, visit, observe) };
}

/** `observe` sees every record, selected or not (e.g. relative times count from the first record). */
async function dissectEach(
  options: LoopOptions, opened: OpenedRecords, filter: RecordFilter | undefined, responses: ResponseLog | undefined,
  visit: Visit, observe?: (dissection: Dissection) => void,
): Promise<LoopResult> {
  const dissector = new Dissector({ defaultDevice: opened.device, responses });
  const progress = options.progress ? new Progress(opened.capture.size) : undefined;
  const result: LoopResult = { opened, dissector, selected: 0, malformed: 0, interrupted: false };
  // Ctrl-C stops reading and the outputs close normally (a valid pcapng of everything so far);
  // a second Ctrl-C ends the process at once. Standard input is closed so a waiting read returns.
  const onInterrupt = () => {
    result.interrupted = true;
    if (options.file === "-") process.stdin.destroy();
  };
  process.once("SIGINT", onInterrupt);
  let seen = 0;
  try {
    for await (const record of opened.records) {
      const dissection = dissector.dissect(record);
      observe?.(dissection);
      progress?.update(record.origin.fileOffset, ++seen);
      if (result.interrupted) break;
      if (filter && !filter(dissection)) continue;
      result.selected++;
      if (dissection.malformed) result.malformed++;
      if ((await visit(dissection, dissector.session)) === true || result.selected === options.count) break;
    }
  } catch (error) {
    // Once interrupted, a read cut short by closing standard input is expected, not a failure.
    if (result.interrupted) return result;
    if (!(error instanceof CaptureError)) throw error;
    result.failure = error;
  } finally {
    process.off("SIGINT", onInterrupt);
    progress?.finish();
  }
  return result;
}

/** -2: dissects the whole capture once, silently, to learn which record answers each request. */
async function firstPass(options: LoopOptions): Promise<ResponseLog> {
  if (options.file === "-") throw new UsageError("-2 reads the capture twice: give a file, not standard input");
  const log: ResponseLog = { complete: false, byNamespace: new Map() };
  const opened = await openRecords({ ...options, quiet: true });
  const dissector = new Dissector({ defaultDevice: opened.device, responses: log });
  try {
    for await (const record of opened.records) dissector.dissect(record);
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
