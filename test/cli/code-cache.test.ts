// The installed CLI starts from the V8 code cache made at build time (issue 7: the first line under
// 0.2 s). V8 silently refuses a cache made under other flags, and the launcher sets flags of its
// own (dist/bin/v8-flags.mjs): the cache must be one V8 takes under exactly those.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { root } from "./run-cli.js";

const bin = join(root, "dist", "bin");

/** Compiles the bundle with its cache in a fresh Node, as the launcher does (flags set or not); prints whether V8 refused the cache. */
function cacheRefused(withLauncherFlags: boolean): boolean {
  const cache = readdirSync(bin).find((name) => name.endsWith(".code-cache"));
  assert.ok(cache, "the build made a code cache");
  const script = `
    import { readFileSync } from "node:fs";
    import { Script } from "node:vm";
    ${withLauncherFlags ? `(await import(${JSON.stringify(join(bin, "v8-flags.mjs"))})).setV8Flags();` : ""}
    const script = new Script(readFileSync(${JSON.stringify(join(bin, "vmbus-dissect.cjs"))}, "utf8"), {
      filename: ${JSON.stringify(join(bin, "vmbus-dissect.cjs"))},
      cachedData: readFileSync(${JSON.stringify(join(bin, cache))}),
    });
    process.stdout.write(String(script.cachedDataRejected));`;
  const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" } });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout === "true";
}

describe("the code cache", () => {
  it("is taken under the launcher's V8 flags", () => {
    assert.equal(cacheRefused(true), false);
  });

  it("is refused under other flags (so the check above means something)", () => {
    assert.equal(cacheRefused(false), true);
  });
});
