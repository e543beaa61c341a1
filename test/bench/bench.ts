// `npm run bench [-- --records N --tshark-records M --big-mb S]`: generates captures from the
// sample sessions, runs each of our modes and the matching tshark command with the generated
// plugin, and prints records/s, MB/s, peak resident memory, time to the first output line and the
// ratio to tshark. Numbers are printed, never asserted (a timed test only measures the machine).

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { PcapngWriter } from "../../capture/pcapng-writer.js";
import type { VmbusRecord } from "../../capture/record.js";
import { connectionSession } from "../../samples/connection.js";
import { networkSession } from "../../samples/network.js";
import { storageSession } from "../../samples/storage.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const cli = join(root, "dist", "bin", "vmbus-dissect.js");

interface Measured { seconds: number; peakRssMb: number }

/** Runs a shell command with its output discarded; GNU time gives the peak resident memory. */
function measure(command: string): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const quoted = command.replace(/'/g, "'\\''");
    const child = spawn("bash", ["-c", `/usr/bin/time -f 'peak-kb %M' bash -c '${quoted}' 2>&1 >/dev/null | grep '^peak-kb' >&2`], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("exit", () => {
      const kilobytes = Number(/peak-kb (\d+)/.exec(stderr)?.[1] ?? NaN);
      resolve({ seconds: (performance.now() - started) / 1000, peakRssMb: kilobytes / 1024 });
    });
  });
}

/** Time to the first line of output, measured on its own (a pipe into head). */
async function firstLine(command: string): Promise<number> {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn("bash", ["-c", command], { stdio: ["ignore", "pipe", "ignore"] });
    child.stdout.once("data", () => {
      resolve((performance.now() - started) / 1000);
      child.kill();
    });
    child.on("exit", () => resolve((performance.now() - started) / 1000));
  });
}

/** The sample sessions repeated until `count` records, times moving on, as one pcapng. */
async function generate(path: string, count: number): Promise<number> {
  const sessions: VmbusRecord[] = [...networkSession(), ...storageSession(), ...connectionSession()];
  const writer = await PcapngWriter.create(path, { userAppl: "vmbus-dissect bench" });
  const interfaces = new Map<number, number>();
  const span = 1_000_000_000n;
  for (let written = 0, round = 0; written < count; round++) {
    for (const record of sessions) {
      if (written++ >= count) break;
      let id = interfaces.get(record.relid);
      if (id === undefined) interfaces.set(record.relid, (id = writer.addInterface(147, `vmbus/${record.relid}`)));
      await writer.writeVmbusRecord(id, { ...record, timestampNs: (record.timestampNs ?? 0n) + BigInt(round) * span });
    }
  }
  await writer.close();
  return statSync(path).size;
}

interface Row { mode: string; records: number; bytes: number; result: Measured; first?: number }

function table(rows: Row[], tsharkRates: Record<string, number>): string {
  const lines = ["| mode | records | records/s | MB/s | peak RSS MB | first line s | vs tshark |", "| --- | --- | --- | --- | --- | --- | --- |"];
  for (const row of rows) {
    const rate = row.records / row.result.seconds;
    const ratio = tsharkRates[row.mode] ? `${(rate / tsharkRates[row.mode]).toFixed(2)}×` : "";
    lines.push(`| ${row.mode} | ${row.records} | ${Math.round(rate)} | ${(row.bytes / 1e6 / row.result.seconds).toFixed(1)} | ${row.result.peakRssMb.toFixed(0)} | ${row.first?.toFixed(3) ?? ""} | ${ratio} |`);
  }
  return lines.join("\n");
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { records: { type: "string", default: "1000000" }, "tshark-records": { type: "string", default: "100000" }, "big-mb": { type: "string", default: "0" } } });
  const directory = mkdtempSync(join(tmpdir(), "vmbus-dissect-bench-"));
  try {
    const records = Number(values.records);
    const tsharkRecords = Number(values["tshark-records"]);
    const main = join(directory, "mixed.pcapng");
    const small = join(directory, "tshark.pcapng");
    const plugin = join(directory, "vmbus.lua");
    const bytes = await generate(main, records);
    const smallBytes = await generate(small, tsharkRecords);
    await measure(`node ${cli} wireshark-plugin -o ${plugin}`);
    const rows: Row[] = [];
    const run = async (mode: string, command: string, count: number, size: number, withFirst = true) => {
      rows.push({ mode, records: count, bytes: size, result: await measure(command), first: withFirst ? await firstLine(command) : undefined });
      process.stderr.write(`  ${mode}: done\n`);
    };
    await run("cat (floor)", `cat ${main}`, records, bytes, false);
    await run("summary", `node ${cli} ${main}`, records, bytes);
    await run("json", `node ${cli} -T json ${main}`, records, bytes);
    await run("write pcapng", `node ${cli} ${main} -w ${join(directory, "out.pcapng")}`, records, bytes, false);
    await run("summary (tshark-size file)", `node ${cli} ${small}`, tsharkRecords, smallBytes);
    await run("json (tshark-size file)", `node ${cli} -T json ${small}`, tsharkRecords, smallBytes);
    const tshark = async (mode: string, args: string) => {
      const result = await measure(`tshark -X lua_script:${plugin} -r ${small} ${args}`);
      rows.push({ mode, records: tsharkRecords, bytes: smallBytes, result, first: await firstLine(`tshark -X lua_script:${plugin} -r ${small} ${args}`) });
      process.stderr.write(`  ${mode}: done\n`);
      return tsharkRecords / result.seconds;
    };
    const rates = {
      "summary (tshark-size file)": await tshark("tshark summary + plugin", ""),
      "json (tshark-size file)": await tshark("tshark -T json + plugin", "-T json"),
    };
    if (Number(values["big-mb"]) > 0) {
      const big = join(directory, "big.pcapng");
      const perRecord = bytes / records;
      const bigBytes = await generate(big, Math.round((Number(values["big-mb"]) * 1e6) / perRecord));
      await run(`summary, ${Math.round(bigBytes / 1e6)} MB file (memory)`, `node ${cli} ${big}`, Math.round(bigBytes / perRecord), bigBytes, false);
      rmSync(big);
    }
    const report = `vmbus-dissect bench on ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, node ${process.version}\n\n${table(rows, rates)}\n`;
    process.stdout.write(report);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

await main();
