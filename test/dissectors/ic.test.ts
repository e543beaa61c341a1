// The integration services (devices.md §2.1, §3–§10) decoded from bytes written by hand at the
// offsets of the reference tables. Frame offsets: pseudo-header 0..27, packet descriptor 28..43,
// pipe header 44..51, IC header 52..71, IC body from 72 (payload offset 28).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Direction } from "../../capture/record.js";
import { Dissector } from "../../dissectors/index.js";
import { icBytes, icSession } from "../../samples/ic.js";
import { recogniseIc } from "../../dissectors/ic/index.js";
import { findDevice } from "../../dissectors/devices.js";
import type { FieldValue } from "../../dissectors/tree.js";
import {
  Bytes, errors, expectAbsent, expectBits, expectChildrenInside, expectClean, expectField, expectMalformedAt, findAll, findNode, guidBytes, node, packetRecord,
} from "./tree-helpers.js";

const PAYLOAD = 44;
const IC = 52;
const BODY = 72;
const GUIDS: Record<string, string> = {
  heartbeat: "57164f39-9115-4e78-ab55-382f3bd5422d", shutdown: "0e0b6031-5213-4934-818b-38d90ced39db", timesync: "9527e630-d0ae-497b-adce-e80ab0175caf",
  kvp: "a9a0f4e7-5a45-4d96-b827-8a841e8c03e6", vss: "35fa2e29-ea23-4236-96ae-3a6ebacba440", fcopy: "34d14be3-dee4-41c8-9ae7-6b174977c192",
};
const RELIDS: Record<string, number> = { heartbeat: 11, shutdown: 12, timesync: 13, kvp: 14, vss: 15, fcopy: 16 };
const TYPES: Record<string, number> = { heartbeat: 1, kvp: 2, shutdown: 3, timesync: 4, vss: 5, fcopy: 7 };

interface IcOptions { flags?: number; status?: number; framework?: [number, number]; version?: [number, number]; size?: number; transactionId?: number; pipe?: boolean }

/** Pipe header (type 1, length) and IC header written field by field (§2.1, §3.2), then the body. */
function icPayload(type: number, body: Uint8Array, o: IcOptions = {}): Uint8Array {
  const pipe = o.pipe === false ? 0 : 8;
  const b = new Bytes(pipe + 20 + body.length);
  if (pipe) b.u32(0, 1).u32(4, 20 + body.length);
  b.u16(pipe + 0, o.framework?.[0] ?? 3).u16(pipe + 2, o.framework?.[1] ?? 0).u16(pipe + 4, type)
    .u16(pipe + 6, o.version?.[0] ?? 3).u16(pipe + 8, o.version?.[1] ?? 0).u16(pipe + 10, o.size ?? body.length)
    .u32(pipe + 12, o.status ?? 0).u8(pipe + 16, o.transactionId ?? 0).u8(pipe + 17, o.flags ?? 0x03);
  return b.raw(pipe + 20, body).bytes;
}

let transIds = 0x100;
/** An in-band ring packet (type 6, offset8 2) carrying the payload on the service's channel. */
function icRecord(service: string, payload: Uint8Array, options: { transId?: number; direction?: Direction } = {}) {
  const len8 = 2 + Math.ceil(payload.length / 8);
  const packet = new Bytes(len8 * 8).u16(0, 6).u16(2, 2).u16(4, len8).u16(6, 0).u64(8, options.transId ?? ++transIds).raw(16, payload).bytes;
  const isResponse = (payload[25] & 4) !== 0;
  return packetRecord(RELIDS[service], packet, {
    classGuid: guidBytes(GUIDS[service]), direction: options.direction ?? (isResponse ? Direction.GuestToHost : Direction.HostToGuest),
  });
}

const utf16 = (text: string, size = (text.length + 1) * 2): Uint8Array => {
  const b = new Bytes(size);
  for (let i = 0; i < text.length && 2 * i + 1 < size; i++) b.u16(2 * i, text.charCodeAt(i));
  return b.bytes;
};
const ipv4 = (text: string): number[] => text.split(".").map(Number);

type Expect = [filter: string, value: FieldValue, at: number, length: number];
function check(d: ReturnType<Dissector["dissect"]>, expects: Expect[], info?: string): void {
  expectClean(d);
  for (const [filter, value, at, length] of expects) expectField(d, filter, value, at, length);
  expectChildrenInside(d);
  if (info !== undefined) assert.ok(d.info.endsWith(info), `info "${d.info}" should end with "${info}"`);
}

