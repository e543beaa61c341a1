// A network adapter's life as a capture shows it (net-storage.md A3, A4): NVSP negotiation, the
// receive and send buffers, RNDIS initialisation and OIDs, sub-channels, then frames both ways:
// guest→host in a send-buffer section and in GPA pages, host→guest in the receive buffer (one
// range holding two RNDIS messages), one send whose bytes were not captured, and PPIs.
// Every NVSP and RNDIS message comes from the encoder; the frames come from samples/frames.ts.

import { AttachedSource, Direction, RecordFlags, RecordKind, type AttachedChunk, type VmbusRecord } from "../capture/record.js";
import { encodeStruct, type EncodeValues } from "../dissectors/describe/encode.js";
import { newScope } from "../dissectors/describe/expr.js";
import { guidBytes } from "../dissectors/describe/read.js";
import { nvspMessage } from "../dissectors/netvsc/nvsp.js";
import { OID, oidData } from "../dissectors/netvsc/oids.js";
import { rndisMessage } from "../dissectors/netvsc/rndis.js";
import { channelMessage } from "../dissectors/vmbus/channel-messages.js";
import { buildRingPacket, type RingPacketValues } from "../dissectors/vmbus/packets.js";
import { frames } from "./frames.js";

const G2H = Direction.GuestToHost;
const H2G = Direction.HostToGuest;
const NETVSC = "f8615163-df3e-46c5-913f-f2d2f965ed0e";
const INSTANCE = "9d6a1b3c-4e2f-4a7d-8c1e-00155d0a1b2c";
const PRIMARY = 2;
const SUBCHANNEL = 3;
const RECV_BUF_ID = 0xcafe;
const SECTION_SIZE = 6144;
const SLOT = 1728;

/** 2026-11-25T10:05:00Z; 25 µs apart. */
const START_NS = 1795601100_000000000n;
const STEP_NS = 25_000n;

/** The named frame of samples/frames.ts. */
function frame(name: string): Uint8Array {
  const found = frames().find((f) => f.name === name);
  if (!found) throw new Error(`no sample frame ${name}`);
  return found.bytes;
}

class Timeline {
  private next = START_NS;
  records: VmbusRecord[] = [];
  private transId = 0x1000;

  add(direction: Direction, kind: RecordKind, relid: number, payload: Uint8Array, attached: AttachedChunk[] = []): void {
    const flags = attached.length > 0 ? RecordFlags.AttachedData : 0;
    const number = this.records.length + 1;
    this.records.push({
      origin: { file: "samples", fileOffset: 0, number }, timestampNs: this.next, direction, kind, flags, relid,
      classGuid: kind === RecordKind.RingPacket ? guidBytes(NETVSC) : undefined, payload, attached,
    });
    this.next += STEP_NS;
  }

  packet(direction: Direction, packet: RingPacketValues, attached: AttachedChunk[] = [], relid = PRIMARY): void {
    this.add(direction, RecordKind.RingPacket, relid, buildRingPacket(packet), attached);
  }

  /** An NVSP request with completion requested; returns its transaction id. */
  request(direction: Direction, message: EncodeValues, relid = PRIMARY): number {
    const transId = ++this.transId;
    this.packet(direction, { type: 0x6, flags: 1, transId, payload: nvsp(message) }, [], relid);
    return transId;
  }

  completion(direction: Direction, transId: number, message: EncodeValues, relid = PRIMARY): void {
    this.packet(direction, { type: 0xb, transId, payload: nvsp(message) }, [], relid);
  }

  nextTransId(): number {
    return ++this.transId;
  }
}

export const nvsp = (message: EncodeValues): Uint8Array => encodeStruct(nvspMessage, message);

/** An RNDIS message with its MessageLength filled in, padded to 8 bytes (A4.1). */
function rndis(msgType: number, body: EncodeValues, direction = G2H): Uint8Array {
  const parent = newScope(undefined, 0, Infinity);
  parent.values.direction = direction;
  const bytes = encodeStruct(rndisMessage, { msg_type: msgType, message_length: 0xffffffff, body }, parent);
  const out = new Uint8Array(Math.ceil(bytes.length / 8) * 8);
  out.set(bytes);
  new DataView(out.buffer).setUint32(4, out.length, true);
  return out;
}

const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) { out.set(part, at); at += part.length; }
  return out;
};

