// The storage protocol (net-storage.md Part B and C) decoded from bytes written by hand from the
// reference tables. Frame offsets: pseudo-header 0..27, ring descriptor at 28; an in-band packet's
// vstor packet starts at 44 (operation 44, flags 48, status 52, payload 56); a GPA-direct packet with
// one range of one page has a 24-byte header, so its vstor packet starts at 68.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { AttachedSource, Direction, RecordFlags, type AttachedChunk } from "../../capture/record.js";
import { Dissector, type Dissection } from "../../dissectors/dissect.js";
import "../../dissectors/storvsc/index.js";
import { recogniseVstor } from "../../dissectors/storvsc/index.js";
import {
  Bytes, errors, expectAbsent, expectBits, expectChildrenInside, expectClean, expectField, findAll, findNode, guidBytes, node, packetRecord,
} from "./tree-helpers.js";

const SCSI_GUID = "ba6163d9-04a1-4d29-b605-72e2ffb1dc7f";
const RELID = 5;
const V = 44;
const G = 68;

let clock = 1_000_000_000n;

/** An in-band (6) or completion (11) packet around a vstor packet of `size` bytes written by `fill`. */
function inband(type: number, transId: number, size: number, fill: (b: Bytes) => void, flags = type === 6 ? 1 : 0): Uint8Array {
  const total = 16 + size;
  const b = new Bytes(total).u16(0, type).u16(2, 2).u16(4, total / 8).u16(6, flags).u64(8, transId);
  const v = new Bytes(size);
  fill(v);
  return b.raw(16, v.bytes).bytes;
}

/** A GPA-direct (9) packet with one range of `length` bytes in one page. */
function gpaDirect(transId: number, length: number, size: number, fill: (b: Bytes) => void): Uint8Array {
  const total = 40 + size;
  const b = new Bytes(total).u16(0, 9).u16(2, 5).u16(4, total / 8).u16(6, 1).u64(8, transId)
    .u32(16, 0).u32(20, 1).u32(24, length).u32(28, 0).u64(32, 0x12345);
  const v = new Bytes(size);
  fill(v);
  return b.raw(40, v.bytes).bytes;
}

interface Options { direction?: Direction; attached?: Uint8Array; microsLater?: number }

function rec(payload: Uint8Array, options: Options = {}) {
  clock += BigInt((options.microsLater ?? 100) * 1000);
  const attached: AttachedChunk[] = options.attached ? [{ source: AttachedSource.GpaRange, index: 0, offset: 0, data: options.attached }] : [];
  return packetRecord(RELID, payload, {
    classGuid: guidBytes(SCSI_GUID), direction: options.direction ?? Direction.GuestToHost, timestampNs: clock,
    attached, flags: attached.length > 0 ? RecordFlags.AttachedData : 0,
  });
}

const layer = (d: Dissection, name: string, index = 0) => {
  const found = d.layers.filter((l) => l.field.filter === name)[index];
  assert.ok(found, `no layer ${name} (#${index}); have ${d.layers.map((l) => l.field.filter).join(",")}`);
  return found;
};

/** vstor header (B2): operation, flags, status. */
const header = (op: number, flags: number, status = 0) => (b: Bytes) => b.u32(0, op).u32(4, flags).u32(8, status);

/** vmscsi request (B3.1) at packet offset 12: common fields and a CDB; the Win8 extension when `win8`. */
function srb(b: Bytes, cdb: number[], options: { transfer?: number; dataIn?: number; win8?: boolean; lun?: number; senseLength?: number; cdbLength?: number } = {}): Bytes {
  const win8 = options.win8 ?? true;
  b.u32(0, 3).u32(4, 1).u32(8, 0)
    .u16(12, win8 ? 0x34 : 0x24).u8(16, 2).u8(17, 0).u8(18, 1).u8(19, options.lun ?? 3)
    .u8(20, options.cdbLength ?? cdb.length).u8(21, options.senseLength ?? (win8 ? 0x14 : 0x12)).u8(22, options.dataIn ?? 1).u32(24, options.transfer ?? 0)
    .raw(28, cdb);
  if (win8) b.u16(48, 0).u8(50, 0xff).u8(51, 0x20).u32(52, 0x8 | 0x2 | 0x100 | 0x40).u32(56, 60).u32(60, 0);
  return b;
}