const FT_2026 = 134400744000000000n; // 2026-11-25T10:00:00Z as FILETIME

describe("IC framing and negotiation", () => {
  test("negotiate request: pipe header, IC header, counts from the header, both version lists", () => {
    const body = new Bytes(24).u16(0, 2).u16(2, 2).u32(4, 0).u16(8, 1).u16(10, 0).u16(12, 3).u16(14, 0).u16(16, 1).u16(18, 0).u16(20, 3).u16(22, 0);
    const d = new Dissector().dissect(icRecord("heartbeat", icPayload(0, body.bytes, { framework: [0, 0], version: [0, 0] })));
    check(d, [
      ["ic.pipe.type", 1, PAYLOAD, 4], ["ic.pipe.len", 44, PAYLOAD + 4, 4],
      ["ic.framework_major", 0, IC, 2], ["ic.message_type", 0, IC + 4, 2], ["ic.message_size", 24, IC + 10, 2],
      ["ic.status", 0, IC + 12, 4], ["ic.transaction_id", 0, IC + 16, 1], ["ic.flags", 3, IC + 17, 1],
      ["ic.negotiate.framework_version_count", 2, BODY, 2], ["ic.negotiate.message_version_count", 2, BODY + 2, 2],
    ], "IC negotiate framework 1.0 framework 3.0 service 1.0 service 3.0");
    expectBits(d, "ic.flags", { transaction: true, request: true, response: false });
    const fw = findAll(d, "ic.negotiate.framework.major");
    assert.deepEqual(fw.map((n) => [n.value, n.offset]), [[1, BODY + 8], [3, BODY + 12]]);
    const svc = findAll(d, "ic.negotiate.service.major");
    assert.deepEqual(svc.map((n) => [n.value, n.offset]), [[1, BODY + 16], [3, BODY + 20]]);
    expectAbsent(d, "ic.negotiate.chosen_service");
  });

  test("the guest's answer sets the channel's versions; time sync then takes the 4.0 layout whatever the header says", () => {
    const dissector = new Dissector();
    const requestBody = new Bytes(28).u16(0, 2).u16(2, 3).u16(8, 1).u16(12, 3).u16(16, 1).u16(20, 3).u16(24, 4).bytes;
    dissector.dissect(icRecord("timesync", icPayload(0, requestBody, { framework: [0, 0], version: [0, 0] }), { transId: 0x55 }));
    const answer = new Bytes(16).u16(0, 1).u16(2, 1).u16(8, 3).u16(10, 0).u16(12, 4).u16(14, 0).bytes;
    const d = dissector.dissect(icRecord("timesync", icPayload(0, answer, { flags: 5, framework: [3, 0], version: [4, 0] }), { transId: 0x55 }));
    check(d, [["ic.negotiate.chosen_framework", 0x30000, BODY + 16, 0], ["ic.negotiate.chosen_service", 0x40000, BODY + 16, 0], ["ic.request_in", d.record.origin.number - 1, PAYLOAD, 0]],
      "response S_OK");
    // A sample whose header claims 3.0: the negotiated 4.0 decides.
    const sample = new Bytes(24).u64(0, FT_2026).u64(8, 6_000_000_000n).u8(16, 2).u8(17, 0).u8(18, 3).bytes;
    const ts = dissector.dissect(icRecord("timesync", icPayload(4, sample, { version: [3, 0] })));
    check(ts, [["timesync.vm_reference_time", 6_000_000_000, BODY + 8, 8]]);
    // Fresh session: the header's 3.0 gives the old layout.
    const old = new Dissector().dissect(icRecord("timesync", icPayload(4, sample, { version: [3, 0] })));
    expectField(old, "timesync.round_trip_time", 2 | (3 << 16), BODY + 16, 8);
  });

  test("an IC message without the pipe header decodes from offset 0", () => {
    const body = new Bytes(16).u64(0, 42).u32(8, 1).bytes;
    const d = new Dissector().dissect(icRecord("heartbeat", icPayload(1, body, { pipe: false })));
    check(d, [["ic.framework_major", 3, PAYLOAD, 2], ["ic.flags", 3, PAYLOAD + 17, 1], ["heartbeat.seq_num", 42, PAYLOAD + 20, 8]], "IC heartbeat seq 42");
    expectAbsent(d, "ic.pipe.type");
  });

  test("responses pair with their requests by VMBus transaction id; status by name", () => {
    const dissector = new Dissector();
    dissector.dissect(icRecord("kvp", icPayload(2, new Bytes(20).u8(0, 3).u8(1, 2).u32(4, 10).bytes), { transId: 0x77 }));
    const d = dissector.dissect(icRecord("kvp", icPayload(2, new Bytes(20).u8(0, 3).u8(1, 2).u32(4, 10).bytes, { flags: 5, status: 0x80070103 }), { transId: 0x77 }));
    check(d, [["ic.status", 0x80070103, IC + 12, 4], ["ic.request_message_type", 2, PAYLOAD, 0]], "response S_CONT (no more items)");
    assert.ok(node(d, "ic.request_in"));
  });
});