const ppi = (type: number, info: EncodeValues): EncodeValues => ({ size: 16, type, offset: 12, info });

/** A PACKET_MSG: PPIs right after the 36-byte body (Linux layout), the frame after them. */
function packetMessage(data: Uint8Array, ppis: EncodeValues[], direction: Direction): Uint8Array {
  const ppiLength = ppis.length * 16;
  return rndis(0x1, {
    data_offset: 36 + ppiLength, data_length: data.length, ppi_offset: ppis.length > 0 ? 36 : 0, ppi_length: ppiLength,
    ppi: { ppis }, frame: data,
  }, direction);
}

const gpaHeader = (length: number, pfn: number) => ({ gpa_reserved: 0, range_count: 1, gpa_ranges: [{ byte_count: length, byte_offset: 0x100, pfns: [{ pfn }] }] });
const xferHeader = (ranges: { byte_count: number; byte_offset: number }[]) => ({ xfer_pageset_id: RECV_BUF_ID, sender_owns_set: 0, range_count: ranges.length, xfer_ranges: ranges });
const chunk = (source: AttachedSource, index: number, data: Uint8Array): AttachedChunk => ({ source, index, offset: 0, data });

let nextSlot = 0;

/** Guest→host control message in GPA pages, the host's 108, its answer in the receive buffer, the guest's 108. */
function control(t: Timeline, request: Uint8Array, response: Uint8Array | undefined): void {
  const sendId = t.nextTransId();
  t.packet(G2H, { type: 0x9, flags: 1, transId: sendId, payload: nvsp({ msg_type: 107, body: { channel_type: 1, location: { send_buf_section_index: 0xffffffff, send_buf_section_size: 0 } } }), header: gpaHeader(request.length, 0x7f000 + sendId % 64) },
    [chunk(AttachedSource.GpaRange, 0, request)]);
  t.completion(H2G, sendId, { msg_type: 108, body: { status: 1 } });
  if (response) receive(t, [[response]], 1);
}

/** Host→guest transfer-page packet: each range one slot of the receive buffer holding the given messages. */
function receive(t: Timeline, ranges: Uint8Array[][], channelType: number, relid = PRIMARY): void {
  const transId = t.nextTransId();
  const slots = ranges.map((messages) => ({ data: concat(...messages), offset: (nextSlot++ % 9709) * SLOT }));
  t.packet(H2G, {
    type: 0x7, flags: 1, transId, payload: nvsp({ msg_type: 107, body: { channel_type: channelType, location: { send_buf_section_index: 0xffffffff, send_buf_section_size: 0 } } }),
    header: xferHeader(slots.map((slot) => ({ byte_count: SLOT, byte_offset: slot.offset }))),
  }, slots.map((slot, index) => chunk(AttachedSource.TransferPageRange, index, slot.data)), relid);
  t.completion(G2H, transId, { msg_type: 108, body: { status: 1 } }, relid);
}

let requestId = 0;
const query = (oid: number, input?: Uint8Array) => rndis(0x4, {
  request_id: ++requestId, oid, info_buffer_length: input?.length ?? 0, info_buffer_offset: input ? 20 : 0, device_vc_handle: 0,
  info_buffer: input ? { oid_data: rawInput(oid, input) } : undefined,
});
const rawInput = (_oid: number, input: Uint8Array): EncodeValues => ({ header: { type: input[0], revision: input[1], size: input[2] | (input[3] << 8) } });
/** The result's OID is not in the message (it is the request's): its bytes are encoded from the OID's description. */
const queryComplete = (oid: number, result: EncodeValues) => {
  const data = encodeStruct(oidData[oid], result);
  return rndis(0x80000004, { request_id: requestId, status: 0, info_buffer_length: data.length, info_buffer_offset: 16, info_buffer: { oid_data: { data } } }, H2G);
};
const set = (oid: number, data: EncodeValues, length: number) => rndis(0x5, {
  request_id: ++requestId, oid, info_buffer_length: length, info_buffer_offset: 20, device_vc_handle: 0, info_buffer: { oid_data: data },
});
const setComplete = (status = 0) => rndis(0x80000005, { request_id: requestId, status }, H2G);

