import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { lines, sample, temporaryDirectory, tool, vmbusDissect } from "../cli/run-cli.js";
import { damage, rewrittenSample, setFields, type FieldChange } from "./captures.js";
import { comparedLayers, mismatches, ourExperts, pluginProtocols, pluginTables } from "./compare.js";

const SAMPLES = ["vm-connect.pcapng", "network.pcapng", "storage.pcapng", "integration-services.pcapng", "input-video.pcapng", "pci-memory.pcapng", "sockets.pcapng"];

const directory = temporaryDirectory();
const plugin = join(directory, "vmbus.lua");
const generated = vmbusDissect(["wireshark-plugin", "-o", plugin]);

function tsharkJson(capture: string): Array<Record<string, never>> {
  const run = tool("tshark", ["-X", `lua_script:${plugin}`, "-r", capture, "-T", "json", "--no-duplicate-keys"]);
  return JSON.parse(run.stdout).map((packet: { _source: { layers: Record<string, never> } }) => packet._source.layers);
}

/** Our JSON and tshark's with the plugin, record by record. */
function bothOutputs(capture: string) {
  const theirs = tsharkJson(capture);
  const ours = lines(vmbusDissect(["-T", "json", capture]).stdout).map((line) => JSON.parse(line));
  assert.equal(theirs.length, ours.length, "record counts");
  return { ours, theirs };
}

