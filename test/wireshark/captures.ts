// Captures made for the plugin tests from our samples: records rewritten where our decoder found a
// field (to raise a declared note or warning), or damaged at random (to compare malformed records).

import assert from "node:assert/strict";
import type { VmbusRecord } from "../../capture/record.js";
import { PSEUDO_HEADER_LENGTH } from "../../capture/vmbus-pseudo-header.js";
import type { TreeNode } from "../../dissectors/tree.js";
import { sample } from "../cli/run-cli.js";

type Rewrite = (record: VmbusRecord, layers: readonly TreeNode[]) => void;

/** The sample with each record rewritten (given the layers our decoder found in the original), written to `path`. */
export async function rewrittenSample(name: string, path: string, rewrite: Rewrite): Promise<string> {
  const { openCapture } = await import("../../capture/open.js");
  const { Dissector } = await import("../../dissectors/index.js");
  const { RecordPcapngWriter } = await import("../../formats/pcapng-output.js");
  const capture = await openCapture(sample(name));
  const records: VmbusRecord[] = [];
  for await (const record of capture.records) records.push(record);
  await capture.close();
  // One Dissector at a time: each registers itself as the device table's resolver.
  const finder = new Dissector();
  for (const record of records) rewrite(record, finder.dissect(record).layers);
  const writer = await RecordPcapngWriter.create(path, { userAppl: "vmbus-dissect tests" });
  const dissector = new Dissector();
  for (const record of records) await writer.write(dissector.dissect(record));
  await writer.close();
  return path;
}

export interface FieldChange { record: number; filter: string; value: number }

const findNode = (node: TreeNode, filter: string): TreeNode | undefined =>
  node.field.filter === filter && node.source === 0 ? node : node.children?.map((child) => findNode(child, filter)).find((n) => n !== undefined);

/** Sets fields to other values (little-endian, at the bytes our decoder read them from). */
export const setFields = (changes: readonly FieldChange[]): Rewrite => (record, layers) => {
  for (const change of changes.filter((c) => c.record === record.origin.number)) {
    const found = layers.map((layer) => findNode(layer, change.filter)).find((n) => n !== undefined);
    assert.ok(found, `record ${change.record} has ${change.filter}`);
    for (let i = 0; i < found.length; i++) record.payload[found.offset - PSEUDO_HEADER_LENGTH + i] = Math.floor(change.value / 256 ** i) % 256;
  }
};

/** Every other record (at random) gets two bytes after its packet descriptor set to random values or 0xFF. */
export function damage(seed: number): Rewrite {
  let state = seed;
  const random = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  return (record) => {
    const { payload } = record;
    if (payload.length <= 16 || random() >= 0.5) return;
    for (let k = 0; k < 2; k++) payload[16 + Math.floor(random() * (payload.length - 16))] = random() < 0.5 ? Math.floor(random() * 256) : 0xff;
  };
}
