// The network sample session (samples/network.ts) through the whole dissector, with the Ethernet
// dissectors that samples/frames.ts brings in: every record clean, every feature present.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Dissector } from "../../dissectors/dissect.js";
import "../../dissectors/netvsc/index.js";
import { recogniseDevice } from "../../dissectors/recognise.js";
import { networkSession } from "../../samples/network.js";
import { errors, expectChildrenInside, findAll, findNode } from "./tree-helpers.js";

describe("the network sample session", () => {
  const records = networkSession();
  const dissector = new Dissector();
  const dissections = records.map((r) => dissector.dissect(r));

  test("every record decodes cleanly", () => {
    for (const d of dissections) {
      assert.equal(d.malformed, false, `record ${d.record.origin.number}: ${d.info} ${JSON.stringify(errors(d))}`);
      expectChildrenInside(d);
    }
  });

  test("data both ways, one chunk with two messages, one send not captured, PPIs", () => {
    const infos = dissections.map((d) => d.info);
    assert.ok(infos.some((i) => /NVSP SEND_RNDIS_PKT data section 17 → RNDIS PACKET 74 bytes/.test(i)));
    assert.ok(infos.some((i) => /NVSP SEND_RNDIS_PKT data GPA direct → RNDIS PACKET 102 bytes → 10.0.0.5 → 10.0.0.1 → TCP/.test(i)));
    assert.ok(infos.some((i) => /NVSP SEND_RNDIS_PKT data section 19 RNDIS message in send-buffer section 19, 1570 bytes, not captured/.test(i)));
    assert.ok(dissections.some((d) => findAll(d, "rndis.msg").length === 2 && findAll(d, "rndis.msg").every((m) => m.source === 1)));
    for (const filter of ["rndis.ppi.csum.tx", "rndis.ppi.csum.rx", "rndis.ppi.lso.mss", "rndis.ppi.vlan.id", "rndis.ppi.hash_value", "rndis.ppi.pkt_id.id"]) {
      assert.ok(dissections.some((d) => findNode(d, filter)), filter);
    }
    assert.ok(dissections.some((d) => findNode(d, "rndis.rss_params.itable.queue")));
    assert.ok(dissections.filter((d) => findNode(d, "rndis.request_in")).length >= 10);
    assert.ok(dissections.filter((d) => findNode(d, "nvsp.request_in")).length >= 10);
    assert.ok(infos.some((i) => /RNDIS QUERY_CMPLT OID_802_3_PERMANENT_ADDRESS SUCCESS id \d+ 00:15:5d:0a:1b:2c/.test(i)));
    assert.ok(infos.some((i) => /NVSP SUBCHANNEL 1 sub-channel/.test(i)));
  });

  test("frames from the guest go through sections and pages, frames from the host through the receive buffer", () => {
    const eth = dissections.filter((d) => d.layers.some((l) => l.field.filter === "eth"));
    assert.ok(eth.length >= 8, `${eth.length} records with Ethernet`);
    for (const d of eth) {
      const rndisIndex = d.layers.findIndex((l) => l.field.filter === "rndis");
      const ethIndex = d.layers.findIndex((l) => l.field.filter === "eth");
      assert.ok(rndisIndex > 0 && ethIndex > rndisIndex, d.layers.map((l) => l.field.filter).join(","));
    }
  });

  test("the sample's ring packets are recognised as netvsc", () => {
    assert.equal(recogniseDevice(records)?.device.short, "netvsc");
  });
});