/** vmscsi response in a COMPLETE_IO packet. */
function srbDone(b: Bytes, options: { srbStatus?: number; scsiStatus?: number; transfer?: number; sense?: number[]; senseLength?: number; win8?: boolean; status?: number } = {}): Bytes {
  const win8 = options.win8 ?? true;
  b.u32(0, 1).u32(4, 0).u32(8, options.status ?? 0)
    .u16(12, win8 ? 0x34 : 0x24).u8(14, options.srbStatus ?? 1).u8(15, options.scsiStatus ?? 0).u8(19, 3)
    .u8(20, 16).u8(21, options.senseLength ?? options.sense?.length ?? 0x14).u8(22, 1).u32(24, options.transfer ?? 0);
  if (options.sense) b.raw(28, options.sense);
  return b;
}

const be32 = (v: number) => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
const asciiBytes = (text: string) => Array.from(text, (c) => c.charCodeAt(0));

describe("vstor operations (B2, B3)", () => {
  test("BEGIN_INITIALIZATION and its completion: names, flags, pairing", () => {
    const d = new Dissector();
    const request = d.dissect(rec(inband(6, 1, 64, header(7, 1))));
    expectClean(request);
    expectChildrenInside(request);
    expectField(request, "vstor.operation", 7, V, 4);
    assert.equal(node(request, "vstor.operation").field.values?.[7], "BEGIN_INITIALIZATION");
    expectField(request, "vstor.flags", 1, V + 4, 4);
    expectBits(request, "vstor.flags", { request_completion: true });
    expectField(request, "vstor.status", 0, V + 8, 4);
    assert.match(request.info, /BEGIN_INITIALIZATION/);
    const done = d.dissect(rec(inband(11, 1, 64, header(1, 0)), { direction: Direction.HostToGuest, microsLater: 350 }));
    expectClean(done);
    expectField(done, "vstor.request_in", request.record.origin.number, V + 12, 0);
    assert.equal(node(done, "vstor.time").value, 0.00035);
    assert.equal(node(done, "vstor.request_operation").value, 7);
    assert.match(done.info, /COMPLETE_IO for BEGIN_INITIALIZATION/);
  });

  test("every request operation 2..14 is named and its payload decoded", () => {
    const d = new Dissector();
    const names: Record<number, string> = {
      2: "REMOVE_DEVICE", 3: "EXECUTE_SRB", 4: "RESET_LUN", 5: "RESET_ADAPTER", 6: "RESET_BUS", 7: "BEGIN_INITIALIZATION",
      8: "END_INITIALIZATION", 9: "QUERY_PROTOCOL_VERSION", 10: "QUERY_PROPERTIES", 11: "ENUMERATE_BUS", 12: "FCHBA_DATA",
      13: "CREATE_SUB_CHANNELS", 14: "EVENT_NOTIFICATION",
    };
    for (const [op, name] of Object.entries(names)) {
      const r = d.dissect(rec(inband(6, 100 + Number(op), 64, (b) => {
        b.u32(0, Number(op)).u32(4, 1);
        if (Number(op) >= 3 && Number(op) <= 6) b.u16(12, 0x34).u8(17, 1);
      })));
      expectClean(r);
      assert.equal(node(r, "vstor.operation").field.values?.[Number(op)], name);
      assert.match(r.info, new RegExp(name.replace(/[()]/g, "\\$&")));
    }
  });

  test("QUERY_PROTOCOL_VERSION: rejected 6.2, accepted 6.0 becomes the channel's version", () => {
    const d = new Dissector();
    const ask = (t: number, v: number) => d.dissect(rec(inband(6, t, 64, (b) => header(9, 1)(b.u16(12, v).u16(14, 0)))));
    const answer = (t: number, v: number, status: number) => d.dissect(rec(inband(11, t, 64, (b) => header(1, 0, status)(b.u16(12, v))), { direction: Direction.HostToGuest }));
    const r1 = ask(10, 0x0602);
    expectField(r1, "vstor.version.major_minor", 0x0602, V + 12, 2);
    expectField(r1, "vstor.version.revision", 0, V + 14, 2);
    const a1 = answer(10, 0x0602, 0xc0000059);
    expectClean(a1);
    assert.equal(node(a1, "vstor.status").field.values?.[0xc0000059], "STATUS_REVISION_MISMATCH");
    assert.match(a1.info, /STATUS_REVISION_MISMATCH/);
    assert.equal(d.session.snapshot().channels[RELID]?.["channel.vstor.version"], undefined);
    ask(11, 0x0600);
    const a2 = answer(11, 0x0600, 0);
    expectClean(a2);
    assert.equal(d.session.snapshot().channels[RELID]["channel.vstor.version"], 0x0600);
  });

  test("QUERY_PROPERTIES response: channel properties (B3.2)", () => {
    const d = new Dissector();
    d.dissect(rec(inband(6, 20, 64, header(10, 1))));
    const r = d.dissect(rec(inband(11, 20, 64, (b) => header(1, 0)(b.u32(12, 0).u16(16, 7).u16(18, 0).u32(20, 1).u32(24, 0x40000).u64(28, 0))), { direction: Direction.HostToGuest }));
    expectClean(r);
    expectField(r, "vstor.props.max_sub_channels", 7, V + 16, 2);
    expectField(r, "vstor.props.flags", 1, V + 20, 4);
    expectBits(r, "vstor.props.flags", { multi_channel: true });
    expectField(r, "vstor.props.max_transfer_bytes", 0x40000, V + 24, 4);
    expectField(r, "vstor.props.reserved3", 0, V + 28, 8);
  });

  test("FCHBA_DATA: WWNs are big-endian 8-byte names (B3.4)", () => {
    const d = new Dissector();
    const wwpn = [0x50, 0x01, 0x43, 0x80, 0x12, 0x34, 0x56, 0x78];
    const wwnn = [0x50, 0x01, 0x43, 0x80, 0x12, 0x34, 0x56, 0x79];
    d.dissect(rec(inband(6, 30, 64, header(12, 1))));
    const r = d.dissect(rec(inband(11, 30, 64, (b) => header(1, 0)(b.u8(12, 1).raw(16, wwpn).raw(24, wwnn))), { direction: Direction.HostToGuest }));
    expectClean(r);
    expectField(r, "vstor.fc.primary_active", 1, V + 12, 1);
    expectField(r, "vstor.fc.primary_port_wwn", 0x5001438012345678n, V + 16, 8);
    expectField(r, "vstor.fc.primary_node_wwn", 0x5001438012345679n, V + 24, 8);
    expectField(r, "vstor.fc.secondary_node_wwn", 0, V + 40, 8);
  });

  test("CREATE_SUB_CHANNELS count and EVENT_NOTIFICATION address", () => {
    const d = new Dissector();
    const sub = d.dissect(rec(inband(6, 40, 64, (b) => header(13, 1)(b.u16(12, 3)))));
    expectField(sub, "vstor.subch.count", 3, V + 12, 2);
    const event = d.dissect(rec(inband(6, 0, 64, (b) => header(14, 0)(b.u8(12, 2).u8(13, 1).u8(14, 0).u8(15, 0x01)), 0), { direction: Direction.HostToGuest }));
    expectClean(event);
    expectField(event, "vstor.notify.lun", 2, V + 12, 1);
    expectField(event, "vstor.notify.target", 1, V + 13, 1);
    expectField(event, "vstor.notify.flags", 1, V + 15, 1);
  });
});

