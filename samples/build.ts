// `npm run samples`: rebuilds every bundled capture from the descriptions, byte for byte.

import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Direction, RecordKind, type VmbusRecord } from "../capture/record.js";
import { buildRingDump, ringPairOf } from "../capture/ring-writer.js";
import { Dissector } from "../dissectors/index.js";
import { RecordPcapngWriter } from "../formats/pcapng-output.js";
import { connectionSession } from "./connection.js";
import { networkSession } from "./network.js";
import { netvscPairDump, netvscRecvBuffer, netvscSendBuffer, netvscSingleRing } from "./rings.js";
import { storageGuestMemory, storagePairDump, storageSession } from "./storage.js";
import { heartbeatPairDump, icSession } from "./ic.js";
import { inputVideoSession } from "./input-video.js";
import { pciMemorySession } from "./pci-memory.js";
import { socketsSession } from "./sockets.js";

const here = dirname(fileURLToPath(import.meta.url));
const USER_APPL = "vmbus-dissect samples";

/** The ring pair of one channel of a session (the records of that relid, by direction). */
function channelRingPair(records: readonly VmbusRecord[], relid: number): Uint8Array {
  const packets = records.filter((r) => r.kind === RecordKind.RingPacket && r.relid === relid);
  const byDirection = (direction: Direction) => packets.filter((r) => r.direction === direction).map((r) => r.payload);
  return buildRingDump(ringPairOf(byDirection(Direction.GuestToHost), byDirection(Direction.HostToGuest)));
}

async function writeSession(name: string, records: readonly VmbusRecord[]): Promise<string> {
  const writer = await RecordPcapngWriter.create(join(here, name), { userAppl: USER_APPL });
  const dissector = new Dissector();
  for (const record of records) await writer.write(dissector.dissect(record));
  await writer.close();
  return `${name} (${records.length} records)`;
}

function writeFile(name: string, bytes: Uint8Array): string {
  writeFileSync(join(here, name), bytes);
  return name;
}

async function main(): Promise<void> {
  const written = [
    await writeSession("vm-connect.pcapng", connectionSession()),
    await writeSession("network.pcapng", networkSession()),
    await writeSession("storage.pcapng", storageSession()),
    writeFile("netvsc-ring.bin", buildRingDump(netvscSingleRing())),
    writeFile("netvsc-send-buffer.bin", netvscSendBuffer()),
    writeFile("netvsc-ring-pair.bin", buildRingDump(netvscPairDump())),
    writeFile("netvsc-recv-buffer.bin", netvscRecvBuffer()),
    writeFile("storvsc-ring-pair.bin", buildRingDump(storagePairDump())),
    writeFile("storvsc-guest-memory.bin", storageGuestMemory()),
    await writeSession("integration-services.pcapng", icSession()),
    writeFile("heartbeat-ring-pair.bin", buildRingDump(heartbeatPairDump())),
    await writeSession("input-video.pcapng", inputVideoSession()),
    writeFile("keyboard-ring-pair.bin", channelRingPair(inputVideoSession(), 21)),
    writeFile("mouse-ring-pair.bin", channelRingPair(inputVideoSession(), 22)),
    writeFile("synthvid-ring-pair.bin", channelRingPair(inputVideoSession(), 23)),
    await writeSession("pci-memory.pcapng", pciMemorySession()),
    writeFile("vpci-ring-pair.bin", channelRingPair(pciMemorySession(), 31)),
    writeFile("balloon-ring-pair.bin", channelRingPair(pciMemorySession(), 32)),
    await writeSession("sockets.pcapng", socketsSession()),
    writeFile("kvp-ring-pair.bin", channelRingPair(icSession(), 14)),
  ];
  process.stdout.write(`samples: ${written.join(", ")}\n`);
}

await main();
