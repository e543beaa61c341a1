// Request/response pairing and `stats`, checked against figures the tests compute on their own from
// our JSON Lines (pairing by VMBus transaction id, counting with jq), on the samples and on
// captures with injected anomalies.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Direction, type VmbusRecord } from "../../capture/record.js";
import { sampleRecords, writeCapture } from "./captures.js";
import { lines, root, sample, temporaryDirectory, tool, vmbusDissect } from "./run-cli.js";

type Json = Record<string, any>;
const directory = temporaryDirectory();

const records = (args: string[]): Json[] => {
  const run = vmbusDissect(["-T", "json", ...args]);
  assert.equal(run.status, 0, run.stderr);
  return lines(run.stdout).map((line) => JSON.parse(line));
};

function stats(args: string[]): Json {
  const run = vmbusDissect(["stats", "-T", "json", ...args]);
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout);
}

/** Every field of a layer tree with its filter name, depth first (arrays flattened). */
function fieldValues(tree: unknown, filter: string, found: unknown[] = []): unknown[] {
  if (Array.isArray(tree)) tree.forEach((item) => fieldValues(item, filter, found));
  else if (tree && typeof tree === "object") {
    for (const [key, value] of Object.entries(tree)) {
      if (key === filter) found.push(...(Array.isArray(value) ? value : [value]));
      else fieldValues(value, filter, found);
    }
  }
  return found;
}

const first = (record: Json, filter: string): any => fieldValues(record.layers, filter)[0];

/** The test's own pairing: a packet asking for a completion, then the Completion with its transaction id. */
function pairByTransactionId(all: Json[]): Array<{ request: Json; answer: Json; seconds: number }> {
  const open = new Map<string, Json>();
  const pairs: Array<{ request: Json; answer: Json; seconds: number }> = [];
  for (const record of all) {
    const type = first(record, "vmbus.pkt.type");
    if (type === undefined) continue;
    const key = `${record.relid}:${first(record, "vmbus.pkt.trans_id")}`;
    if (type !== 11 && first(record, "vmbus.pkt.flags.completion_requested") === true) open.set(`${key}:${record.direction}`, record);
    if (type === 11) {
      const request = open.get(`${key}:${record.direction === "guest-to-host" ? "host-to-guest" : "guest-to-host"}`);
      if (request) pairs.push({ request, answer: record, seconds: Number(BigInt(record.timestamp_ns) - BigInt(request.timestamp_ns)) / 1e9 });
    }
  }
  return pairs;
}

const SAMPLES = ["vm-connect.pcapng", "network.pcapng", "storage.pcapng", "integration-services.pcapng", "input-video.pcapng", "pci-memory.pcapng", "sockets.pcapng"];

