#!/usr/bin/env node
// The installed CLI, dist/bin/vmbus-dissect.js (scripts/bundle.mjs copies this file there): runs
// the bundle beside it with the V8 code cache made for it at build time, so that start-up loads the
// compiled functions of a read instead of compiling them. A cache is taken only from the build of
// the bundle (its id is in the bundle's first line and the cache's name); without one, or when
// this Node's V8 refuses it, the bundle is compiled as usual.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { Script } from "node:vm";
import { setV8Flags } from "./v8-flags.mjs";

setV8Flags();

const bundlePath = fileURLToPath(new URL("vmbus-dissect.cjs", import.meta.url));
const source = readFileSync(bundlePath, "utf8");
const build = /^\/\/ build (\w+)\n/.exec(source)?.[1];

function codeCache() {
  try {
    return build ? readFileSync(new URL(`vmbus-dissect.${build}.code-cache`, import.meta.url)) : undefined;
  } catch {
    return undefined;
  }
}

const runBundle = new Script(source, { filename: bundlePath, cachedData: codeCache() }).runInThisContext();
runBundle(createRequire(bundlePath), bundlePath);
