// vPCI messages (devices.md §14) decoded from bytes written by hand at the offsets of the reference
// tables. Frame offsets: pseudo-header 0..27, packet descriptor 28..43, payload from 44 (in-band and
// completion packets, offset8 = 2). `at` below is the payload offset; the frame offset is 44 + at.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Direction } from "../../capture/record.js";
import { Dissector } from "../../dissectors/dissect.js";
import { encodeStruct, type EncodeValues } from "../../dissectors/describe/encode.js";
import { recogniseVpci } from "../../dissectors/vpci/index.js";
import { VPCI_BASE, vpciMessage, vpciReplies, vpciTypes } from "../../dissectors/vpci/vpci.js";
import type { FieldValue } from "../../dissectors/tree.js";
import { pciMemorySession } from "../../samples/pci-memory.js";
import {
  Bytes, errors, expectAbsent, expectBits, expectChildrenInside, expectClean, expectField, expectMalformedAt, findAll, findNode, guidBytes, node, packetRecord,
} from "./tree-helpers.js";

const VPCI = guidBytes("44c4f61d-4444-4400-9d52-802e27ede19f");
const PAY = 44;
const RELID = 31;
const T = (n: number): number => VPCI_BASE + n;
let transIds = 0x100;

/** A ring packet of type `type` (6 in-band, 11 completion) around the payload. */
function ringPacket(type: number, payload: Uint8Array, options: { flags?: number; transId?: number; len8?: number } = {}): Uint8Array {
  const len8 = options.len8 ?? 2 + Math.ceil(payload.length / 8);
  const bytes = new Bytes(len8 * 8).u16(0, type).u16(2, 2).u16(4, len8).u16(6, options.flags ?? (type === 11 ? 0 : 1))
    .u64(8, options.transId ?? ++transIds);
  bytes.raw(16, payload.subarray(0, len8 * 8 - 16));
  return bytes.bytes;
}

function record(type: number, payload: Uint8Array, options: { flags?: number; transId?: number; direction?: Direction; len8?: number; timestampNs?: bigint } = {}) {
  return packetRecord(RELID, ringPacket(type, payload, options), {
    classGuid: VPCI, direction: options.direction ?? (type === 11 ? Direction.HostToGuest : Direction.GuestToHost), timestampNs: options.timestampNs,
  });
}

const words = (...values: number[]): Bytes => {
  const bytes = new Bytes(values.length * 4);
  values.forEach((value, i) => bytes.u32(i * 4, value));
  return bytes;
};

/** A request then its completion on one dissector; returns the completion's dissection. */
function exchange(dissector: Dissector, request: Uint8Array, reply: Uint8Array) {
  const transId = ++transIds;
  const first = dissector.dissect(record(6, request, { transId, timestampNs: 1_000_000n }));
  expectClean(first);
  return dissector.dissect(record(11, reply, { transId, timestampNs: 1_120_000n }));
}

type Expect = [filter: string, value: FieldValue, at: number, length: number];
interface Case { name: string; n: number; bytes: Bytes; expect: Expect[]; info?: string; direction?: Direction }

/** A 20-byte function description (§14.4) at `at`. */
const device = (b: Bytes, at: number, vendor: number, dev: number, wslot: number, serial: number): Bytes =>
  b.u16(at, vendor).u16(at + 2, dev).u8(at + 4, 0x80).u8(at + 5, 0).u8(at + 6, 0).u8(at + 7, 2).u16(at + 8, vendor).u16(at + 10, 0x0190)
    .u32(at + 12, wslot).u32(at + 16, serial);

/** Six partial resource descriptors (§14.10) at 8: BAR0 64-bit memory, the rest null. */
const withBars = (b: Bytes, at = 8): Bytes => b.u8(at, 3).u8(at + 1, 1).u16(at + 2, 0x0004).u64(at + 4, 0xfe0000000).u32(at + 12, 0x100000);

