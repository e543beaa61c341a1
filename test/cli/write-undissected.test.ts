// -w alone copies records without dissecting them (only offers are, to name the channels): it must
// write exactly the bytes the dissecting path writes, which a display filter keeping every record
// (-Y vmbus) forces, and tshark must read what it writes.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { RecordKind, type VmbusRecord } from "../../capture/record.js";
import { repeatedSamples, sampleRecords, writeCapture } from "./captures.js";
import { lines, sample, temporaryDirectory, tool, vmbusDissect } from "./run-cli.js";

const CONNECTION = sample("vm-connect.pcapng");

const INPUTS: Array<[string, string[]]> = [
  ...["vm-connect", "network", "storage", "sockets", "pci-memory", "input-video", "integration-services"].map((name): [string, string[]] => [
    `${name}.pcapng`,
    [sample(`${name}.pcapng`)],
  ]),
  ["a network ring pair and its receive buffer", [sample("netvsc-ring-pair.bin"), "--history", "--recv-buffer", sample("netvsc-recv-buffer.bin")]],
  ["a network ring and its send buffer", [sample("netvsc-ring.bin"), "--history", "--send-buffer", sample("netvsc-send-buffer.bin")]],
  ["a storage ring pair and guest memory", [sample("storvsc-ring-pair.bin"), "--history", "--guest-memory", sample("storvsc-guest-memory.bin")]],
  ["a ring pair whose device is recognised", [sample("kvp-ring-pair.bin")]],
  ["a ring pair with --device and --relid", [sample("storvsc-ring-pair.bin"), "--device", "storvsc", "--relid", "9"]],
  ["the first 7 records (-c)", [CONNECTION, "-c", "7"]],
  ["another link type", [CONNECTION, "--link-type", "150"]],
];

interface Written {
  bytes: Buffer;
  stderr: string;
}

/** -w without and with a filter that keeps every record; standard error with the output's name taken out. */
function writeBothWays(directory: string, args: string[]): { copied: Written; dissected: Written } {
  const write = (name: string, extra: string[]): Written => {
    const output = join(directory, name);
    const run = vmbusDissect([...args, ...extra, "-w", output]);
    assert.equal(run.status, 0, run.stderr);
    return { bytes: readFileSync(output), stderr: run.stderr.replaceAll(output, "OUTPUT") };
  };
  return { copied: write("copied.pcapng", []), dissected: write("dissected.pcapng", ["-Y", "vmbus"]) };
}

describe("-w without dissecting", () => {
  const directory = temporaryDirectory();
  // Enough packets per channel that most of them go as copies (a channel's first batch comes as records).
  const repeated = repeatedSamples(directory, "repeated.pcapng", ["vm-connect.pcapng", "network.pcapng", "storage.pcapng", "sockets.pcapng"], 1 << 20);
  const inputs: Array<[string, () => Promise<string[]>]> = [
    ...INPUTS.map(([name, args]): [string, () => Promise<string[]>] => [name, async () => args]),
    ["the samples repeated: most packets copied", async () => [await repeated]],
    ["the samples repeated, stopped among the copies (-c)", async () => [await repeated, "-c", "3001"]],
  ];

  for (const [name, argsOf] of inputs) {
    it(`writes the bytes of the dissecting path, which tshark reads: ${name}`, async () => {
      const { copied, dissected } = writeBothWays(directory, await argsOf());
      assert.ok(copied.bytes.equals(dissected.bytes), "the same pcapng both ways");
      assert.equal(copied.stderr, dissected.stderr);
      const tshark = tool("tshark", ["-r", join(directory, "copied.pcapng")]);
      assert.equal(tshark.status, 0, tshark.stderr);
      assert.ok(enhancedPackets(copied.bytes) > 0);
      assert.equal(lines(tshark.stdout).length, enhancedPackets(copied.bytes));
    });
  }
});

describe("-w without dissecting names channels from the offers seen so far", async () => {
  const directory = temporaryDirectory();
  const connection = await sampleRecords("vm-connect.pcapng");
  const offers = connection.filter((record) => record.kind === RecordKind.ChannelMessage && u32(record.payload, 0) === 1);
  const network = offers.find((offer) => className(offer) === "f8615163")!;
  const otherClass = offers.find((offer) => className(offer) !== "f8615163")!;
  const relid = u32(network.payload, CHILD_RELID);
  // The other class's offer, for the network channel's relid.
  const reoffer: VmbusRecord = { ...otherClass, payload: otherClass.payload.slice() };
  new DataView(reoffer.payload.buffer).setUint32(CHILD_RELID, relid, true);
  const ringPacket = (await sampleRecords("network.pcapng")).find((record) => record.kind === RecordKind.RingPacket)!;
  const packet: VmbusRecord = { ...ringPacket, relid, classGuid: undefined };

  const orders: Array<[string, VmbusRecord[], string]> = [
    ["an offer repeated after another one for the same relid", [network, reoffer, network, packet], "netvsc"],
    ["a repeated offer replaced by another", [network, network, reoffer, packet], className(otherClass)],
  ];
  for (const [name, records, expected] of orders) {
    it(name, async () => {
      const path = await writeCapture(directory, "offers.pcapng", records);
      const { copied, dissected } = writeBothWays(directory, [path]);
      assert.ok(copied.bytes.equals(dissected.bytes), "the same pcapng both ways");
      const info = tool("capinfos", [join(directory, "copied.pcapng")]).stdout;
      assert.match(info, new RegExp(`Name = vmbus/${relid}\\n\\s+Description = [^\\n]*${expected}`));
    });
  }
});

/** Where an offer's child_relid is: the 8-byte message header and the 176-byte channel offer before it. */
const CHILD_RELID = 184;

function u32(bytes: Uint8Array, at: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset + at, 4).getUint32(0, true);
}

/** The first word of an offer's interface type, as the GUID's text starts. */
function className(offer: VmbusRecord): string {
  return u32(offer.payload, 8).toString(16).padStart(8, "0");
}

/** EPBs in a little-endian single-section pcapng (as we write it). */
function enhancedPackets(file: Buffer): number {
  let count = 0;
  for (let at = 0; at < file.length; at += file.readUInt32LE(at + 4)) if (file.readUInt32LE(at) === 6) count++;
  return count;
}
