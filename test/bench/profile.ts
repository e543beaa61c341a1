// `npm run bench -- --profile MODE,...`: where a mode's time goes, from a V8 CPU profile
// (node --cpu-prof) of one run: the share of the run waiting for input or output (idle), collecting
// garbage, and the functions that take the most time, by themselves and with what they call.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/**
 * The bundle's source files by the line each starts on: esbuild marks every module with a
 * `// path/file.ts` line, so a function in the bundle is named with the file it was written in.
 */
function bundleFiles(bundle: string): Array<[number, string]> {
  const starts: Array<[number, string]> = [];
  readFileSync(bundle, "utf8").split("\n").forEach((line, index) => {
    if (/^\s*\/\/ [\w./@-]+\.(ts|js|mjs|cjs|json)$/.test(line)) starts.push([index, line.trim().slice(3)]);
  });
  return starts;
}

function fileAt(starts: Array<[number, string]>, line: number): string | undefined {
  let found: string | undefined;
  for (const [start, file] of starts) {
    if (start > line) break;
    found = file;
  }
  return found;
}

/** A function as the tables name it: generated decoders have no file; bundled code is named by its source file. */
function namer(bundle: string | undefined): (node: ProfileNode) => string {
  const starts = bundle ? bundleFiles(bundle) : [];
  const bundleName = bundle?.split("/").pop();
  return (node) => {
    const { functionName: name, url, lineNumber } = node.callFrame;
    const base = url.split("/").pop() ?? "";
    const file = url === "" ? undefined : base === bundleName ? (fileAt(starts, lineNumber) ?? base) : `${base}:${lineNumber + 1}`;
    return `${name || "(anonymous)"}${file ? ` (${file})` : ""}`;
  };
}

/** Microseconds of samples per profile node. */
function timePerNode(profile: CpuProfile): Map<number, number> {
  const time = new Map<number, number>();
  profile.samples.forEach((id, index) => time.set(id, (time.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)));
  return time;
}

/** Self and inclusive time per function name (a function counted once per stack, however deep it recurses). */
function timePerFunction(profile: CpuProfile, functionName: (node: ProfileNode) => string): { self: Map<string, number>; inclusive: Map<string, number>; total: number } {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  for (const [id, time] of timePerNode(profile)) {
    total += time;
    const name = functionName(byId.get(id)!);
    self.set(name, (self.get(name) ?? 0) + time);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
      const caller = functionName(byId.get(at)!);
      if (seen.has(caller)) continue;
      seen.add(caller);
      inclusive.set(caller, (inclusive.get(caller) ?? 0) + time);
    }
  }
  return { self, inclusive, total };
}

/** V8's pseudo-functions: they say what the thread did, not which code did it. */
const PSEUDO = new Set(["(root)", "(program)", "(idle)", "(garbage collector)"]);

function topRows(times: Map<string, number>, total: number, count: number): string[] {
  return [...times]
    .filter(([name]) => !PSEUDO.has(name))
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, time]) => `| ${(100 * time / total).toFixed(1)} % | ${name.replaceAll("|", "\\|")} |`);
}

/** A Markdown summary of the one .cpuprofile in directory; bundle: the bundled script it ran. */
export function profileSummary(directory: string, title: string, bundle?: string, count = 15): string {
  const file = readdirSync(directory).find((name) => name.endsWith(".cpuprofile"));
  if (!file) return `${title}: no profile written\n`;
  const profile = JSON.parse(readFileSync(join(directory, file), "utf8")) as CpuProfile;
  const { self, inclusive, total } = timePerFunction(profile, namer(bundle));
  const byFile = new Map<string, number>();
  for (const [name, time] of self) {
    if (PSEUDO.has(name)) continue;
    const file = /\(([^():]+)(:\d+)?\)$/.exec(name)?.[1] ?? (/^(decode|read)_/.test(name) ? "(decoders generated from the descriptions)" : "(V8 and Node built-ins)");
    byFile.set(file, (byFile.get(file) ?? 0) + time);
  }
  const share = (name: string) => `${(100 * (self.get(name) ?? 0) / total).toFixed(1)} %`;
  return [
    `${title}: ${(total / 1e6).toFixed(2)} s sampled; waiting for input or output (idle) ${share("(idle)")}, garbage collection ${share("(garbage collector)")}, V8 itself ${share("(program)")}`,
    "",
    "| with callees | function |", "| --- | --- |", ...topRows(inclusive, total, count),
    "",
    "| by itself | function |", "| --- | --- |", ...topRows(self, total, count),
    "",
    "| by itself | source file |", "| --- | --- |", ...topRows(byFile, total, count),
    "",
  ].join("\n");
}
