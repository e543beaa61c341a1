// npm run bench checks its command line before minutes of work: a mistake is one line on standard
// error and exit status 2, never a stack trace, and nothing is generated.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";

const bench = fileURLToPath(new URL("./bench.ts", import.meta.url));

describe("bench arguments", () => {
  const cases: Array<[string[], RegExp]> = [
    [["--profile", "stats,nope"], /^bench: --profile: no mode "nope" \(modes: summary, json, tree, write, stats, all\)\n$/],
    [["--big-modes", "everything"], /^bench: --big-modes: no mode "everything"/],
    [["--records", "1e6"], /^bench: --records must be a whole number above 0, not "1e6"\n$/],
    [["--runs", "0"], /^bench: --runs must be a whole number above 0/],
    [["--big-mb", "two"], /^bench: --big-mb must be a whole number of MB/],
    [["--bogus"], /^bench: Unknown option '--bogus'/],
  ];
  for (const [args, message] of cases) {
    it(`refuses ${args.join(" ")}`, () => {
      const run = spawnSync(process.execPath, ["--import", "tsx", bench, ...args], { encoding: "utf8" });
      assert.equal(run.status, 2);
      assert.equal(run.stdout, "");
      assert.match(run.stderr, message);
    });
  }
});
