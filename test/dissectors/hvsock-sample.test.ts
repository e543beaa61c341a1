// The sockets sample session (samples/sockets.ts) through the whole dissector.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { RecordKind } from "../../capture/record.js";
import { Dissector } from "../../dissectors/dissect.js";
import "../../dissectors/hvsock/index.js";
import "../../dissectors/vmbfs/index.js";
import "../../dissectors/paravisor/index.js";
import { socketsSession } from "../../samples/sockets.js";
import { errors, expectChildrenInside, findAll, findNode } from "./tree-helpers.js";

describe("the sockets sample session", () => {
  const records = socketsSession();
  const dissector = new Dissector();
  const dissections = records.map((record) => dissector.dissect(record));

  test("no record is malformed and every tree is well formed", () => {
    for (const d of dissections) {
      assert.equal(d.malformed, false, `record ${d.record.origin.number} ${d.info}: ${JSON.stringify(errors(d))}`);
      expectChildrenInside(d);
    }
  });

  test("relids 41..45, class GUIDs on ring packets, timestamps rising", () => {
    for (const [index, record] of records.entries()) {
      if (record.kind === RecordKind.RingPacket) {
        assert.ok(record.relid >= 41 && record.relid <= 45);
        assert.ok(record.classGuid);
      }
      if (index > 0) assert.ok(record.timestampNs! > records[index - 1].timestampNs!);
    }
  });

  test("hv_sock: both connections, data both ways, FIN both ways", () => {
    const infos = dissections.map((d) => d.info);
    assert.equal(infos.filter((i) => /hv_sock FIN$/.test(i)).length, 4);
    assert.ok(infos.some((i) => /hv_sock data 4088 bytes$/.test(i)));
    const tl = dissections.find((d) => findNode(d, "vmbus.chan.tl_connect"))!;
    const service = findNode(tl, "vmbus.chan.service_id")!.value;
    const endpoint = findNode(tl, "vmbus.chan.endpoint_id")!.value;
    const offers = dissections.filter((d) => findNode(d, "vmbus.chan.offer"));
    const tied = offers.find((d) => findNode(d, "vmbus.chan.if_type")!.value === service && findNode(d, "vmbus.chan.if_instance")!.value === endpoint);
    assert.ok(tied, "an offer with the TL_CONNECT_REQUEST's service and endpoint");
    assert.equal(findNode(tied, "vmbus.chan.hvsock.is_for_guest_accept")!.value, 0);
    const hvsockPackets = dissections.filter((d) => d.device?.short === "hvsock");
    assert.ok(hvsockPackets.length >= 8);
    for (const kind of [2, 13]) assert.ok(dissections.some((d) => findNode(d, "vmbus.chan.msgtype")?.value === kind));
  });

  test("every vmbfs message type, GET, the log channel, crash dump and serial appear, and answers are paired", () => {
    const types = new Set(dissections.flatMap((d) => findAll(d, "vmbfs.message_type").map((n) => n.value)));
    assert.deepEqual([...types].sort(), [1, 2, 3, 4, 5, 6, 7, 8]);
    for (const filter of ["get.request_id", "get.host_notification", "get.guest_notification", "get.log.log_type", "crashdump.capabilities",
      "crashdump.dump_type", "serial.data", "serial.modem_status", "vmbfs.request_in", "get.request_in", "serial.request_in", "crashdump.request_in"]) {
      assert.ok(dissections.some((d) => findNode(d, filter)), filter);
    }
  });
});
