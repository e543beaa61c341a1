// -Y through the real CLI: each filter selects exactly the records that the JSON says it should.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { join } from "node:path";
import { lines, sample, temporaryDirectory, vmbusDissect } from "./run-cli.js";

type Json = Record<string, unknown>;
const all = (name: string): Json[] => lines(vmbusDissect(["-T", "json", sample(name)]).stdout).map((line) => JSON.parse(line));
const selected = (name: string, filter: string): number[] => lines(vmbusDissect(["-T", "json", "-Y", filter, sample(name)]).stdout).map((line) => JSON.parse(line).index);

/** Every value of a field anywhere in a record's layers. */
function values(record: Json, filter: string): unknown[] {
  const found: unknown[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(walk);
    if (value && typeof value === "object") {
      for (const [key, child] of Object.entries(value)) {
        if (key === filter) found.push(...[child].flat());
        walk(child);
      }
    }
  };
  walk(record.layers);
  return found;
}

describe("display filters (-Y)", () => {
  const network = all("network.pcapng");
  const storage = all("storage.pcapng");

  it("nvsp.msg_type == 107 and == SEND_RNDIS_PKT select the same records, those carrying message 107", () => {
    const expected = network.filter((r) => values(r, "nvsp.msg_type").includes(107)).map((r) => r.index);
    assert.ok(expected.length > 10);
    assert.deepEqual(selected("network.pcapng", "nvsp.msg_type == 107"), expected);
    assert.deepEqual(selected("network.pcapng", "nvsp.msg_type == SEND_RNDIS_PKT"), expected);
  });

  it('vmbus.device == "netvsc" && ip.dst == 10.0.0.1 selects network records with a frame to 10.0.0.1', () => {
    const expected = network.filter((r) => r.device === "netvsc" && values(r, "ip.dst").includes("10.0.0.1")).map((r) => r.index);
    assert.ok(expected.length >= 3);
    assert.deepEqual(selected("network.pcapng", 'vmbus.device == "netvsc" && ip.dst == 10.0.0.1'), expected);
    assert.deepEqual(selected("network.pcapng", "vmbus.device == netvsc && ip.dst == 10.0.0.1"), expected);
  });

  it("selects READ(10) commands above an LBA on the storage sample", () => {
    const expected = storage.filter((r) => values(r, "vscsi.opcode").includes(0x28) && values(r, "vscsi.rw10.lba").some((lba) => (lba as number) > 1000)).map((r) => r.index);
    assert.equal(expected.length, 1);
    assert.deepEqual(selected("storage.pcapng", "vscsi.opcode == 0x28 && vscsi.rw10.lba > 1000"), expected);
    assert.deepEqual(selected("storage.pcapng", 'vscsi.opcode == "READ(10)" && vscsi.rw10.lba > 1000'), expected);
  });

  it("tests protocols for presence, with !, || and parentheses", () => {
    const expected = network.filter((r) => (r.protocols as string).split(":").includes("arp") || ((r.protocols as string).includes("ip") && !(r.protocols as string).includes("tcp"))).map((r) => r.index);
    assert.deepEqual(selected("network.pcapng", "arp || (ip && !tcp)"), expected);
  });

  it("applies to pcapng output too", () => {
    const output = join(temporaryDirectory(), "tcp.pcapng");
    assert.equal(vmbusDissect(["-Y", "tcp", sample("network.pcapng"), "-w", output]).status, 0);
    const expected = network.filter((r) => (r.protocols as string).includes("tcp")).length;
    assert.equal(lines(vmbusDissect([output]).stdout).length, expected);
  });

  it("says in one line where a filter is wrong, with exit status 2", () => {
    const run = vmbusDissect(["-Y", "nvsp.msg_typo == 1", sample("network.pcapng")]);
    assert.equal(run.status, 2);
    assert.equal(run.stderr.trim(), 'vmbus-dissect: -Y: unknown field "nvsp.msg_typo" at column 1: nvsp.msg_typo == 1');
    assert.equal(vmbusDissect(["-Y", "nvsp.msg_type == NOPE", sample("network.pcapng")]).status, 2);
  });
});
