// A storage channel (net-storage.md Part B/C): vstor initialisation with a rejected and an accepted
// version, channel properties, INQUIRY with standard data and VPD pages, capacities, reads and
// writes, a CHECK CONDITION with sense data, UNMAP, TEST UNIT READY, a reset and sub-channels.
// Requests are guest-to-host with completion requested; completions answer with the same
// transaction id a few hundred microseconds later. Data buffers are attached as GPA-range chunks.

import type { RingDumpLayout } from "../capture/ring-writer.js";
import { AttachedSource, Direction, RecordFlags, RecordKind, type AttachedChunk, type VmbusRecord } from "../capture/record.js";
import { encodeStruct, type EncodeValues } from "../dissectors/describe/encode.js";
import { guidBytes } from "../dissectors/describe/read.js";
import type { StructDescription } from "../dissectors/describe/types.js";
import { findDevice } from "../dissectors/devices.js";
import {
  inquiryData, readCapacity10Data, readCapacity16Data, unmapParameters, vpdBlockLimits, vpdDeviceId, vpdSerial, vpdSupported,
} from "../dissectors/storvsc/data.js";
import { cdbRoot } from "../dissectors/storvsc/scsi.js";
import { senseRoot } from "../dissectors/storvsc/sense.js";
import { channelProperties, subChannels, srbRequest, srbResponse, versionRequest } from "../dissectors/storvsc/vstor.js";
import { buildRingPacket } from "../dissectors/vmbus/packets.js";

const G2H = Direction.GuestToHost;
const H2G = Direction.HostToGuest;
const RELID = 2;
const SCSI = findDevice("storvsc")!;
/** 2026-11-25T10:05:00Z in ns. */
const START_NS = 1795601100_000000000n;

/** The 16-byte Win8 extension, encoded separately (its presence depends on the negotiated version). */
const win8Extension: StructDescription = {
  name: "Win8Extension", key: "win8_extension", prefix: "vstor.srb", size: 16,
  fields: srbRequest.fields.filter((field) => ["reserve", "queue_tag", "queue_action", "srb_flags", "time_out_value", "queue_sort_key"].includes(field.key))
    .map((field) => ({ ...field, when: undefined, at: undefined })),
};

const PACKET = 64;

/** A 64-byte vstor packet: operation, flags, status, then the payload (zero-padded). */
function vstor(operation: number, flags: number, status: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const bytes = new Uint8Array(PACKET);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, operation, true);
  view.setUint32(4, flags, true);
  view.setUint32(8, status >>> 0, true);
  bytes.set(payload.subarray(0, PACKET - 12), 12);
  return bytes;
}

const cdb = (opcode: number, command: EncodeValues): Uint8Array => encodeStruct(cdbRoot, { opcode, command });

interface Srb {
  cdb: Uint8Array;
  dataIn: number;
  length: number;
  lun?: number;
}

/** A vmscsi request block of 52 bytes (Win8 layout): common fields, the CDB at 16, the extension at 36. */
function srbBlock(values: EncodeValues, area: Uint8Array, srbFlags: number): Uint8Array {
  const block = new Uint8Array(52);
  block.set(encodeStruct(srbRequest, { ...values, cdb_length: 0 }).subarray(0, 16));
  block[8] = Number(values.cdb_length ?? 0);
  block.set(area.subarray(0, 20), 16);
  block.set(encodeStruct(win8Extension, { reserve: 0, queue_tag: 0xff, queue_action: 0x20, srb_flags: srbFlags, time_out_value: 60, queue_sort_key: 0 }), 36);
  return block;
}

function srbRequestBytes(srb: Srb): Uint8Array {
  const direction = srb.length === 0 ? 2 : srb.dataIn;
  const flags = 0x8 | 0x2 | 0x100 | (srb.length === 0 ? 0 : srb.dataIn === 1 ? 0x40 : 0x80);
  return srbBlock({
    length: 0x34, srb_status: 0, scsi_status: 0, port_number: 2, path_id: 0, target_id: 0, lun: srb.lun ?? 0,
    cdb_length: srb.cdb.length, sense_info_length: 0x14, data_in: direction, properties: 0, data_transfer_length: srb.length,
  }, srb.cdb, flags);
}

