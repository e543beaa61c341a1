// The integration services as a capture shows them (devices.md §3–§9): the six IC channels offered
// (relids 11–16), each negotiating its framework and service version, then heartbeats (one missed),
// a shutdown request, time samples, KVP pool traffic with IP info, a VSS freeze and thaw and a
// file copy. The host sends every request; the guest answers with the same VMBus transaction id.
// Every IC message comes from the encoder (dissectors/ic/ic.ts).

import { Direction, RecordKind, type VmbusRecord } from "../capture/record.js";
import type { RingDumpLayout } from "../capture/ring-writer.js";
import { encodeStruct, type EncodeValues } from "../dissectors/describe/encode.js";
import { guidBytes } from "../dissectors/describe/read.js";
import { icMessage } from "../dissectors/ic/ic.js";
import { channelMessage } from "../dissectors/vmbus/channel-messages.js";
import { buildRingPacket } from "../dissectors/vmbus/packets.js";

const G2H = Direction.GuestToHost;
const H2G = Direction.HostToGuest;

interface Service { short: string; relid: number; guid: string; instance: string; type: number; versions: [number, number][]; chosen: [number, number] }

export const IC_SERVICES: readonly Service[] = [
  { short: "heartbeat", relid: 11, guid: "57164f39-9115-4e78-ab55-382f3bd5422d", instance: "fd149e91-82e0-4a7d-afa6-2a4166cbd7c0", type: 1, versions: [[1, 0], [3, 0]], chosen: [3, 0] },
  { short: "shutdown", relid: 12, guid: "0e0b6031-5213-4934-818b-38d90ced39db", instance: "b6650ff7-33bc-4840-8048-e0676786f393", type: 3, versions: [[1, 0], [3, 0], [3, 1], [3, 2]], chosen: [3, 2] },
  { short: "timesync", relid: 13, guid: "9527e630-d0ae-497b-adce-e80ab0175caf", instance: "2dd1ce17-079e-403c-b352-a1921ee207ee", type: 4, versions: [[1, 0], [3, 0], [4, 0]], chosen: [4, 0] },
  { short: "kvp", relid: 14, guid: "a9a0f4e7-5a45-4d96-b827-8a841e8c03e6", instance: "242ff919-07db-4180-9c2e-b86cb68c8c55", type: 2, versions: [[3, 0], [4, 0], [5, 0]], chosen: [5, 0] },
  { short: "vss", relid: 15, guid: "35fa2e29-ea23-4236-96ae-3a6ebacba440", instance: "2450ee40-33bf-4fbd-892e-9fb06e9214cf", type: 5, versions: [[4, 0], [5, 0], [6, 0], [7, 0]], chosen: [5, 0] },
  { short: "fcopy", relid: 16, guid: "34d14be3-dee4-41c8-9ae7-6b174977c192", instance: "eb765408-105f-49b6-b4aa-c123b64d17d4", type: 7, versions: [[1, 1]], chosen: [1, 1] },
];
const service = (short: string): Service => IC_SERVICES.find((s) => s.short === short)!;

/** 2026-11-25T10:00:00Z, in ns since 1970 and as FILETIME (100 ns since 1601). */
const START_S = 1795600800n;
const START_NS = START_S * 1_000_000_000n;
const FILETIME_1970 = 116444736000000000n;
export const filetimeAt = (ns: bigint): bigint => FILETIME_1970 + ns / 100n;
/** The guest booted 10 minutes before the capture starts (its reference counter was zero then). */
const BOOT_NS = START_NS - 600n * 1_000_000_000n;

export interface IcOptions { flags: number; status?: number; framework?: [number, number]; version?: [number, number]; transactionId?: number; bodySize?: number }

/** One IC message: pipe header, IC header and body; message_size and the pipe length follow from the body. */
export function icBytes(type: number, body: EncodeValues, options: IcOptions): Uint8Array {
  const values = (size: number): EncodeValues => ({
    pipe_type: 1, pipe_len: 20 + size, framework_major: options.framework?.[0] ?? 3, framework_minor: options.framework?.[1] ?? 0,
    message_type: type, msg_major: options.version?.[0] ?? 0, msg_minor: options.version?.[1] ?? 0, message_size: size,
    transaction_id: options.transactionId ?? 0, flags: options.flags, reserved_u16: 0, body: { message: body }, outcome: { status: options.status ?? 0 },
  });
  const size = Math.max(encodeStruct(icMessage, values(0xffff)).length - 28, options.bodySize ?? 0);
  const encoded = encodeStruct(icMessage, values(size));
  const out = new Uint8Array(28 + size);
  out.set(encoded.subarray(0, out.length));
  return out;
}