/** MSI descriptor v2 (70 bytes) at `at`: vector, delivery, count, processor count, processors 0..n-1. */
function msi2(b: Bytes, at: number, vector: number, cpus: number): Bytes {
  b.u8(at, vector).u8(at + 1, 0).u16(at + 2, 1).u16(at + 4, cpus);
  for (let i = 0; i < cpus; i++) b.u16(at + 6 + 2 * i, i);
  return b;
}
function msi3(b: Bytes, at: number, vector: number, cpus: number): Bytes {
  b.u32(at, vector).u8(at + 4, 0).u8(at + 5, 0).u16(at + 6, 1).u16(at + 8, cpus);
  for (let i = 0; i < cpus; i++) b.u16(at + 10 + 2 * i, i + 4);
  return b;
}

const SLOT = 0x2 | (1 << 5); // device 2, function 1

const cases: Case[] = [
  { name: "BUS_RELATIONS", n: 0x00, direction: Direction.HostToGuest, bytes: device(words(T(0), 1, 0, 0, 0, 0, 0), 8, 0x15b3, 0x101e, SLOT, 0x7e21),
    info: "vPCI BUS_RELATIONS 1 device(s) 15b3:101e (Mellanox ConnectX Family mlx5Gen VF)", expect: [
      ["vpci.device_count", 1, 4, 4], ["vpci.dev.vendor_id", 0x15b3, 8, 2], ["vpci.dev.device_id", 0x101e, 10, 2], ["vpci.dev.revision_id", 0x80, 12, 1],
      ["vpci.dev.base_class", 2, 15, 1], ["vpci.dev.subsystem_vendor_id", 0x15b3, 16, 2], ["vpci.dev.subsystem_id", 0x0190, 18, 2],
      ["vpci.slot", SLOT, 20, 4], ["vpci.slot.device", 2, 20, 4], ["vpci.slot.function", 1, 20, 4], ["vpci.dev.serial_number", 0x7e21, 24, 4],
      ["vpci.dev.pci_id", "15b3:101e", 28, 0]] }, // generated, after the function's fields
  { name: "QUERY_BUS_RELATIONS", n: 0x01, bytes: words(T(1)), info: "vPCI QUERY_BUS_RELATIONS", expect: [] },
  { name: "INVALIDATE_DEVICE (not public)", n: 0x02, bytes: words(T(2), 0xaabbccdd), info: "(layout not public)", expect: [["vpci.body_data", words(0xaabbccdd).bytes, 4, 4]] },
  { name: "INVALIDATE_BUS (not public)", n: 0x03, bytes: words(T(3), 7), expect: [["vpci.body_data", words(7).bytes, 4, 4]] },
  { name: "DEVICE_POWER_STATE_CHANGE", n: 0x04, bytes: words(T(4), SLOT, 4, 0), info: "vPCI DEVICE_POWER_STATE_CHANGE slot 2.1 D3", expect: [
    ["vpci.slot", SLOT, 4, 4], ["vpci.target_state", 4, 8, 4], ["vpci.power_reserved", 0, 12, 4]] },
  { name: "CURRENT_RESOURCE_REQUIREMENTS", n: 0x05, bytes: words(T(5), SLOT), info: "vPCI CURRENT_RESOURCE_REQUIREMENTS slot 2.1", expect: [["vpci.slot.device", 2, 4, 4]] },
  { name: "GET_RESOURCES", n: 0x06, bytes: words(T(6), SLOT, 0, 0, 0, 0, 0, 0), expect: [["vpci.slot", SLOT, 4, 4], ["vpci.get_reserved", new Uint8Array(24), 8, 24]] },
  { name: "FDO_D0_ENTRY", n: 0x07, bytes: new Bytes(16).u32(0, T(7)).u64(8, 0xfe0100000), info: "vPCI FDO_D0_ENTRY MMIO 0xfe0100000", expect: [
    ["vpci.d0_reserved", 0, 4, 4], ["vpci.mmio_base", 0xfe0100000, 8, 8]] },
  { name: "FDO_D0_EXIT", n: 0x08, bytes: words(T(8)), info: "vPCI FDO_D0_EXIT", expect: [] },
  { name: "READ_BLOCK", n: 0x09, bytes: words(T(9), 3, SLOT, 64), info: "vPCI READ_BLOCK block 3 slot 2.1 64 bytes", expect: [
    ["vpci.block_id", 3, 4, 4], ["vpci.slot", SLOT, 8, 4], ["vpci.bytes_requested", 64, 12, 4]] },
  { name: "WRITE_BLOCK (Linux: 4 extra zero bytes)", n: 0x0a, bytes: words(T(10), 1, SLOT, 8, 0x04030201, 0x08070605, 0), info: "vPCI WRITE_BLOCK block 1 slot 2.1 8 bytes", expect: [
    ["vpci.block_id", 1, 4, 4], ["vpci.byte_count", 8, 12, 4], ["vpci.block_data", Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), 16, 8], ["vpci.trailing", new Uint8Array(8), 24, 8]] }, // 4 Linux bytes + 4 of VMBus padding
  { name: "EJECT", n: 0x0b, direction: Direction.HostToGuest, bytes: words(T(11), SLOT), info: "vPCI EJECT slot 2.1", expect: [["vpci.slot.function", 1, 4, 4]] },
  { name: "QUERY_STOP (not public)", n: 0x0c, bytes: words(T(12), SLOT), expect: [["vpci.body_data", words(SLOT).bytes, 4, 4]] },
  { name: "RE_ENABLE (not public)", n: 0x0d, bytes: words(T(13), SLOT), expect: [["vpci.body_data", words(SLOT).bytes, 4, 4]] },
  { name: "QUERY_STOP_FAILED (not public)", n: 0x0e, bytes: words(T(14), SLOT), expect: [["vpci.body_data", words(SLOT).bytes, 4, 4]] },
  { name: "EJECT_COMPLETE", n: 0x0f, bytes: words(T(15), SLOT, 0), info: "vPCI EJECT_COMPLETE slot 2.1 STATUS_SUCCESS", expect: [["vpci.slot", SLOT, 4, 4], ["vpci.status", 0, 8, 4]] },
  { name: "ASSIGNED_RESOURCES (16-byte MSI entries)", n: 0x10,
    bytes: withBars(new Bytes(152).u32(0, T(16)).u32(4, SLOT)).u32(128, 1).u8(136, 0x30).u8(137, 1).u16(138, 4).u64(144, 0xffffffffffffffffn),
    info: "vPCI ASSIGNED_RESOURCES slot 2.1, 1 MSI vector 0x30 x4", expect: [
      ["vpci.mmio_resources", 6, 8, 120], ["vpci.res.res_type", 3, 8, 1], ["vpci.res.share_disposition", 1, 9, 1], ["vpci.res.res_flags", 4, 10, 2],
      ["vpci.res.start", 0xfe0000000, 12, 8], ["vpci.res.length", 0x100000, 20, 4], ["vpci.res.res_extra", 0, 24, 4],
      ["vpci.msi_resource_count", 1, 128, 4], ["vpci.msi_count_reserved", 0, 132, 4], ["vpci.msi.vector", 0x30, 136, 1], ["vpci.msi.delivery_mode", 1, 137, 1],
      ["vpci.msi.vector_count", 4, 138, 2], ["vpci.msi.processor_mask", 0xffffffffffffffffn, 144, 8]] },
  { name: "RELEASE_RESOURCES", n: 0x11, bytes: words(T(17), SLOT), info: "vPCI RELEASE_RESOURCES slot 2.1", expect: [["vpci.slot", SLOT, 4, 4]] },
  { name: "INVALIDATE_BLOCK", n: 0x12, direction: Direction.HostToGuest, bytes: new Bytes(16).u32(0, T(18)).u32(4, SLOT).u64(8, 0x5), info: "vPCI INVALIDATE_BLOCK slot 2.1 mask 0x5", expect: [
    ["vpci.slot", SLOT, 4, 4], ["vpci.block_mask", 5, 8, 8]] },
  { name: "QUERY_PROTOCOL_VERSION (8 bytes, Linux)", n: 0x13, bytes: words(T(19), 0x00010004), info: "vPCI QUERY_PROTOCOL_VERSION 1.4 (FE)", expect: [["vpci.protocol_version", 0x00010004, 4, 4]] },
  { name: "CREATE_INTERRUPT (v1, 24 bytes)", n: 0x14, bytes: new Bytes(24).u32(0, T(20)).u32(4, SLOT).u8(8, 0x41).u8(9, 0).u16(10, 1).u64(16, 0xf),
    info: "vPCI CREATE_INTERRUPT slot 2.1 vector 0x41 x1", expect: [["vpci.msi.vector", 0x41, 8, 1], ["vpci.msi.vector_count", 1, 10, 2], ["vpci.msi.processor_mask", 0xf, 16, 8]] },
  { name: "DELETE_INTERRUPT", n: 0x15, bytes: new Bytes(24).u32(0, T(21)).u32(4, SLOT).u16(10, 1).u32(12, 0x4041).u64(16, 0xfee00000),
    info: "vPCI DELETE_INTERRUPT slot 2.1 address 0xfee00000 data 0x4041", expect: [["vpci.int.message_count", 1, 10, 2], ["vpci.int.data", 0x4041, 12, 4], ["vpci.int.address", 0xfee00000, 16, 8]] },
  { name: "ASSIGNED_RESOURCES2 (72-byte entries)", n: 0x16, bytes: msi2(withBars(new Bytes(208).u32(0, T(22)).u32(4, SLOT)).u32(128, 1), 136, 0x22, 3),
    info: "vPCI ASSIGNED_RESOURCES2 slot 2.1, 1 MSI vector 0x22 x1", expect: [
      ["vpci.msi.vector", 0x22, 136, 1], ["vpci.msi.processor_count", 3, 140, 2], ["vpci.msi.processor_array", 32, 142, 64], ["vpci.msi.msi_reserved16", 0, 206, 2]] },
  { name: "CREATE_INTERRUPT2 (Linux: 78 bytes)", n: 0x17, bytes: msi2(new Bytes(78).u32(0, T(23)).u32(4, SLOT), 8, 0x23, 2),
    info: "vPCI CREATE_INTERRUPT2 slot 2.1 vector 0x23 x1", expect: [["vpci.msi.vector", 0x23, 8, 1], ["vpci.msi.processor_count", 2, 12, 2], ["vpci.msi.processor", 0, 14, 2]] },
  { name: "DELETE_INTERRUPT2", n: 0x18, bytes: new Bytes(24).u32(0, T(24)).u32(4, SLOT).u32(12, 0x4023).u64(16, 0xfee00000), expect: [["vpci.int.data", 0x4023, 12, 4]] },
  { name: "BUS_RELATIONS2 (28-byte entries)", n: 0x19, direction: Direction.HostToGuest,
    bytes: device(device(new Bytes(64).u32(0, T(25)).u32(4, 2), 8, 0x1414, 0x00ba, 0x1, 1).u32(28, 1).u16(32, 1), 36, 0x10de, 0x20b5, 0x3, 2),
    info: "vPCI BUS_RELATIONS2 2 device(s) 1414:00ba (Microsoft MANA VF) 10de:20b5 (NVIDIA A100 80GB PCIe)", expect: [
      ["vpci.devices", 2, 8, 56], ["vpci.dev.dev_flags", 1, 28, 4], ["vpci.dev.virtual_numa_node", 1, 32, 2], ["vpci.dev.reserved2", 0, 34, 2]] },
  { name: "ASSIGNED_RESOURCES3 (80-byte entries)", n: 0x1a, bytes: msi3(withBars(new Bytes(216).u32(0, T(26)).u32(4, SLOT)).u32(128, 1), 136, 0x2000, 1),
    expect: [["vpci.msi.vector32", 0x2000, 136, 4], ["vpci.msi.vector_count", 1, 142, 2], ["vpci.msi.processor_count", 1, 144, 2], ["vpci.msi.processor", 4, 146, 2],
      ["vpci.msi_entry.entry_padding", new Uint8Array(4), 212, 4]] },
  { name: "CREATE_INTERRUPT3 (OVMM: 84 bytes)", n: 0x1b, bytes: msi3(new Bytes(84).u32(0, T(27)).u32(4, SLOT), 8, 0x1f, 1),
    info: "vPCI CREATE_INTERRUPT3 slot 2.1 vector 0x1f x1", expect: [["vpci.msi.vector32", 0x1f, 8, 4], ["vpci.msi.msi_reserved16", 0, 82, 2]] },
  { name: "RESET_DEVICE", n: 0x1c, bytes: words(T(28), SLOT), info: "vPCI RESET_DEVICE slot 2.1", expect: [["vpci.slot", SLOT, 4, 4]] },
  { name: "VPCI_TDISP_COMMAND", n: 0x1d, bytes: new Bytes(20).u32(0, T(29)).u32(4, SLOT).u64(8, 4).u32(16, 0xdeadbeef),
    info: "vPCI VPCI_TDISP_COMMAND slot 2.1 4 bytes", expect: [["vpci.data_length", 4, 8, 8], ["vpci.tdisp_data", words(0xdeadbeef).bytes, 16, 4]] },
];

