// A VM connecting to VMBus (core.md §4.6): version negotiation, offers for every device class in
// the registry, GPADLs, opens, ring traffic, the 6.0-only messages, closes and unload. Every
// channel message type 1..29 appears at least once.

import { Direction, RecordKind, RecordFlags, AttachedSource, type AttachedChunk, type VmbusRecord } from "../capture/record.js";
import { encodeStruct, type EncodeValues } from "../dissectors/describe/encode.js";
import { guidBytes } from "../dissectors/describe/read.js";
import { allDevices, type DeviceClass } from "../dissectors/devices.js";
import { channelMessage } from "../dissectors/vmbus/channel-messages.js";
import { buildRingPacket } from "../dissectors/vmbus/packets.js";
import { synicMessage } from "../dissectors/vmbus/synic.js";
import { frames } from "./frames.js";
import { nvsp, rndisPacket } from "./network.js";

const G2H = Direction.GuestToHost;
const H2G = Direction.HostToGuest;

/** 2026-11-25T10:00:00Z in ns; records follow 40 µs apart (multiples of Hyper-V's 100 ns tick). */
const START_NS = 1795600800_000000000n;
const STEP_NS = 40_000n;

class Timeline {
  private next = START_NS;
  records: VmbusRecord[] = [];

  add(record: Omit<VmbusRecord, "origin" | "timestampNs" | "attached" | "flags"> & { attached?: AttachedChunk[]; flags?: number }): void {
    const number = this.records.length + 1;
    const attached = record.attached ?? [];
    const flags = (record.flags ?? 0) | (attached.length > 0 ? RecordFlags.AttachedData : 0);
    this.records.push({ ...record, attached, flags, timestampNs: this.next, origin: { file: "samples", fileOffset: 0, number } });
    this.next += STEP_NS;
  }

  message(direction: Direction, msgtype: number, body: EncodeValues = {}): void {
    this.add({ direction, kind: RecordKind.ChannelMessage, relid: 0, payload: encodeStruct(channelMessage, { msgtype, body }) });
  }

  packet(direction: Direction, relid: number, device: DeviceClass, packet: Parameters<typeof buildRingPacket>[0], attached?: AttachedChunk[]): void {
    this.add({ direction, kind: RecordKind.RingPacket, relid, classGuid: guidBytes(device.guid), payload: buildRingPacket(packet), attached });
  }
}

/** Deterministic instance GUIDs, one per offer. */
const instanceGuid = (index: number): string => `6a1d${index.toString(16).padStart(4, "0")}-3c2b-4f6e-9a7d-00155d${(0x100000 + index).toString(16)}`;

const isIntegrationService = (device: DeviceClass): boolean => / IC$/.test(device.name);

function offerBody(device: DeviceClass, relid: number, subChannelIndex = 0): EncodeValues {
  const pipe = isIntegrationService(device);
  return {
    if_type: device.guid, if_instance: instanceGuid(relid - subChannelIndex * 100), flags: pipe ? 0x0011 : 0x0001,
    mmio_megabytes: device.short === "synthvid" ? 8 : 0,
    user_area: pipe ? { mode: 4 } : {}, sub_channel_index: subChannelIndex,
    child_relid: relid, monitor_id: relid < 4 ? relid - 1 : 0xff, monitor_flags: relid < 4 ? 1 : 0,
    interrupt_flags: 1, connection_id: 0x2000 + relid,
  };
}

const HV_SOCK_SERVICE = "00000016-facb-11e6-bd58-64006a7986d3";
const HV_SOCK_ENDPOINT = "c0ffee00-1234-4abc-8def-0123456789ab";

function negotiate(t: Timeline): void {
  t.message(G2H, 14, {
    version_requested: 0x00060000, target_vcpu: 0, message_sint: 2, message_vtl: 0, feature_flags: 0x7f,
    monitor_page1: 0x1_0000_0000, monitor_page2: 0x1_0000_1000, client_id: "ceb1cd55-6a3b-41c5-9473-4dd30624c3d8",
  });
  t.message(H2G, 15, {
    version_supported: 1, connection_state: 0, message_connection_id: 4, supported_features: 0x7f,
    padding2: 0, server_monitor_page1: 0x1_0000_2000, server_monitor_page2: 0x1_0000_3000,
  });
}

function offerEverything(t: Timeline, devices: readonly DeviceClass[]): void {
  t.message(G2H, 3);
  devices.forEach((device, index) => t.message(H2G, 1, offerBody(device, index + 1)));
  t.message(H2G, 1, offerBody(devices[0], 101, 1));
  t.message(H2G, 1, {
    ...offerBody(devices[0], 200), if_type: HV_SOCK_SERVICE, if_instance: HV_SOCK_ENDPOINT, flags: 0x2011,
    user_area: { pipe_mode: 0, is_for_guest_accept: 0, version: 1 }, monitor_id: 0xff, monitor_flags: 0,
  });
  t.message(H2G, 4);
}

/** A 40-page ring GPADL: 26 PFNs fit in the header, the other 14 follow in a body message. */
function openChannel(t: Timeline, relid: number, gpadl: number): void {
  const pfns = Array.from({ length: 40 }, (_, i) => ({ pfn: 0x12340 + i }));
  t.message(G2H, 8, { child_relid: relid, gpadl, range_buflen: 8 + 8 * 40, range_count: 1, ranges: [{ byte_count: 40 * 4096, byte_offset: 0, pfns: pfns.slice(0, 26) }] });
  t.message(G2H, 9, { message_number: 0, gpadl, pfns: pfns.slice(26) });
  t.message(H2G, 10, { child_relid: relid, gpadl, creation_status: 0 });
  t.message(G2H, 5, {
    child_relid: relid, open_id: relid, gpadl, target_vp: 0, downstream_ring_page_offset: 20,
    connection_id: 0x2000 + relid, event_flag: relid, open_flags: 0,
  });
  t.message(H2G, 6, { child_relid: relid, open_id: relid, status: 0 });
}

