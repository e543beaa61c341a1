// Pipes, signals and files, through the real CLI: what a shell user does to it.

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { hasStackTrace, lines, root, sample, temporaryDirectory, tool, vmbusDissect } from "./run-cli.js";

const cli = join(root, "dist", "bin", "vmbus-dissect.js");
const CONNECTION = sample("vm-connect.pcapng");

describe("pipes and files", () => {
  const directory = temporaryDirectory();

  it("exits quietly when the reader of its output goes away (| head)", () => {
    const run = spawnSync("bash", ["-c", `set -o pipefail; node ${cli} -V -x ${CONNECTION} | head -n 1; echo "status \${PIPESTATUS[0]}" >&2`], { encoding: "utf8" });
    assert.equal(lines(run.stdout).length, 1);
    assert.match(run.stderr, /status 0/);
    assert.doesNotMatch(run.stderr, /EPIPE|Error/);
    assert.ok(!hasStackTrace(run.stderr));
  });

  it("writes pcapng to standard output with -w - (tshark reads it from a pipe)", () => {
    const run = spawnSync("bash", ["-c", `node ${cli} ${CONNECTION} -w - | tshark -r - 2>/dev/null | wc -l`], { encoding: "utf8" });
    assert.equal(run.stdout.trim(), "61");
  });

  it("leaves an existing output untouched when the input is not a capture", () => {
    const output = join(directory, "keep.pcapng");
    writeFileSync(output, "precious");
    const junk = join(directory, "junk.txt");
    writeFileSync(junk, "not a capture ".repeat(1000));
    const run = vmbusDissect([junk, "-w", output]);
    assert.equal(run.status, 2);
    assert.equal(readFileSync(output, "utf8"), "precious");
  });

  it("leaves a valid pcapng of everything read so far when interrupted (Ctrl-C) while writing", async () => {
    const output = join(directory, "interrupted.pcapng");
    const whole = readFileSync(CONNECTION);
    const records = lines(vmbusDissect(["-T", "json", CONNECTION]).stdout).map((line) => JSON.parse(line));
    const cut = records[30].file_offset; // the first 30 records, whole blocks
    const child = spawn(process.execPath, [cli, "-r", "-", "-w", output], { stdio: ["pipe", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.stdin.write(whole.subarray(0, cut));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    child.kill("SIGINT");
    const status = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    assert.equal(status, 130, stderr);
    assert.match(stderr, /interrupted; 30 record\(s\) written/);
    assert.ok(existsSync(output));
    assert.equal(lines(tool("tshark", ["-r", output]).stdout).length, 30);
  });
});
