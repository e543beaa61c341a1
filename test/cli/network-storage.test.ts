// Issue 3's acceptance, through the real CLI and jq: the network and storage samples.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { lines, sample, tool, vmbusDissect } from "./run-cli.js";

const NETWORK = sample("network.pcapng");
const STORAGE = sample("storage.pcapng");
const json = (capture: string) => vmbusDissect(["-T", "json", capture]).stdout;

describe("the network sample", () => {
  const records = lines(json(NETWORK)).map((line) => JSON.parse(line));

  it("has no malformed record", () => assert.deepEqual(records.filter((r) => r.malformed).map((r) => r.index), []));

  it("shows the Ethernet summary on every data record", () => {
    const data = records.filter((r) => / RNDIS PACKET \d+ bytes/.test(r.summary));
    assert.ok(data.length >= 8, `${data.length} data records`);
    for (const record of data) assert.ok(record.layers.eth, `record ${record.index} has an Ethernet layer: ${record.summary}`);
    assert.ok(data.some((r) => /10\.0\.0\.5 → 10\.0\.0\.1 → TCP 51234 → 443 \[SYN\]/.test(r.summary)));
    assert.ok(data.some((r) => /Who has 10\.0\.0\.1\? Tell 10\.0\.0\.5/.test(r.summary)));
    assert.ok(data.some((r) => /DHCP (Discover|Offer)/.test(r.summary)));
  });

  it("nests NVSP, RNDIS with its per-packet info, and the Ethernet headers in -V, with offsets", () => {
    const tree = vmbusDissect(["-V", NETWORK]).stdout;
    assert.match(tree, /^NVSP$/m);
    assert.match(tree, /^RNDIS$/m);
    assert.match(tree, /^Ethernet II$/m);
    assert.match(tree, /Message type: SEND_RNDIS_PKT \(107\)  \[pos \d+, size 4\]/);
    assert.match(tree, /Per-packet info/i);
    assert.match(tree, /Source port: 51234|Source Port: 51234/);
  });

  it("lets jq select frames by IP address and TCP port", () => {
    // A record holding two frames has each layer twice: jq's [..] | flatten handles both shapes.
    const byAddress = tool("jq", ["-c", 'select([.layers.ip] | flatten | any(.["ip.dst"]? == "10.0.0.1")) | .index'], json(NETWORK)).stdout;
    const byPort = tool("jq", ["-c", 'select([.layers.tcp] | flatten | any(.["tcp.dstport"]? == 443)) | .index'], json(NETWORK)).stdout;
    assert.ok(lines(byAddress).length >= 3);
    assert.ok(lines(byPort).length >= 2);
    assert.ok(lines(byPort).every((index) => lines(byAddress).includes(index)));
  });
});

describe("the storage sample", () => {
  const records = lines(json(STORAGE)).map((line) => JSON.parse(line));

  it("has no malformed record", () => assert.deepEqual(records.filter((r) => r.malformed).map((r) => r.index), []));

  it("names every command with its LBA and length, and every completion its command, status and sense", () => {
    const summaries = records.map((r) => r.summary as string);
    assert.ok(summaries.some((s) => /READ\(10\) LBA 2048 len 8/.test(s)));
    assert.ok(summaries.some((s) => /WRITE\(10\) LBA 1000000 len 16/.test(s)));
    assert.ok(summaries.some((s) => /READ\(16\) LBA 200000000 len 32/.test(s)));
    const completions = summaries.filter((s) => /COMPLETE_IO/.test(s));
    assert.ok(completions.length > 10);
    assert.ok(completions.every((s) => /COMPLETE_IO (STATUS_\S+ )?for /.test(s)), completions.find((s) => !/ for /.test(s)));
    assert.ok(summaries.some((s) => /CHECK CONDITION|CHECK_CONDITION/.test(s) && /UNIT ATTENTION/i.test(s)), "a completion shows its sense");
  });

  it("shows the vendor and product of INQUIRY answers", () => {
    const tree = vmbusDissect(["-V", STORAGE]).stdout;
    assert.match(tree, /vendor id: "Msft    "/i);
    assert.match(tree, /product id: "Virtual Disk    "/i);
  });

  it("lets jq select storage commands by opcode name", () => {
    const reads = lines(tool("jq", ["-c", 'select(.layers.vscsi["vscsi.opcode.name"]? == "READ(10)") | .layers.vscsi["vscsi.rw10"]["vscsi.rw10.lba"]'], json(STORAGE)).stdout).map(Number);
    assert.deepEqual(reads.sort((a, b) => a - b), [0, 2048]);
  });
});
