// `extract ethernet`: the guest's frames as a plain capture that tshark reads with no plugin.

import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { lines, sample, temporaryDirectory, tool, vmbusDissect } from "./run-cli.js";

describe("extract ethernet", () => {
  const directory = temporaryDirectory();
  const output = join(directory, "frames.pcapng");
  const run = vmbusDissect(["extract", "ethernet", sample("network.pcapng"), "-w", output]);

  it("writes every frame of the network sample, and says what was not captured", () => {
    assert.equal(run.status, 0, run.stderr);
    const ours = lines(vmbusDissect(["-T", "json", sample("network.pcapng")]).stdout).map((line) => JSON.parse(line));
    const frames = ours.reduce((sum, record) => sum + [record.layers.eth ?? []].flat().length, 0);
    assert.equal(lines(tool("tshark", ["-r", output]).stdout).length, frames);
    assert.match(run.stderr, new RegExp(`extract: ${frames} Ethernet frame\\(s\\) written .* 1 interface\\(s\\); 1 RNDIS message\\(s\\) were not captured`));
  });

  it("is plain Ethernet that tshark decodes with no plugin: ARP, DHCP, ICMP, TCP and UDP", () => {
    const protocols = lines(tool("tshark", ["-r", output, "-T", "fields", "-e", "frame.protocols"]).stdout).join("\n");
    for (const expected of ["eth:ethertype:arp", "dhcp", "eth:ethertype:ip:icmp", "eth:ethertype:ip:tcp", "eth:ethertype:ip:udp"]) assert.match(protocols, new RegExp(expected));
    assert.match(tool("capinfos", [output]).stdout, /Encapsulation = Ethernet \(1 - ether\)/);
  });

  it("puts back the VLAN tag that travelled in the per-packet info", () => {
    const vlans = lines(tool("tshark", ["-r", output, "-Y", "vlan", "-T", "fields", "-e", "vlan.id"]).stdout);
    assert.ok(vlans.includes("10"), `VLAN ids: ${vlans.join(",")}`);
  });

  it("keeps the original times and directions", () => {
    const times = lines(tool("tshark", ["-r", output, "-T", "fields", "-e", "frame.time_epoch", "-e", "frame.p2p_dir"]).stdout);
    assert.ok(times.every((line) => /^1795601100\.\d+\t[01]$/.test(line)), times.join(" | "));
  });

  it("extracts from ring dumps with their buffers too", () => {
    const fromRing = join(directory, "ring-frames.pcapng");
    const result = vmbusDissect(["extract", "ethernet", "--history", "--send-buffer", sample("netvsc-send-buffer.bin"), sample("netvsc-ring.bin"), "-w", fromRing]);
    assert.equal(result.status, 0, result.stderr);
    assert.ok(lines(tool("tshark", ["-r", fromRing]).stdout).length > 20);
  });
});
