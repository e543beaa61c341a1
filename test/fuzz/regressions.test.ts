// Every failure the fuzzer found stays fixed.

import assert from "node:assert/strict";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { openCapture } from "../../capture/open.js";
import { CaptureError } from "../../capture/record.js";
import { temporaryDirectory } from "../cli/run-cli.js";

const openDescriptors = (): number => readdirSync("/proc/self/fd").length;

describe("fuzzer findings", () => {
  it("closes a file that turns out not to be a capture (found: descriptors leaked on every rejected file)", async () => {
    const path = join(temporaryDirectory(), "junk.bin");
    writeFileSync(path, Buffer.alloc(9000, 0x5a));
    const before = openDescriptors();
    for (let i = 0; i < 50; i++) await assert.rejects(openCapture(path), CaptureError);
    assert.ok(openDescriptors() <= before + 2, `${openDescriptors() - before} descriptors left open`);
  });
});