function negotiate(t: Timeline): void {
  t.add(H2G, RecordKind.ChannelMessage, 0, encodeStruct(channelMessage, {
    msgtype: 1, body: {
      if_type: NETVSC, if_instance: INSTANCE, flags: 0x0001, user_area: {}, sub_channel_index: 0, child_relid: PRIMARY,
      monitor_id: 1, monitor_flags: 1, interrupt_flags: 1, connection_id: 0x2000 + PRIMARY,
    },
  }));
  const init = t.request(G2H, { msg_type: 1, body: { protocol_version: 0x00060001, protocol_version2: 0x00060001 } });
  t.completion(H2G, init, { msg_type: 2, body: { negotiated_protocol_ver: 0xffffffff, max_mdl_chain_len: 34, status: 1 } });
  t.packet(G2H, { type: 0x6, transId: t.nextTransId(), payload: nvsp({ msg_type: 125, body: { mtu: 1514, capabilities: 0x04 | 0x08 | 0x20 | 0x80 } }) });
  t.packet(G2H, { type: 0x6, transId: t.nextTransId(), payload: nvsp({ msg_type: 100, body: { ndis_major_ver: 6, ndis_minor_ver: 30 } }) });
  const recv = t.request(G2H, { msg_type: 101, body: { gpadl_handle: 0xe1e20, id: RECV_BUF_ID } });
  t.completion(H2G, recv, {
    msg_type: 102, body: { status: 1, num_sections: 1, sections: [{ offset: 0, sub_alloc_size: SLOT, num_sub_allocs: 9709, end_offset: SLOT * 9709 }] },
  });
  const send = t.request(G2H, { msg_type: 104, body: { gpadl_handle: 0xe1e30, id: 0 } });
  t.completion(H2G, send, { msg_type: 105, body: { status: 1, section_size: SECTION_SIZE } });
}

const ndisOffloadCaps: EncodeValues = {
  header: { type: 0xa7, revision: 3, size: 156 },
  ipv4_tx_encap: 0x2, ipv4_tx: 0x155, ipv4_rx_encap: 0x2, ipv4_rx: 0x155, ipv6_tx_encap: 0x2, ipv6_tx: 0x55, ipv6_rx_encap: 0x2, ipv6_rx: 0x55,
  lsov1_encap: 0, lsov1_max_offload_size: 0, lsov1_min_segment_count: 0, lsov1_options: 0, ipsecv1: new Uint8Array(28),
  lsov2_ipv4_encap: 0x2, lsov2_ipv4_max_offload_size: 0xf53c, lsov2_ipv4_min_segment_count: 2,
  lsov2_ipv6_encap: 0x2, lsov2_ipv6_max_offload_size: 0xf53c, lsov2_ipv6_min_segment_count: 2, lsov2_ipv6_flags: 0x5, flags: 0,
  ipsecv2: new Uint8Array(32), rsc_ipv4: 1, rsc_ipv6: 1, reserved_u16: 0, gre_flags: 0, gre_max_header_size: 0,
};

