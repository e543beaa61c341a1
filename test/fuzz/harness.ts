// `npm run fuzz -- --seed S --records N --seconds T`: hostile records through every dissector and
// every output, and corrupted files through every reader. Prints what it tried and found; writes a
// reproducer for each failure; exits 1 when anything failed.

import { mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { openCapture } from "../../capture/open.js";
import { PcapngWriter } from "../../capture/pcapng-writer.js";
import { CaptureError, type VmbusRecord } from "../../capture/record.js";
import { Dissector, type Dissection } from "../../dissectors/index.js";
import { hexDumpSources } from "../../formats/hexdump.js";
import { recordJsonLine } from "../../formats/json.js";
import { makeStyle } from "../../formats/style.js";
import { plotDocument } from "../../formats/plot.js";
import { TrafficStatistics } from "../../formats/statistics.js";
import { statisticsText } from "../../formats/statistics-text.js";
import { summaryLine } from "../../formats/summary.js";
import { TimeColumn } from "../../formats/time.js";
import { treeText } from "../../formats/tree-text.js";
import { corpus, sampleFiles } from "./corpus.js";
import { generatedRecords } from "./generate.js";
import { mutateBytes, mutateRecord, random, type Rng } from "./mutate.js";

/** The bound catches hangs and quadratic work: 50 ms, plus linear time for large records with every output rendered (64 KiB: 434 ms). */
const RECORD_TIME_LIMIT_MS = 50;
const RECORD_TIME_PER_KIB_MS = 6;
const timeLimit = (record: VmbusRecord): number =>
  RECORD_TIME_LIMIT_MS + (RECORD_TIME_PER_KIB_MS * (record.payload.length + record.attached.reduce((sum, chunk) => sum + chunk.data.length, 0))) / 1024;
const FILE_TIME_LIMIT_MS = 5000;
const MEMORY_GROWTH_LIMIT = 256 * 1024 * 1024;
/** Control characters that must never reach a terminal raw (newlines only separate lines). */
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f\u009b]/;

interface Failure {
  what: string;
  record?: VmbusRecord;
  file?: Uint8Array;
}

const style = makeStyle(false);
/** Every fuzzed record is also counted by `stats`; its report is rendered and checked at the end. */
const statistics = new TrafficStatistics();

function checkOutputs(dissection: Dissection): string | undefined {
  if (dissection.experts.some((e) => e.text.startsWith("dissector failure"))) return dissection.experts[0].text;
  const json = recordJsonLine(dissection);
  JSON.parse(json);
  statistics.add(dissection);
  const text = [summaryLine(dissection, new TimeColumn("r"), style), ...treeText(dissection, style), ...hexDumpSources(dissection.sources)];
  const raw = text.find((line) => RAW_CONTROL.test(line));
  return raw === undefined ? undefined : `raw control character in output: ${JSON.stringify(raw.slice(0, 120))}`;
}

/** Milliseconds to dissect and output a record, or the problem found. */
function timedRecord(dissector: Dissector, record: VmbusRecord): number | string {
  const started = performance.now();
  try {
    const problem = checkOutputs(dissector.dissect(record));
    if (problem) return problem;
  } catch (error) {
    return `threw: ${error instanceof Error ? error.stack ?? error.message : String(error)}`;
  }
  return performance.now() - started;
}

/** A record over the time bound is tried once more: a garbage-collection pause is not slow input, slow input is slow every time. */
function tryRecord(dissector: Dissector, record: VmbusRecord): string | undefined {
  const limit = timeLimit(record);
  const first = timedRecord(dissector, record);
  if (typeof first === "string") return first;
  if (first <= limit) return undefined;
  const again = timedRecord(dissector, record);
  if (typeof again === "string") return again;
  return again > limit ? `took ${first.toFixed(1)} ms, then ${again.toFixed(1)} ms (limit ${limit.toFixed(0)})` : undefined;
}

async function tryFile(bytes: Uint8Array, directory: string, index: number): Promise<string | undefined> {
  const path = join(directory, `case-${index}`);
  writeFileSync(path, bytes);
  const started = performance.now();
  try {
    const capture = await openCapture(path, { history: true });
    const dissector = new Dissector();
    try {
      for await (const record of capture.records) {
        dissector.dissect(record);
        if (performance.now() - started > FILE_TIME_LIMIT_MS) return `reading took over ${FILE_TIME_LIMIT_MS} ms`;
      }
    } finally {
      await capture.close();
    }
  } catch (error) {
    if (!(error instanceof CaptureError)) return `threw: ${error instanceof Error ? error.stack ?? error.message : String(error)}`;
  }
  return undefined;
}

