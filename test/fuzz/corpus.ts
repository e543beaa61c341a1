// What the fuzzer starts from: every record of every bundled sample, and the sample files themselves.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { VmbusRecord } from "../../capture/record.js";
import { encodeVmbusRecord } from "../../capture/vmbus-pseudo-header.js";
import { classicPcap } from "../../capture/pcap-writer.js";
import { bufferRandomAccess, readRingDump } from "../../capture/ring-reader.js";
import { buildRingDump } from "../../capture/ring-writer.js";
import { connectionSession } from "../../samples/connection.js";
import { networkSession } from "../../samples/network.js";
import { netvscPairDump, netvscRecvBuffer, netvscSendBuffer, netvscSingleRing, SEND_SECTION_SIZE } from "../../samples/rings.js";
import { storagePairDump, storageSession } from "../../samples/storage.js";
import { attachSendBufferSection } from "../../dissectors/netvsc/send-buffer.js";
import { guidBytes } from "../../dissectors/describe/read.js";

const samplesFolder = fileURLToPath(new URL("../../samples/", import.meta.url));

const NETVSC = guidBytes("f8615163-df3e-46c5-913f-f2d2f965ed0e");
const STORVSC = guidBytes("ba6163d9-04a1-4d29-b605-72e2ffb1dc7f");

/** Ring-dump records labelled as the CLI labels them (device, send-buffer sections). */
function ringRecords(): VmbusRecord[] {
  const memory = { recvBuffer: bufferRandomAccess(netvscRecvBuffer()) };
  const sendBuffer = bufferRandomAccess(netvscSendBuffer());
  const read = (layout: Parameters<typeof buildRingDump>[0], classGuid: Uint8Array | undefined) =>
    [...readRingDump(buildRingDump(layout), { file: "ring", history: true, memory })].map((record) => {
      record.classGuid = classGuid;
      if (classGuid === NETVSC) attachSendBufferSection(record, sendBuffer, SEND_SECTION_SIZE);
      return record;
    });
  return [...read(netvscSingleRing(), NETVSC), ...read(netvscPairDump(), NETVSC), ...read(storagePairDump(), STORVSC)];
}

export function corpus(): VmbusRecord[] {
  return [...connectionSession(), ...networkSession(), ...storageSession(), ...ringRecords()];
}

export function sampleFiles(): Uint8Array[] {
  const files = readdirSync(samplesFolder)
    .filter((name) => /\.(pcapng|pcap|bin)$/.test(name) && !name.includes("buffer"))
    .map((name) => new Uint8Array(readFileSync(join(samplesFolder, name))));
  // The connection sample as a classic pcap too, so the pcap reader is fuzzed as well.
  const pcap = classicPcap(147, connectionSession().map((record) => ({ timestampNs: record.timestampNs, data: encodeVmbusRecord(record) })));
  return [...files, pcap];
}
