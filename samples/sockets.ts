// Hyper-V sockets and the pipe devices (core.md §7, devices.md §16, §18): a host connection to a
// guest listener and a guest connection to a host service (TL_CONNECT_REQUEST, then the offer with
// the same service and endpoint GUIDs), data and FIN both ways, rescind and release; then vmbfs
// (IMC), GET and its log channel, the crash-dump channel and the VMBus serial port. Relids 41..45;
// 41 and 42 are offered again (crash dump, serial) after their sockets were released.

import { Direction, RecordKind, type VmbusRecord } from "../capture/record.js";
import { encodeStruct, type EncodeValues } from "../dissectors/describe/encode.js";
import { guidBytes } from "../dissectors/describe/read.js";
import type { StructDescription } from "../dissectors/describe/types.js";
import { crashdumpMessage } from "../dissectors/paravisor/crashdump.js";
import { getLogMessage, getMessage } from "../dissectors/paravisor/get.js";
import { serialMessage } from "../dissectors/paravisor/serial.js";
import { vmbfsMessage } from "../dissectors/vmbfs/index.js";
import { channelMessage } from "../dissectors/vmbus/channel-messages.js";
import { buildRingPacket } from "../dissectors/vmbus/packets.js";

const G2H = Direction.GuestToHost;
const H2G = Direction.HostToGuest;

/** 2026-11-25T10:20:00Z in ns. */
const START_NS = 1795602000_000000000n;

const VMBFS = "c376c1c3-d276-48d2-90a9-c04748072c60";
const IMC_INSTANCE = "c4e5e7d1-d748-4afc-979d-683167910a55";
const GET = "8dedd1aa-9056-49e4-bfd6-1bf90dc38ef0";
const GET_INSTANCE = "d3e4454d-62af-44ec-b851-3170915e5f56";
const GET_LOG_INSTANCE = "aa5de534-d149-487a-9053-05972ba20a7c";
const CRASHDUMP = "427b03e7-4ceb-4286-b5fc-486f4a1dd439";
const SERIAL = "8b60ccf6-709f-4c11-90b5-229c959a9e6a";
const COM1 = "700df40e-b947-4776-b839-d1b0a35af034";

/** Port 22 (ssh) as a Linux hv_sock service GUID; the guest listens, the host connects. */
const GUEST_SERVICE = "00000016-facb-11e6-bd58-64006a7986d3";
const HOST_ENDPOINT = "5e1f0a3c-7b2d-4c8e-9f01-23456789abcd";
/** Port 0x1234 on the host; the guest connects. */
const HOST_SERVICE = "00001234-facb-11e6-bd58-64006a7986d3";
const GUEST_ENDPOINT = "00000400-facb-11e6-bd58-64006a7986d3";

class Timeline {
  private next = START_NS;
  private tick = 0;
  records: VmbusRecord[] = [];
  private readonly classes = new Map<number, string>();

  private add(direction: Direction, kind: RecordKind, relid: number, payload: Uint8Array): void {
    const number = this.records.length + 1;
    const classGuid = kind === RecordKind.RingPacket ? guidBytes(this.classes.get(relid)!) : undefined;
    this.records.push({ origin: { file: "samples", fileOffset: 0, number }, timestampNs: this.next, direction, kind, flags: 0, relid, classGuid, payload, attached: [] });
    // 30..93 µs apart, in 100 ns ticks, varying as a real trace does.
    this.next += BigInt(300 + ((this.tick++ * 37) % 64) * 10) * 100n;
  }

  /** A pause (the far side thinking, a user typing). */
  wait(ms: number): void {
    this.next += BigInt(ms) * 1_000_000n;
  }

  message(direction: Direction, msgtype: number, body: EncodeValues = {}): void {
    this.add(direction, RecordKind.ChannelMessage, 0, encodeStruct(channelMessage, { msgtype, body }));
  }

  offer(relid: number, classGuid: string, instance: string, flags: number, userArea: EncodeValues): void {
    this.classes.set(relid, classGuid);
    this.message(H2G, 1, {
      if_type: classGuid, if_instance: instance, flags, mmio_megabytes: 0, user_area: userArea, sub_channel_index: 0,
      child_relid: relid, monitor_id: 0xff, monitor_flags: 0, interrupt_flags: 0, connection_id: 0x2000 + relid,
    });
  }

  /** An in-band pipe packet (type 6, no completion, trans_id 0): pipe header type `type`, then the bytes. */
  pipe(direction: Direction, relid: number, data: Uint8Array, type = 1, sizeWord = data.length): void {
    const payload = new Uint8Array(8 + data.length);
    const view = new DataView(payload.buffer);
    view.setUint32(0, type, true);
    view.setUint32(4, sizeWord, true);
    payload.set(data, 8);
    this.add(direction, RecordKind.RingPacket, relid, buildRingPacket({ type: 6, payload }));
  }

  device(direction: Direction, relid: number, description: StructDescription, values: EncodeValues): void {
    this.pipe(direction, relid, encodeStruct(description, values));
  }
}