describe("every vPCI message type, bytes by hand", () => {
  for (const c of cases) {
    test(`0x${c.n.toString(16)} ${c.name}`, () => {
      const d = new Dissector().dissect(record(6, c.bytes.bytes, { direction: c.direction, flags: 0 }));
      expectClean(d);
      expectChildrenInside(d);
      assert.deepEqual(d.layers.map((l) => l.field.filter), ["vmbus", "vpci"]);
      expectField(d, "vpci.msg_type", T(c.n), PAY, 4);
      for (const [filter, value, at, length] of c.expect) expectField(d, filter, value, PAY + at, length);
      if (c.info) assert.ok(d.info.includes(c.info), `info "${d.info}" should contain "${c.info}"`);
    });
  }

  test("all 30 message types (0x42490000–0x4249001D) are named and covered", () => {
    for (let n = 0; n < 30; n++) assert.ok(vpciTypes[T(n)], `name of ${n}`);
    assert.equal(new Set(cases.map((c) => c.n)).size, 30);
  });

  test("FreeBSD's 12-byte QUERY_PROTOCOL_VERSION with is_last_attempt", () => {
    const d = new Dissector().dissect(record(6, words(T(19), 0x00010001, 1).bytes));
    expectClean(d);
    expectField(d, "vpci.version_bits", 1, PAY + 8, 4);
    expectBits(d, "vpci.version_bits", { is_last_attempt: true });
  });

  test("Linux's fixed 148-byte ASSIGNED_RESOURCES: zero count, the rest trailing", () => {
    const d = new Dissector().dissect(record(6, new Bytes(148).u32(0, T(16)).u32(4, SLOT).bytes));
    expectClean(d);
    expectField(d, "vpci.msi_resource_count", 0, PAY + 128, 4);
    expectField(d, "vpci.trailing", new Uint8Array(16), PAY + 136, 16); // 12 Linux bytes + 4 of VMBus padding
  });
});

