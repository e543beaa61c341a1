// Dissector option skipInfo (stats, -w): no Info summary, and nothing else changes — the trees,
// expert items and analysis events stay those of a dissection with summaries, also where a
// request's text reads the summaries of its inner layers (`{layers}`, e.g. storage answers).
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { Dissection } from "../../dissectors/index.js";
import { recordJson } from "../../formats/json.js";
import { root, sample } from "../cli/run-cli.js";
import { dissectCapture } from "./dissect-capture.js";

const samples = readdirSync(join(root, "samples")).filter((name) => name.endsWith(".pcapng")).map(sample);

const dissect = (file: string, skipInfo: boolean): Promise<Dissection[]> => dissectCapture(file, { skipInfo });

describe("dissecting without summaries (skipInfo)", () => {
  for (const file of samples) {
    it(`gives the same trees, problems and events for ${file.split("/").pop()}`, async () => {
      const [withInfo, withoutInfo] = [await dissect(file, false), await dissect(file, true)];
      assert.equal(withoutInfo.length, withInfo.length);
      withInfo.forEach((full, index) => {
        const bare = withoutInfo[index];
        assert.equal(bare.info, "");
        assert.deepEqual({ ...recordJson(bare), summary: full.info }, recordJson(full), `record ${full.record.origin.number}`);
        assert.deepEqual(bare.events, full.events);
      });
    });
  }

  it("still fills the answers that quote a request's inner layers", async () => {
    const answers = (await dissect(sample("storage.pcapng"), true)).flatMap((d) => JSON.stringify(recordJson(d)).match(/"vstor\.answers":"[^"]*"/g) ?? []);
    assert.ok(answers.some((text) => /EXECUTE_SRB \d+:\d+:\d+ (READ|WRITE|INQUIRY)/.test(text)), answers.slice(0, 3).join(" "));
  });
});