describe("heartbeat, shutdown, time sync", () => {
  test("heartbeat: sequence number, application state, reserved", () => {
    const body = new Bytes(40).u64(0, 42).u32(8, 1).bytes;
    const d = new Dissector().dissect(icRecord("heartbeat", icPayload(1, body)));
    check(d, [["heartbeat.seq_num", 42, BODY, 8], ["heartbeat.application_state", 1, BODY + 8, 4], ["heartbeat.reserved", new Uint8Array(28), BODY + 12, 28]], "IC heartbeat seq 42");
  });

  test("heartbeat: a missed and a repeated beat are expert info; the guest's answer is request + 1", () => {
    const dissector = new Dissector();
    let transId = 0x900;
    const beat = (seq: number, flags = 3) => dissector.dissect(icRecord("heartbeat", icPayload(1, new Bytes(8).u64(0, seq).bytes, { flags }), { transId: flags === 3 ? ++transId : transId }));
    assert.deepEqual(beat(10).experts, []);
    assert.equal(beat(11, 5).experts.length, 0);
    assert.equal(beat(11).experts.length, 0);
    const missed = beat(13);
    assert.ok(missed.experts.some((e) => e.group === "sequence" && /1 beat\(s\) missed/.test(e.text) && e.offset === BODY));
    const wrong = beat(13, 5);
    assert.ok(wrong.experts.some((e) => /expected 14/.test(e.text)));
    const repeated = beat(13);
    assert.ok(repeated.experts.some((e) => /repeats/.test(e.text)));
    assert.equal(repeated.malformed, false);
  });

  test("shutdown: reason, timeout, flags by name, UTF-16 message", () => {
    const body = new Bytes(2060).u32(0, 0x80000000).u32(4, 30).u32(8, 5).raw(12, utf16("Bye")).bytes;
    const d = new Dissector().dissect(icRecord("shutdown", icPayload(3, body, { version: [3, 2] })));
    check(d, [
      ["shutdown.reason_code", 0x80000000, BODY, 4], ["shutdown.timeout_seconds", 30, BODY + 4, 4], ["shutdown.action", 5, BODY + 8, 4],
      ["shutdown.flags", 5, BODY + 8, 4], ["shutdown.message", "Bye", BODY + 12, 2048],
    ], "Shutdown forced hibernate timeout 30s");
    expectBits(d, "shutdown.flags", { force: true, restart: false, hibernate: true });
  });

  test("time sync 1.0/3.0 body (25 bytes, Linux packed)", () => {
    const body = new Bytes(25).u64(0, FT_2026).u64(8, 0).u64(16, 1234).u8(24, 1).bytes;
    const d = new Dissector().dissect(icRecord("timesync", icPayload(4, body, { version: [3, 0] })));
    check(d, [["timesync.parent_time", FT_2026, BODY, 8], ["timesync.child_time", 0, BODY + 8, 8], ["timesync.round_trip_time", 1234, BODY + 16, 8], ["timesync.flags", 1, BODY + 24, 1]],
      "TimeSync host 2026-11-25T10:00:00.0000000Z [SYNC]");
  });

  test("time sync 4.0 body: reference time, the computed offset as calendar time, leap flags, stratum", () => {
    const body = new Bytes(24).u64(0, FT_2026).u64(8, 6_000_000_000n).u8(16, 2).u8(17, 1).u8(18, 3).bytes;
    const d = new Dissector().dissect(icRecord("timesync", icPayload(4, body, { version: [4, 0] })));
    check(d, [
      ["timesync.parent_time", FT_2026, BODY, 8], ["timesync.vm_reference_time", 6_000_000_000, BODY + 8, 8],
      ["timesync.flags", 2, BODY + 16, 1], ["timesync.leap_flags", 1, BODY + 17, 1], ["timesync.stratum", 3, BODY + 18, 1], ["timesync.reserved", new Uint8Array(5), BODY + 19, 5],
    ], "TimeSync host 2026-11-25T10:00:00.0000000Z [SAMPLE]");
    const zero = node(d, "timesync.reference_zero");
    assert.equal(Number(zero.value), Number(FT_2026 - 6_000_000_000n)); // 10 minutes earlier: 09:50:00
    assert.equal(zero.generated, true);
  });
});

