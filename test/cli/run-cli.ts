// Runs the real CLI (the built dist/, as users run it) and the real Wireshark tools as subprocesses.

import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = fileURLToPath(new URL("../../", import.meta.url));
export const sample = (name: string): string => join(root, "samples", name);
const cli = join(root, "dist", "bin", "vmbus-dissect.js");

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

const done = (result: SpawnSyncReturns<string>): Run => {
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
};

export function vmbusDissect(args: string[], options: { input?: string | Buffer; env?: NodeJS.ProcessEnv } = {}): Run {
  return done(spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", input: options.input, env: { ...process.env, ...options.env }, maxBuffer: 1 << 28 }));
}

/** tshark, capinfos and jq are required: a missing tool fails the test, it never skips it. */
export function tool(name: "tshark" | "capinfos" | "jq" | "editcap", args: string[], input?: string): Run {
  const result = spawnSync(name, args, { encoding: "utf8", input, maxBuffer: 1 << 28 });
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT") {
    throw new Error(`${name} is required by the tests: apt-get install tshark jq chromium (see .ci/run)`);
  }
  return done(result);
}

export const temporaryDirectory = (): string => mkdtempSync(join(tmpdir(), "vmbus-dissect-test-"));

export const lines = (text: string): string[] => text.split("\n").filter((line) => line.length > 0);

/** No user ever sees a stack trace. */
export const hasStackTrace = (text: string): boolean => /\n\s+at .+\(.+:\d+:\d+\)/.test(text) || /^\s+at /m.test(text);
