// Run by scripts/bundle.mjs: runs the bundle as the launcher does, on the arguments given (a read of
// a sample), and writes V8's code cache of everything compiled by then. The bundle is read from
// where it is built, and named as it will be installed (V8 keeps the name, for stack traces). Usage:
// node scripts/train-code-cache.mjs BUNDLE INSTALLED-NAME CACHE -- CLI-ARGUMENTS...

import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Script } from "node:vm";
import { setV8Flags } from "./v8-flags.mjs";

// The launcher's flags: V8 takes a cache only under the flags it was made with.
setV8Flags();

const [bundlePath, installedName, cachePath, separator, ...cliArguments] = process.argv.slice(2);
if (separator !== "--") throw new Error("usage: train-code-cache.mjs BUNDLE INSTALLED-NAME CACHE -- CLI-ARGUMENTS...");
const script = new Script(readFileSync(bundlePath, "utf8"), { filename: installedName });
process.argv = [process.argv[0], installedName, ...cliArguments];
process.on("exit", () => writeFileSync(cachePath, script.createCachedData()));
script.runInThisContext()(createRequire(bundlePath), installedName);