describe("KVP", () => {
  const record = (op: number, pool: number, type: number, key: string, value: Uint8Array, valueSize = value.length) =>
    new Bytes(2580).u8(0, op).u8(1, pool).u32(4, type).u32(8, (key.length + 1) * 2).u32(12, valueSize).raw(16, utf16(key)).raw(528, value).bytes;

  test("SET: value record with UTF-16 key and string value", () => {
    const d = new Dissector().dissect(icRecord("kvp", icPayload(2, record(1, 1, 1, "HostName", utf16("vm1")), { version: [4, 0] })));
    check(d, [
      ["kvp.operation", 1, BODY, 1], ["kvp.pool", 1, BODY + 1, 1], ["kvp.padding", 0, BODY + 2, 2], ["kvp.value_type", 1, BODY + 4, 4],
      ["kvp.key_size", 18, BODY + 8, 4], ["kvp.value_size", 8, BODY + 12, 4], ["kvp.key", "HostName", BODY + 16, 18], ["kvp.value_string", "vm1", BODY + 528, 8],
    ], "KVP SET pool 1 key \"HostName\" = \"vm1\"");
  });

  test("GET answers: REG_DWORD, u64 as 8 (Linux numbering) and 11 (REG_QWORD)", () => {
    const dword = new Dissector().dissect(icRecord("kvp", icPayload(2, record(0, 0, 4, "Count", new Bytes(4).u32(0, 7).bytes), { flags: 5 })));
    check(dword, [["kvp.value_u32", 7, BODY + 528, 4]], "= 7 response S_OK");
    for (const type of [8, 11]) {
      const d = new Dissector().dissect(icRecord("kvp", icPayload(2, record(0, 0, type, "Big", new Bytes(8).u64(0, 0x1_0000_0001n).bytes), { flags: 5 })));
      check(d, [["kvp.value_u64", 0x1_0000_0001, BODY + 528, 8], ["kvp.value_type", type, BODY + 4, 4]]);
    }
    assert.match(String(node(new Dissector().dissect(icRecord("kvp", icPayload(2, record(0, 0, 8, "Big", new Bytes(8).bytes)))), "kvp.value_type").field.values?.[8]), /Linux/);
  });

  test("DELETE and ENUMERATE", () => {
    const del = new Bytes(520).u8(0, 2).u8(1, 0).u32(4, 8).raw(8, utf16("Key")).bytes;
    check(new Dissector().dissect(icRecord("kvp", icPayload(2, del))), [["kvp.operation", 2, BODY, 1], ["kvp.key_size", 8, BODY + 4, 4], ["kvp.key", "Key", BODY + 8, 8]], "KVP DELETE pool 0 key \"Key\"");
    const en = new Bytes(2580).u8(0, 3).u8(1, 2).u32(4, 5).u32(8, 1).u32(12, 12).u32(16, 12).raw(20, utf16("OSName")).raw(532, utf16("Linux")).bytes;
    check(new Dissector().dissect(icRecord("kvp", icPayload(2, en, { flags: 5 }))), [
      ["kvp.index", 5, BODY + 4, 4], ["kvp.value_type", 1, BODY + 8, 4], ["kvp.key_size", 12, BODY + 12, 4], ["kvp.value_size", 12, BODY + 16, 4],
      ["kvp.key", "OSName", BODY + 20, 12], ["kvp.value_string", "Linux", BODY + 532, 12],
    ], "KVP ENUMERATE pool 2 index 5 key \"OSName\" = \"Linux\" response S_OK");
  });

  test("IP info, string form (before 5.0)", () => {
    const body = new Bytes(7428).u8(0, 4).u8(1, 1).raw(2, utf16("{ADAPTER}")).u8(258, 1).u8(259, 1)
      .raw(260, utf16("10.0.0.4;10.0.0.5")).raw(2308, utf16("255.255.255.0")).raw(4356, utf16("10.0.0.1")).raw(5380, utf16("10.0.0.2")).bytes;
    const d = new Dissector().dissect(icRecord("kvp", icPayload(2, body, { version: [4, 0], flags: 5 })));
    check(d, [
      ["kvp.ip.adapter_id", "{ADAPTER}", BODY + 2, 256], ["kvp.ip.address_family", 1, BODY + 258, 1], ["kvp.ip.dhcp_enabled", true, BODY + 259, 1],
      ["kvp.ip.ip_addresses", "10.0.0.4;10.0.0.5", BODY + 260, 2048], ["kvp.ip.subnets", "255.255.255.0", BODY + 2308, 2048],
      ["kvp.ip.gateways", "10.0.0.1", BODY + 4356, 1024], ["kvp.ip.dns_servers", "10.0.0.2", BODY + 5380, 2048],
    ]);
  });

  test("IP info, binary form (5.0): counts, adapter, addresses in network order, origins", () => {
    const b = new Bytes(7428).u8(0, 5).u8(1, 1).u32(4, 1).u32(8, 1).u32(12, 1).u32(16, 0).u32(20, 1).u32(24, 0).raw(28, utf16("{ADAPTER}"))
      .u8(284, 3).u8(285, 0).raw(288, ipv4("10.0.0.10")).raw(544, [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]).raw(1568, ipv4("255.255.255.0")).u32(1824, 64)
      .raw(2080, ipv4("10.0.0.1")).raw(2180, ipv4("10.0.0.2")).u16(3460, 2).u16(3462, 0);
    const d = new Dissector().dissect(icRecord("kvp", icPayload(2, b.bytes, { version: [5, 0] })));
    check(d, [
      ["kvp.ip.ipv4_address_count", 1, BODY + 4, 4], ["kvp.ip.ipv6_address_count", 1, BODY + 8, 4], ["kvp.ip.ipv4_gateway_count", 1, BODY + 12, 4],
      ["kvp.ip.ipv4_dns_server_count", 1, BODY + 20, 4], ["kvp.ip.adapter_id", "{ADAPTER}", BODY + 28, 256], ["kvp.ip.address_family", 3, BODY + 284, 1],
      ["kvp.ip.dhcp_enabled", false, BODY + 285, 1], ["kvp.ip.ipv4_address.address", "10.0.0.10", BODY + 288, 4], ["kvp.ip.ipv6_address.address", "fe80::1", BODY + 544, 16],
      ["kvp.ip.ipv4_subnet.address", "255.255.255.0", BODY + 1568, 4], ["kvp.ip.ipv6_subnet.prefix_length", 64, BODY + 1824, 4],
      ["kvp.ip.ipv4_gateway.address", "10.0.0.1", BODY + 2080, 4], ["kvp.ip.ipv4_dns.address", "10.0.0.2", BODY + 2180, 4],
    ], "KVP SET_IP_INFO pool 1 adapter \"{ADAPTER}\" 1 IPv4 1 IPv6 DHCP False");
    assert.deepEqual(findAll(d, "kvp.ip.origin.origin").map((n) => [n.value, n.offset]), [[2, BODY + 3460], [0, BODY + 3462]]);
  });
});

