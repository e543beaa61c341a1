// Our Ethernet/IP field names and values against Wireshark's own dissectors: the sample frames are
// written to a pcap (link type Ethernet) and every field we decode must appear in tshark's JSON with
// the same value (tcp.seq/ack compared with relative numbering off). Skipped without tshark.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { classicPcap } from "../../capture/pcap-writer.js";

const LINKTYPE_ETHERNET = 1;
const pcapOf = (frames: readonly Uint8Array[]) => classicPcap(LINKTYPE_ETHERNET, frames.map((data, index) => ({ timestampNs: BigInt(1700000000 + index) * 1_000_000_000n, data })));
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { Dissector } from "../../dissectors/index.js";
import type { DecodeContext } from "../../dissectors/describe/compile.js";
import { newScope } from "../../dissectors/describe/expr.js";
import type { TreeNode } from "../../dissectors/tree.js";
import { frames } from "../../samples/frames.js";
import { differences, fieldPairs } from "../wireshark/compare.js";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };



function layersOf(bytes: Uint8Array): TreeNode[] {
  const context = (new Dissector() as unknown as { newContext(bytes: Uint8Array): DecodeContext }).newContext(bytes);
  context.handoff("rndis.data", context, 0, bytes.length, newScope(undefined, 0, bytes.length), 0);
  return context.layers;
}

/** (filter, value) of every field we decode, as our JSON shows it (bytes as hex). */
function pairs(node: TreeNode, out: Array<[string, Json]> = []): Array<[string, Json]> {
  for (const child of node.children ?? []) {
    if (!child.generated && child.field.kind !== "struct" && child.field.kind !== "array") {
      out.push([child.field.filter, child.value instanceof Uint8Array ? Buffer.from(child.value).toString("hex") : (child.value as Json)]);
    }
    pairs(child, out);
  }
  return out;
}

// tshark is required (.ci/run installs it): a missing tshark fails this test instead of skipping it.
describe("field names and values agree with Wireshark", () => {
  test("every field of every sample frame", () => {
    const list = frames();
    const file = join(mkdtempSync(join(tmpdir(), "vmbus-ethernet-")), "frames.pcap");
    writeFileSync(file, pcapOf(list.map((frame) => frame.bytes)));
    const run = spawnSync("tshark", ["-r", file, "-T", "json", "--no-duplicate-keys", "-o", "tcp.relative_sequence_numbers:FALSE"], { encoding: "utf8" });
    assert.equal(run.status, 0, run.stderr);
    const theirs = (JSON.parse(run.stdout) as Array<{ _source: { layers: Record<string, Json> } }>).map((packet) => packet._source.layers);
    assert.equal(theirs.length, list.length);
    const found = list.flatMap((frame, index) => {
      // Our "data" layer holds what we leave undecoded; Wireshark decodes further (DNS): not compared.
      const layers = layersOf(frame.bytes).filter((layer) => layer.field.filter !== "data");
      const protocols = new Set(layers.map((layer) => layer.field.filter));
      return differences(index, layers.flatMap((layer) => pairs(layer)), fieldPairs(theirs[index], protocols))
        .map((difference) => ({ frame: frame.name, ...difference }));
    });
    assert.deepEqual(found, []);
  });
});
