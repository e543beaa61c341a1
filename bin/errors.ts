// What reaches the user when something goes wrong: one line, never a stack trace.

import { readFileSync } from "node:fs";
import { escapeText } from "../formats/escape.js";

export class UsageError extends Error {}

export function packageVersion(): string {
  // dist/bin/ when installed, bin/ when run from source.
  for (const path of ["../../package.json", "../package.json"]) {
    try {
      const manifest = JSON.parse(readFileSync(new URL(path, import.meta.url), "utf8")) as { name?: string; version: string };
      if (manifest.name === "vmbus-dissect") return manifest.version;
    } catch {
      // try the next place
    }
  }
  return "unknown";
}

export const userAppl = (): string => `vmbus-dissect ${packageVersion()}`;

/** Says what went wrong on standard error and exits. */
export function fail(message: string, status: number): never {
  process.stderr.write(`vmbus-dissect: ${escapeText(message)}\n`);
  process.exit(status);
}

/**
 * Writes a whole document (a field list, the plugin, statistics) to standard output. A reader that
 * goes away (`| head`) ends the command quietly, as it does for records (formats/output.ts).
 */
export function printDocument(text: string): void {
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    fail(`cannot write to standard output: ${error.message}`, 2);
  });
  process.stdout.write(text);
}
