#!/usr/bin/env node
// Argument parsing and wiring only; the work is in capture/, dissectors/ and formats/.
// A plain read starts without yargs (read-arguments.ts); everything else goes through it
// (command-line.ts), imported only then.

import { CaptureError } from "../capture/record.js";
import { runRead } from "./commands/read.js";
import { fail, packageVersion, UsageError } from "./errors.js";
import { plainReadArguments, readOptions } from "./read-arguments.js";

async function main(args: string[]): Promise<number> {
  // Exactly what yargs prints for --version.
  if (args.length === 1 && args[0] === "--version") {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  const plain = plainReadArguments(args);
  if (plain) return runRead(readOptions(plain));
  const { runCommandLine } = await import("./command-line.js");
  return runCommandLine(args, runRead);
}

main(process.argv.slice(2)).then((status) => {
  process.exitCode = status;
}, (error: unknown) => {
  if (error instanceof UsageError || error instanceof CaptureError) fail(error.message, 2);
  fail(`internal error: ${error instanceof Error ? error.message : String(error)} (please report this with the capture)`, 70);
});
