// `vmbus-dissect wireshark-plugin`: the generated Lua dissector, to stdout, a file, or Wireshark's personal plugin folder.

import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import "../../dissectors/index.js";
import { generatePlugin } from "../../formats/wireshark/generate.js";
import { packageVersion, printDocument } from "../errors.js";

/** Where Wireshark 4 on Linux and macOS looks for personal Lua plugins. */
export const personalPluginFolder = (): string => join(homedir(), ".local", "lib", "wireshark", "plugins");

function writeAtomically(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, path);
}

export function runWiresharkPlugin(options: { output?: string; install: boolean; linkTypes: number[] }): string | undefined {
  const plugin = generatePlugin({ version: packageVersion(), linkTypes: options.linkTypes });
  const path = options.install ? join(personalPluginFolder(), "vmbus.lua") : options.output;
  if (!path || path === "-") {
    printDocument(plugin);
    return undefined;
  }
  writeAtomically(path, plugin);
  return path;
}
