// Pipes, signals and files, through the real CLI: what a shell user does to it.

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, unlinkSync, writeFileSync, writeSync } from "node:fs";
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

  for (const command of ["wireshark-plugin", "fields", "devices", `stats ${sample("network.pcapng")}`]) {
    it(`ends ${command.split(" ")[0]} quietly when the reader of its document goes away`, () => {
      const run = spawnSync("bash", ["-c", `node ${cli} ${command} | head -c 10 >/dev/null; echo "status \${PIPESTATUS[0]}" >&2`], { encoding: "utf8" });
      assert.match(run.stderr, /status 0/);
      assert.doesNotMatch(run.stderr, /EPIPE|Error/);
      assert.ok(!hasStackTrace(run.stderr));
    });
  }

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

describe("terminal and data safety", () => {
  const directory = temporaryDirectory();
  const bytes = readFileSync(sample("storage.pcapng"));
  const vendor = bytes.indexOf(Buffer.from("Msft    Virtual Disk    "));
  Buffer.from("\u001b[2J\u001b]0;").copy(bytes, vendor); // clear screen, then set the window title
  Buffer.from("__proto__\u0007\u009b\u202eab ").copy(bytes, vendor + 8); // BEL, CSI, right-to-left override
  const path = join(directory, "hostile-strings.pcapng");
  writeFileSync(path, bytes);

  it("escapes control characters and escape sequences from a capture in every text output", () => {
    for (const args of [["-V"], ["-x"], [], ["-V", "--color"]]) {
      const run = vmbusDissect([...args, path]);
      assert.equal(run.status, 0, run.stderr);
      const fromCapture = run.stdout.replace(/\u001b\[[0-9;]*m/g, ""); // our own colours aside
      assert.doesNotMatch(fromCapture, /[\u0000-\u0008\u000b-\u001f\u007f\u009b\u202e]/, `raw control character with ${args.join(" ") || "summary"}`);
    }
    assert.match(vmbusDissect(["-V", path]).stdout, /\\x1b\[2J\\x1b\]0;/);
  });

  it("keeps hostile strings as plain values in JSON, never as keys", () => {
    const records = lines(vmbusDissect(["-T", "json", path]).stdout).map((line) => JSON.parse(line));
    const inquiry = records.find((record) => JSON.stringify(record).includes("__proto__"));
    assert.ok(inquiry, "the record with the planted strings");
    const product = JSON.stringify(inquiry.layers).match(/"vscsi\.inq\.product":"([^"]*)"/)?.[1];
    assert.match(product!, /^__proto__\\u0007/);
    assert.equal(Object.getPrototypeOf(inquiry.layers), Object.prototype);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

describe("large files", () => {
  it("reads records past 4 GiB (no 32-bit offsets): a sparse pcapng with two 2 GiB unknown blocks first", () => {
    const directory = temporaryDirectory();
    const whole = readFileSync(CONNECTION);
    const records = lines(vmbusDissect(["-T", "json", "-c", "2", CONNECTION]).stdout).map((line) => JSON.parse(line));
    const headers = whole.subarray(0, records[0].file_offset); // section header and interface blocks
    const firstRecord = whole.subarray(records[0].file_offset, records[1].file_offset);
    const path = join(directory, "big.pcapng");
    const file = openSync(path, "w");
    let at = 0;
    writeSync(file, headers, 0, headers.length, at);
    at += headers.length;
    const SKIPPED = 0x80000000;
    for (let i = 0; i < 2; i++) {
      const head = Buffer.alloc(8);
      head.writeUInt32LE(0x12345678, 0); // an unknown block type: readers skip it
      head.writeUInt32LE(SKIPPED, 4);
      writeSync(file, head, 0, 8, at);
      writeSync(file, head.subarray(4, 8), 0, 4, at + SKIPPED - 4);
      at += SKIPPED;
    }
    writeSync(file, firstRecord, 0, firstRecord.length, at);
    closeSync(file);
    const run = vmbusDissect(["-T", "json", path]);
    assert.equal(run.status, 0, run.stderr);
    const read = lines(run.stdout).map((line) => JSON.parse(line));
    assert.equal(read.length, 1);
    assert.equal(read[0].file_offset, at);
    assert.ok(at > 2 ** 32);
    assert.equal(read[0].summary, records[0].summary);
    unlinkSync(path);
  });
});