describe("completions follow the request they answer", () => {
  test("QUERY_PROTOCOL_VERSION: refused, then accepted; the version is learned", () => {
    const dissector = new Dissector();
    let d = exchange(dissector, words(T(19), 0x00010004).bytes, words(0xc0000059, 0x00010003).bytes);
    expectClean(d);
    assert.ok(d.info.includes("vPCI COMPLETION for QUERY_PROTOCOL_VERSION STATUS_REVISION_MISMATCH"), d.info);
    assert.equal(dissector.session.snapshot().channels[RELID]?.["channel.vpci.version"], undefined);
    d = exchange(dissector, words(T(19), 0x00010003).bytes, words(0, 0x00010003).bytes);
    expectField(d, "vpci.reply.status", 0, PAY, 4);
    expectField(d, "vpci.reply.protocol_version", 0x00010003, PAY + 4, 4);
    expectField(d, "vpci.request_type", T(19), PAY, 0);
    assert.equal(findNode(d, "vpci.time")?.value, 0.00012);
    assert.equal(dissector.session.snapshot().channels[RELID]["channel.vpci.version"], 0x00010003);
  });

  test("OVMM replies 1.3 to a 1.6 request: the request's version is the channel's", () => {
    const dissector = new Dissector();
    exchange(dissector, words(T(19), 0x00010006).bytes, words(0, 0x00010003).bytes);
    assert.equal(dissector.session.snapshot().channels[RELID]["channel.vpci.version"], 0x00010006);
  });

  test("CURRENT_RESOURCE_REQUIREMENTS: probed BARs", () => {
    const d = exchange(new Dissector(), words(T(5), SLOT).bytes, words(0, 0xfff0000c, 0xffffffff, 0, 0, 0, 0).bytes);
    expectClean(d);
    const bars = findAll(d, "vpci.reply.probed_bar");
    assert.equal(bars.length, 6);
    expectField(d, "vpci.reply.probed_bar", 0xfff0000c, PAY + 4, 4);
    assert.equal(bars[1].value, 0xffffffff);
  });

  test("GET_RESOURCES: OVMM's partial resource list (no status)", () => {
    const reply = withBars(new Bytes(128).u16(0, 1).u16(2, 1).u32(4, 6));
    const d = exchange(new Dissector(), words(T(6), SLOT, 0, 0, 0, 0, 0, 0).bytes, reply.bytes);
    expectClean(d);
    expectField(d, "vpci.reply.list_count", 6, PAY + 4, 4);
    expectField(d, "vpci.res.start", 0xfe0000000, PAY + 12, 8);
  });

  test("FDO_D0_ENTRY, FDO_D0_EXIT, WRITE_BLOCK, RELEASE_RESOURCES, DELETE_INTERRUPT, RESET_DEVICE: status", () => {
    for (const [request, name] of [
      [new Bytes(16).u32(0, T(7)).u64(8, 0xfe0100000), "FDO_D0_ENTRY"], [words(T(8)), "FDO_D0_EXIT"], [words(T(10), 0, SLOT, 1, 0xff), "WRITE_BLOCK"],
      [words(T(17), SLOT), "RELEASE_RESOURCES"], [new Bytes(24).u32(0, T(21)).u32(4, SLOT), "DELETE_INTERRUPT"], [words(T(28), SLOT), "RESET_DEVICE"],
    ] as const) {
      const d = exchange(new Dissector(), request.bytes, words(name === "RESET_DEVICE" ? 0xc00000bb : 0, 0).bytes);
      expectClean(d);
      expectField(d, "vpci.reply.status", name === "RESET_DEVICE" ? 0xc00000bb : 0, PAY, 4);
      assert.ok(d.info.includes(`for ${name}`), d.info);
    }
  });

  test("DEVICE_POWER_STATE_CHANGE: what is present (Linux 16, MSVM 12, OVMM 4 bytes)", () => {
    let d = exchange(new Dissector(), words(T(4), SLOT, 1).bytes, words(0, SLOT, 1, 0).bytes);
    expectField(d, "vpci.reply.resultant_state", 1, PAY + 8, 4);
    d = exchange(new Dissector(), words(T(4), SLOT, 1).bytes, words(0).bytes);
    expectClean(d);
    expectAbsent(d, "vpci.reply.resultant_state");
  });

  test("READ_BLOCK: the data, capped at the bytes requested (the rest is padding)", () => {
    const reply = new Bytes(16).u32(0, 0).raw(4, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const d = exchange(new Dissector(), words(T(9), 0, SLOT, 8).bytes, reply.bytes);
    expectClean(d);
    expectField(d, "vpci.reply.block_data", Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), PAY + 4, 8);
    expectField(d, "vpci.padding", Uint8Array.of(9, 10, 11, 12), PAY + 12, 4);
  });

  test("CREATE_INTERRUPT2 / 3: the remapped MSI", () => {
    for (const request of [msi2(new Bytes(78).u32(0, T(23)).u32(4, SLOT), 8, 0x23, 2), msi3(new Bytes(84).u32(0, T(27)).u32(4, SLOT), 8, 0x23, 2)]) {
      const d = exchange(new Dissector(), request.bytes, new Bytes(24).u16(10, 1).u32(12, 0x4023).u64(16, 0xfee00000).bytes);
      expectClean(d);
      expectField(d, "vpci.int.message_count", 1, PAY + 10, 2);
      expectField(d, "vpci.int.data", 0x4023, PAY + 12, 4);
      expectField(d, "vpci.int.address", 0xfee00000, PAY + 16, 8);
    }
  });

  test("ASSIGNED_RESOURCES3's reply uses 72-byte entries (OVMM)", () => {
    const request = msi3(withBars(new Bytes(216).u32(0, T(26)).u32(4, SLOT)).u32(128, 1), 136, 0x2000, 1);
    const reply = withBars(new Bytes(208).u32(0, 0).u32(4, SLOT)).u32(128, 1).u16(138, 1).u32(140, 0x2000).u64(144, 0x8090000);
    const d = exchange(new Dissector(), request.bytes, reply.bytes);
    expectClean(d);
    expectField(d, "vpci.msi_entry.remapped_v2", null, PAY + 136, 72);
    expectField(d, "vpci.int.address", 0x8090000, PAY + 144, 8);
  });

  test("a completion whose request was not seen: status and bytes, a note", () => {
    const d = new Dissector().dissect(record(11, words(0, 0x1234).bytes));
    expectClean(d);
    expectField(d, "vpci.reply.status", 0, PAY, 4);
    expectField(d, "vpci.reply.reply_data", words(0x1234).bytes, PAY + 4, 4);
    assert.ok(d.experts.some((e) => e.group === "sequence"));
  });
});