function rndisInit(t: Timeline): void {
  control(t, rndis(0x2, { request_id: ++requestId, major_version: 1, minor_version: 0, max_transfer_size: 0x4000 }), rndis(0x80000002, {
    request_id: requestId, status: 0, major_version: 1, minor_version: 0, device_flags: 1, medium: 0, max_packets_per_message: 8,
    max_transfer_size: 0xefffffff, packet_alignment_factor: 3, af_list_offset: 0, af_list_size: 0,
  }, H2G));
  control(t, query(OID.MAXIMUM_FRAME_SIZE), queryComplete(OID.MAXIMUM_FRAME_SIZE, { value: 1500 }));
  control(t, query(OID.PERMANENT_ADDRESS), queryComplete(OID.PERMANENT_ADDRESS, { mac: "00:15:5d:0a:1b:2c" }));
  control(t, query(OID.OFFLOAD_HARDWARE_CAPABILITIES, Uint8Array.of(0xa7, 3, 156, 0)), queryComplete(OID.OFFLOAD_HARDWARE_CAPABILITIES, ndisOffloadCaps));
  control(t, set(OID.OFFLOAD_PARAMETERS, {
    header: { type: 0x80, revision: 3, size: 28 }, ipv4_checksum: 4, tcp_ipv4_checksum: 4, udp_ipv4_checksum: 4, tcp_ipv6_checksum: 4,
    udp_ipv6_checksum: 4, lsov1: 0, ipsecv1: 0, lsov2_ipv4: 2, lsov2_ipv6: 2, tcp_connection_ipv4: 0, tcp_connection_ipv6: 0, flags: 0,
    ipsecv2: 0, ipsecv2_ipv4: 0, rsc_ipv4: 2, rsc_ipv6: 2, encapsulated_packet_task_offload: 0, encapsulation_types: 0, reserved_u16: 0,
  }, 28), setComplete());
  receive(t, [[rndis(0x7, { status: 0x40020006, status_buffer_length: 156, status_buffer_offset: 12, status_buffer: { status_data: ndisOffloadCaps } }, H2G)]], 1);
  control(t, query(OID.MEDIA_CONNECT_STATUS), queryComplete(OID.MEDIA_CONNECT_STATUS, { connect_status: 0 }));
  control(t, query(OID.LINK_SPEED), queryComplete(OID.LINK_SPEED, { link_speed: 10_000_000_000 }));
  control(t, query(OID.RSS_CAPABILITIES, Uint8Array.of(0x88, 2, 18, 0)), queryComplete(OID.RSS_CAPABILITIES, {
    header: { type: 0x88, revision: 2, size: 20 }, capabilities: 0x01000000 | 0x100 | 0x200 | 0x400 | 0x1, interrupt_messages: 1,
    receive_queues: 8, indirection_table_entries: 128, reserved_u16: 0,
  }));
}

function subChannels(t: Timeline): void {
  const request = t.request(G2H, { msg_type: 133, body: { subchannel_op: 1, num_subchannels: 1 } });
  t.packet(H2G, { type: 0xb, transId: request, payload: concatNvsp([133, 1, 1]) });
  t.add(H2G, RecordKind.ChannelMessage, 0, encodeStruct(channelMessage, {
    msgtype: 1, body: {
      if_type: NETVSC, if_instance: INSTANCE, flags: 0x0001, user_area: {}, sub_channel_index: 1, child_relid: SUBCHANNEL,
      monitor_id: 2, monitor_flags: 1, interrupt_flags: 1, connection_id: 0x2000 + SUBCHANNEL,
    },
  }));
  const table = Array.from({ length: 128 }, (_, i) => ({ queue: i % 2 }));
  const key = Uint8Array.from([0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
    0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa]);
  control(t, set(OID.RSS_PARAMETERS, {
    header: { type: 0x89, revision: 2, size: 40 }, flags: 0, base_cpu_number: 0, hash_information: 0x1 | 0x100 | 0x200 | 0x400 | 0x1000,
    indirection_table_size: 512, reserved_u16: 0, indirection_table_offset: 40, hash_secret_key_size: 40, reserved2: 0,
    hash_secret_key_offset: 552, processor_masks_offset: 0, processor_masks: 0, processor_masks_entry_size: 0,
    indirection_table: table, hash_secret_key: key,
  }, 592), setComplete());
  // The send indirection table (134), as OpenVMM sends it: 16 entries at byte 12.
  t.packet(H2G, { type: 0x6, transId: t.nextTransId(), payload: concatNvsp([134, 16, 12, ...Array.from({ length: 16 }, (_, i) => i % 2)]) });
  control(t, set(OID.CURRENT_PACKET_FILTER, { packet_filter: 0x0d }, 4), setComplete());
}

/** Words written directly (the completion of 133 and message 134 have layouts chosen by packet type or offsets). */
function concatNvsp(words: number[]): Uint8Array {
  const out = new Uint8Array(words.length * 4);
  const view = new DataView(out.buffer);
  words.forEach((word, i) => view.setUint32(i * 4, word >>> 0, true));
  return out;
}