function srbResponseBytes(srb: Srb, transferred: number, srbStatus = 1, scsiStatus = 0, sense?: Uint8Array): Uint8Array {
  const block = srbBlock({
    length: 0x34, srb_status: srbStatus, scsi_status: scsiStatus, port_number: 2, path_id: 0, target_id: 0, lun: srb.lun ?? 0,
    cdb_length: 16, sense_info_length: sense ? sense.length : 0x14, data_in: srb.length === 0 ? 2 : srb.dataIn, properties: 0,
    data_transfer_length: transferred,
  }, sense ?? new Uint8Array(20), 0);
  void srbResponse;
  return block;
}

class StorageTimeline {
  private now = START_NS;
  private transId = 0x1000n;
  records: VmbusRecord[] = [];

  /** What the guest's pages hold once the commands are done (for the ring dump's --guest-memory). */
  readonly memory: Array<{ address: number; data: Uint8Array }> = [];
  private nextPage = 0x10;

  private add(direction: Direction, packet: Uint8Array, attached: AttachedChunk[] = []): void {
    this.records.push({
      origin: { file: "samples", fileOffset: 0, number: this.records.length + 1 },
      timestampNs: this.now, direction, kind: RecordKind.RingPacket,
      flags: attached.length > 0 ? RecordFlags.AttachedData : 0, relid: RELID, classGuid: guidBytes(SCSI.guid), payload: packet, attached,
    });
  }

  /** A request (in-band, completion requested) and its completion `micros` later. */
  control(operation: number, payload: Uint8Array | undefined, answer: Uint8Array | undefined, status = 0, micros = 120n): void {
    const transId = this.transId++;
    this.add(G2H, buildRingPacket({ type: 0x6, flags: 1, transId, payload: vstor(operation, 1, 0, payload) }));
    this.now += micros * 1000n;
    this.add(H2G, buildRingPacket({ type: 0xb, transId, payload: vstor(1, 0, status, answer) }));
    this.now += 50_000n;
  }

  /** EXECUTE_SRB: GPA-direct with one range when there is data, in-band otherwise; data-out on the request, data-in on the completion. */
  srb(srb: Srb, options: { dataOut?: Uint8Array; dataIn?: Uint8Array; srbStatus?: number; scsiStatus?: number; sense?: Uint8Array; micros?: bigint; status?: number } = {}): void {
    const transId = this.transId++;
    const payload = vstor(3, 1, 0, srbRequestBytes(srb));
    const pages = Math.max(1, Math.ceil(srb.length / 4096));
    // Guest pages are handed out in order from a low frame number, so the guest-memory image stays small.
    const firstPage = this.nextPage;
    this.nextPage += pages;
    const header = { gpa_reserved: 0, range_count: 1, gpa_ranges: [{ byte_count: srb.length, byte_offset: 0, pfns: Array.from({ length: pages }, (_, i) => ({ pfn: firstPage + i })) }] };
    for (const data of [options.dataOut, options.dataIn]) if (data) this.memory.push({ address: firstPage * 4096, data });
    const gpa = (data: Uint8Array): AttachedChunk[] => [{ source: AttachedSource.GpaRange, index: 0, offset: 0, data }];
    if (srb.length > 0) this.add(G2H, buildRingPacket({ type: 0x9, flags: 1, transId, header, payload }), options.dataOut ? gpa(options.dataOut) : []);
    else this.add(G2H, buildRingPacket({ type: 0x6, flags: 1, transId, payload }));
    this.now += (options.micros ?? 250n) * 1000n;
    const transferred = options.dataIn?.length ?? (options.srbStatus === undefined || options.srbStatus === 1 ? srb.length : 0);
    const response = srbResponseBytes(srb, transferred, options.srbStatus ?? 1, options.scsiStatus ?? 0, options.sense);
    this.add(H2G, buildRingPacket({ type: 0xb, transId, payload: vstor(1, 0, options.status ?? 0, response) }), options.dataIn ? gpa(options.dataIn) : []);
    this.now += 80_000n;
  }
}