describe("malformed vPCI", () => {
  test("BUS_RELATIONS whose count is beyond the message; the next record decodes", () => {
    const dissector = new Dissector();
    const d = dissector.dissect(record(6, device(words(T(0), 1000, 0, 0, 0, 0, 0), 8, 0x15b3, 0x1018, 0, 0).bytes));
    // The second function starts at 28; the payload (padded to 32) ends inside it, at its revision id.
    expectMalformedAt(d, PAY + 32);
    assert.ok(findAll(d, "vpci.dev.function").length <= 2);
    expectClean(dissector.dissect(record(6, words(T(1)).bytes)));
  });

  test("a short message: FDO_D0_ENTRY without its MMIO base", () => {
    const d = new Dissector().dissect(record(6, words(T(7), 0).bytes));
    expectMalformedAt(d, PAY + 8);
  });

  test("WRITE_BLOCK whose byte count is beyond the data, and beyond 128", () => {
    const d = new Dissector().dissect(record(6, words(T(10), 1, SLOT, 64, 0).bytes));
    assert.ok(d.malformed);
    const big = new Bytes(160).u32(0, T(10)).u32(8, SLOT).u32(12, 129);
    const e = new Dissector().dissect(record(6, big.bytes));
    assert.ok(errors(e).some((x) => /128-byte block maximum/.test(x.text)), JSON.stringify(errors(e)));
  });

  test("MSI resource count beyond the message", () => {
    const d = new Dissector().dissect(record(6, withBars(new Bytes(152).u32(0, T(16)).u32(4, SLOT)).u32(128, 5).bytes));
    assert.ok(d.malformed);
  });

  test("processor count beyond the 32-entry array", () => {
    const d = new Dissector().dissect(record(6, msi2(new Bytes(80).u32(0, T(23)).u32(4, SLOT), 8, 0x23, 0).u16(12, 40).bytes));
    assert.ok(errors(d).some((x) => /beyond the 32-entry array/.test(x.text)));
  });

  test("a message type outside 0x4249xxxx", () => {
    const d = new Dissector().dissect(record(6, words(0x12345678, 0).bytes));
    assert.ok(d.malformed);
  });
});