/** Our pcapng samples, and ring dumps converted with -w (they get the same treatment). */
function captures(): string[] {
  const network = join(directory, "netvsc-ring-pair.pcapng");
  vmbusDissect([sample("netvsc-ring-pair.bin"), "--history", "--recv-buffer", sample("netvsc-recv-buffer.bin"), "-w", network]);
  const sends = join(directory, "netvsc-ring.pcapng");
  vmbusDissect([sample("netvsc-ring.bin"), "--history", "--send-buffer", sample("netvsc-send-buffer.bin"), "-w", sends]);
  const storage = join(directory, "storvsc-ring-pair.pcapng");
  vmbusDissect([sample("storvsc-ring-pair.bin"), "--history", "-w", storage]);
  const devices = ["integration-services.pcapng", "input-video.pcapng", "pci-memory.pcapng", "sockets.pcapng"].map(sample);
  return [sample("vm-connect.pcapng"), sample("network.pcapng"), sample("storage.pcapng"), network, sends, storage, ...devices];
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
    it(`shows every field of ours with the same value, and the same expert items: ${capture.split("/").pop()}`, () => {
      const { ours, theirs } = bothOutputs(capture);
      const { fields, experts } = mismatches(ours, theirs);
      assert.deepEqual(fields.slice(0, 20), [], `${fields.length} differences`);
      assert.deepEqual(experts.slice(0, 10), [], `${experts.length} records with other expert items`);
    });
  }

  for (const name of SAMPLES) {
    it(`gives the same summaries as our own output, up to where Wireshark's own dissectors take over: ${name}`, () => {
      const theirs = lines(tool("tshark", ["-X", `lua_script:${plugin}`, "-r", sample(name), "-T", "fields", "-e", "_ws.col.Info"]).stdout);
      const ours = lines(vmbusDissect(["-T", "json", sample(name)]).stdout).map((line) => JSON.parse(line));
      assert.equal(theirs.length, ours.length);
      // Wireshark's own TCP analysis may put a note such as "[TCP Retransmission]" in front.
      const theirsPlain = theirs.map((text) => text.replace(/^(\[[^\]]*\] )+/, ""));
      ours.forEach((record, index) => {
        // Ethernet and above are Wireshark's in the plugin; ours up to the RNDIS PACKET must match.
        const handOver = (record.summary as string).search(/(?<=RNDIS PACKET \d+ bytes) → /);
        if (handOver < 0) assert.equal(theirsPlain[index], record.summary, `record ${record.index}`);
        else assert.equal(theirsPlain[index].slice(0, handOver), record.summary.slice(0, handOver), `record ${record.index}`);
      });
    });
  }

  it("reads a mouse's reports by its captured report descriptor, as our decoder does", () => {
    const fields = ["synthhid.input.report_id", "synthhid.input.x", "synthhid.input.y", "synthhid.input.buttons.right", "synthhid.input.wheel"];
    const run = tool("tshark", ["-X", `lua_script:${plugin}`, "-r", sample("input-video.pcapng"), "-Y", "synthhid.input.report_id", "-T", "fields", ...fields.flatMap((f) => ["-e", f])]);
    assert.deepEqual(lines(run.stdout).map((line) => line.split("\t")), [["1", "1000", "2000", "0", "0"], ["1", "1000", "2000", "1", "0"], ["1", "1200", "2100", "0", "-3"]]);
  });

  it("raises the declared notes and warnings as our decoder does (samples with a field changed)", async () => {
    const changes: Record<string, { changes: FieldChange[]; raise: RegExp[] }> = {
      "vm-connect.pcapng": {
        changes: [{ record: 36, filter: "vmbus.pkt.flags", value: 0x5 }, { record: 39, filter: "vmbus.pkt.type", value: 0x1 }],
        raise: [/^warn: undefined packet flag bits 0x4$/, /^note: packet type 1 is a legacy/],
      },
      "network.pcapng": { changes: [{ record: 2, filter: "nvsp.protocol_version", value: 0x2 }], raise: [/^note: NVSP message type 1\d\d is above 108/] },
      "storage.pcapng": { changes: [{ record: 12, filter: "vscsi.sense.additional_length", value: 40 }], raise: [/^note: sense data states 48 bytes; only 18 are in the buffer/] },
      "input-video.pcapng": { changes: [{ record: 2, filter: "synthvid.version", value: 0x00020003 }], raise: [/^note: synthvid message 13 needs version 3.4 .*negotiated 3.2$/] },
      "integration-services.pcapng": {
        changes: [{ record: 20, filter: "heartbeat.seq_num", value: 7 }, { record: 21, filter: "heartbeat.seq_num", value: 100 }],
        raise: [/^warn: heartbeat response carries 7, expected 101/, /^warn: heartbeat sequence 100 repeats or goes back \(previous 100\)$/],
      },
    };
    const tables = pluginTables();
    for (const [name, { changes: list, raise }] of Object.entries(changes)) {
      const { ours, theirs } = bothOutputs(await rewrittenSample(name, join(directory, `changed-${name}`), setFields(list)));
      const raised = ours.flatMap((record) => ourExperts(record.problems, tables));
      for (const expected of raise) assert.ok(raised.some((text) => expected.test(text)), `${name}: ${expected} in ${JSON.stringify(raised)}`);
      const { fields, experts } = mismatches(ours, theirs);
      assert.deepEqual([...fields.slice(0, 5), ...experts.slice(0, 5)], [], `${name}: ${fields.length} fields and ${experts.length} records with other expert items`);
    }
  });

  it("agrees with our decoder on damaged records (bytes set at random in every other record)", async () => {
    for (const name of SAMPLES) {
      const { ours, theirs } = bothOutputs(await rewrittenSample(name, join(directory, `damaged-${name}`), damage(163)));
      assert.ok(ours.some((record) => record.malformed), `${name}: some records are damaged`);
      const { fields, experts } = mismatches(ours, theirs);
      assert.deepEqual([...fields.slice(0, 5), ...experts.slice(0, 5)], [], `${name}: ${fields.length} fields and ${experts.length} records with other expert items`);
    }
  });

  it("hands the frames inside network records to Wireshark's own Ethernet dissector", () => {
    const protocols = lines(tool("tshark", ["-X", `lua_script:${plugin}`, "-r", sample("network.pcapng"), "-T", "fields", "-e", "frame.protocols"]).stdout);
    for (const expected of ["eth:ethertype:arp", "eth:ethertype:ip:tcp", "eth:ethertype:ip:udp:dhcp", "eth:ethertype:ip:icmp", "eth:ethertype:vlan:ethertype:ip", "ip:udp:dns"]) {
      assert.ok(protocols.some((line) => line.includes(expected)), `${expected} in ${[...new Set(protocols)].join(" | ")}`);
    }
    const filtered = lines(tool("tshark", ["-X", `lua_script:${plugin}`, "-r", sample("network.pcapng"), "-Y", "nvsp.msg_type == 107 && tcp.dstport == 443", "-T", "fields", "-e", "frame.number"]).stdout);
    assert.ok(filtered.length >= 2);
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

describe("the plugin's offsets, installation and link types", () => {
  it("puts every field of the frame at the same position and size as our tree (tshark -T pdml)", async () => {
    const { openCapture } = await import("../../capture/open.js");
    const { Dissector } = await import("../../dissectors/index.js");
    const protocols = pluginProtocols();
    for (const name of SAMPLES) {
      const pdml = tool("tshark", ["-X", `lua_script:${plugin}`, "-r", sample(name), "-T", "pdml"]).stdout;
      const theirs = pdml.split("<packet>").slice(1).map((packet) => new Set([...packet.matchAll(/<field name="([^"]+)"[^>]*size="(\d+)" pos="(\d+)"/g)].map((m) => `${m[1]}@${m[3]}+${m[2]}`)));
      const capture = await openCapture(sample(name));
      const dissector = new Dissector();
      let index = 0;
      const missing: string[] = [];
      for await (const record of capture.records) {
        const walk = (node: import("../../dissectors/tree.js").TreeNode): void => {
          if (node.source === 0 && !node.generated && node.field.kind !== "protocol") {
            const key = `${node.field.filter}@${node.offset}+${node.length}`;
            if (!theirs[index].has(key)) missing.push(`record ${index + 1}: ${key}`);
          }
          for (const child of node.children ?? []) walk(child);
        };
        const { layers } = dissector.dissect(record);
        const compared = comparedLayers(Object.fromEntries(layers.map((layer) => [layer.field.filter, null])), protocols);
        for (const layer of layers) if (compared.has(layer.field.filter)) walk(layer);
        index++;
      }
      await capture.close();
      assert.deepEqual(missing.slice(0, 10), [], `${name}: ${missing.length} fields at another place`);
    }
  });

  it("selects the same records as our output with nvsp.msg_type == 107 and == SEND_RNDIS_PKT", () => {
    const ours = lines(vmbusDissect(["-T", "json", sample("network.pcapng")]).stdout).map((line) => JSON.parse(line))
      .filter((record) => [record.layers.nvsp].flat().some((layer) => layer?.["nvsp.msg_type"] === 107)).map((record) => record.index);
    const theirs = lines(tool("tshark", ["-X", `lua_script:${plugin}`, "-r", sample("network.pcapng"), "-Y", "nvsp.msg_type == 107", "-T", "fields", "-e", "frame.number"]).stdout).map(Number);
    assert.deepEqual(theirs, ours);
    assert.ok(ours.length > 10);
  });

  it("installs into the personal plugin folder, where Wireshark loads it by itself", () => {
    const home = temporaryDirectory();
    const run = vmbusDissect(["wireshark-plugin", "--install"], { env: { HOME: home } });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, new RegExp(`${home}/.local/lib/wireshark/plugins/vmbus.lua`));
    const decoded = spawnSync("tshark", ["-r", sample("vm-connect.pcapng"), "-T", "fields", "-e", "vmbus.chan.msgtype"], { encoding: "utf8", env: { ...process.env, HOME: home } });
    assert.equal(lines(decoded.stdout)[0], "14");
  });

  it("registers on another user link type when told to, as our writer writes it", () => {
    const other = join(directory, "user3.pcapng");
    vmbusDissect([sample("vm-connect.pcapng"), "-w", other, "--link-type", "150"]);
    const plugin150 = join(directory, "vmbus150.lua");
    vmbusDissect(["wireshark-plugin", "-o", plugin150, "--link-type", "150"]);
    const decoded = lines(tool("tshark", ["-X", `lua_script:${plugin150}`, "-r", other, "-T", "fields", "-e", "frame.protocols", "-e", "vmbus.chan.msgtype"]).stdout);
    assert.equal(decoded.filter((line) => /^(\S+:)?vmbus\b/.test(line)).length, 61, decoded.slice(0, 3).join(" | "));
    assert.match(decoded[0], /\t14$/);
    assert.equal(lines(vmbusDissect(["--link-type", "150", other]).stdout).length, 61);
  });
});