const ascii = (text: string, length: number): string => text.padEnd(length, " ").slice(0, length);
const DISK_GUID = Uint8Array.from([0x60, 0x02, 0x24, 0x80, 0x3a, 0x1d, 0x4b, 0x3e, 0x9c, 0x11, 0x7f, 0x21, 0x55, 0x0d, 0x44, 0x01]);

function inquiryStandard(): Uint8Array {
  return encodeStruct(inquiryData, {
    peripheral: 0, rmb: 0, version: 6, format: 0x12, additional_length: 31, flags5: 0, flags6: 0, flags7: 0x02,
    vendor: ascii("Msft", 8), product: ascii("Virtual Disk", 16), revision: ascii("1.0", 4),
  });
}

/** A VPD page through the encoder: header, then the page (page_length = the page's size). */
function vpd(description: StructDescription, pageCode: number, page: EncodeValues): Uint8Array {
  const inner = description.fields[3];
  const length = inner.kind === "struct" ? encodeStruct(inner.struct, page).length : 0;
  return encodeStruct(description, { peripheral: 0, page_code: pageCode, page_length: length, page });
}

function vpdPages(): Record<number, Uint8Array> {
  const t10 = Uint8Array.from([...Array.from(ascii("Msft", 8), (c) => c.charCodeAt(0)), ...DISK_GUID]);
  const naa = Uint8Array.from([0x60, 0x02, 0x24, 0x80, ...DISK_GUID.subarray(0, 12)]);
  return {
    0x00: vpd(vpdSupported, 0x00, { pages: [0x00, 0x80, 0x83, 0xb0, 0xb1, 0xb2].map((supported) => ({ supported })) }),
    0x80: vpd(vpdSerial, 0x80, { serial: "6002248039A14B3E9C117F21550D4401" }),
    0x83: vpd(vpdDeviceId, 0x83, { designators: [
      { code_set: 0x02, type: 0x01, reserved: 0, length: t10.length, designator: t10 },
      { code_set: 0x01, type: 0x03, reserved: 0, length: naa.length, designator: naa },
    ] }),
    0xb0: vpd(vpdBlockLimits, 0xb0, {
      wsnz: 0, max_compare_write: 0, opt_granularity: 8, max_transfer: 0x800, opt_transfer: 0x800, max_prefetch: 0,
      max_unmap_lba: 0xffffffff, max_unmap_descriptors: 0xffffffff, unmap_granularity: 8, unmap_alignment: 0,
      max_write_same: 0x4000, max_atomic: 0, atomic_alignment: 0, atomic_granularity: 0, reserved: new Uint8Array(8),
    }),
  };
}

const GIB = 1024 * 1024 * 1024;
const BLOCKS = (127 * GIB) / 512;

function pattern(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (seed + i * 13) & 0xff);
}

