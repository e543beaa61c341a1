// `npm run samples`: rebuilds every bundled capture from the descriptions, byte for byte.
// Messages and packets come from the encoder; device payloads whose protocols are not described
// yet are written as the plain bytes of their first fields (see payloads.ts).

import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildRingDump } from "../capture/ring-writer.js";
import { Dissector } from "../dissectors/index.js";
import { RecordPcapngWriter } from "../formats/pcapng-output.js";
import { connectionSession } from "./connection.js";
import { netvscPairDump, netvscRecvBuffer, netvscSingleRing } from "./rings.js";

const here = dirname(fileURLToPath(import.meta.url));
const USER_APPL = "vmbus-dissect samples";

async function writeConnectionSample(path: string): Promise<number> {
  const writer = await RecordPcapngWriter.create(path, { userAppl: USER_APPL });
  const dissector = new Dissector();
  const records = connectionSession();
  for (const record of records) await writer.write(dissector.dissect(record));
  await writer.close();
  return records.length;
}

async function main(): Promise<void> {
  const connection = join(here, "vm-connect.pcapng");
  const count = await writeConnectionSample(connection);
  writeFileSync(join(here, "netvsc-ring.bin"), buildRingDump(netvscSingleRing()));
  writeFileSync(join(here, "netvsc-ring-pair.bin"), buildRingDump(netvscPairDump()));
  writeFileSync(join(here, "netvsc-recv-buffer.bin"), netvscRecvBuffer());
  process.stdout.write(`samples: vm-connect.pcapng (${count} records), netvsc-ring.bin, netvsc-ring-pair.bin, netvsc-recv-buffer.bin\n`);
}

await main();