describe("VSS", () => {
  const vss = (op: number, data: Bytes, o: IcOptions = {}) => {
    const body = new Bytes(8 + data.bytes.length).u8(0, op).raw(8, data.bytes).bytes;
    return new Dissector().dissect(icRecord("vss", icPayload(5, body, { version: [5, 0], ...o })));
  };
  const SNAP = "6b1e4c1a-2f3d-4e5f-8a9b-0c1d2e3f4a5b";
  test("CREATE (with backup type) and DELETE", () => {
    check(vss(0, new Bytes(20).guid(0, SNAP).u32(16, 2)), [["vss.operation", 0, BODY, 1], ["vss.reserved", new Uint8Array(7), BODY + 1, 7], ["vss.snapshot_set_id", SNAP, BODY + 8, 16], ["vss.backup_type", 2, BODY + 24, 4]], "VSS CREATE");
    check(vss(1, new Bytes(16).guid(0, SNAP)), [["vss.snapshot_set_id", SNAP, BODY + 8, 16]], "VSS DELETE");
  });
  test("operations with flags: HOT_BACKUP, GET_DM_INFO, BU_COMPLETE, THAW", () => {
    for (const [op, name] of [[2, "HOT_BACKUP"], [3, "GET_DM_INFO"], [4, "BU_COMPLETE"], [6, "THAW"]] as const) {
      check(vss(op, new Bytes(4).u32(0, 5), { flags: 5 }), [["vss.operation", op, BODY, 1], ["vss.flags", 5, BODY + 8, 4]], `VSS ${name} flags 0x5 response S_OK`);
    }
  });
  test("FREEZE and AUTO_RECOVER (Message2, Message2Ex by length)", () => {
    const CTRL = "f3b1c24e-7d2a-4c8e-9f10-2b5d6e7a8c90";
    const m2 = new Bytes(6252).u32(0, 1).u32(4, 3).u32(8, 1).u8(12, 1).guid(16, CTRL).u8(32, 0).u8(33, 1).u8(34, 2);
    const d = vss(5, m2);
    check(d, [
      ["vss.backup_type", 1, BODY + 8, 4], ["vss.backup_flags", 3, BODY + 12, 4], ["vss.lun_count", 1, BODY + 16, 4],
      ["vss.lun.bus_type", 1, BODY + 20, 1], ["vss.lun.controller", CTRL, BODY + 24, 16], ["vss.lun.port", 0, BODY + 40, 1], ["vss.lun.target", 1, BODY + 41, 1], ["vss.lun.lun", 2, BODY + 42, 1],
    ], "VSS FREEZE 1 LUN(s)");
    expectBits(d, "vss.backup_flags", { auto_recovery: true, shared_luns: true });
    const m2ex = new Bytes(12492).u32(8, 1).u8(12, 1).u8(6252, 2).u8(6252 + 22, 9);
    const ex = vss(7, m2ex);
    check(ex, [["vss.operation", 7, BODY, 1]], "VSS AUTO_RECOVER 1 LUN(s)");
    assert.deepEqual(findAll(ex, "vss.lun.bus_type").map((n) => [n.value, n.offset]), [[1, BODY + 20], [2, BODY + 6260]]);
  });
  test("QUERY_GUEST_CLUSTER_INFORMATION (Message3Ex)", () => {
    const CLUSTER = "0a1b2c3d-4e5f-4061-8283-a4b5c6d7e8f9";
    const m3 = new Bytes(7312).guid(0, CLUSTER).u32(16, 3).u32(20, 1).u8(24, 2).u32(6264, 0x80004005).u64(7304, 0x01dc5e0000000000n);
    check(vss(8, m3), [
      ["vss.cluster_id", CLUSTER, BODY + 8, 16], ["vss.cluster_size", 3, BODY + 24, 4], ["vss.lun_count", 1, BODY + 28, 4], ["vss.lun.bus_type", 2, BODY + 32, 1],
      ["vss.lun_status.status", 0x80004005, BODY + 6272, 4], ["vss.last_move_time", 0x01dc5e0000000000n, BODY + 7312, 8],
    ], "VSS QUERY_GUEST_CLUSTER_INFORMATION 1 shared LUN(s)");
  });
});

