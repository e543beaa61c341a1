// `vmbus-dissect stats FILE`: channels, message types, response times, negotiated versions,
// throughput and anomalies of a capture, as tables, one JSON document, and optionally a plot.

import { writeFileSync } from "node:fs";
import { plotDocument } from "../../formats/plot.js";
import { TrafficStatistics } from "../../formats/statistics.js";
import { statisticsText } from "../../formats/statistics-text.js";
import { printDocument, UsageError } from "../errors.js";
import { finish, openDissection, type LoopOptions } from "./dissect-loop.js";
import { note } from "./records.js";

export interface StatsOptions extends Omit<LoopOptions, "progress" | "count" | "twoPass"> {
  format: "text" | "json";
  intervalSeconds?: number;
  plot?: string;
}

function plotKind(path: string): "svg" | "html" {
  if (/\.svg$/i.test(path)) return "svg";
  if (/\.html?$/i.test(path)) return "html";
  throw new UsageError(`--plot ${path}: the file name must end in .svg or .html`);
}

export async function runStats(options: StatsOptions): Promise<number> {
  if (options.intervalSeconds !== undefined && !(options.intervalSeconds > 0)) throw new UsageError("--interval must be a positive number of seconds");
  const kind = options.plot === undefined ? undefined : plotKind(options.plot);
  const statistics = new TrafficStatistics({ intervalSeconds: options.intervalSeconds });
  const input = await openDissection({ ...options, progress: true, skipInfo: true });
  const result = await input.run((dissection) => statistics.add(dissection));
  await result.opened.close();
  const report = statistics.report();
  printDocument(options.format === "json" ? `${JSON.stringify(report)}\n` : `${statisticsText(report)}\n`);
  if (options.plot && kind) {
    writeFileSync(options.plot, plotDocument(report, kind));
    note(`stats: plot written to ${options.plot}`);
  }
  return finish(result, false);
}
