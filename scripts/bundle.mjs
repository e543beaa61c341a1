// `npm run build` after type-checking: bundles the CLI into one script, dist/bin/vmbus-dissect.cjs,
// with a V8 code cache made by reading a sample, and the launcher that runs them as the `bin`,
// dist/bin/vmbus-dissect.js (scripts/launcher.mjs). Start-up then reads one file instead of
// resolving some 80 modules, and loads compiled code instead of compiling it (issue 7: the first
// line under 0.2 s). The tests run the TypeScript itself through tsx.

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = join(root, "dist", "bin");

/** The CLI as one CommonJS function of (require, __filename), which the launcher compiles with vm. */
async function bundleSource() {
  const result = await build({
    entryPoints: [join(root, "bin", "vmbus-dissect.ts")],
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    write: false,
    logLevel: "warning",
    // The modules' own URL is the bundle's (packageVersion and the plugin's runtime.lua are found from it).
    define: { "import.meta.url": "bundleUrl" },
  });
  const code = result.outputFiles[0].text.replace(/^#!.*\n/, "");
  const body = `(function (require, __filename) {\n"use strict";\nconst bundleUrl = require("node:url").pathToFileURL(__filename).href;\n${code}})\n`;
  const id = createHash("sha256").update(body).digest("hex").slice(0, 16);
  return { id, source: `// build ${id}\n${body}` };
}

/** Reads a sample through the bundle and keeps what V8 compiled for it. */
function trainCodeCache(bundlePath, cachePath) {
  const sample = join(root, "samples", "network.pcapng");
  const trainer = join(root, "scripts", "train-code-cache.mjs");
  const installedName = join(bin, "vmbus-dissect.cjs");
  // V8 refuses a cache made under other flags: only the launcher's (scripts/v8-flags.mjs), which the trainer sets as the launcher does.
  const run = spawnSync(process.execPath, [trainer, bundlePath, installedName, cachePath, "--", sample], { stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, NODE_OPTIONS: "" } });
  if (run.status !== 0) throw new Error(`the code cache run failed with status ${run.status ?? run.signal}`);
}

/** Puts the new build in place of dist/bin/; another build at the same time may have just done the same. */
function install(staging) {
  for (let attempt = 1; ; attempt++) {
    rmSync(bin, { recursive: true, force: true });
    try {
      return renameSync(staging, bin);
    } catch (error) {
      if (attempt === 5 || !["ENOTEMPTY", "EEXIST"].includes(error.code)) throw error;
    }
  }
}

// Made in dist/ beside the last build and moved in at once, so that a CLI started meanwhile never
// finds half a build. What else dist/ holds is from older builds (tsc's output), except the
// .build- folders of builds running now.
const { id, source } = await bundleSource();
const dist = join(root, "dist");
const staging = join(dist, `.build-${process.pid}`);
mkdirSync(staging, { recursive: true });
writeFileSync(join(staging, "vmbus-dissect.cjs"), source);
copyFileSync(join(root, "scripts", "launcher.mjs"), join(staging, "vmbus-dissect.js"));
copyFileSync(join(root, "scripts", "v8-flags.mjs"), join(staging, "v8-flags.mjs"));
chmodSync(join(staging, "vmbus-dissect.js"), 0o755);
trainCodeCache(join(staging, "vmbus-dissect.cjs"), join(staging, `vmbus-dissect.${id}.code-cache`));
for (const name of readdirSync(dist)) if (name !== "bin" && !name.startsWith(".build-")) rmSync(join(dist, name), { recursive: true, force: true });
install(staging);