describe("file copy", () => {
  const fcopy = (op: number, rest: Bytes, o: IcOptions = {}) => {
    const body = new Bytes(36 + rest.bytes.length).u32(0, op).raw(36, rest.bytes).bytes;
    return new Dissector().dissect(icRecord("fcopy", icPayload(7, body, { version: [1, 1], ...o })));
  };
  test("START_FILE_COPY", () => {
    const start = new Bytes(1052).raw(0, utf16("a.txt")).raw(520, utf16("/tmp")).u32(1040, 3).u64(1044, 10000);
    const d = fcopy(0, start);
    check(d, [
      ["fcopy.operation", 0, BODY, 4], ["fcopy.service_id0", "00000000-0000-0000-0000-000000000000", BODY + 4, 16],
      ["fcopy.file_name", "a.txt", BODY + 36, 520], ["fcopy.path_name", "/tmp", BODY + 556, 520], ["fcopy.copy_flags", 3, BODY + 1076, 4], ["fcopy.file_size", 10000, BODY + 1080, 8],
    ], "FCOPY START_FILE_COPY \"/tmp\" \"a.txt\" 10000 bytes");
    expectBits(d, "fcopy.copy_flags", { overwrite: true, create_path: true });
  });
  test("WRITE_TO_FILE: offset at 40 (after the pad), a 6144-byte fragment", () => {
    const data = Uint8Array.from({ length: 6144 }, (_, i) => i & 0xff);
    const d = fcopy(1, new Bytes(16 + 6144).u64(4, 6144).u32(12, 6144).raw(16, data));
    check(d, [["fcopy.pad", 0, BODY + 36, 4], ["fcopy.offset", 6144, BODY + 40, 8], ["fcopy.size", 6144, BODY + 48, 4], ["fcopy.data", data, BODY + 52, 6144]], "FCOPY WRITE_TO_FILE offset 6144 size 6144");
  });
  test("COMPLETE and CANCEL are the header only", () => {
    check(fcopy(2, new Bytes(0), { flags: 5 }), [["fcopy.operation", 2, BODY, 4]], "FCOPY COMPLETE_FCOPY response S_OK");
    check(fcopy(3, new Bytes(0)), [["fcopy.operation", 3, BODY, 4]], "FCOPY CANCEL_FCOPY");
  });
});

