// bench --profile: a real CPU profile of a real Node process, summarised: the function that does
// the work is named with its source file, the bundle's module markers name functions of a bundle.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { profileSummary } from "./profile.js";

/** A script shaped like our bundle: esbuild's `// path` line before each module's code. */
const BUNDLE = `// build test
// capture/busy-reader.ts
function spinReader(until) {
  let sum = 0;
  while (performance.now() < until) for (let i = 0; i < 1000; i++) sum += Math.sqrt(i);
  return sum;
}
// formats/idle-writer.ts
function idleWriter() {
  return new Promise((resolve) => setTimeout(resolve, 300));
}
await idleWriter();
spinReader(performance.now() + 400);
`;

describe("bench --profile", () => {
  it("names the busy function with its source file, and the waiting as idle", () => {
    const directory = mkdtempSync(join(tmpdir(), "vmbus-profile-"));
    const bundle = join(directory, "bundle.mjs");
    writeFileSync(bundle, BUNDLE);
    const profiles = join(directory, "profiles");
    mkdirSync(profiles);
    const run = spawnSync(process.execPath, ["--cpu-prof", "--cpu-prof-dir", profiles, bundle]);
    assert.equal(run.status, 0, String(run.stderr));
    const summary = profileSummary(profiles, "profile of test", bundle);
    const line = (pattern: RegExp) => summary.split("\n").find((text) => pattern.test(text)) ?? "";
    const share = (text: string) => Number(/\| ([\d.]+) % \|/.exec(text)?.[1] ?? NaN);
    assert.ok(share(line(/spinReader \(capture\/busy-reader\.ts\)/)) > 30, summary);
    assert.ok(share(line(/\| capture\/busy-reader\.ts \|/)) > 30, summary);
    const idle = Number(/idle\) ([\d.]+) %/.exec(summary)?.[1] ?? NaN);
    assert.ok(idle > 20, summary);
  });

  it("says so when the run wrote no profile", () => {
    const directory = mkdtempSync(join(tmpdir(), "vmbus-profile-"));
    assert.match(profileSummary(directory, "profile of nothing"), /no profile written/);
  });
});