describe("EXECUTE_SRB and the CDB (B3.1, C2)", () => {
  test("READ(10) in a 64-byte packet without negotiation: Win8 layout from the size, CDB in its own layer", () => {
    const d = new Dissector();
    const r = d.dissect(rec(gpaDirect(50, 4096, 64, (b) => srb(b, [0x28, 0x08, 0, 0, 0x08, 0, 0, 0, 8, 0], { transfer: 4096 }))));
    expectClean(r);
    expectChildrenInside(r);
    expectField(r, "vstor.srb.length", 0x34, G + 12, 2);
    expectField(r, "vstor.srb.target_id", 1, G + 18, 1);
    expectField(r, "vstor.srb.lun", 3, G + 19, 1);
    expectField(r, "vstor.srb.cdb_length", 10, G + 20, 1);
    expectField(r, "vstor.srb.data_in", 1, G + 22, 1);
    expectField(r, "vstor.srb.data_transfer_length", 4096, G + 24, 4);
    expectField(r, "vstor.srb.queue_tag", 0xff, G + 50, 1);
    expectField(r, "vstor.srb.srb_flags", 0x14a, G + 52, 4);
    expectBits(r, "vstor.srb.srb_flags", { data_in: true, data_out: false, disable_synch_transfer: true, queue_action_enable: true });
    expectField(r, "vstor.srb.time_out_value", 60, G + 56, 4);
    const scsi = layer(r, "vscsi");
    expectField(scsi, "vscsi.opcode", 0x28, G + 28, 1);
    expectField(scsi, "vscsi.rw10.flags", 0x08, G + 29, 1);
    expectBits(scsi, "vscsi.rw10.flags", { fua: true, dpo: false });
    expectField(scsi, "vscsi.rw10.lba", 2048, G + 30, 4);
    expectField(scsi, "vscsi.rw10.transfer_length", 8, G + 35, 2);
    assert.match(r.info, /READ\(10\) LBA 2048 len 8/);
    assert.match(String(node(r, "vstor.layout").value), /Win8\+.*64-byte packet/);
  });

  test("pre-Win8: a 48-byte packet has no Win8 extension; after negotiating 4.2 the rule names the version", () => {
    const d = new Dissector();
    const r = d.dissect(rec(inband(6, 60, 48, (b) => srb(b, [0x00, 0, 0, 0, 0, 0], { win8: false, dataIn: 2 }))));
    expectClean(r);
    expectField(r, "vstor.srb.length", 0x24, V + 12, 2);
    expectField(r, "vstor.srb.sense_info_length", 0x12, V + 21, 1);
    expectAbsent(r, "vstor.srb.srb_flags");
    assert.match(String(node(r, "vstor.layout").value), /pre-Win8.*48-byte packet/);
    assert.equal(node(layer(r, "vscsi"), "vscsi.opcode").value, 0);
    // Negotiate 4.2; then even a 64-byte packet (Linux pads) is read with the 36-byte layout.
    d.dissect(rec(inband(6, 61, 64, (b) => header(9, 1)(b.u16(12, 0x0402)))));
    d.dissect(rec(inband(11, 61, 64, (b) => header(1, 0)(b.u16(12, 0x0402))), { direction: Direction.HostToGuest }));
    const padded = d.dissect(rec(inband(6, 62, 64, (b) => srb(b, [0x00, 0, 0, 0, 0, 0], { win8: false, dataIn: 2 }))));
    expectClean(padded);
    expectAbsent(padded, "vstor.srb.srb_flags");
    expectField(padded, "vstor.padding", new Uint8Array(16), V + 48, 16);
    assert.match(String(node(padded, "vstor.layout").value), /pre-Win8.*negotiated 4\.2/);
    // A pre-Win8 completion.
    const done = d.dissect(rec(inband(11, 62, 48, (b) => srbDone(b, { win8: false, senseLength: 0x12 })), { direction: Direction.HostToGuest }));
    expectClean(done);
    expectAbsent(done, "vstor.srb.srb_flags");
  });

  test("main CDBs decode by field (big-endian)", () => {
    const cases: { cdb: number[]; info: RegExp; fields: [string, number | bigint, number, number][] }[] = [
      { cdb: [0x12, 0x01, 0x83, 0x00, 0xff, 0x00], info: /INQUIRY VPD Device identification/, fields: [["vscsi.inquiry.page_code", 0x83, 2, 1], ["vscsi.inquiry.allocation_length", 255, 3, 2]] },
      { cdb: [0x12, 0x00, 0x00, 0x00, 0x24, 0x00], info: /INQUIRY standard data/, fields: [["vscsi.inquiry.page_code_zero", 0, 2, 1], ["vscsi.inquiry.allocation_length", 36, 3, 2]] },
      { cdb: [0x88, 0, 0, 0, 0, 0, 0x0b, 0xeb, 0xc2, 0x00, 0, 0, 0, 0x20, 0, 0], info: /READ\(16\) LBA 200000000 len 32/, fields: [["vscsi.rw16.lba", 200000000, 2, 8], ["vscsi.rw16.transfer_length", 32, 10, 4]] },
      { cdb: [0x9e, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x20, 0, 0], info: /READ CAPACITY\(16\)/, fields: [["vscsi.sai16.service_action", 0x10, 1, 1], ["vscsi.sai16.allocation_length", 32, 10, 4]] },
      { cdb: [0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0], info: /READ CAPACITY\(10\)/, fields: [["vscsi.readcap10.lba", 0, 2, 4]] },
      { cdb: [0x0a, 0x01, 0x02, 0x03, 0x10, 0x00], info: /WRITE\(6\) LBA 66051 len 16/, fields: [["vscsi.rw6.lba", 0x010203, 1, 3]] },
      { cdb: [0x42, 0, 0, 0, 0, 0, 0, 0, 0x28, 0], info: /UNMAP param 40/, fields: [["vscsi.unmap.parameter_list_length", 40, 7, 2]] },
      { cdb: [0x1a, 0x08, 0x3f, 0x00, 0xc0, 0x00], info: /MODE SENSE\(6\) current values, all pages/, fields: [["vscsi.modesense6.page", 0x3f, 2, 1], ["vscsi.modesense6.allocation_length", 192, 4, 1]] },
      { cdb: [0xa0, 0, 0x02, 0, 0, 0, 0, 0, 0x10, 0x00, 0, 0], info: /REPORT LUNS alloc 4096/, fields: [["vscsi.reportluns.select_report", 2, 2, 1], ["vscsi.reportluns.allocation_length", 4096, 6, 4]] },
      { cdb: [0x35, 0x02, 0, 0, 0, 0, 0, 0, 0, 0], info: /SYNCHRONIZE CACHE\(10\) LBA 0 blocks 0/, fields: [["vscsi.sync10.flags", 2, 1, 1]] },
      { cdb: [0xa3, 0x0c, 0x01, 0x28, 0, 0, 0, 0, 0x02, 0, 0, 0], info: /MAINTENANCE IN REPORT SUPPORTED OPERATION CODES/, fields: [["vscsi.maintin.requested_opcode", 0x28, 3, 1], ["vscsi.maintin.allocation_length", 512, 6, 4]] },
      { cdb: [0x5f, 0x01, 0x01, 0, 0, 0, 0, 0, 0x18, 0], info: /PERSISTENT RESERVE OUT RESERVE/, fields: [["vscsi.prout.scope_type", 1, 2, 1], ["vscsi.prout.parameter_list_length", 24, 5, 4]] },
      { cdb: [0x1b, 0x00, 0, 0, 0x01, 0], info: /START STOP UNIT \[START\]/, fields: [["vscsi.startstop.start", 1, 4, 1]] },
    ];
    const d = new Dissector();
    cases.forEach((c, i) => {
      const r = d.dissect(rec(inband(6, 70 + i, 64, (b) => srb(b, c.cdb, { dataIn: 2 }))));
      expectClean(r);
      for (const [filter, value, at, length] of c.fields) expectField(layer(r, "vscsi"), filter, value, V + 28 + at, length);
      assert.match(r.info, c.info, r.info);
    });
  });

  test("an unknown opcode keeps its bytes", () => {
    const r = new Dissector().dissect(rec(inband(6, 90, 64, (b) => srb(b, [0xc0, 1, 2, 3, 4, 5], { dataIn: 2 }))));
    expectClean(r);
    expectField(r, "vscsi.other.cdb_bytes", Uint8Array.from([1, 2, 3, 4, 5]), V + 29, 5);
  });
});