describe("malformed IC messages", () => {
  test("negotiate counts beyond the message; the next record still decodes", () => {
    const dissector = new Dissector();
    const body = new Bytes(16).u16(0, 2).u16(2, 50).u16(8, 1).u16(12, 3).bytes;
    const d = dissector.dissect(icRecord("heartbeat", icPayload(0, body, { framework: [0, 0], version: [0, 0] })));
    assert.equal(d.malformed, true);
    assert.ok(findAll(d, "ic.negotiate.service.major").length <= 2);
    check(dissector.dissect(icRecord("heartbeat", icPayload(1, new Bytes(16).u64(0, 1).bytes))), [["heartbeat.seq_num", 1, BODY, 8]]);
  });

  test("UTF-16 key longer than the bytes there are; key size beyond the key field", () => {
    const dissector = new Dissector();
    const cut = new Bytes(24).u8(0, 1).u8(1, 1).u32(4, 1).u32(8, 40).u32(12, 0).raw(16, utf16("Host", 8)).bytes;
    expectMalformedAt(dissector.dissect(icRecord("kvp", icPayload(2, cut))), BODY + 16);
    const tooBig = new Bytes(2580).u8(0, 1).u32(4, 1).u32(8, 600).u32(12, 4).bytes;
    expectMalformedAt(dissector.dissect(icRecord("kvp", icPayload(2, tooBig))), BODY + 8);
    const shutdownCut = new Bytes(20).u32(8, 0).raw(12, utf16("Hello", 8)).bytes;
    check(dissector.dissect(icRecord("shutdown", icPayload(3, shutdownCut))), [["shutdown.message", "Hell", BODY + 12, 8]]);
  });

  test("a body shorter than its layout; message size beyond the packet; a chunk above 6144 bytes", () => {
    const dissector = new Dissector();
    expectMalformedAt(dissector.dissect(icRecord("shutdown", icPayload(3, new Bytes(8).u32(0, 1).bytes))), BODY);
    expectMalformedAt(dissector.dissect(icRecord("timesync", icPayload(4, new Bytes(12).bytes, { version: [4, 0] }))), BODY);
    const over = dissector.dissect(icRecord("heartbeat", icPayload(1, new Bytes(8).u64(0, 5).bytes, { size: 400 })));
    assert.equal(over.malformed, true);
    assert.ok(errors(over).some((e) => e.offset === IC + 10));
    const big = new Bytes(36 + 16 + 7000).u32(0, 1).u32(48, 7000).bytes;
    expectMalformedAt(dissector.dissect(icRecord("fcopy", icPayload(7, big))), BODY + 48);
    check(dissector.dissect(icRecord("heartbeat", icPayload(1, new Bytes(8).u64(0, 6).bytes))), [["heartbeat.seq_num", 6, BODY, 8]]);
  });

  test("a packet too short for the IC header", () => {
    const d = new Dissector().dissect(icRecord("heartbeat", new Bytes(16).u32(0, 1).u32(4, 20).bytes));
    assert.equal(d.malformed, true);
  });
});