const REQUEST = 0x3;
const RESPONSE = 0x5;

class Timeline {
  records: VmbusRecord[] = [];
  now = START_NS;
  private transId = 0x10;

  add(direction: Direction, kind: RecordKind, relid: number, payload: Uint8Array, guid?: string): void {
    this.records.push({
      origin: { file: "samples", fileOffset: 0, number: this.records.length + 1 }, timestampNs: this.now, direction, kind, flags: 0, relid,
      classGuid: guid ? guidBytes(guid) : undefined, payload, attached: [],
    });
  }

  /** A host request, the guest's answer `answerAfterUs` later (none when undefined), then the clock moves on by `thenMs`. */
  exchange(s: Service, type: number, request: EncodeValues, answer: EncodeValues | undefined, options: { version?: [number, number]; status?: number; bodySize?: number; answerAfterUs?: number; thenMs?: number; framework?: [number, number] } = {}): void {
    const transId = ++this.transId;
    const version = options.version ?? s.chosen;
    const common = { version, framework: options.framework ?? [3, 0] as [number, number], bodySize: options.bodySize };
    this.add(H2G, RecordKind.RingPacket, s.relid, buildRingPacket({ type: 0x6, transId, payload: icBytes(type, request, { ...common, flags: REQUEST }) }), s.guid);
    if (answer) {
      this.now += BigInt(options.answerAfterUs ?? 180) * 1000n;
      this.add(G2H, RecordKind.RingPacket, s.relid, buildRingPacket({ type: 0x6, transId, payload: icBytes(type, answer, { ...common, flags: RESPONSE, status: options.status ?? 0 }) }), s.guid);
    }
    this.now += BigInt(options.thenMs ?? 1) * 1_000_000n;
  }
}

const versions = (list: [number, number][]) => list.map(([major, minor]) => ({ major, minor }));

function offer(t: Timeline, s: Service, index: number): void {
  t.add(H2G, RecordKind.ChannelMessage, 0, encodeStruct(channelMessage, {
    msgtype: 1, body: {
      if_type: s.guid, if_instance: s.instance, flags: 0x0010, user_area: { mode: 4 }, sub_channel_index: 0, child_relid: s.relid,
      monitor_id: 10 + index, monitor_flags: 1, interrupt_flags: 1, connection_id: 0x2000 + s.relid,
    },
  }));
  t.now += 50_000n;
}

/** §3.6: the host lists framework 1.0 and 3.0 (3.0 only for file copy) and its service versions; the guest answers with one of each. */
function negotiate(t: Timeline, s: Service): void {
  const frameworks: [number, number][] = s.short === "fcopy" ? [[3, 0]] : [[1, 0], [3, 0]];
  t.exchange(s, 0,
    { framework_version_count: frameworks.length, message_version_count: s.versions.length, reserved_u32: 0, framework_versions: versions(frameworks), service_versions: versions(s.versions) },
    { framework_version_count: 1, message_version_count: 1, reserved_u32: 0, framework_versions: versions([[3, 0]]), service_versions: versions([s.chosen]) },
    { version: [0, 0], framework: [0, 0], thenMs: 2 });
}

function heartbeats(t: Timeline): void {
  const s = service("heartbeat");
  for (const seq of [100, 101, 102, 104, 105]) {
    t.exchange(s, 1, { seq_num: seq, application_state: 0, reserved: new Uint8Array(4) }, { seq_num: seq + 1, application_state: 1, reserved: new Uint8Array(4) },
      { thenMs: seq === 102 ? 4000 : 2000 });
  }
}

function shutdown(t: Timeline): void {
  t.exchange(service("shutdown"), 3,
    { reason_code: 0x80000000, timeout_seconds: 30, action: 3, flags: 3, message: "Restart for planned host maintenance\u0000" },
    { reason_code: 0x80000000, timeout_seconds: 30, action: 3, flags: 3, message: "Restart for planned host maintenance\u0000" },
    { bodySize: 2060, thenMs: 5 });
}