const NVSP_SUCCESS = 1;
/** SEND_RNDIS_PKT whose RNDIS bytes are in the packet's pages or the receive buffer, not in a section. */
const rndisNotInSection = nvsp({ msg_type: 107, body: { channel_type: 0, location: { send_buf_section_index: 0xffffffff, send_buf_section_size: 0 } } });
const rndisCompletion = nvsp({ msg_type: 108, body: { status: NVSP_SUCCESS } });

function networkTraffic(t: Timeline, netvsc: DeviceClass): void {
  const [arp, syn] = ["arp-request", "tcp-syn"].map((name) => frames().find((f) => f.name === name)!.bytes);
  const sent = rndisPacket(syn, G2H);
  const received = [rndisPacket(arp, H2G), rndisPacket(syn, H2G)];
  t.packet(G2H, 1, netvsc, { type: 0x6, flags: 1, transId: 1, payload: nvsp({ msg_type: 1, body: { protocol_version: 0x60001, protocol_version2: 0x60001 } }) });
  t.packet(H2G, 1, netvsc, { type: 0xb, transId: 1, payload: nvsp({ msg_type: 2, body: { negotiated_protocol_ver: 0xffffffff, max_mdl_chain_len: 34, status: NVSP_SUCCESS } }) });
  t.packet(G2H, 1, netvsc, {
    type: 0x9, flags: 1, transId: 2, payload: rndisNotInSection,
    header: { gpa_reserved: 0, range_count: 1, gpa_ranges: [{ byte_count: sent.length, byte_offset: 0x80, pfns: [{ pfn: 0x45678 }] }] },
  }, [{ source: AttachedSource.GpaRange, index: 0, offset: 0, data: sent }]);
  t.packet(H2G, 1, netvsc, { type: 0xb, transId: 2, payload: rndisCompletion });
  t.packet(H2G, 1, netvsc, {
    type: 0x7, flags: 1, transId: 3, payload: rndisNotInSection,
    header: { xfer_pageset_id: 0xcafe, sender_owns_set: 0, range_count: 2, xfer_ranges: [{ byte_count: received[0].length, byte_offset: 0 }, { byte_count: received[1].length, byte_offset: 0x800 }] },
  }, received.map((data, index) => ({ source: AttachedSource.TransferPageRange, index, offset: 0, data })));
  t.packet(G2H, 1, netvsc, { type: 0xb, transId: 3, payload: rndisCompletion });
}

function versionSixMessages(t: Timeline): void {
  t.message(G2H, 22, { child_relid: 2, target_vp: 1 });
  t.message(H2G, 24, { child_relid: 2, modify_status: 0 });
  t.message(G2H, 21, { endpoint_id: HV_SOCK_ENDPOINT, service_id: "0000abcd-facb-11e6-bd58-64006a7986d3", silo_id: "00000000-0000-0000-0000-000000000000" });
  t.message(H2G, 23, { endpoint_id: HV_SOCK_ENDPOINT, service_id: "0000abcd-facb-11e6-bd58-64006a7986d3", tl_status: 0xc0000236 });
  t.message(G2H, 18, { channel_id: 3, reserved_target_vp: 0, target_sint: 2, ring_gpadl: 0xe1e20, downstream_ring_page_offset: 4 });
  t.message(H2G, 6, { child_relid: 3, open_id: 0, status: 0 });
  t.message(G2H, 19, { channel_id: 3, reserved_target_vp: 0, target_sint: 2 });
  t.message(H2G, 20, { channel_id: 3 });
  t.message(G2H, 25, { monitor_page1: 0x1_0000_4000, monitor_page2: 0x1_0000_5000 });
  t.message(H2G, 26, { connection_state: 0 });
  t.message(G2H, 27);
  t.message(H2G, 28);
  t.message(G2H, 29);
}

/** A rescind as the guest's SynIC message page holds it: the 16-byte hypervisor header first. */
function rescindViaSynic(t: Timeline, relid: number): void {
  const message = { msgtype: 2, body: { child_relid: relid } };
  const payloadSize = encodeStruct(channelMessage, message).length;
  const payload = encodeStruct(synicMessage, { message_type: 1, payload_size: payloadSize, message_flags: 0, sender: 0, message });
  t.add({ direction: H2G, kind: RecordKind.SynicMessage, relid: 0, payload });
  t.message(G2H, 13, { child_relid: relid });
}

function teardown(t: Timeline, relid: number, gpadl: number): void {
  t.message(G2H, 7, { child_relid: relid });
  t.message(G2H, 11, { child_relid: relid, gpadl });
  t.message(H2G, 12, { gpadl });
  t.message(G2H, 16);
  t.message(H2G, 17);
}

export function connectionSession(): VmbusRecord[] {
  const t = new Timeline();
  const devices = allDevices();
  negotiate(t);
  offerEverything(t, devices);
  openChannel(t, 1, 0xe1e10);
  networkTraffic(t, devices[0]);
  versionSixMessages(t);
  rescindViaSynic(t, 200);
  teardown(t, 1, 0xe1e10);
  return t.records;
}
