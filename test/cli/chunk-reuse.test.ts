// The CLI reads a capture into a few chunks it reuses: a batch's records are done with once the next
// batch is asked for. A command that kept a view into a record past its batch would read bytes of
// a later chunk. VMBUS_DISSECT_POISON_RETIRED_CHUNKS=1 overwrites each chunk as it is left behind,
// so such a view reads garbage: every command must print and write the same either way.

import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { repeatedSamples } from "./captures.js";
import { temporaryDirectory, vmbusDissect } from "./run-cli.js";

const SAMPLES = ["vm-connect.pcapng", "network.pcapng", "storage.pcapng", "sockets.pcapng", "integration-services.pcapng"];
/** The reader's chunks are 1 MiB: a capture of several MiB leaves several behind. */
const MINIMUM_BYTES = 3 << 20;
const POISON = { VMBUS_DISSECT_POISON_RETIRED_CHUNKS: "1" };

describe("no command keeps views into records past their batch", () => {
  const directory = temporaryDirectory();
  let capture = "";
  before(async () => {
    capture = await repeatedSamples(directory, "big.pcapng", SAMPLES, MINIMUM_BYTES * 1.2);
    assert.ok(statSync(capture).size > MINIMUM_BYTES);
  });

  const printing: string[][] = [[], ["-T", "json"], ["-V"], ["-x"], ["stats", "-T", "json"], ["-2"], ["-Y", "nvsp"]];
  for (const args of printing) {
    it(`prints the same with retired chunks overwritten: ${args.join(" ") || "summaries"}`, () => {
      const plain = vmbusDissect([...args, capture]);
      const poisoned = vmbusDissect([...args, capture], { env: POISON });
      assert.equal(plain.status, 0, plain.stderr);
      assert.ok(plain.stdout.length > 0);
      assert.equal(poisoned.stdout, plain.stdout);
      assert.equal(poisoned.stderr, plain.stderr);
    });
  }

  it("reads standard input the same way", () => {
    const bytes = readFileSync(capture);
    const plain = vmbusDissect(["-T", "json", "-"], { input: bytes });
    const poisoned = vmbusDissect(["-T", "json", "-"], { input: bytes, env: POISON });
    assert.equal(plain.status, 0, plain.stderr);
    assert.equal(poisoned.stdout, plain.stdout);
  });

  const writing: Array<[string, (output: string) => string[]]> = [
    ["-w", (output) => [capture, "-w", output]],
    ["-w with summaries", (output) => [capture, "-P", "-w", output]],
    ["extract ethernet", (output) => ["extract", "ethernet", capture, "-w", output]],
  ];
  for (const [name, args] of writing) {
    it(`writes the same with retired chunks overwritten: ${name}`, () => {
      const write = (file: string, env: NodeJS.ProcessEnv) => {
        const output = join(directory, file);
        const run = vmbusDissect(args(output), { env });
        assert.equal(run.status, 0, run.stderr);
        return readFileSync(output);
      };
      assert.ok(write("poisoned.pcapng", POISON).equals(write("plain.pcapng", {})));
    });
  }
});