describe("encoder round trips and the sample", () => {
  test("the encoder writes the same bytes as the hand-written heartbeat and negotiate answer", () => {
    const body = new Bytes(16).u64(0, 42).u32(8, 1).bytes;
    assert.deepEqual(icBytes(1, { seq_num: 42, application_state: 1, reserved: new Uint8Array(4) }, { flags: 3, version: [3, 0] }), icPayload(1, body));
    const answer = new Bytes(16).u16(0, 1).u16(2, 1).u16(8, 3).u16(12, 3).u16(14, 2).bytes;
    assert.deepEqual(icBytes(0, { framework_version_count: 1, message_version_count: 1, reserved_u32: 0, framework_versions: [{ major: 3, minor: 0 }], service_versions: [{ major: 3, minor: 2 }] },
      { flags: 5, version: [3, 2] }), icPayload(0, answer, { flags: 5, version: [3, 2] }));
  });

  test("encode then decode: every service", () => {
    const cases: [string, number, Record<string, unknown>, Record<string, FieldValue>, [number, number]][] = [
      ["shutdown", 3, { reason_code: 0x80000000, timeout_seconds: 5, action: 2, flags: 2, message: "x" }, { "shutdown.flags": 2, "shutdown.timeout_seconds": 5, "shutdown.message": "x" }, [3, 1]],
      ["timesync", 4, { sample: { parent_time: FT_2026, vm_reference_time: 99, flags: 2, leap_flags: 0, stratum: 1, reserved: new Uint8Array(5) } }, { "timesync.parent_time": FT_2026, "timesync.vm_reference_time": 99 }, [4, 0]],
      ["kvp", 2, { operation: 1, pool: 0, data: { padding: 0, value_type: 4, key_size: 4, value_size: 4, key: "K", value: { value_u32: 9 } } }, { "kvp.key": "K", "kvp.value_u32": 9 }, [5, 0]],
      ["vss", 5, { operation: 0, reserved: new Uint8Array(7), data: { snapshot_set_id: "6b1e4c1a-2f3d-4e5f-8a9b-0c1d2e3f4a5b", backup_type: 1 } }, { "vss.backup_type": 1 }, [5, 0]],
      ["fcopy", 7, { operation: 1, service_id0: "", service_id1: "", data: { pad: 0, offset: 12288, size: 3, data: Uint8Array.of(1, 2, 3) } }, { "fcopy.offset": 12288, "fcopy.size": 3 }, [1, 1]],
    ];
    for (const [service, type, body, expected, version] of cases) {
      const d = new Dissector().dissect(icRecord(service, icBytes(type, body as never, { flags: 3, version })));
      expectClean(d);
      for (const [filter, value] of Object.entries(expected)) assert.equal(String(node(d, filter).value), String(value), `${service} ${filter}`);
      assert.equal(node(d, "ic.message_type").value, TYPES[service]);
    }
  });

  test("the sample session: no malformed record, one missed heartbeat, every response paired", () => {
    const dissector = new Dissector();
    const all = icSession().map((r) => dissector.dissect(r));
    for (const d of all) assert.equal(d.malformed, false, `record ${d.record.origin.number}: ${JSON.stringify(errors(d))}`);
    const warnings = all.flatMap((d) => d.experts.filter((e) => e.severity !== "chat"));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0].text, /missed/);
    const responses = all.filter((d) => findNode(d, "ic.flags.response")?.value === true);
    assert.ok(responses.length >= 30);
    for (const d of responses) assert.ok(findNode(d, "ic.request_in"), `record ${d.record.origin.number} unpaired`);
    for (const name of ["heartbeat", "shutdown", "timesync", "kvp", "vss", "fcopy"]) assert.ok(all.some((d) => d.device?.short === name), name);
  });
});

describe("device registration and recognition", () => {
  test("every IC device has the protocol and a recogniser", () => {
    for (const name of Object.keys(GUIDS)) {
      const device = findDevice(name)!;
      assert.equal(device.protocol?.name, "ic");
      assert.ok(device.recognise);
    }
  });
  test("recognise: pipe DATA, IC header, type of the service or negotiation", () => {
    const hb = icPayload(1, new Bytes(16).u64(0, 1).bytes);
    assert.equal(recogniseIc(hb, 6, 1), true);
    assert.equal(recogniseIc(hb, 6, 3), false);
    assert.equal(recogniseIc(hb, 11, 1), false);
    assert.equal(recogniseIc(icPayload(0, new Bytes(8).bytes, { framework: [0, 0] }), 6, 3), true);
    assert.equal(recogniseIc(icPayload(1, new Bytes(16).bytes, { flags: 0x80 }), 6, 1), false);
    assert.equal(recogniseIc(icPayload(1, new Bytes(16).bytes, { pipe: false }), 6, 1), false);
    assert.equal(findDevice("kvp")!.recognise!(icPayload(2, new Bytes(20).bytes), 6), true);
  });
});