describe("sense data (C5)", () => {
  test("fixed format in a CHECK CONDITION completion: UNIT ATTENTION 29/00", () => {
    const d = new Dissector();
    d.dissect(rec(inband(6, 100, 64, (b) => srb(b, [0, 0, 0, 0, 0, 0], { dataIn: 2 }))));
    const sense = [0x70, 0, 0x06, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x29, 0x00, 0, 0, 0, 0];
    const r = d.dissect(rec(inband(11, 100, 64, (b) => srbDone(b, { srbStatus: 0x84, scsiStatus: 0x02, sense })), { direction: Direction.HostToGuest }));
    expectClean(r);
    expectChildrenInside(r);
    expectField(r, "vstor.srb.srb_status", 0x84, V + 14, 1);
    expectBits(r, "vstor.srb.srb_status", { autosense_valid: true, queue_frozen: false });
    assert.equal(node(r, "vstor.srb.srb_status").field.values?.[0x84], "ERROR");
    expectField(r, "vstor.srb.scsi_status", 2, V + 15, 1);
    assert.equal(node(r, "vstor.srb.scsi_status").field.values?.[2], "CHECK CONDITION");
    const s = layer(r, "vscsi");
    expectField(s, "vscsi.sense.response_code", 0x70, V + 28, 1);
    expectField(s, "vscsi.sense.key_byte", 0x06, V + 30, 1);
    expectField(s, "vscsi.sense.additional_length", 10, V + 35, 1);
    expectField(s, "vscsi.sense.asc", 0x29, V + 40, 1);
    expectField(s, "vscsi.sense.ascq", 0x00, V + 41, 1);
    assert.equal(node(s, "vscsi.sense.sense_key").value, 6);
    assert.equal(node(s, "vscsi.sense.asc_ascq").value, 0x2900);
    assert.match(r.info, /TEST UNIT READY .*UNIT ATTENTION 0x29\/0x00 Power on, reset, or bus device reset occurred/);
  });

  test("sense data stating more bytes than the sense area holds is a note on the additional length", () => {
    const d = new Dissector();
    d.dissect(rec(inband(6, 102, 64, (b) => srb(b, [0, 0, 0, 0, 0, 0], { dataIn: 2 }))));
    const sense = [0x70, 0, 0x06, 0, 0, 0, 0, 40, 0, 0, 0, 0, 0x29, 0x00, 0, 0, 0, 0];
    const r = d.dissect(rec(inband(11, 102, 64, (b) => srbDone(b, { srbStatus: 0x84, scsiStatus: 0x02, sense })), { direction: Direction.HostToGuest }));
    assert.equal(r.malformed, false);
    const note = r.experts.find((e) => e.severity === "note" && e.group === "protocol");
    assert.equal(note?.text, "sense data states 48 bytes; only 18 are in the buffer (the vmscsi sense area holds 20, 18 before 5.1)");
    assert.equal(note?.filter, "vscsi.sense.additional_length");
    assert.equal(note?.offset, V + 35);
  });

  test("descriptor format: ILLEGAL REQUEST 24/00 with an information descriptor", () => {
    const d = new Dissector();
    d.dissect(rec(inband(6, 101, 64, (b) => srb(b, [0x12, 0x01, 0x99, 0, 0xff, 0], { dataIn: 1 }))));
    const sense = [0x72, 0x05, 0x24, 0x00, 0, 0, 0, 12, 0x00, 10, 0x80, 0, 0, 0, 0, 0, 0, 0, 0x12, 0x34];
    const r = d.dissect(rec(inband(11, 101, 64, (b) => srbDone(b, { srbStatus: 0x84, scsiStatus: 0x02, sense })), { direction: Direction.HostToGuest }));
    expectClean(r);
    const s = layer(r, "vscsi");
    expectField(s, "vscsi.sense.sense_key", 5, V + 29, 1);
    expectField(s, "vscsi.sense.asc", 0x24, V + 30, 1);
    expectField(s, "vscsi.sense.additional_length", 12, V + 35, 1);
    expectField(s, "vscsi.sense.desc.type", 0, V + 36, 1);
    expectField(s, "vscsi.sense.desc.length", 10, V + 37, 1);
    expectField(s, "vscsi.sense.desc.data", Uint8Array.from([0x80, 0, 0, 0, 0, 0, 0, 0, 0x12, 0x34]), V + 38, 10);
    assert.match(r.info, /ILLEGAL REQUEST 0x24\/0x00 Invalid field in CDB/);
  });

  test("no sense layer without AUTOSENSE_VALID", () => {
    const d = new Dissector();
    d.dissect(rec(inband(6, 102, 64, (b) => srb(b, [0, 0, 0, 0, 0, 0], { dataIn: 2 }))));
    const r = d.dissect(rec(inband(11, 102, 64, (b) => srbDone(b, { srbStatus: 0x04, scsiStatus: 0x02, sense: [0x70, 0, 6] })), { direction: Direction.HostToGuest }));
    expectClean(r);
    assert.equal(findNode(r, "vscsi.sense.response_code"), undefined);
  });
});

