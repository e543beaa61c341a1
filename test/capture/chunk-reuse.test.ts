// reuseChunks: a consumer done with each batch before it asks for the next lets the input read into
// the chunks it left behind, so that a capture of any size is read through a few chunks of memory.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { describe, it } from "node:test";
import { openCapture } from "../../capture/open.js";
import { sampleRecords, temporaryDirectory, writeSampleFile } from "./helpers.js";

/** Enough sample rounds for some 6 MiB: six of the input's 1 MiB chunks. */
const ROUNDS = 8000;

/** Per batch, as the batch comes: the hash of its records' bytes; and how many buffers the records were views into. */
async function readBatches(path: string, reuseChunks: boolean): Promise<{ hashes: string[]; buffers: number }> {
  const capture = await openCapture(path, { reuseChunks });
  const hashes: string[] = [];
  const buffers = new Set<ArrayBufferLike>();
  try {
    for await (const batch of capture.batches) {
      const hash = createHash("sha256");
      for (const record of batch) {
        hash.update(record.payload);
        for (const chunk of record.attached) hash.update(chunk.data);
        buffers.add(record.payload.buffer);
      }
      hashes.push(hash.digest("hex"));
    }
  } finally {
    await capture.close();
  }
  return { hashes, buffers: buffers.size };
}

describe("reading with reuseChunks", () => {
  const directory = temporaryDirectory();
  const path = join(directory, "big.pcapng");

  it("gives each batch the same bytes, through a few chunks whatever the size", async () => {
    const round = sampleRecords();
    await writeSampleFile(path, Array.from({ length: ROUNDS }, (_, index) => round.map((record) => ({ ...record, timestampNs: record.timestampNs! + BigInt(index) * 10_000_000_000n }))).flat());
    const fresh = await readBatches(path, false);
    const reused = await readBatches(path, true);
    assert.deepEqual(reused.hashes, fresh.hashes);
    assert.ok(fresh.buffers >= 6, `without reuse every MiB is a new chunk (${fresh.buffers})`);
    assert.ok(reused.buffers <= 4, `the first chunk, then the current one, the one read ahead and one spare (${reused.buffers})`);
  });
});
