// Hostile input never throws out of a dissector: every sample record cut at every length, and
// every byte of it flipped, still gives a tree (marked malformed where the bytes ran out).

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RecordKind, type VmbusRecord } from "../../capture/record.js";
import { Dissector } from "../../dissectors/index.js";
import { recordJsonLine } from "../../formats/json.js";
import { connectionSession } from "../../samples/connection.js";

const withPayload = (record: VmbusRecord, payload: Uint8Array): VmbusRecord => ({ ...record, payload });

describe("hostile records", () => {
  const records = connectionSession();

  it("survives every truncation of every sample record, and marks the short ones", () => {
    const dissector = new Dissector();
    let malformed = 0;
    for (const record of records) {
      for (let length = 0; length < record.payload.length; length++) {
        const dissection = dissector.dissect(withPayload(record, record.payload.subarray(0, length)));
        JSON.parse(recordJsonLine(dissection));
        if (dissection.malformed) malformed++;
      }
    }
    assert.ok(malformed > records.length, `${malformed} truncated records marked malformed`);
  });

  it("survives every single-byte corruption to 0x00, 0xff and 0x80", () => {
    const dissector = new Dissector();
    for (const record of records) {
      for (let at = 0; at < record.payload.length; at++) {
        for (const value of [0x00, 0xff, 0x80]) {
          const payload = Uint8Array.from(record.payload);
          payload[at] = value;
          JSON.parse(recordJsonLine(dissector.dissect(withPayload(record, payload))));
        }
      }
    }
  });

  it("does not allocate or loop for counts of 0xffffffff", { timeout: 20_000 }, () => {
    const dissector = new Dissector();
    const gpaDirect = records.find((r) => r.kind === RecordKind.RingPacket && r.payload[0] === 9)!;
    const payload = Uint8Array.from(gpaDirect.payload);
    new DataView(payload.buffer).setUint32(20, 0xffffffff, true);
    const dissection = dissector.dissect(withPayload(gpaDirect, payload));
    assert.ok(dissection.malformed);
    assert.match(dissection.experts.map((e) => e.text).join("\n"), /GPA ranges element \d+ of 4294967295|needs/);
  });
});

describe("a fault inside a dissector", () => {
  it("becomes a malformed record instead of an exception", () => {
    const dissector = new Dissector();
    dissector.addHooks({ "vmbus.offer": () => { throw new Error("boom"); } });
    const packet = connectionSession().find((r) => r.kind === RecordKind.ChannelMessage && r.payload[0] === 1)!;
    const dissection = dissector.dissect(packet);
    assert.equal(dissection.malformed, true);
    assert.match(dissection.experts[0].text, /dissector failure: boom/);
    JSON.parse(recordJsonLine(dissection));
  });
});

describe("packet framing", () => {
  it("flags a payload offset that points inside the type-specific header", () => {
    const transferPage = connectionSession().find((r) => r.kind === RecordKind.RingPacket && r.payload[0] === 7)!;
    const payload = Uint8Array.from(transferPage.payload);
    new DataView(payload.buffer).setUint16(2, 3, true); // 24: inside the 8 + 2 × 8-byte header that ends at 40
    const dissection = new Dissector().dissect(withPayload(transferPage, payload));
    assert.ok(dissection.experts.some((e) => /payload offset 24 lies inside the type-specific header, which ends at 40/.test(e.text)), JSON.stringify(dissection.experts));
    assert.equal(new Dissector().dissect(transferPage).malformed, false);
  });
});