describe("data buffers paired by transaction id (C3)", () => {
  function exchange(cdb: number[], data: Uint8Array, options: { onRequest?: boolean; dataIn?: number } = {}) {
    const d = new Dissector();
    const transId = 0x4242;
    const request = d.dissect(rec(gpaDirect(transId, data.length, 64, (b) => srb(b, cdb, { transfer: data.length, dataIn: options.dataIn ?? 1 })), { attached: options.onRequest ? data : undefined }));
    const done = d.dissect(rec(inband(11, transId, 64, (b) => srbDone(b, { transfer: data.length })), { direction: Direction.HostToGuest, attached: options.onRequest ? undefined : data, microsLater: 420 }));
    return { request, done };
  }

  test("standard INQUIRY data: vendor, product, revision", () => {
    const data = Uint8Array.from([0x00, 0x00, 0x06, 0x12, 31, 0, 0, 0x02, ...asciiBytes("Msft    "), ...asciiBytes("Virtual Disk    "), ...asciiBytes("1.0 ")]);
    const { request, done } = exchange([0x12, 0, 0, 0, 36, 0], data);
    expectClean(request);
    expectClean(done);
    const inq = layer(done, "vscsi");
    expectField(inq, "vscsi.inq.peripheral", 0, 0, 1);
    expectField(inq, "vscsi.inq.version", 6, 2, 1);
    expectField(inq, "vscsi.inq.vendor", "Msft    ", 8, 8);
    expectField(inq, "vscsi.inq.product", "Virtual Disk    ", 16, 16);
    expectField(inq, "vscsi.inq.revision", "1.0 ", 32, 4);
    expectBits(inq, "vscsi.inq.flags7", { cmdque: true });
    assert.equal(inq.source, 1);
    assert.equal(node(done, "vstor.request_in").value, request.record.origin.number);
    assert.equal(node(done, "vstor.time").value, 0.00042);
    assert.match(String(node(done, "vstor.answers").value), /INQUIRY standard data/);
  });

  test("VPD pages 0x00 and 0x80", () => {
    const supported = exchange([0x12, 1, 0x00, 0, 0xff, 0], Uint8Array.from([0, 0x00, 0, 4, 0x00, 0x80, 0x83, 0xb0]));
    expectClean(supported.done);
    const pages = findAll(layer(supported.done, "vscsi"), "vscsi.vpd.supported");
    assert.deepEqual(pages.map((p) => p.value), [0x00, 0x80, 0x83, 0xb0]);
    const serial = exchange([0x12, 1, 0x80, 0, 0xff, 0], Uint8Array.from([0, 0x80, 0, 6, ...asciiBytes("ABC123")]));
    expectClean(serial.done);
    expectField(layer(serial.done, "vscsi"), "vscsi.vpd.serial", "ABC123", 4, 6);
  });

  test("READ CAPACITY(10): blocks and bytes", () => {
    const { done } = exchange([0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0], Uint8Array.from([...be32(0x0fdfffff), ...be32(512)]));
    expectClean(done);
    const cap = layer(done, "vscsi");
    expectField(cap, "vscsi.cap.last_lba", 0x0fdfffff, 0, 4);
    expectField(cap, "vscsi.cap.block_length", 512, 4, 4);
    assert.equal(node(cap, "vscsi.cap.blocks").value, 0x0fe00000);
    assert.equal(node(cap, "vscsi.cap.bytes").value, 0x0fe00000 * 512);
    assert.match(done.info, /127\.00 GiB/);
  });

  test("REPORT LUNS list", () => {
    const data = Uint8Array.from([0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    const { done } = exchange([0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 24, 0, 0], data);
    expectClean(done);
    assert.deepEqual(findAll(layer(done, "vscsi"), "vscsi.luns.lun").map((n) => n.value), [0, 1]);
  });

  test("READ(10) data: block data and its length (generated, the buffer's size)", () => {
    const { done } = exchange([0x28, 0, 0, 0, 0, 8, 0, 0, 1, 0], new Uint8Array(512).fill(0xa5));
    expectClean(done);
    const blocks = layer(done, "vscsi");
    assert.equal((node(blocks, "vscsi.data.block_data").value as Uint8Array).length, 512);
    const length = node(blocks, "vscsi.data.block_data_length");
    assert.equal(length.value, 512);
    assert.equal(length.generated, true);
  });

  test("UNMAP parameter list as data-out on the request", () => {
    const data = Uint8Array.from([0, 22, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0x08, 0, 0, 0, 0, 0]);
    const { request } = exchange([0x42, 0, 0, 0, 0, 0, 0, 0, 24, 0], data, { onRequest: true, dataIn: 0 });
    expectClean(request);
    const list = layer(request, "vscsi", 1);
    expectField(list, "vscsi.unmap.descriptor_data_length", 16, 2, 2);
    expectField(list, "vscsi.unmap.lba", 4096, 8, 8);
    expectField(list, "vscsi.unmap.blocks", 2048, 16, 4);
  });

  test("MODE SENSE(6): header and caching page", () => {
    const data = Uint8Array.from([11, 0, 0x10, 0, 0x08, 6, 0x04, 0, 0, 0, 0, 0]);
    const { done } = exchange([0x1a, 0, 0x08, 0, 12, 0], data);
    expectClean(done);
    const mode = layer(done, "vscsi");
    expectBits(mode, "vscsi.mode.device_specific", { dpofua: true, wp: false });
    expectField(mode, "vscsi.mode.page_code", 0x08, 4, 1);
    expectBits(mode, "vscsi.mode.caching.flags", { wce: true, rcd: false });
  });
});

describe("round trips and recognition", () => {
  test("the storage sample decodes clean, with every completion paired", async () => {
    const { storageSession } = await import("../../samples/storage.js");
    const d = new Dissector();
    const records = storageSession();
    let paired = 0;
    for (const record of records) {
      const r = d.dissect(record);
      expectClean(r);
      expectChildrenInside(r);
      if (findNode(r, "vstor.request_in")) paired++;
    }
    assert.equal(paired, records.length / 2);
  });

  test("CDBs and data encoded by the descriptions decode to the same values", async () => {
    const { encodeStruct } = await import("../../dissectors/describe/encode.js");
    const { cdbRoot } = await import("../../dissectors/storvsc/scsi.js");
    const bytes = encodeStruct(cdbRoot, { opcode: 0x8a, command: { flags: 0x08, lba: 0x1_0000_0000, transfer_length: 64, group: 0, control: 0 } });
    assert.deepEqual(Array.from(bytes), [0x8a, 0x08, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 64, 0, 0]);
    const r = new Dissector().dissect(rec(inband(6, 200, 64, (b) => srb(b, Array.from(bytes), { dataIn: 0 }))));
    expectClean(r);
    expectField(layer(r, "vscsi"), "vscsi.rw16.lba", 0x1_0000_0000, V + 30, 8);
  });

  test("recognise: vstor packets yes, other payloads no", async () => {
    const { storageSession } = await import("../../samples/storage.js");
    for (const record of storageSession()) {
      const view = new DataView(record.payload.buffer, record.payload.byteOffset);
      const start = view.getUint16(2, true) * 8;
      assert.equal(recogniseVstor(record.payload.subarray(start, view.getUint16(4, true) * 8), view.getUint16(0, true)), true);
    }
    assert.equal(recogniseVstor(new Uint8Array(40), 6), false);
    assert.equal(recogniseVstor(new Bytes(64).u32(0, 99).bytes, 6), false);
    assert.equal(recogniseVstor(new Bytes(64).u32(0, 7).u32(4, 0x10).bytes, 6), false);
  });
});

describe("malformed input marks the record and decoding goes on", () => {
  test("sense length beyond the 20-byte area", () => {
    const d = new Dissector();
    d.dissect(rec(inband(6, 300, 64, (b) => srb(b, [0, 0, 0, 0, 0, 0], { dataIn: 2 }))));
    const r = d.dissect(rec(inband(11, 300, 64, (b) => srbDone(b, { srbStatus: 0x84, scsiStatus: 2, sense: [0x70, 0, 6, 0, 0, 0, 0, 10], senseLength: 24 })), { direction: Direction.HostToGuest }));
    assert.equal(r.malformed, true);
    assert.ok(errors(r).some((e) => /sense length 24/.test(e.text)));
    expectClean(d.dissect(rec(inband(6, 301, 64, header(8, 1)))));
  });

  test("CDB length beyond 16", () => {
    const r = new Dissector().dissect(rec(inband(6, 310, 64, (b) => srb(b, [0x28, 0, 0, 0, 0, 1, 0, 0, 1, 0], { cdbLength: 20 }))));
    assert.equal(r.malformed, true);
    assert.ok(errors(r).some((e) => /CDB length 20/.test(e.text) && e.offset === V + 20));
    assert.equal(node(layer(r, "vscsi"), "vscsi.rw10.lba").value, 1);
  });

  test("a truncated packet", () => {
    const d = new Dissector();
    const r = d.dissect(rec(inband(6, 320, 24, (b) => b.u32(0, 3).u32(4, 1).u16(12, 0x34))));
    assert.equal(r.malformed, true);
    expectClean(d.dissect(rec(inband(6, 321, 64, header(7, 1)))));
  });

  test("INQUIRY data shorter than 36 bytes", () => {
    const d = new Dissector();
    d.dissect(rec(gpaDirect(330, 36, 64, (b) => srb(b, [0x12, 0, 0, 0, 36, 0], { transfer: 36 }))));
    const r = d.dissect(rec(inband(11, 330, 64, (b) => srbDone(b, { transfer: 20 })), { direction: Direction.HostToGuest, attached: Uint8Array.from([0, 0, 6, 0x12, 31, 0, 0, 2, ...asciiBytes("Msft    "), 0x56, 0x69, 0x72, 0x74]) }));
    assert.equal(r.malformed, true);
    assert.ok(errors(r).some((e) => e.source === 1));
    expectClean(d.dissect(rec(inband(6, 331, 64, header(8, 1)))));
  });

  test("an unknown operation", () => {
    const r = new Dissector().dissect(rec(inband(6, 340, 64, header(99, 1))));
    assert.equal(r.malformed, true);
  });

  test("a completion whose request was not seen: a note, and the payload read as a vmscsi response by its length", () => {
    const r = new Dissector().dissect(rec(inband(11, 350, 64, (b) => srbDone(b, {})), { direction: Direction.HostToGuest }));
    expectClean(r);
    assert.ok(r.experts.some((e) => /no request seen/.test(e.text)));
    expectField(r, "vstor.srb.srb_status", 1, V + 14, 1);
  });
});

describe("the three controller classes share the protocol", () => {
  for (const [name, guid] of [["IDE", "32412632-86cb-44a2-9b5c-50d1417354f5"], ["Fibre Channel", "2f9bcc4a-0069-4af3-b76b-6fd0be528cda"]]) {
    test(`${name} channel packets decode as vstor`, () => {
      const record = packetRecord(9, inband(6, 1, 64, header(7, 1)), { classGuid: guidBytes(guid) });
      const r = new Dissector().dissect(record);
      expectClean(r);
      assert.equal(r.layers[1].field.filter, "vstor");
      assert.equal(node(r, "vstor.operation").value, 7);
    });
  }

  test("data captured with the request (READ CAPACITY(10) data on the request record) is decoded by the CDB", () => {
    const d = new Dissector();
    const r = d.dissect(rec(gpaDirect(500, 8, 64, (b) => srb(b, [0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0], { transfer: 8 })), { attached: Uint8Array.from([...be32(2047), ...be32(4096)]) }));
    expectClean(r);
    expectField(layer(r, "vscsi", 1), "vscsi.cap.block_length", 4096, 4, 4);
    assert.equal(node(r, "vscsi.cap.bytes").value, 2048 * 4096);
  });
});
