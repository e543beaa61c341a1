// A PCI pass-through bus and the dynamic-memory channel as a capture shows them (devices.md §14, §15):
// vPCI version negotiation (1.4 refused, 1.3 accepted), a Mellanox VF arriving in BUS_RELATIONS2, its
// BAR requirements, D0 entry, resources with MSI-X, two interrupts, a config-block read; dynamic memory
// version and capabilities, status reports, a balloon request answered in two responses, a hot add.
// Every message comes from the encoder.

import { Direction, RecordKind, type VmbusRecord } from "../capture/record.js";
import { encodeStruct, type EncodeValues } from "../dissectors/describe/encode.js";
import { guidBytes } from "../dissectors/describe/read.js";
import { dmMessage } from "../dissectors/balloon/dm.js";
import { channelMessage } from "../dissectors/vmbus/channel-messages.js";
import { buildRingPacket, type RingPacketValues } from "../dissectors/vmbus/packets.js";
import { VPCI_BASE, vpciMessage, vpciReplies } from "../dissectors/vpci/vpci.js";

const G2H = Direction.GuestToHost;
const H2G = Direction.HostToGuest;
const VPCI = "44c4f61d-4444-4400-9d52-802e27ede19f";
const VPCI_INSTANCE = "7a1e3d2b-15b3-4c5e-9f10-6045bd8c0a11";
const DM = "525074dc-8985-46e2-8057-a307dc18a502";
const DM_INSTANCE = "1eccfd72-4b41-45ef-b73a-4a6e44c12924";
const VPCI_RELID = 31;
const DM_RELID = 32;

/** 2026-11-25T10:20:00Z. */
const START_NS = 1795602000_000000000n;

class Timeline {
  records: VmbusRecord[] = [];
  private now = START_NS;
  private transId = 0x20;

  /** Advances the clock by `gapUs` microseconds and adds a record. */
  add(gapUs: number, direction: Direction, kind: RecordKind, relid: number, payload: Uint8Array, classGuid?: string): void {
    this.now += BigInt(Math.round(gapUs * 1000));
    this.records.push({
      origin: { file: "samples", fileOffset: 0, number: this.records.length + 1 }, timestampNs: this.now, direction, kind, flags: 0, relid,
      classGuid: classGuid ? guidBytes(classGuid) : undefined, payload, attached: [],
    });
  }

  packet(gapUs: number, direction: Direction, relid: number, classGuid: string, packet: RingPacketValues): void {
    this.add(gapUs, direction, RecordKind.RingPacket, relid, buildRingPacket(packet), classGuid);
  }

  nextTransId(): number {
    return ++this.transId;
  }
}

function offer(t: Timeline, gapUs: number, ifType: string, instance: string, relid: number, monitor: number): void {
  t.add(gapUs, H2G, RecordKind.ChannelMessage, 0, encodeStruct(channelMessage, {
    msgtype: 1, body: {
      if_type: ifType, if_instance: instance, flags: 0, user_area: {}, sub_channel_index: 0, child_relid: relid,
      monitor_id: monitor, monitor_flags: 1, interrupt_flags: 1, connection_id: 0x2000 + relid,
    },
  }));
}

// vPCI

const vpci = (n: number, body: EncodeValues = {}): Uint8Array => encodeStruct(vpciMessage, { msg_type: VPCI_BASE + n, body });
const reply = (n: number, values: EncodeValues): Uint8Array => encodeStruct(vpciReplies[VPCI_BASE + n], values);
const slot = (device: number, fn: number): EncodeValues => ({ slot_device: device, slot_function: fn });

/** A request with completion requested and its completion; `gapUs` before the request, `answerUs` before the answer. */
function vpciExchange(t: Timeline, gapUs: number, answerUs: number, request: Uint8Array, answer: Uint8Array): void {
  const transId = t.nextTransId();
  t.packet(gapUs, G2H, VPCI_RELID, VPCI, { type: 0x6, flags: 1, transId, payload: request });
  t.packet(answerUs, H2G, VPCI_RELID, VPCI, { type: 0xb, transId, payload: answer });
}

