// The statistics stay bounded whatever a capture holds: names that come from captures (unknown
// message types, relids) stop making new rows past a limit and are counted as "(other)".

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Direction, RecordKind, type VmbusRecord } from "../../capture/record.js";
import type { Dissection } from "../../dissectors/dissect.js";
import type { FieldInfo } from "../../dissectors/tree.js";
import { TrafficStatistics } from "../../formats/statistics.js";

const protocol: FieldInfo = { filter: "demo", label: "Demo", kind: "protocol", messageTypes: ["demo.type"] };
const typeField: FieldInfo = { filter: "demo.type", label: "Type", kind: "uint", width: 4, values: { 1: "ONE" } };

function dissection(index: number): Dissection {
  const record = { kind: RecordKind.RingPacket, relid: index, direction: Direction.GuestToHost, payload: new Uint8Array(8), attached: [], flags: 0, timestampNs: BigInt(index) * 1000n, origin: { number: index + 1, fileOffset: 0 } } as unknown as VmbusRecord;
  return {
    record, sources: [], info: "", malformed: false,
    layers: [{ field: protocol, value: null, offset: 0, length: 8, source: 0, children: [{ field: typeField, value: index, offset: 0, length: 4, source: 0 }] }],
    experts: [{ severity: "note", group: "protocol", text: `unknown class ${index.toString(36)}x` }],
    events: [{ kind: "request", namespace: "demo", type: String(index) }],
  };
}

describe("statistics on hostile input", () => {
  it("stops making rows for new names past the limit and counts the rest as (other)", () => {
    const statistics = new TrafficStatistics();
    const records = 10_000;
    for (let index = 0; index < records; index++) statistics.add(dissection(index));
    const report = statistics.report();
    assert.ok(report.message_types.length <= 4097, `${report.message_types.length} message-type rows`);
    assert.equal(report.message_types.reduce((sum, row) => sum + row.count, 0), records);
    assert.ok(report.message_types.some((row) => row.type === "(other)"));
    assert.ok(report.response_times.length <= 4097);
    assert.equal(report.response_times.reduce((sum, row) => sum + row.count, 0), records);
    assert.ok(report.anomalies.length <= 4097);
    assert.ok(report.channels.length <= 4096);
    assert.equal(report.records, records);
  });

  it("counts repeated and past-the-limit types into the same rows, with their struct's bytes", () => {
    const statistics = new TrafficStatistics();
    for (let index = 0; index < 6_000; index++) statistics.add(dissection(index));
    for (let index = 0; index < 6_000; index++) statistics.add(dissection(index % 2 === 0 ? 1 : 5_999));
    const rows = new Map(statistics.report().message_types.map((row) => [row.type, row]));
    assert.deepEqual(rows.get("ONE"), { protocol: "demo", type: "ONE", count: 3_001, bytes: 8 * 3_001 });
    assert.equal(rows.get("(other)")!.count, 6_000 - 4_096 + 3_000);
  });
});
