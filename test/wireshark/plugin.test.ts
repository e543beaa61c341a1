import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { lines, sample, temporaryDirectory, tool, vmbusDissect } from "../cli/run-cli.js";
import { differences, fieldPairs, pluginProtocols } from "./compare.js";

const directory = temporaryDirectory();
const plugin = join(directory, "vmbus.lua");
const generated = vmbusDissect(["wireshark-plugin", "-o", plugin]);

function tsharkJson(capture: string): Array<Record<string, never>> {
  const run = tool("tshark", ["-X", `lua_script:${plugin}`, "-r", capture, "-T", "json", "--no-duplicate-keys"]);
  return JSON.parse(run.stdout).map((packet: { _source: { layers: Record<string, never> } }) => packet._source.layers);
}

/** Our pcapng samples, and ring dumps converted with -w (they get the same treatment). */
function captures(): string[] {
  const fromRing = join(directory, "ring-pair.pcapng");
  vmbusDissect([sample("netvsc-ring-pair.bin"), "--history", "--device", "netvsc", "--recv-buffer", sample("netvsc-recv-buffer.bin"), "-w", fromRing]);
  return [sample("vm-connect.pcapng"), fromRing];
}

describe("the generated Wireshark plugin", () => {
  it("is written and loads in tshark with no Lua error", () => {
    assert.equal(generated.status, 0, generated.stderr);
    const run = tool("tshark", ["-X", `lua_script:${plugin}`, "-r", sample("vm-connect.pcapng")]);
    assert.doesNotMatch(run.stdout + run.stderr, /Lua Error|lua_error|Error during loading/i);
    const protocols = tool("tshark", ["-X", `lua_script:${plugin}`, "-r", sample("vm-connect.pcapng"), "-T", "fields", "-e", "frame.protocols"]);
    assert.ok(lines(protocols.stdout).every((line) => line.includes("vmbus")), "every record decoded as vmbus");
  });

  for (const capture of captures()) {
    it(`shows every field of ours with the same value: ${capture.split("/").pop()}`, () => {
      const theirs = tsharkJson(capture);
      const ours = lines(vmbusDissect(["-T", "json", capture]).stdout).map((line) => JSON.parse(line));
      assert.equal(theirs.length, ours.length, "record counts");
      const protocols = pluginProtocols();
      const found = ours.flatMap((record, index) => differences(record.index, fieldPairs(record.layers, protocols), fieldPairs(theirs[index], protocols)));
      assert.deepEqual(found.slice(0, 20), [], `${found.length} differences`);
    });
  }

  it("gives the same summaries as our own output", () => {
    const theirs = lines(tool("tshark", ["-X", `lua_script:${plugin}`, "-r", sample("vm-connect.pcapng"), "-T", "fields", "-e", "_ws.col.Info"]).stdout);
    const ours = lines(vmbusDissect(["-T", "json", sample("vm-connect.pcapng")]).stdout).map((line) => JSON.parse(line).summary);
    assert.deepEqual(theirs, ours);
  });

  it("selects records by our filter names", () => {
    const filter = "vmbus.chan.msgtype == 1";
    const theirs = lines(tool("tshark", ["-X", `lua_script:${plugin}`, "-r", sample("vm-connect.pcapng"), "-Y", filter, "-T", "fields", "-e", "frame.number"]).stdout).map(Number);
    const ours = lines(vmbusDissect(["-T", "json", sample("vm-connect.pcapng")]).stdout).map((line) => JSON.parse(line))
      .filter((record) => record.layers.vmbus["vmbus.chan"]?.["vmbus.chan.msgtype"] === 1).map((record) => record.index);
    assert.deepEqual(theirs, ours);
    assert.equal(theirs.length, 26);
  });

  it("marks a malformed record with expert info, not a Lua error", () => {
    const bytes = readFileSync(sample("vm-connect.pcapng"));
    const first = bytes.indexOf(Buffer.from([0x01, 0x00, 0x1c, 0x00, 0x01]));
    bytes.writeUInt32LE(30, first + 28); // channel message type 30 does not exist
    const broken = join(directory, "broken.pcapng");
    writeFileSync(broken, bytes);
    const run = tool("tshark", ["-X", `lua_script:${plugin}`, "-r", broken, "-V", "-c", "2"]);
    assert.doesNotMatch(run.stdout, /Lua Error/);
    assert.match(run.stdout, /Expert Info \(Error\/Malformed\): unknown channel message type 30/);
    assert.match(run.stdout, /VersionResponse/, "the next record decodes");
  });
});