/** A 16-page ring GPADL (8 pages each way) and the open. */
function open(t: Timeline, relid: number, gpadl: number): void {
  const pfns = Array.from({ length: 16 }, (_, i) => ({ pfn: 0x23400 + relid * 0x20 + i }));
  t.message(G2H, 8, { child_relid: relid, gpadl, range_buflen: 8 + 8 * 16, range_count: 1, ranges: [{ byte_count: 16 * 4096, byte_offset: 0, pfns }] });
  t.message(H2G, 10, { child_relid: relid, gpadl, creation_status: 0 });
  t.message(G2H, 5, { child_relid: relid, open_id: relid, gpadl, target_vp: 0, downstream_ring_page_offset: 8, connection_id: 0x2000 + relid, event_flag: relid, open_flags: 0 });
  t.message(H2G, 6, { child_relid: relid, open_id: relid, status: 0 });
}

/** Host rescinds; the guest closes, tears the ring GPADL down and releases the relid (core.md §7.2, "Close"). */
function release(t: Timeline, relid: number, gpadl: number): void {
  t.message(H2G, 2, { child_relid: relid });
  t.message(G2H, 7, { child_relid: relid });
  t.message(G2H, 11, { child_relid: relid, gpadl });
  t.message(H2G, 12, { gpadl });
  t.message(G2H, 13, { child_relid: relid });
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const pattern = (length: number, seed: number): Uint8Array => Uint8Array.from({ length }, (_, i) => (seed + i * 13) & 0xff);
const hvsockArea = (isForGuestAccept: number): EncodeValues => ({ pipe_mode: 0, is_for_guest_accept: isForGuestAccept, is_for_guest_container: 0, version: 1 });

function hostConnects(t: Timeline): void {
  t.offer(41, GUEST_SERVICE, HOST_ENDPOINT, 0x2011, hvsockArea(1));
  open(t, 41, 0xe4100);
  t.pipe(H2G, 41, text("SSH-2.0-OpenSSH_for_Windows_9.5\r\n"));
  t.pipe(G2H, 41, text("SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n"));
  t.pipe(H2G, 41, pattern(512, 0x14));
  t.pipe(G2H, 41, pattern(1080, 0x14));
  t.wait(3);
  t.pipe(H2G, 41, new Uint8Array(0));
  t.pipe(G2H, 41, new Uint8Array(0));
  release(t, 41, 0xe4100);
}

function guestConnects(t: Timeline): void {
  t.message(G2H, 21, { endpoint_id: GUEST_ENDPOINT, service_id: HOST_SERVICE, silo_id: "00000000-0000-0000-0000-000000000000" });
  t.offer(42, HOST_SERVICE, GUEST_ENDPOINT, 0x2011, hvsockArea(0));
  open(t, 42, 0xe4200);
  t.pipe(G2H, 42, text("GET /status HTTP/1.1\r\nHost: hyperv\r\n\r\n"));
  t.pipe(H2G, 42, pattern(4088, 0x31));
  t.pipe(H2G, 42, pattern(1200, 0x32));
  t.pipe(G2H, 42, new Uint8Array(0));
  t.pipe(H2G, 42, new Uint8Array(0));
  release(t, 42, 0xe4200);
}

function vmbfs(t: Timeline): void {
  t.offer(43, VMBFS, IMC_INSTANCE, 0x0001, {});
  open(t, 43, 0xe4300);
  const path = "imc.hiv";
  t.device(G2H, 43, vmbfsMessage, { message_type: 1, body: { requested_version: 0x00010000 } });
  t.device(H2G, 43, vmbfsMessage, { message_type: 2, body: { version_status: 0 } });
  t.device(G2H, 43, vmbfsMessage, { message_type: 3, body: { path } });
  t.device(H2G, 43, vmbfsMessage, { message_type: 4, body: { status: 0, file_flags: 0x2, file_size: 20480 } });
  t.device(G2H, 43, vmbfsMessage, { message_type: 5, body: { byte_count: 4096, offset: 0, path } });
  t.device(H2G, 43, vmbfsMessage, { message_type: 6, body: { status: 0, file_data: Uint8Array.from([0x72, 0x65, 0x67, 0x66, ...pattern(4092, 0x40)]) } });
  t.device(G2H, 43, vmbfsMessage, { message_type: 7, body: { handle: 0x11, byte_count: 16384, offset: 4096, token_offset: 0x1000, path } });
  t.device(H2G, 43, vmbfsMessage, { message_type: 8, body: { status: 0, byte_count: 16384 } });
  t.device(G2H, 43, vmbfsMessage, { message_type: 3, body: { path: "missing.dat" } });
  t.device(H2G, 43, vmbfsMessage, { message_type: 4, body: { status: 1, file_flags: 0, file_size: 0 } });
}

function guestEmulationTransport(t: Timeline): void {
  t.offer(44, GET, GET_INSTANCE, 0x0011, { mode: 4 });
  open(t, 44, 0xe4400);
  t.device(G2H, 44, getMessage, { message_version: 1, message_type: 2, message: { request_id: 1, body: { version: 0x00040002 } } });
  t.device(H2G, 44, getMessage, { message_version: 1, message_type: 3, message: { request_id: 1, body: { version_accepted: 1 } } });
  t.device(G2H, 44, getMessage, { message_version: 1, message_type: 2, message: { request_id: 2, body: {} } });
  t.device(H2G, 44, getMessage, {
    message_version: 1, message_type: 3,
    message: { request_id: 2, body: { vm_reference_time: 0x1234_5678, utc: 134087976000000000n, time_zone: -60, daylight_savings: 0, pad5: new Uint8Array(5) } },
  });
  t.device(H2G, 44, getMessage, { message_version: 1, message_type: 4, message: { guest_notification: 1, body: { body_data: pattern(16, 0x77) } } });
  t.device(G2H, 44, getMessage, { message_version: 1, message_type: 1, message: { host_notification: 7, body: {} } });

  t.offer(45, GET, GET_LOG_INSTANCE, 0x0011, { mode: 4 });
  open(t, 45, 0xe4500);
  const [name, target, fields, message] = ["boot_vtl0", "openhcl::servicing", "state=ready", "VTL0 started"];
  const strings = text(name + target + fields + message);
  t.device(G2H, 45, getLogMessage, {
    log_type: 0, level: 3, flags: 0,
    name_size: 9, name_offset: 0, target_size: 18, target_offset: 9, fields_size: 11, fields_offset: 27, message_size: 12, message_offset: 38,
    activity_id: "9a0c6f1e-2b3d-4e5f-8a9b-0c1d2e3f4a5b", related_activity_id: "00000000-0000-0000-0000-000000000000",
    correlation_id: "00000000-0000-0000-0000-000000000000", timestamp: 0x1_2345_6789, strings,
    name_text: name, target_text: target, fields_text: fields, message_text: message,
  });
  t.device(H2G, 44, getMessage, { message_version: 1, message_type: 1, message: { host_notification: 1, body: { hibernate: 0 } } });
}

function crashDump(t: Timeline): void {
  t.offer(41, CRASHDUMP, CRASHDUMP, 0x0011, { mode: 4 });
  open(t, 41, 0xe4110);
  const activity = "3f9a2c1d-5e6b-4a7c-8d9e-0f1a2b3c4d5e";
  t.device(G2H, 41, crashdumpMessage, { activity_id: activity, message_type: 0x1, body: {} });
  t.device(H2G, 41, crashdumpMessage, { activity_id: activity, message_type: 0x10001, body: { capabilities: 0x3 } });
  t.device(G2H, 41, crashdumpMessage, { activity_id: activity, message_type: 0x102, body: {} });
  t.device(H2G, 41, crashdumpMessage, { activity_id: activity, message_type: 0x10102, body: { max_dump_size: 0x4000_0000, dump_type: 1 } });
}

function serial(t: Timeline): void {
  t.offer(42, SERIAL, COM1, 0x0011, { mode: 4 });
  open(t, 42, 0xe4210);
  const line = text("login: ");
  t.device(G2H, 42, serialMessage, { message_version: 1, message_type: 2, message: { request_id: 1, body: { requested_version: 0x00010000 } } });
  t.device(H2G, 42, serialMessage, { message_version: 1, message_type: 3, message: { request_id: 1, body: { version_accepted: 1 } } });
  t.device(G2H, 42, serialMessage, { message_version: 1, message_type: 4, message: { guest_notification: 2, body: { modem_status: 0xb0, is_connected: 1 } } });
  t.device(G2H, 42, serialMessage, { message_version: 1, message_type: 1, message: { host_notification: 2, body: { buffer_length: line.length, data: line, buffer_unused: new Uint8Array(64 - line.length) } } });
  t.device(H2G, 42, serialMessage, { message_version: 1, message_type: 4, message: { guest_notification: 3, body: {} } });
  t.device(H2G, 42, serialMessage, { message_version: 1, message_type: 4, message: { guest_notification: 1, body: {} } });
  t.device(G2H, 42, serialMessage, { message_version: 1, message_type: 2, message: { request_id: 2, body: {} } });
  const typed = text("root\r");
  t.device(H2G, 42, serialMessage, { message_version: 1, message_type: 3, message: { request_id: 2, body: { buffer_length: typed.length, more_data_available: 0, data: typed, buffer_unused: new Uint8Array(64 - typed.length) } } });
  t.device(G2H, 42, serialMessage, { message_version: 1, message_type: 1, message: { host_notification: 1, body: {} } });
}

export function socketsSession(): VmbusRecord[] {
  const t = new Timeline();
  hostConnects(t);
  t.wait(20);
  guestConnects(t);
  t.wait(50);
  vmbfs(t);
  t.wait(10);
  guestEmulationTransport(t);
  t.wait(10);
  crashDump(t);
  serial(t);
  return t.records;
}