function storageTimeline(): StorageTimeline {
  const t = new StorageTimeline();
  // Initialisation (B1).
  t.control(7, undefined, undefined);
  t.control(9, encodeStruct(versionRequest, { major_minor: 0x0602, revision: 0 }), encodeStruct(versionRequest, { major_minor: 0x0602, revision: 0 }), 0xc0000059);
  t.control(9, encodeStruct(versionRequest, { major_minor: 0x0600, revision: 0 }), encodeStruct(versionRequest, { major_minor: 0x0600, revision: 0 }));
  t.control(10, undefined, encodeStruct(channelProperties, { reserved: 0, max_sub_channels: 4, reserved2: 0, flags: 1, max_transfer_bytes: 0x200000, reserved3: 0 }));
  t.control(8, undefined, undefined);
  // A CHECK CONDITION: the first command after a reset sees UNIT ATTENTION, power on or reset.
  const tur: Srb = { cdb: cdb(0x00, {}), dataIn: 2, length: 0 };
  const unitAttention = encodeStruct(senseRoot, {
    response_code: 0x70, format: { segment: 0, key_byte: 0x06, information: 0, additional_length: 10, command_specific: 0, asc: 0x29, ascq: 0x00, fru: 0, sense_key_specific: 0 },
  });
  t.srb(tur, { srbStatus: 0x84, scsiStatus: 0x02, sense: unitAttention, micros: 90n });
  t.srb(tur, { micros: 60n });
  // REPORT LUNS is answered by storvsp itself; then INQUIRY and VPD pages.
  const inquiry = (evpd: number, page: number, length: number): Srb => ({ cdb: cdb(0x12, { flags: evpd, page: evpd ? { page_code: page } : { page_code_zero: 0 }, allocation_length: length }), dataIn: 1, length });
  t.srb(inquiry(0, 0, 36), { dataIn: inquiryStandard() });
  const pages = vpdPages();
  for (const page of [0x00, 0x80, 0x83, 0xb0]) t.srb(inquiry(1, page, 255), { dataIn: pages[page] });
  // Capacities: 127 GiB of 512-byte blocks.
  t.srb({ cdb: cdb(0x25, {}), dataIn: 1, length: 8 }, { dataIn: encodeStruct(readCapacity10Data, { last_lba: BLOCKS - 1, block_length: 512 }) });
  t.srb({ cdb: cdb(0x9e, { service_action: 0x10, lba: 0, allocation_length: 32 }), dataIn: 1, length: 32 },
    { dataIn: encodeStruct(readCapacity16Data, { last_lba64: BLOCKS - 1, block_length: 512, protection: 0, exponents: 3, lowest_aligned: 0x4000, reserved: new Uint8Array(16) }) });
  // Reads and writes.
  t.srb({ cdb: cdb(0x28, { flags: 0, lba: 2048, group: 0, transfer_length: 8 }), dataIn: 1, length: 4096 }, { dataIn: pattern(4096, 1), micros: 410n });
  t.srb({ cdb: cdb(0x28, { flags: 0, lba: 0, group: 0, transfer_length: 1 }), dataIn: 1, length: 512 }, { dataIn: pattern(512, 2), micros: 180n });
  t.srb({ cdb: cdb(0x2a, { flags: 0x08, lba: 1_000_000, group: 0, transfer_length: 16 }), dataIn: 0, length: 8192 }, { dataOut: pattern(8192, 3), micros: 650n });
  t.srb({ cdb: cdb(0x88, { flags: 0, lba: 200_000_000, transfer_length: 32, group: 0 }), dataIn: 1, length: 16384 }, { micros: 820n });
  // UNMAP of two ranges (data-out: the parameter list).
  const unmapList = encodeStruct(unmapParameters, {
    data_length: 38, descriptor_data_length: 32, reserved_header: 0,
    descriptors: [{ lba: 4096, blocks: 2048, reserved: 0 }, { lba: 65536, blocks: 8192, reserved: 0 }],
  });
  t.srb({ cdb: cdb(0x42, { flags: 0, reserved4: new Uint8Array(4), group: 0, parameter_list_length: unmapList.length }), dataIn: 0, length: unmapList.length }, { dataOut: unmapList, micros: 300n });
  // A reset of the bus, then sub-channels.
  t.control(6, srbBlock({ length: 0x34, port_number: 2, path_id: 0 }, new Uint8Array(20), 0), undefined, 0, 40n);
  t.control(13, encodeStruct(subChannels, { count: 3 }), undefined);
  return t;
}

export const storageSession = (): VmbusRecord[] => storageTimeline().records;

/** A flat guest-memory image (PFN × 4096 = file offset) holding every data buffer, for the ring dump. */
export function storageGuestMemory(): Uint8Array {
  const { memory } = storageTimeline();
  const image = new Uint8Array(Math.max(...memory.map((m) => m.address + m.data.length)));
  for (const { address, data } of memory) image.set(data, address);
  return image;
}

/** The same traffic as a ring-pair dump: guest-to-host requests in ring 0, completions in ring 1. */
export function storagePairDump(): RingDumpLayout {
  const records = storageSession();
  const toHost = records.filter((r) => r.direction === G2H).map((r) => r.payload);
  const toGuest = records.filter((r) => r.direction === H2G).map((r) => r.payload);
  return {
    dataSize: 16 * 4096,
    rings: [
      { packets: toHost, consumed: 0, startOffset: 0 },
      { packets: toGuest, consumed: 0, startOffset: 0 },
    ],
  };
}