async function writeReproducer(failure: Failure, directory: string, index: number): Promise<string> {
  if (failure.file) {
    const path = join(directory, `reproducer-${index}.bin`);
    writeFileSync(path, failure.file);
    return path;
  }
  const path = join(directory, `reproducer-${index}.pcapng`);
  const writer = await PcapngWriter.create(path, { userAppl: "vmbus-dissect fuzz" });
  await writer.writeVmbusRecord(writer.addInterface(147, "vmbus"), failure.record!);
  await writer.close();
  return path;
}

async function fuzzRecords(rng: Rng, deadline: number, limit: number, failures: Failure[]): Promise<{ tried: number; generated: number }> {
  const records = corpus();
  const classGuids = records.flatMap((r) => (r.classGuid ? [r.classGuid] : []));
  const generated = generatedRecords(rng, 200);
  const dissector = new Dissector();
  const baseline = process.memoryUsage().rss;
  let tried = 0;
  for (const record of [...records, ...generated]) {
    tried++;
    const problem = tryRecord(dissector, record);
    if (problem) failures.push({ what: problem, record });
  }
  while (tried < limit && Date.now() < deadline) {
    const record = mutateRecord(records[Math.floor(rng() * records.length)], records[Math.floor(rng() * records.length)], rng, classGuids);
    tried++;
    const problem = tryRecord(dissector, record);
    if (problem) failures.push({ what: problem, record });
    if (tried % 20000 === 0 && process.memoryUsage().rss - baseline > MEMORY_GROWTH_LIMIT) {
      failures.push({ what: `memory grew by ${((process.memoryUsage().rss - baseline) / 1048576).toFixed(0)} MiB` });
      break;
    }
  }
  const problem = checkStatistics();
  if (problem) failures.push({ what: problem });
  return { tried, generated: generated.length };
}

function checkStatistics(): string | undefined {
  try {
    const report = statistics.report();
    JSON.parse(JSON.stringify(report));
    plotDocument(report, "html");
    const raw = statisticsText(report).split("\n").find((line) => RAW_CONTROL.test(line));
    return raw === undefined ? undefined : `raw control character in stats: ${JSON.stringify(raw.slice(0, 120))}`;
  } catch (error) {
    return `stats threw: ${error instanceof Error ? error.stack ?? error.message : String(error)}`;
  }
}

async function fuzzFiles(rng: Rng, deadline: number, failures: Failure[]): Promise<number> {
  const directory = join(tmpdir(), `vmbus-dissect-fuzz-${process.pid}`);
  mkdirSync(directory, { recursive: true });
  const files = sampleFiles();
  let tried = 0;
  while (Date.now() < deadline) {
    const original = files[Math.floor(rng() * files.length)];
    let bytes = original;
    for (let rounds = 1 + Math.floor(rng() * 4); rounds > 0; rounds--) bytes = mutateBytes(bytes, rng);
    const problem = await tryFile(bytes, directory, tried++);
    if (problem) failures.push({ what: problem, file: bytes });
  }
  return tried;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { seed: { type: "string", default: String(Date.now() % 1e9) }, records: { type: "string", default: "1000000" }, seconds: { type: "string", default: "60" }, out: { type: "string", default: "fuzz-out" } } });
  const seed = Number(values.seed);
  const seconds = Number(values.seconds);
  const rng = random(seed);
  const started = Date.now();
  const failures: Failure[] = [];
  const records = await fuzzRecords(rng, started + seconds * 800, Number(values.records), failures);
  const files = await fuzzFiles(rng, started + seconds * 1000, failures);
  mkdirSync(values.out, { recursive: true });
  for (const [index, failure] of failures.slice(0, 20).entries()) {
    const path = failure.record || failure.file ? await writeReproducer(failure, values.out, index) : "(no reproducer)";
    process.stdout.write(`failure ${index}: ${failure.what.split("\n")[0]}\n  reproducer: ${path}\n`);
  }
  const elapsed = ((Date.now() - started) / 1000).toFixed(1);
  process.stdout.write(`fuzz: seed ${seed}: ${records.tried} records tried (${records.generated} generated from the descriptions), ${files} corrupted files read, ${failures.length} failures, ${elapsed} s\n`);
  process.exitCode = failures.length > 0 ? 1 : 0;
}

await main();