describe("encode then decode", () => {
  const roundTrip = (n: number, body: EncodeValues, expect: Record<string, FieldValue>) => {
    const bytes = encodeStruct(vpciMessage, { msg_type: T(n), body });
    const d = new Dissector().dissect(record(6, bytes, { flags: 0 }));
    expectClean(d);
    expectField(d, "vpci.msg_type", T(n), PAY, 4);
    for (const [filter, value] of Object.entries(expect)) assert.equal(BigInt(node(d, filter).value as number), BigInt(value as number), filter);
  };
  test("QUERY_PROTOCOL_VERSION", () => roundTrip(0x13, { protocol_version: 0x00010002 }, { "vpci.protocol_version": 0x00010002 }));
  test("slot sub-fields", () => roundTrip(0x0b, { slot_device: 31, slot_function: 7 }, { "vpci.slot": 0xff, "vpci.slot.device": 31, "vpci.slot.function": 7 }));
  test("READ_BLOCK", () => roundTrip(0x09, { block_id: 4, slot_device: 1, bytes_requested: 128 }, { "vpci.block_id": 4, "vpci.slot": 1, "vpci.bytes_requested": 128 }));
  test("FDO_D0_ENTRY", () => roundTrip(0x07, { d0_reserved: 0, mmio_base: 0xf8000000 }, { "vpci.mmio_base": 0xf8000000 }));
  test("BUS_RELATIONS", () => roundTrip(0x00, {
    devices: [{ vendor_id: 0x10de, device_id: 0x2331, revision_id: 0xa1, prog_if: 0, sub_class: 2, base_class: 3, subsystem_vendor_id: 0x10de, subsystem_id: 0x1626, slot_device: 1, serial_number: 9 }],
  }, { "vpci.device_count": 1, "vpci.dev.device_id": 0x2331, "vpci.dev.revision_id": 0xa1, "vpci.slot.device": 1 }));
  test("CREATE_INTERRUPT (v1)", () => roundTrip(0x14, { slot_device: 2, descriptor: { vector: 0x51, delivery_mode: 1, vector_count: 2, msi_reserved: 0, processor_mask: 3 } },
    { "vpci.msi.vector": 0x51, "vpci.msi.delivery_mode": 1, "vpci.msi.vector_count": 2, "vpci.msi.processor_mask": 3 }));
  test("the hand-written bytes equal the encoder's (READ_BLOCK, CREATE_INTERRUPT reply)", () => {
    assert.deepEqual(encodeStruct(vpciMessage, { msg_type: T(9), body: { block_id: 3, slot_device: 2, slot_function: 1, bytes_requested: 64 } }), words(T(9), 3, SLOT, 64).bytes);
    assert.deepEqual(encodeStruct(vpciReplies[T(23)], { status: 0, reply_reserved: 0, remapped: { int_reserved: 0, message_count: 1, data: 0x4023, address: 0xfee00000 } }),
      new Bytes(24).u16(10, 1).u32(12, 0x4023).u64(16, 0xfee00000).bytes);
  });
});

