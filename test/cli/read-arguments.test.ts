// A plain read's command line is parsed without yargs (bin/read-arguments.ts): whatever it accepts
// must give exactly the options (or the error) that yargs gives, and the common command lines must
// be accepted, or start-up loads yargs again.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it, mock } from "node:test";
import { runCommandLine } from "../../bin/command-line.js";
import type { ReadOptions } from "../../bin/commands/read.js";
import { UsageError } from "../../bin/errors.js";
import { plainReadArguments, READ_OPTIONS, readOptions } from "../../bin/read-arguments.js";
import { random, type Rng } from "../fuzz/mutate.js";
import { root, vmbusDissect } from "./run-cli.js";

class Exited extends Error {
  constructor(readonly status: number | undefined) {
    super(`exit ${status}`);
  }
}

/** The options yargs hands to the read command, or what it says and its exit status. */
async function viaYargs(args: readonly string[]): Promise<ReadOptions | string> {
  let said = "";
  let options: ReadOptions | undefined;
  const exit = mock.method(process, "exit", (status?: number) => {
    throw new Exited(status);
  });
  const stderr = mock.method(process.stderr, "write", (text: string) => {
    said += text;
    return true;
  });
  try {
    await runCommandLine([...args], async (given) => {
      options = given;
      return 0;
    });
  } catch (error) {
    // A command's own errors reach main(), which says them the same way.
    if (error instanceof UsageError) return `exit 2: vmbus-dissect: ${error.message}\n`;
    if (!(error instanceof Exited)) throw error;
    return `exit ${error.status}: ${said}`;
  } finally {
    exit.mock.restore();
    stderr.mock.restore();
  }
  return options ?? `no read: ${said}`;
}

/** The same from the plain parser (an error as main() reports it); undefined when it leaves the line to yargs. */
function viaPlainParser(args: readonly string[]): ReadOptions | string | undefined {
  const parsed = plainReadArguments(args);
  if (!parsed) return undefined;
  try {
    return readOptions(parsed);
  } catch (error) {
    if (error instanceof UsageError) return `exit 2: vmbus-dissect: ${error.message}\n`;
    throw error;
  }
}

/** Values yargs reads plainly, and odd ones (each option is given one of them now and then). */
const NUMBERS = { plain: ["1", "5", "147", "150", "6144"], odd: ["0", "-1", "1e3", "0x10", "007", "1.5", "abc", ""] };
const STRINGS = { plain: ["cap.pcapng", "nvsp", "tcp && ip.dst == 10.0.0.1", "5", "true", "a=b"], odd: ["-", "--", "-x", ""] };
const CAPTURES = { plain: ["cap.pcapng", "dir/cap", "-", "a.b"], odd: ["cap", "stats", "devices", "1.5", "", "--", "--help", "-h", "--version", "-xV", "--count=5", "--displayFilter", "--bogus", "-q", "-9"] };

const oneOf = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)];
const plainOrOdd = (rng: Rng, values: { plain: readonly string[]; odd: readonly string[] }): string => oneOf(rng, rng() < 0.85 ? values.plain : values.odd);

function randomOption(rng: Rng): string[] {
  const name = oneOf(rng, Object.keys(READ_OPTIONS) as Array<keyof typeof READ_OPTIONS>);
  const spec: { alias?: string; type?: string; choices?: readonly string[] } = READ_OPTIONS[name];
  const flag = spec.alias && rng() < 0.5 ? `-${spec.alias}` : rng() < 0.1 ? `--no-${name}` : `--${name}`;
  if (spec.type === "boolean") return rng() < 0.1 ? [flag, rng() < 0.5 ? "true" : "false"] : [flag];
  if (rng() < 0.03) return [flag];
  if (spec.choices) return [flag, plainOrOdd(rng, { plain: spec.choices, odd: ["bogus"] })];
  return [flag, plainOrOdd(rng, spec.type === "number" ? NUMBERS : STRINGS)];
}

/** A capture (most of the time) among up to four options. */
function randomCommandLine(rng: Rng): string[] {
  const parts = Array.from({ length: Math.floor(rng() * 5) }, () => randomOption(rng));
  if (rng() < 0.9) parts.splice(Math.floor(rng() * (parts.length + 1)), 0, [plainOrOdd(rng, CAPTURES)]);
  return parts.flat();
}

describe("plain read command lines", () => {
  it("give what yargs gives, whenever the plain parser takes them", async () => {
    const rng = random(20261126);
    let taken = 0;
    for (let run = 0; run < 1500; run++) {
      const args = randomCommandLine(rng);
      const plain = viaPlainParser(args);
      if (plain === undefined) continue;
      taken++;
      assert.deepEqual(plain, await viaYargs(args), JSON.stringify(args));
    }
    assert.ok(taken > 500, `only ${taken} command lines were plain`);
  });

  it("include the common ones", async () => {
    const common = [
      ["cap.pcapng"], ["cap.pcapng", "-c", "10"], ["-V", "cap.pcapng"], ["-T", "json", "cap.pcapng"], ["-Y", "nvsp", "dir/cap"],
      ["-r", "cap.pcapng", "-x"], ["-", "-c", "5"], ["cap.pcapng", "-w", "out.pcapng"], ["cap.pcapng", "-w", "-"], ["cap.pcapng", "--no-color"],
      ["-2", "cap.pcapng"], ["--device", "netvsc", "ring.bin", "--layout", "pair"], ["cap.pcapng", "-c", "0"],
    ];
    for (const args of common) {
      const plain = viaPlainParser(args);
      assert.notEqual(plain, undefined, JSON.stringify(args));
      assert.deepEqual(plain, await viaYargs(args), JSON.stringify(args));
    }
  });

  it("print the version as yargs does", () => {
    const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };
    const run = vmbusDissect(["--version"]);
    assert.equal(run.status, 0);
    assert.equal(run.stdout, `${version}\n`);
  });
});