describe("request/response pairing", () => {
  for (const name of SAMPLES) {
    it(`pairs every answered request of ${name} both ways (-2), with the time between them`, () => {
      const all = records(["-2", sample(name)]);
      const byIndex = new Map(all.map((record) => [record.index, record]));
      let answers = 0;
      for (const record of all) {
        for (const [key, requestIndex] of Object.entries(flatFields(record.layers)).filter(([key]) => key.endsWith(".request_in"))) {
          const namespace = key.slice(0, -".request_in".length);
          const request = byIndex.get(requestIndex as number)!;
          assert.ok(request, `${namespace} request ${requestIndex} of record ${record.index} exists`);
          assert.ok(fieldValues(request.layers, `${namespace}.response_in`).includes(record.index), `${namespace}: record ${requestIndex} points to its answer ${record.index}`);
          const seconds = Number(BigInt(record.timestamp_ns) - BigInt(request.timestamp_ns)) / 1e9;
          assert.ok(Math.abs((fieldValues(record.layers, `${namespace}.time`)[0] as number) - seconds) < 1e-9, `${namespace}.time of record ${record.index}`);
          answers++;
        }
      }
      assert.ok(answers > 0, "the sample has answered requests");
      const transactionPairs = pairByTransactionId(all);
      for (const { request, answer } of transactionPairs) assert.equal(first(answer, "vmbus.pkt.request_in"), request.index, `completion ${answer.index}`);
    });
  }

  it("shows the same answers on requests as tshark's second pass with the generated plugin", () => {
    const plugin = join(directory, "vmbus.lua");
    assert.equal(vmbusDissect(["wireshark-plugin", "-o", plugin]).status, 0);
    const namespaces = ["vmbus.pkt", "vmbus.chan", "nvsp", "vstor"];
    for (const name of ["vm-connect.pcapng", "storage.pcapng"]) {
      const args = ["-X", `lua_script:${plugin}`, "-2", "-r", sample(name), "-T", "fields", "-E", "separator=;", ...namespaces.flatMap((ns) => ["-e", `${ns}.response_in`])];
      const theirs = lines(tool("tshark", args).stdout);
      const ours = records(["-2", sample(name)]).map((record) => namespaces.map((ns) => fieldValues(record.layers, `${ns}.response_in`).join(",")).join(";"));
      assert.deepEqual(theirs, ours, name);
    }
  });

  it("reports a lost completion, a repeated request, a second answer and an answer with no request", async () => {
    const original = await sampleRecords("storage.pcapng");
    const changed = injectAnomalies(original);
    const path = await writeCapture(directory, "anomalies.pcapng", changed.records);
    const all = records(["-2", path]);
    const texts = (index: number): string[] => all.find((record) => record.index === index)!.problems.map((problem: Json) => problem.text);
    assert.ok(texts(changed.lostRequest).some((text) => /vstor: no answer seen for this request/.test(text)), texts(changed.lostRequest).join(" | "));
    assert.ok(texts(changed.repeatedRequest).some((text) => /request id \d+ repeated while the request in record \d+ is unanswered/.test(text)));
    assert.ok(texts(changed.secondAnswer).some((text) => /another answer to the request in record \d+ \(first answered in record \d+\)/.test(text)));
    assert.ok(texts(changed.unsolicited).some((text) => /no request seen for this answer/.test(text)));
    const report = stats([path]);
    const patterns = report.anomalies.map((row: Json) => row.pattern);
    for (const expected of ["vstor: another answer to the request in record N (first answered in record N)", "vstor: no request seen for this answer (id N)"]) {
      assert.ok(patterns.includes(expected), `${expected} in ${patterns.join(" | ")}`);
    }
    const unanswered = report.response_times.filter((row: Json) => row.protocol === "vstor").reduce((sum: number, row: Json) => sum + row.unanswered, 0);
    assert.equal(unanswered, 2, "the lost completion and the request repeated over an unanswered one");
    assert.equal(report.anomalies.find((row: Json) => row.pattern === "vstor: no answer seen for this request")?.count, 2);
  });
});

/** Drops a completion, repeats a request (before its answer), repeats an answer, adds one with no request. */
function injectAnomalies(original: VmbusRecord[]) {
  const completions = original.map((record, index) => ({ record, index })).filter(({ record }) => record.direction === Direction.HostToGuest && record.payload[0] === 0x0b);
  const lost = completions[3].index;
  const requests = original.map((record, index) => ({ record, index })).filter(({ record }) => record.direction === Direction.GuestToHost && record.payload[0] === 0x06);
  const repeated = requests[6].index;
  const answered = completions[5].index;
  const copy = (record: VmbusRecord, patch: Partial<VmbusRecord> = {}): VmbusRecord => ({ ...record, payload: new Uint8Array(record.payload), ...patch });
  const unsolicited = copy(original[completions[7].index]);
  new DataView(unsolicited.payload.buffer).setUint32(8, 0xdead, true);
  const result: VmbusRecord[] = [];
  const numbers = { lostRequest: 0, repeatedRequest: 0, secondAnswer: 0, unsolicited: 0 };
  original.forEach((record, index) => {
    if (index === lost) return;
    const push = (item: VmbusRecord) => result.push({ ...item, origin: { ...item.origin, number: result.length + 1 } });
    push(record);
    if (index === repeated) { push(copy(record)); numbers.repeatedRequest = result.length; }
    if (index === answered) { push(copy(record)); numbers.secondAnswer = result.length; }
    if (index === completions[7].index) { push(unsolicited); numbers.unsolicited = result.length; }
  });
  // The request whose completion was dropped: the last one before it with the same transaction id.
  const lostTransaction = new DataView(original[lost].payload.buffer, original[lost].payload.byteOffset).getUint32(8, true);
  numbers.lostRequest = result.findIndex((record) => record.direction === Direction.GuestToHost && record.payload[0] === 0x06
    && new DataView(record.payload.buffer, record.payload.byteOffset).getUint32(8, true) === lostTransaction) + 1;
  return { records: result, ...numbers };
}