describe("device recognition and the sample", () => {
  test("recognise: in-band vPCI messages only", () => {
    assert.equal(recogniseVpci(words(T(19), 0x00010004).bytes, 6), true);
    assert.equal(recogniseVpci(words(T(19), 0x00020004).bytes, 6), false);
    assert.equal(recogniseVpci(words(T(1)).bytes, 6), true);
    assert.equal(recogniseVpci(device(words(T(0), 1, 0, 0, 0, 0, 0), 8, 0x15b3, 0x1018, 0, 0).bytes, 6), true);
    assert.equal(recogniseVpci(words(T(0), 3).bytes, 6), false);
    assert.equal(recogniseVpci(words(0, 0).bytes, 11), false);
    assert.equal(recogniseVpci(words(T(40), 0).bytes, 6), false);
    assert.equal(recogniseVpci(words(T(5), 2).bytes, 11), false);
  });

  test("the device registry says vPCI is decoded", async () => {
    const { findDevice } = await import("../../dissectors/devices.js");
    assert.equal(findDevice("vpci")?.protocol?.name, "vpci");
  });

  test("the sample session: no malformed record, every completion paired, the version and the device learned", () => {
    const dissector = new Dissector();
    const records = pciMemorySession().filter((r) => r.relid === RELID);
    const infos: string[] = [];
    for (const r of records) {
      const d = dissector.dissect(r);
      expectClean(d);
      expectChildrenInside(d);
      infos.push(d.info);
      if (d.info.includes("COMPLETION")) assert.ok(findNode(d, "vpci.request_in"), d.info);
    }
    assert.ok(infos.some((i) => i.includes("vPCI BUS_RELATIONS2 1 device(s) 15b3:101e")), infos.join("\n"));
    assert.ok(infos.some((i) => i.includes("vPCI FDO_D0_ENTRY")));
    assert.ok(infos.some((i) => i.includes("for READ_BLOCK STATUS_SUCCESS 64 bytes")), infos.join("\n"));
    const state = dissector.session.snapshot().channels[RELID];
    assert.equal(state["channel.vpci.version"], 0x00010003);
    assert.equal(state["channel.vpci.function_count"], 1);
  });
});
