// Test captures made from the samples: records read back with our reader, changed (times, lost or
// repeated records), and written again as pcapng, so that tests know exactly what is in them.

import { join } from "node:path";
import { openCapture } from "../../capture/open.js";
import { PcapngWriter } from "../../capture/pcapng-writer.js";
import type { VmbusRecord } from "../../capture/record.js";
import { sample } from "./run-cli.js";

export async function sampleRecords(name: string): Promise<VmbusRecord[]> {
  const capture = await openCapture(sample(name));
  const records: VmbusRecord[] = [];
  try {
    for await (const record of capture.records) records.push(record);
  } finally {
    await capture.close();
  }
  return records;
}

export async function writeCapture(directory: string, name: string, records: readonly VmbusRecord[]): Promise<string> {
  const path = join(directory, name);
  const writer = await PcapngWriter.create(path, { userAppl: "vmbus-dissect tests" });
  const interfaces = new Map<number, number>();
  for (const record of records) {
    let id = interfaces.get(record.relid);
    if (id === undefined) interfaces.set(record.relid, (id = writer.addInterface(147, `vmbus/${record.relid}`)));
    await writer.writeVmbusRecord(id, record);
  }
  await writer.close();
  return path;
}

/** The samples' records again and again, each round a second later, until the capture has at least minimumBytes. */
export async function repeatedSamples(directory: string, name: string, samples: readonly string[], minimumBytes: number): Promise<string> {
  const round = (await Promise.all(samples.map(sampleRecords))).flat();
  const roundBytes = round.reduce((sum, record) => sum + record.payload.length + 64, 0);
  const records: VmbusRecord[] = [];
  for (let index = 0; index * roundBytes < minimumBytes; index++) {
    for (const record of round) records.push({ ...record, timestampNs: (record.timestampNs ?? 0n) + BigInt(index) * 1_000_000_000n });
  }
  return writeCapture(directory, name, records);
}