function flatFields(tree: unknown, into: Record<string, unknown> = {}): Record<string, unknown> {
  if (Array.isArray(tree)) tree.forEach((item) => flatFields(item, into));
  else if (tree && typeof tree === "object") {
    for (const [key, value] of Object.entries(tree)) {
      if (value !== null && typeof value === "object") flatFields(value, into);
      else into[key] = value;
    }
  }
  return into;
}

describe("vmbus-dissect stats", () => {
  for (const name of SAMPLES) {
    it(`counts the channels of ${name} as the JSON output does, record by record`, () => {
      const all = records([sample(name)]);
      const report = stats([sample(name)]);
      assert.equal(report.records, all.length);
      for (const channel of report.channels) {
        const mine = all.filter((record) => record.relid === channel.relid);
        for (const [direction, key] of [["guest-to-host", "guest_to_host"], ["host-to-guest", "host_to_guest"]]) {
          const those = mine.filter((record) => record.direction === direction);
          assert.equal(channel.records[key], those.length, `relid ${channel.relid} ${direction} records`);
          assert.equal(channel.bytes[key], those.reduce((sum, record) => sum + record.length, 0), `relid ${channel.relid} ${direction} bytes`);
        }
      }
      const throughput = report.throughput.rows.reduce((sum: number, row: Json) => sum + row.records, 0);
      assert.equal(throughput, all.length, "every record is in one throughput interval");
    });
  }

  it("counts message types as jq does on the JSON output", () => {
    const json = vmbusDissect(["-T", "json", sample("network.pcapng")]).stdout;
    const report = stats([sample("network.pcapng")]);
    for (const [protocol, filters] of [["nvsp", ["nvsp.msg_type.name"]], ["rndis", ["rndis.msg_type.name"]], ["vmbus", ["vmbus.pkt.type.name", "vmbus.chan.msgtype.name"]]] as const) {
      const picks = filters.map((filter) => `.["${filter}"]?`).join(", ");
      const counted = tool("jq", ["-s", "-c", `[.[] | .. | objects | (${picks}) | select(. != null)] | group_by(.) | map({key: .[0], value: length}) | from_entries`], json);
      const expected = JSON.parse(counted.stdout);
      const ours = Object.fromEntries(report.message_types.filter((row: Json) => row.protocol === protocol).map((row: Json) => [row.type, row.count]));
      assert.deepEqual(ours, expected, protocol);
    }
  });

  it("gives response times that match the test's own pairing by transaction id, on known times", async () => {
    // Times that grow by the square of the record's position: every response time differs.
    const timed = (await sampleRecords("storage.pcapng")).map((record, index) => ({ ...record, timestampNs: 1_800_000_000_000_000_000n + BigInt(index * index) * 10_000n }));
    const path = await writeCapture(directory, "timed.pcapng", timed);
    const pairs = pairByTransactionId(records([path]));
    const report = stats([path]);
    const byType = new Map<string, number[]>();
    for (const { request, seconds } of pairs) {
      const type = fieldValues(request.layers, "vmbus.pkt.type.name")[0] as string;
      byType.set(type, [...(byType.get(type) ?? []), seconds]);
    }
    assert.ok(byType.size >= 2);
    for (const [type, times] of byType) {
      const row = report.response_times.find((r: Json) => r.protocol === "vmbus.pkt" && r.request === type);
      assert.ok(row, type);
      const sorted = [...times].sort((a, b) => a - b);
      const rank = (fraction: number) => sorted[Math.max(1, Math.ceil(fraction * sorted.length)) - 1];
      assert.equal(row.answered, times.length);
      assert.equal(row.unanswered, 0);
      for (const [key, value] of [["min_s", sorted[0]], ["max_s", sorted[sorted.length - 1]], ["median_s", rank(0.5)], ["p95_s", rank(0.95)], ["p99_s", rank(0.99)], ["mean_s", times.reduce((a, b) => a + b, 0) / times.length]] as const) {
        assert.ok(Math.abs(row[key] - value) < 1e-9, `${type} ${key}: ${row[key]} vs ${value}`);
      }
    }
  });

  it("shows the negotiated versions of every channel", () => {
    const versions = (name: string) => Object.fromEntries(stats([sample(name)]).versions.map((row: Json) => [`${row.relid}:${row.name}`, row.version]));
    assert.deepEqual(versions("vm-connect.pcapng"), { "0:vmbus.version": "6.0 (Copper)", "1:nvsp.version": "6.1" });
    assert.equal(versions("network.pcapng")["2:ndis.version"], "6.30");
    const ic = versions("integration-services.pcapng");
    assert.ok(Object.keys(ic).some((key) => key.endsWith(":ic.framework_version")) && Object.keys(ic).some((key) => key.endsWith(":ic.service_version")), JSON.stringify(ic));
    const input = Object.keys(versions("input-video.pcapng")).map((key) => key.split(":")[1]).sort();
    assert.deepEqual(input, ["kbd.version", "synthhid.version", "synthvid.version"]);
  });

  it("groups every expert item into the anomalies, counted", () => {
    const all = records([sample("integration-services.pcapng")]);
    const report = stats([sample("integration-services.pcapng")]);
    const experts = all.flatMap((record) => record.problems);
    const fromExperts = report.anomalies.filter((row: Json) => row.first_record !== null);
    assert.equal(fromExperts.reduce((sum: number, row: Json) => sum + row.count, 0), experts.length);
    assert.ok(report.anomalies.some((row: Json) => /beat\(s\) missed/.test(row.example)));
  });

  it("counts only what -Y selects, and uses the --interval given", () => {
    const report = stats(["-Y", "nvsp.msg_type == SEND_RNDIS_PKT", "--interval", "0.001", sample("network.pcapng")]);
    const selected = records(["-Y", "nvsp.msg_type == SEND_RNDIS_PKT", sample("network.pcapng")]);
    assert.equal(report.records, selected.length);
    assert.equal(report.throughput.interval_s, 0.001);
    assert.ok(report.message_types.filter((row: Json) => row.protocol === "nvsp").every((row: Json) => row.type === "SEND_RNDIS_PKT"));
  });

  it("prints tables a person reads, with every section", () => {
    const run = vmbusDissect(["stats", sample("storage.pcapng")]);
    assert.equal(run.status, 0, run.stderr);
    for (const heading of ["Channels", "Message types", "Response times (seconds)", "Negotiated versions", "Throughput (interval", "Anomalies (expert info)"]) {
      assert.ok(run.stdout.includes(heading), heading);
    }
    assert.match(run.stdout, /│ vstor\s+│ READ\(10\)\s+│ 2\s+│ 2\s+│ 0 /);
  });

  it("prints what it counted before an unreadable place, then a one-line error", async () => {
    const truncated = `${directory}/truncated.pcapng`;
    const bytes = readFileSync(sample("storage.pcapng"));
    writeFileSync(truncated, bytes.subarray(0, bytes.length - 50));
    const run = vmbusDissect(["stats", "-T", "json", truncated]);
    assert.equal(run.status, 2);
    assert.ok(JSON.parse(run.stdout).records > 0);
    assert.equal(lines(run.stderr).length, 1, run.stderr);
    assert.match(run.stderr, /truncated\.pcapng/);
  });

  it("shows progress on standard error when it is a terminal, and never on standard output or a pipe", () => {
    const output = `${directory}/stats.txt`;
    const cli = `${process.execPath} ${join(root, "dist", "bin", "vmbus-dissect.js")}`;
    // script(1) gives the command a terminal; standard output still goes to a file.
    const terminal = spawnSync("script", ["-qec", `${cli} stats ${sample("network.pcapng")} > ${output}`, "/dev/null"], {
      encoding: "utf8", env: { ...process.env, VMBUS_DISSECT_PROGRESS_DELAY: "0" },
    });
    assert.equal(terminal.status, 0, terminal.stderr);
    assert.match(terminal.stdout, /\[[#-]{24}\]\s+\d+% [\d.]+ MiB of [\d.]+ MiB, \d+ records, \d+ records\/s/);
    assert.doesNotMatch(readFileSync(output, "utf8"), /records\/s|\u001b/);
    const piped = vmbusDissect(["stats", sample("network.pcapng")], { env: { VMBUS_DISSECT_PROGRESS_DELAY: "0" } });
    assert.equal(piped.stderr, "");
  });

  it("refuses -2 on standard input with a usage error", () => {
    const run = vmbusDissect(["-2", "-"], { input: "" });
    assert.equal(run.status, 2);
    assert.match(run.stderr, /-2 reads the capture twice/);
  });
});
