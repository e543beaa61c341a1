// Per-packet-info records of REMOTE_NDIS_PACKET_MSG (net-storage.md A5.6, A5.7): a list of
// records, each `Size, Type, Offset` then its data at Offset from the record's start.

import { and, array, bitSet, bytes, choice, enumOf, eq, flagsOf, ge, hex, lt, ne, onlyWhen, or, ref, sameBytes, sub, u16, u32, u8 } from "../describe/dsl.js";
import type { BitDescription, StructDescription, ValueStrings } from "../describe/types.js";
import { hashBits } from "./oids.js";

export const ppiTypes: ValueStrings = {
  0: "TCPIP_CHKSUM", 1: "IPSEC", 2: "TCP_LARGESEND", 3: "CLASSIFICATION_HANDLE", 4: "NDIS_RESERVED", 5: "SG_LIST",
  6: "IEEE_8021Q", 7: "ORIGINAL", 8: "HASH_VALUE", 9: "HASH_INFO", 10: "CACHED_NET_BUFLIST", 11: "SHORT_PKT_PADINFO",
  0x80000001: "PACKET_ID",
};

const txChecksumBits: BitDescription[] = [
  { mask: 0x1, key: "is_ipv4", label: "IsIPv4" }, { mask: 0x2, key: "is_ipv6", label: "IsIPv6" },
  { mask: 0x4, key: "tcp_checksum", label: "TcpChecksum" }, { mask: 0x8, key: "udp_checksum", label: "UdpChecksum" },
  { mask: 0x10, key: "ip_header_checksum", label: "IpHeaderChecksum" },
];
const rxChecksumBits: BitDescription[] = [
  { mask: 0x1, key: "tcp_failed", label: "TcpChecksumFailed" }, { mask: 0x2, key: "udp_failed", label: "UdpChecksumFailed" },
  { mask: 0x4, key: "ip_failed", label: "IpChecksumFailed" }, { mask: 0x8, key: "tcp_succeeded", label: "TcpChecksumSucceeded" },
  { mask: 0x10, key: "udp_succeeded", label: "UdpChecksumSucceeded" }, { mask: 0x20, key: "ip_succeeded", label: "IpChecksumSucceeded" },
  { mask: 0x40, key: "loopback", label: "Loopback" }, { mask: 0x80, key: "tcp_value_invalid", label: "TcpChecksumValueInvalid" },
  { mask: 0x100, key: "ip_value_invalid", label: "IpChecksumValueInvalid" },
];

/** Transmit (guest request) and receive (host result) use the same u32 with different bits: the record's direction decides. */
const fromHost = eq(ref("direction"), 1);

const checksum: StructDescription = {
  name: "ChecksumInfo", key: "csum", prefix: "rndis.ppi.csum", label: "Checksum info", size: 4,
  fields: [
    ...onlyWhen(ne(ref("direction"), 1), ...sameBytes(
      flagsOf("u32", txChecksumBits)("tx", "Transmit checksum request"),
      u32("tcp_header_offset", "TCP header offset", { mask: 0x03ff0000, unit: "bytes" }),
    )),
    flagsOf("u32", rxChecksumBits)("rx", "Receive checksum result", { when: fromHost }),
  ],
};

const lso: StructDescription = {
  name: "LargeSendInfo", key: "lso", prefix: "rndis.ppi.lso", label: "Large-send offload info", size: 4,
  fields: sameBytes(
    u32("mss", "MSS", { mask: 0x000fffff, unit: "bytes" }),
    u32("tcp_header_offset", "TCP header offset", { mask: 0x3ff00000, unit: "bytes" }),
    u32("lso_type", "Type", { mask: 0x40000000, values: { 0: "LSOv1", 1: "LSOv2" } }),
    u32("ip_version", "IP version (LSOv2)", { mask: 0x80000000, values: { 0: "IPv4", 1: "IPv6" } }),
  ),
};

const vlan: StructDescription = {
  name: "Ieee8021qInfo", key: "vlan", prefix: "rndis.ppi.vlan", label: "IEEE 802.1Q info (not the wire TCI order)", size: 4,
  fields: sameBytes(
    u32("priority", "User priority (PCP)", { mask: 0x7 }),
    u32("cfi", "Canonical format id (CFI/DEI)", { mask: 0x8 }),
    u32("id", "VLAN id", { mask: 0xfff0 }),
  ),
};

const hashValue: StructDescription = {
  name: "HashValue", key: "hash", prefix: "rndis.ppi", label: "Hash value", size: 4,
  fields: [hex("u32")("hash_value", "Hash value (RX: RSS hash; TX: queue hint)")],
};
const hashInfo: StructDescription = {
  name: "HashInfo", key: "hash_type", prefix: "rndis.ppi", label: "Hash info", size: 4,
  fields: [flagsOf("u32", hashBits)("hash_info", "Hash info")],
};
const packetId: StructDescription = {
  name: "PacketId", key: "pkt_id_info", prefix: "rndis.ppi.pkt_id", label: "Packet id (RSC)", size: 4,
  fields: [
    u8("ver", "Version", { expect: 1 }),
    flagsOf("u8", [
      { mask: 1, key: "suballoc", label: "SUBALLOC" }, { mask: 2, key: "first_frag", label: "1ST_FRAG" }, { mask: 4, key: "last_frag", label: "LAST_FRAG" },
    ])("flag", "Flags"),
    u16("id", "Packet id"),
  ],
};
const otherData: StructDescription = {
  name: "PpiData", key: "other", prefix: "rndis.ppi", label: "Data",
  fields: [bytes("data", "Data", sub(ref("size"), ref("offset")))],
};

export const ppiRecord: StructDescription = {
  name: "PerPacketInfo", key: "record", prefix: "rndis.ppi", label: "Per-packet info",
  fields: [
    u32("size", "Size", { unit: "bytes" }),
    enumOf("u32", ppiTypes)("type", "Type", { base: "hex", bits: [{ mask: 0x80000000, key: "internal", label: "Internal (Hyper-V)" }] }),
    u32("offset", "Data offset"),
    choice("info", "Info", ref("type"), { 0: checksum, 2: lso, 6: vlan, 8: hashValue, 9: hashInfo, 0x80000001: packetId }, {
      default: otherData, at: ref("offset"), when: and(ge(ref("offset"), 12), lt(ref("offset"), ref("size"))),
    }),
  ],
  sizeFrom: ref("size"),
  checks: [
    { fails: or(lt(ref("offset"), 12), ge(ref("offset"), ref("size"))), field: "offset", text: "per-packet info data offset {offset:raw} is outside its {size:raw}-byte record" },
    { fails: bitSet("size", 3), field: "size", text: "per-packet info size {size:raw} is not a multiple of 4" },
  ],
};

/** The records between PerPacketInfoOffset and PerPacketInfoOffset + PerPacketInfoLength. */
export const ppiList: StructDescription = {
  name: "PerPacketInfoList", key: "ppi", prefix: "rndis", label: "Per-packet info",
  fields: [array("ppis", "Per-packet info records", ppiRecord)],
};