function timeSamples(t: Timeline): void {
  const s = service("timesync");
  [1, 2, 2, 2].forEach((flags) => {
    const sample = { parent_time: filetimeAt(t.now), vm_reference_time: (t.now - BOOT_NS) / 100n, flags, leap_flags: 0, stratum: 2, reserved: new Uint8Array(5) };
    t.exchange(s, 4, { sample }, { sample }, { answerAfterUs: 95, thenMs: 5000 });
  });
}

const utf16Size = (text: string): number => (text.length + 1) * 2;
const kvpRecord = (valueType: number, key: string, value: string | number | undefined): EncodeValues => {
  const valueSize = value === undefined ? 0 : typeof value === "number" ? 4 : utf16Size(value);
  const valueEntry = value === undefined ? undefined : typeof value === "number" ? { value_u32: value } : { value_string: value };
  return { padding: 0, value_type: valueType, key_size: utf16Size(key), value_size: valueSize, key, value: valueEntry };
};
const KVP_SIZE = 2580;
const IP_SIZE = 7428;
const ADAPTER = "{9D6A1B3C-4E2F-4A7D-8C1E-00155D0A1B2C}";

function kvpTraffic(t: Timeline): void {
  const s = service("kvp");
  const kvp = (operation: number, pool: number, data: EncodeValues): EncodeValues => ({ operation, pool, data });
  // The host pushes its intrinsic items and an administrator's item.
  t.exchange(s, 2, kvp(1, 3, kvpRecord(1, "PhysicalHostNameFullyQualified", "hv-host01.contoso.com")), kvp(1, 3, kvpRecord(1, "PhysicalHostNameFullyQualified", "hv-host01.contoso.com")), { bodySize: KVP_SIZE });
  t.exchange(s, 2, kvp(1, 0, kvpRecord(4, "MaintenanceWindow", 3)), kvp(1, 0, kvpRecord(4, "MaintenanceWindow", 3)), { bodySize: KVP_SIZE });
  // The host reads a guest item and enumerates the intrinsic pool.
  t.exchange(s, 2, kvp(0, 1, kvpRecord(1, "HostName", undefined)), kvp(0, 1, kvpRecord(1, "HostName", "vm1")), { bodySize: KVP_SIZE });
  t.exchange(s, 2, kvp(3, 2, { padding: 0, index: 0, value_type: 0, key_size: 0, value_size: 0 }),
    kvp(3, 2, { padding: 0, index: 0, value_type: 1, key_size: utf16Size("FullyQualifiedDomainName"), value_size: utf16Size("vm1.contoso.com"), key: "FullyQualifiedDomainName", value: { value_string: "vm1.contoso.com" } }), { bodySize: KVP_SIZE });
  t.exchange(s, 2, kvp(3, 2, { padding: 0, index: 10, value_type: 0, key_size: 0, value_size: 0 }), kvp(3, 2, { padding: 0, index: 10, value_type: 0, key_size: 0, value_size: 0 }),
    { bodySize: KVP_SIZE, status: 0x80070103 });
  // IP information (binary form, KVP 5.0): the host asks, the guest reports, then the host sets a static address.
  const empty = { padding: 0, ipv4_address_count: 0, ipv6_address_count: 0, ipv4_gateway_count: 0, ipv6_gateway_count: 0, ipv4_dns_server_count: 0, ipv6_dns_server_count: 0, adapter_id: ADAPTER, address_family: 0, dhcp_enabled: false, padding2: 0 };
  const reported = {
    ...empty, ipv4_address_count: 2, ipv6_address_count: 1, ipv4_gateway_count: 1, ipv4_dns_server_count: 2, address_family: 3, dhcp_enabled: true,
    ipv4_addresses: [{ address: "10.0.0.4" }, { address: "10.0.0.5" }], ipv6_addresses: [{ address: "fe80::215:5dff:fe0a:1b2c" }],
    ipv4_subnets: [{ address: "255.255.255.0" }, { address: "255.255.255.0" }], ipv6_subnets: [{ prefix_length: 64 }],
    ipv4_gateways: [{ address: "10.0.0.1" }], ipv6_gateways: [], ipv4_dns_servers: [{ address: "10.0.0.2" }, { address: "168.63.129.16" }], ipv6_dns_servers: [],
    origins: [{ origin: 1 }, { origin: 2 }, { origin: 0 }],
  };
  t.exchange(s, 2, kvp(4, 1, { form: empty }), kvp(4, 1, { form: reported }), { bodySize: IP_SIZE, answerAfterUs: 2500 });
  const staticConfig = {
    ...empty, ipv4_address_count: 1, ipv4_gateway_count: 1, ipv4_dns_server_count: 1, address_family: 1, dhcp_enabled: false,
    ipv4_addresses: [{ address: "10.0.0.10" }], ipv6_addresses: [], ipv4_subnets: [{ address: "255.255.255.0" }], ipv6_subnets: [],
    ipv4_gateways: [{ address: "10.0.0.1" }], ipv6_gateways: [], ipv4_dns_servers: [{ address: "10.0.0.2" }], ipv6_dns_servers: [], origins: [{ origin: 2 }],
  };
  t.exchange(s, 2, kvp(5, 1, { form: staticConfig }), kvp(5, 1, { form: staticConfig }), { bodySize: IP_SIZE, answerAfterUs: 40000, thenMs: 10 });
}

