// What the fuzzer starts from: every record of every bundled sample, and the sample files themselves.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { VmbusRecord } from "../../capture/record.js";
import { bufferRandomAccess, readRingDump } from "../../capture/ring-reader.js";
import { buildRingDump } from "../../capture/ring-writer.js";
import { connectionSession } from "../../samples/connection.js";
import { netvscPairDump, netvscRecvBuffer, netvscSingleRing } from "../../samples/rings.js";

const samplesFolder = fileURLToPath(new URL("../../samples/", import.meta.url));

function ringRecords(): VmbusRecord[] {
  const memory = { recvBuffer: bufferRandomAccess(netvscRecvBuffer()) };
  return [netvscSingleRing(), netvscPairDump()].flatMap((layout) => [...readRingDump(buildRingDump(layout), { file: "ring", history: true, memory })]);
}

export function corpus(): VmbusRecord[] {
  return [...connectionSession(), ...ringRecords()];
}

export function sampleFiles(): Uint8Array[] {
  return readdirSync(samplesFolder)
    .filter((name) => /\.(pcapng|pcap|bin)$/.test(name) && !name.includes("buffer"))
    .map((name) => new Uint8Array(readFileSync(join(samplesFolder, name))));
}
