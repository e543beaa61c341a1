// What reaches the user when something goes wrong: one line, never a stack trace.

import { readFileSync } from "node:fs";

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