function vssTraffic(t: Timeline): void {
  const s = service("vss");
  const header = (operation: number) => ({ operation, reserved: new Uint8Array(7) });
  t.exchange(s, 5, { ...header(2), data: { flags: 0 } }, { ...header(2), data: { flags: 5 } });
  const lun = { bus_type: 1, reserved: new Uint8Array(3), controller: "f3b1c24e-7d2a-4c8e-9f10-2b5d6e7a8c90", port: 0, target: 0, lun: 0, reserved_u8: 0 };
  const freeze = { ...header(5), data: { backup_type: 1, backup_flags: 1, lun_count: 1, luns: [lun] } };
  t.exchange(s, 5, freeze, freeze, { bodySize: 6260, answerAfterUs: 850000, thenMs: 3 });
  t.exchange(s, 5, { ...header(6), data: { flags: 0 } }, { ...header(6), data: { flags: 0 } }, { answerAfterUs: 120000 });
}

const CHUNK = 6 * 1024;
function fileCopy(t: Timeline): void {
  const s = service("fcopy");
  const ids = { service_id0: "00000000-0000-0000-0000-000000000000", service_id1: "00000000-0000-0000-0000-000000000000" };
  const content = Uint8Array.from({ length: 10000 }, (_, i) => 0x20 + (i % 90));
  const start = { operation: 0, ...ids, data: { file_name: "config.yaml", path_name: "/etc/myapp", copy_flags: 0x3, file_size: content.length } };
  t.exchange(s, 7, start, start, { bodySize: 1088 });
  for (let at = 0; at < content.length; at += CHUNK) {
    const data = content.subarray(at, Math.min(content.length, at + CHUNK));
    const write = { operation: 1, ...ids, data: { pad: 0, offset: at, size: data.length, data } };
    t.exchange(s, 7, write, write, { bodySize: 6196, answerAfterUs: 300 });
  }
  t.exchange(s, 7, { operation: 2, ...ids }, { operation: 2, ...ids });
}

export function icSession(): VmbusRecord[] {
  const t = new Timeline();
  IC_SERVICES.forEach((s, i) => offer(t, s, i));
  for (const s of IC_SERVICES) negotiate(t, s);
  heartbeats(t);
  timeSamples(t);
  kvpTraffic(t);
  vssTraffic(t);
  fileCopy(t);
  shutdown(t);
  return t.records;
}

/** The heartbeat channel's ring pair: guest→host answers first, then the host→guest requests; the last request not yet read. */
export function heartbeatPairDump(): RingDumpLayout {
  const s = service("heartbeat");
  const requests = [200, 201, 202, 203].map((seq, i) => buildRingPacket({ type: 0x6, transId: 0x40 + i, payload: icBytes(1, { seq_num: seq, application_state: 0, reserved: new Uint8Array(4) }, { flags: REQUEST, version: s.chosen }) }));
  const answers = [200, 201, 202].map((seq, i) => buildRingPacket({ type: 0x6, transId: 0x40 + i, payload: icBytes(1, { seq_num: seq + 1, application_state: 1, reserved: new Uint8Array(4) }, { flags: RESPONSE, version: s.chosen }) }));
  return { dataSize: 4 * 4096, rings: [{ packets: answers, consumed: 3, startOffset: 0 }, { packets: requests, consumed: 3, startOffset: 4 * 4096 - 128 }] };
}