const nullResource: EncodeValues = { res_type: 0, share_disposition: 0, res_flags: 0, start: 0, length: 0, res_extra: 0 };
/** BAR0: 1 MiB of 64-bit prefetchable memory at 0xfe0000000 (upper half null); the rest unused. */
const bars: EncodeValues[] = [
  { res_type: 3, share_disposition: 1, res_flags: 0x0004, start: 0xfe0000000, length: 0x100000, res_extra: 0 },
  nullResource, nullResource, nullResource, nullResource, nullResource,
];
const processors = (n: number): EncodeValues[] => Array.from({ length: 32 }, (_, i) => ({ processor: i < n ? i : 0 }));
const msi2 = (vector: number, cpus: number): EncodeValues =>
  ({ vector, delivery_mode: 0, vector_count: 1, processor_count: cpus, processor_array: processors(cpus), msi_reserved16: 0 });

function pciBus(t: Timeline): void {
  offer(t, 0, VPCI, VPCI_INSTANCE, VPCI_RELID, 3);
  // LNX proposes 1.4 first; this host is 1.3 at most.
  vpciExchange(t, 1800, 95, vpci(0x13, { protocol_version: 0x00010004 }), reply(0x13, { status: 0xc0000059, protocol_version: 0x00010003 }));
  vpciExchange(t, 40, 88, vpci(0x13, { protocol_version: 0x00010003 }), reply(0x13, { status: 0, protocol_version: 0x00010003 }));
  t.packet(35, G2H, VPCI_RELID, VPCI, { type: 0x6, transId: t.nextTransId(), payload: vpci(0x01) });
  // A Mellanox VF in slot 2 function 0, on NUMA node 0.
  t.packet(410, H2G, VPCI_RELID, VPCI, {
    type: 0x6, transId: 0, payload: vpci(0x19, {
      device_count: 1, devices: [{
        vendor_id: 0x15b3, device_id: 0x101e, revision_id: 0, prog_if: 0, sub_class: 0x00, base_class: 0x02,
        subsystem_vendor_id: 0x15b3, subsystem_id: 0x0190, ...slot(2, 0), serial_number: 0x7e21, dev_flags: 1, virtual_numa_node: 0, reserved2: 0,
      }],
    }),
  });
  vpciExchange(t, 260, 120, vpci(0x05, slot(2, 0)), reply(0x05, {
    status: 0, probed_bars: [0xfff0000c, 0xffffffff, 0, 0, 0, 0].map((probed_bar) => ({ probed_bar })),
  }));
  vpciExchange(t, 180, 2300, vpci(0x07, { d0_reserved: 0, mmio_base: 0xfe0100000 }), reply(0x07, { status: 0, reply_reserved: 0 }));
  // Resources with two MSI-X vectors (version 1.3: ASSIGNED_RESOURCES2, 72-byte entries).
  vpciExchange(t, 150, 410, vpci(0x16, {
    ...slot(2, 0), mmio_resources: bars, msi_resource_count: 2, msi_count_reserved: 0,
    msi_resources: [msi2(0x22, 2), msi2(0x23, 2)].map((descriptor) => ({ descriptor, entry_padding: new Uint8Array(0) })),
  }), reply(0x16, {
    status: 0, ...slot(2, 0), mmio_resources: bars, msi_resource_count: 2, msi_count_reserved: 0,
    msi_resources: [0x4022, 0x4023].map((data) => ({ descriptor: { int_reserved: 0, message_count: 1, data, address: 0xfee00000 }, entry_padding: new Uint8Array(56) })),
  }));
  for (const [vector, data] of [[0x22, 0x4022], [0x23, 0x4023]]) {
    vpciExchange(t, 60, 140, vpci(0x17, { ...slot(2, 0), descriptor: msi2(vector, 2) }), reply(0x17, {
      status: 0, reply_reserved: 0, remapped: { int_reserved: 0, message_count: 1, data, address: 0xfee00000 },
    }));
  }
  // The VF driver reads configuration block 0 (the PF's 64-byte block).
  const block = Uint8Array.from({ length: 64 }, (_, i) => (i * 29 + 3) & 0xff);
  vpciExchange(t, 5200, 310, vpci(0x09, { block_id: 0, ...slot(2, 0), bytes_requested: 64 }), reply(0x09, { status: 0, block_data: block }));
}