function traffic(t: Timeline): void {
  // Guest→host ARP request in GPA pages, no PPIs.
  sendInPages(t, packetMessage(frame("arp-request"), [], G2H), 0x51200);
  receive(t, [[packetMessage(frame("arp-reply"), [ppi(0, { rx: 0 })], H2G)]], 0);

  // Guest→host TCP SYN in send-buffer section 17: checksum (IPv4, TCP at 34) and hash PPIs (A5.7).
  const syn = packetMessage(frame("tcp-syn"), [ppi(0, { tx: 0x1 | 0x4, tcp_header_offset: 34 }), ppi(8, { hash_value: 1 })], G2H);
  sendInSection(t, syn, 17);

  // Host→guest: one range holding two PACKET_MSGs (SYN-ACK and ping reply) with receive checksum results and hash PPIs;
  // then a range with the DHCP offer (VLAN PPI) and a range with an RSC fragment marker.
  const rxChecksum = ppi(0, { rx: 0x08 | 0x20 });
  receive(t, [[
    packetMessage(frame("tcp-syn-ack"), [rxChecksum, ppi(9, { hash_info: 0x1 | 0x200 }), ppi(8, { hash_value: 0x5a5a1234 })], H2G),
    packetMessage(frame("icmp-echo-reply"), [rxChecksum], H2G),
  ]], 0);
  receive(t, [[packetMessage(frame("dhcp-offer"), [ppi(0, { rx: 0x10 | 0x20 }), ppi(6, { priority: 0, cfi: 0, id: 10 })], H2G)],
    [packetMessage(frame("tcp-data"), [rxChecksum, ppi(0x80000001, { ver: 1, flag: 0x1 | 0x2, id: 7 })], H2G)]], 0);

  // Guest→host in GPA pages: an LSOv2 send (MSS 1460, TCP at 34) tagged VLAN 10 priority 3 out of band.
  sendInPages(t, packetMessage(frame("tcp-data"), [
    ppi(2, { mss: 1460, tcp_header_offset: 34, lso_type: 1, ip_version: 0 }), ppi(6, { priority: 3, cfi: 0, id: 10 }),
  ], G2H), 0x51234);

  // A frame that carries its 802.1Q tag itself (a guest not using the PPI), in section 18.
  sendInSection(t, packetMessage(frame("vlan-icmp-echo-request"), [], G2H), 18);

  // A send whose section bytes the capture did not keep.
  sendInSection(t, undefined, 19, 1570);

  // The sub-channel carries data only: a DNS query with a UDP checksum request.
  sendInPages(t, packetMessage(frame("udp-dns"), [ppi(0, { tx: 0x1 | 0x8, tcp_header_offset: 34 })], G2H), 0x51300, SUBCHANNEL);

  // Status indication and keep-alive.
  receive(t, [[rndis(0x7, { status: 0x40010013, status_buffer_length: 4, status_buffer_offset: 12, status_buffer: { status_data: { link_speed: 40_000_000_000 } } }, H2G)]], 1);
  control(t, rndis(0x8, { request_id: ++requestId }), rndis(0x80000008, { request_id: requestId, status: 0 }, H2G));
}

/** Guest→host 107 naming a send-buffer section; the section's bytes attached unless `message` is undefined (not captured). */
function sendInSection(t: Timeline, message: Uint8Array | undefined, section: number, size = message?.length ?? 0): void {
  const transId = t.nextTransId();
  t.packet(G2H, { type: 0x6, flags: 1, transId, payload: nvsp({ msg_type: 107, body: { channel_type: 0, location: { send_buf_section_index: section, send_buf_section_size: size } } }) },
    message ? [chunk(AttachedSource.ProtocolBuffer, 0, message)] : []);
  t.completion(H2G, transId, { msg_type: 108, body: { status: 1 } });
}

/** Guest→host 107 in GPA-direct pages (one range). */
function sendInPages(t: Timeline, message: Uint8Array, pfn: number, relid = PRIMARY): void {
  const transId = t.nextTransId();
  t.packet(G2H, {
    type: 0x9, flags: 1, transId, header: gpaHeader(message.length, pfn),
    payload: nvsp({ msg_type: 107, body: { channel_type: 0, location: { send_buf_section_index: 0xffffffff, send_buf_section_size: 0 } } }),
  }, [chunk(AttachedSource.GpaRange, 0, message)], relid);
  t.completion(H2G, transId, { msg_type: 108, body: { status: 1 } }, relid);
}

/** A PACKET_MSG around a frame (for other samples that need RNDIS bytes). */
export const rndisPacket = (data: Uint8Array, direction: Direction = G2H): Uint8Array => packetMessage(data, [], direction);

export function networkSession(): VmbusRecord[] {
  const t = new Timeline();
  requestId = 0;
  nextSlot = 0;
  negotiate(t);
  rndisInit(t);
  subChannels(t);
  traffic(t);
  return t.records;
}