// Dynamic memory

let dmTransId = 0;
/** A DM message with its header's size filled in (encoded with the largest size, so that size-dependent fields given are present). */
function dm(type: number, body: EncodeValues = {}): Uint8Array {
  const bytes = encodeStruct(dmMessage, { msg_type: type, size: 0xffff, trans_id: ++dmTransId, body });
  new DataView(bytes.buffer, bytes.byteOffset).setUint16(2, bytes.length, true);
  return bytes;
}
/** A page range (§15.4); the whole u64 is given too, since the encoder writes that field (placed with `at`) over the others. */
const range = (start: number, count: number): EncodeValues =>
  ({ start_page_low: start % 2 ** 32, start_page_high: Math.floor(start / 2 ** 32), page_cnt: count, raw: (BigInt(count) << 40n) | BigInt(start) });

function dmPacket(t: Timeline, gapUs: number, direction: Direction, payload: Uint8Array): void {
  t.packet(gapUs, direction, DM_RELID, DM, { type: 0x6, transId: 0, payload });
}

/** Pages of 4 KiB: 4 GiB = 1048576. */
const GIB = 262144;

function dynamicMemory(t: Timeline): void {
  offer(t, 900, DM, DM_INSTANCE, DM_RELID, 4);
  dmPacket(t, 2100, G2H, dm(1, { version: 0x00020000, version_minor: 0, version_major: 2, version_bits: 0 }));
  dmPacket(t, 130, H2G, dm(2, { response_bits: 1 }));
  dmPacket(t, 45, G2H, dm(3, { caps: 0x3, hot_add_alignment: 7, caps_reserved: 0, min_page_cnt: 0, max_page_number: 0xffffffffffffffffn }));
  dmPacket(t, 120, H2G, dm(4, { response_bits: 1 }));
  dmPacket(t, 900, H2G, dm(12, { info_reserved: 0, info_size: 16, infos: [{ info_type: 0, data_size: 8, max_page_count: 16 * GIB }] }));
  const status = (avail: number, committed: number) => dm(5, {
    num_avail: avail, num_committed: committed, page_file_size: 262144, zero_free: Math.floor(avail / 3), page_file_writes: 12, io_diff: 0,
  });
  dmPacket(t, 1_000_000, G2H, status(3 * GIB + 51234, 1 * GIB - 20480));
  dmPacket(t, 1_000_000, G2H, status(3 * GIB + 50110, 1 * GIB - 18944));
  // The host takes back 512 MiB (131072 pages): the guest answers with 3 ranges.
  dmPacket(t, 400_000, H2G, dm(6, { num_pages: 131072, reservedz: 0 }));
  dmPacket(t, 59_000, G2H, dm(7, { reservedz: 0, more_pages: 0, range_count: 3, ranges: [range(0x12c000, 32768), range(0x13c000, 32768), range(0x15a000, 65536)] }));
  dmPacket(t, 600_000, G2H, status(2 * GIB + 50990, 1 * GIB - 17920));
  // Later it adds 1 GiB above 4 GiB, in a new 2 GiB hot-add region.
  dmPacket(t, 2_000_000, H2G, dm(10, { range_total_start: {}, range: range(0x140000, GIB), region: range(0x140000, 2 * GIB) }));
  dmPacket(t, 85_000, G2H, dm(11, { page_count: GIB, result: 1 }));
  dmPacket(t, 915_000, G2H, status(4 * GIB + 12000, 1 * GIB - 16000));
}

export function pciMemorySession(): VmbusRecord[] {
  const t = new Timeline();
  dmTransId = 0;
  pciBus(t);
  dynamicMemory(t);
  return t.records;
}
