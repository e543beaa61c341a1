// NDIS OIDs (net-storage.md A6.2) and the data of the common ones (A5.9, A6.3–A6.8), chosen by the
// OID value. Every NDIS 6 structure starts with an object header (A6.1); its later fields are read
// only when the structure is long enough for them (the revision decides the size).

import {
  and, array, ascii, bytes, choice, enumOf, eq, flagsOf, ge, gt, hex, mac, onlyWhen, peek, ref, reserved, sizeAtLeast, struct, u16, u32, u64,
  u8, utf16,
} from "../describe/dsl.js";
import type { BitDescription, Expr, Field, StructDescription, ValueStrings } from "../describe/types.js";

export const oidNames: ValueStrings = {
  0x00010101: "OID_GEN_SUPPORTED_LIST", 0x00010102: "OID_GEN_HARDWARE_STATUS", 0x00010103: "OID_GEN_MEDIA_SUPPORTED",
  0x00010104: "OID_GEN_MEDIA_IN_USE", 0x00010105: "OID_GEN_MAXIMUM_LOOKAHEAD", 0x00010106: "OID_GEN_MAXIMUM_FRAME_SIZE",
  0x00010107: "OID_GEN_LINK_SPEED", 0x00010108: "OID_GEN_TRANSMIT_BUFFER_SPACE", 0x00010109: "OID_GEN_RECEIVE_BUFFER_SPACE",
  0x0001010a: "OID_GEN_TRANSMIT_BLOCK_SIZE", 0x0001010b: "OID_GEN_RECEIVE_BLOCK_SIZE", 0x0001010c: "OID_GEN_VENDOR_ID",
  0x0001010d: "OID_GEN_VENDOR_DESCRIPTION", 0x0001010e: "OID_GEN_CURRENT_PACKET_FILTER", 0x0001010f: "OID_GEN_CURRENT_LOOKAHEAD",
  0x00010110: "OID_GEN_DRIVER_VERSION", 0x00010111: "OID_GEN_MAXIMUM_TOTAL_SIZE", 0x00010112: "OID_GEN_PROTOCOL_OPTIONS",
  0x00010113: "OID_GEN_MAC_OPTIONS", 0x00010114: "OID_GEN_MEDIA_CONNECT_STATUS", 0x00010115: "OID_GEN_MAXIMUM_SEND_PACKETS",
  0x00010116: "OID_GEN_VENDOR_DRIVER_VERSION", 0x00010117: "OID_GEN_SUPPORTED_GUIDS", 0x00010118: "OID_GEN_NETWORK_LAYER_ADDRESSES",
  0x00010119: "OID_GEN_TRANSPORT_HEADER_OFFSET", 0x00010201: "OID_GEN_MEDIA_CAPABILITIES", 0x00010202: "OID_GEN_PHYSICAL_MEDIUM",
  0x00010203: "OID_GEN_RECEIVE_SCALE_CAPABILITIES", 0x00010204: "OID_GEN_RECEIVE_SCALE_PARAMETERS",
  0x00010206: "OID_GEN_MAX_LINK_SPEED", 0x00010207: "OID_GEN_LINK_STATE", 0x00010208: "OID_GEN_LINK_PARAMETERS",
  0x00010209: "OID_GEN_INTERRUPT_MODERATION", 0x0001021a: "OID_GEN_MACHINE_NAME", 0x0001021b: "OID_GEN_RNDIS_CONFIG_PARAMETER",
  0x0001021c: "OID_GEN_VLAN_ID",
  0x00020101: "OID_GEN_XMIT_OK", 0x00020102: "OID_GEN_RCV_OK", 0x00020103: "OID_GEN_XMIT_ERROR", 0x00020104: "OID_GEN_RCV_ERROR",
  0x00020105: "OID_GEN_RCV_NO_BUFFER", 0x00020201: "OID_GEN_DIRECTED_BYTES_XMIT", 0x00020202: "OID_GEN_DIRECTED_FRAMES_XMIT",
  0x00020203: "OID_GEN_MULTICAST_BYTES_XMIT", 0x00020204: "OID_GEN_MULTICAST_FRAMES_XMIT", 0x00020205: "OID_GEN_BROADCAST_BYTES_XMIT",
  0x00020206: "OID_GEN_BROADCAST_FRAMES_XMIT", 0x00020207: "OID_GEN_DIRECTED_BYTES_RCV", 0x00020208: "OID_GEN_DIRECTED_FRAMES_RCV",
  0x00020209: "OID_GEN_MULTICAST_BYTES_RCV", 0x0002020a: "OID_GEN_MULTICAST_FRAMES_RCV", 0x0002020b: "OID_GEN_BROADCAST_BYTES_RCV",
  0x0002020c: "OID_GEN_BROADCAST_FRAMES_RCV", 0x0002020d: "OID_GEN_RCV_CRC_ERROR", 0x0002020e: "OID_GEN_TRANSMIT_QUEUE_LENGTH",
  0x0002020f: "OID_GEN_GET_TIME_CAPS", 0x00020210: "OID_GEN_GET_NETCARD_TIME", 0x00020211: "OID_GEN_NETCARD_LOAD",
  0x00020212: "OID_GEN_DEVICE_PROFILE", 0x00020213: "OID_GEN_INIT_TIME_MS", 0x00020214: "OID_GEN_RESET_COUNTS",
  0x00020215: "OID_GEN_MEDIA_SENSE_COUNTS", 0x00020216: "OID_GEN_FRIENDLY_NAME", 0x00020217: "OID_GEN_MINIPORT_INFO",
  0x00020218: "OID_GEN_RESET_VERIFY_PARAMETERS", 0x00020219: "OID_GEN_BYTES_RCV", 0x0002021a: "OID_GEN_BYTES_XMIT",
  0x0002021b: "OID_GEN_RCV_DISCARDS", 0x0002021c: "OID_GEN_XMIT_DISCARDS", 0x0002021d: "OID_TCP_RSC_STATISTICS",
  0x01010101: "OID_802_3_PERMANENT_ADDRESS", 0x01010102: "OID_802_3_CURRENT_ADDRESS", 0x01010103: "OID_802_3_MULTICAST_LIST",
  0x01010104: "OID_802_3_MAXIMUM_LIST_SIZE", 0x01010105: "OID_802_3_MAC_OPTIONS", 0x0101010a: "OID_OFFLOAD_ENCAPSULATION",
  0x01010208: "OID_802_3_ADD_MULTICAST_ADDRESS", 0x01010209: "OID_802_3_DELETE_MULTICAST_ADDRESS",
  0x01020101: "OID_802_3_RCV_ERROR_ALIGNMENT", 0x01020102: "OID_802_3_XMIT_ONE_COLLISION", 0x01020103: "OID_802_3_XMIT_MORE_COLLISIONS",
  0x01020201: "OID_802_3_XMIT_DEFERRED", 0x01020202: "OID_802_3_XMIT_MAX_COLLISIONS", 0x01020203: "OID_802_3_RCV_OVERRUN",
  0x01020204: "OID_802_3_XMIT_UNDERRUN", 0x01020205: "OID_802_3_XMIT_HEARTBEAT_FAILURE", 0x01020206: "OID_802_3_XMIT_TIMES_CRS_LOST",
  0x01020207: "OID_802_3_XMIT_LATE_COLLISIONS",
  0xfc01020b: "OID_TCP_OFFLOAD_CURRENT_CONFIG", 0xfc01020c: "OID_TCP_OFFLOAD_PARAMETERS",
  0xfc01020d: "OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES", 0xfc01020e: "OID_TCP_CONNECTION_OFFLOAD_CURRENT_CONFIG",
  0xfc01020f: "OID_TCP_CONNECTION_OFFLOAD_HARDWARE_CAPABILITIES",
  0xfd010100: "OID_PNP_CAPABILITIES", 0xfd010101: "OID_PNP_SET_POWER", 0xfd010102: "OID_PNP_QUERY_POWER",
  0xfd010103: "OID_PNP_ADD_WAKE_UP_PATTERN", 0xfd010104: "OID_PNP_REMOVE_WAKE_UP_PATTERN", 0xfd010106: "OID_PNP_ENABLE_WAKE_UP",
};

export const OID = {
  SUPPORTED_LIST: 0x00010101, HARDWARE_STATUS: 0x00010102, MEDIA_SUPPORTED: 0x00010103, MEDIA_IN_USE: 0x00010104,
  MAXIMUM_FRAME_SIZE: 0x00010106, LINK_SPEED: 0x00010107, VENDOR_ID: 0x0001010c, VENDOR_DESCRIPTION: 0x0001010d,
  CURRENT_PACKET_FILTER: 0x0001010e, DRIVER_VERSION: 0x00010110, MAC_OPTIONS: 0x00010113, MEDIA_CONNECT_STATUS: 0x00010114,
  RSS_CAPABILITIES: 0x00010203, RSS_PARAMETERS: 0x00010204, MAX_LINK_SPEED: 0x00010206, LINK_STATE: 0x00010207,
  RNDIS_CONFIG_PARAMETER: 0x0001021b, VLAN_ID: 0x0001021c, FRIENDLY_NAME: 0x00020216,
  PERMANENT_ADDRESS: 0x01010101, CURRENT_ADDRESS: 0x01010102, MULTICAST_LIST: 0x01010103, OFFLOAD_ENCAPSULATION: 0x0101010a,
  ADD_MULTICAST: 0x01010208, DELETE_MULTICAST: 0x01010209,
  OFFLOAD_CURRENT_CONFIG: 0xfc01020b, OFFLOAD_PARAMETERS: 0xfc01020c, OFFLOAD_HARDWARE_CAPABILITIES: 0xfc01020d,
} as const;

const ndisObjectTypes: ValueStrings = {
  0x80: "DEFAULT", 0x88: "RSS_CAPABILITIES", 0x89: "RSS_PARAMETERS", 0x96: "OID_REQUEST", 0xa7: "OFFLOAD", 0xa8: "OFFLOAD_ENCAPSULATION",
};

/** A6.1: the prefix of every NDIS 6 structure. */
export const ndisHeader: StructDescription = {
  name: "NdisObjectHeader", key: "ndis_header", prefix: "ndis.hdr", label: "NDIS object header", size: 4,
  fields: [enumOf("u8", ndisObjectTypes)("type", "Object type"), u8("revision", "Revision"), u16("size", "Size", { unit: "bytes" })],
  info: undefined,
};
const header = struct("header", "NDIS object header", ndisHeader);

/**
 * Fields of a later revision: present only when both the object header's Size (byte 2) and the
 * bytes at hand reach `size` (a query's input may be a bare header stating the size it accepts).
 */
const from = (size: number, ...fields: Field[]): Field[] => onlyWhen(and(sizeAtLeast(size), ge(peek("u16", 2), size)), ...fields);

const O = "rndis.oid_data";
const simple = (name: string, key: string, fields: Field[], info?: string): StructDescription =>
  ({ name, key, prefix: O, label: name, fields, info });

// A6.3
export const packetFilterBits: BitDescription[] = [
  { mask: 0x1, key: "directed", label: "DIRECTED" }, { mask: 0x2, key: "multicast", label: "MULTICAST" },
  { mask: 0x4, key: "all_multicast", label: "ALL_MULTICAST" }, { mask: 0x8, key: "broadcast", label: "BROADCAST" },
  { mask: 0x10, key: "source_routing", label: "SOURCE_ROUTING" }, { mask: 0x20, key: "promiscuous", label: "PROMISCUOUS" },
  { mask: 0x40, key: "smt", label: "SMT" }, { mask: 0x80, key: "all_local", label: "ALL_LOCAL" },
  { mask: 0x100, key: "group_0100", label: "GROUP", alternate: "bit 0x100 in Linux hyperv_net.h / NDIS_PACKET_TYPE_* / MacHV" },
  { mask: 0x200, key: "all_functional_0200", label: "ALL_FUNCTIONAL", alternate: "bit 0x200 in Linux hyperv_net.h / MacHV" },
  { mask: 0x400, key: "functional_0400", label: "FUNCTIONAL", alternate: "bit 0x400 in Linux hyperv_net.h / MacHV" },
  { mask: 0x800, key: "mac_frame_0800", label: "MAC_FRAME", alternate: "bit 0x800 in Linux hyperv_net.h / MacHV" },
  { mask: 0x1000, key: "group", label: "GROUP", alternate: "bit 0x1000 in DPDK rndis.h / RNDIS_PACKET_TYPE_*" },
  { mask: 0x2000, key: "all_functional", label: "ALL_FUNCTIONAL", alternate: "bit 0x2000 in DPDK / RNDIS_PACKET_TYPE_*" },
  { mask: 0x4000, key: "functional", label: "FUNCTIONAL", alternate: "bit 0x4000 in DPDK / RNDIS_PACKET_TYPE_*" },
  { mask: 0x8000, key: "mac_frame", label: "MAC_FRAME", alternate: "bit 0x8000 in DPDK / RNDIS_PACKET_TYPE_*" },
];

const macOptionBits: BitDescription[] = [
  { mask: 0x1, key: "copy_lookahead_data", label: "COPY_LOOKAHEAD_DATA" }, { mask: 0x2, key: "receive_serialized", label: "RECEIVE_SERIALIZED" },
  { mask: 0x4, key: "transfers_not_pend", label: "TRANSFERS_NOT_PEND" }, { mask: 0x8, key: "no_loopback", label: "NO_LOOPBACK" },
  { mask: 0x10, key: "full_duplex", label: "FULL_DUPLEX" }, { mask: 0x20, key: "eotx_indication", label: "EOTX_INDICATION" },
  { mask: 0x40, key: "priority_8021p", label: "8021P_PRIORITY" }, { mask: 0x80, key: "supports_mac_address_overwrite", label: "SUPPORTS_MAC_ADDRESS_OVERWRITE" },
  { mask: 0x100, key: "receive_at_dpc", label: "RECEIVE_AT_DPC" }, { mask: 0x200, key: "vlan_8021q", label: "8021Q_VLAN" },
  { mask: 0x80000000, key: "reserved", label: "RESERVED" },
];

export const media: ValueStrings = {
  0: "802_3", 1: "802_5", 2: "FDDI", 3: "WAN", 4: "LOCAL_TALK", 6: "ARCNET_RAW", 7: "ARCNET878_2", 8: "ATM",
  9: "WIRELESS_WAN", 0xa: "IRDA", 0xb: "CO_WAN",
};

const oidList: StructDescription = {
  name: "SupportedOid", key: "supported", prefix: O, label: "Supported OID", size: 4,
  fields: [enumOf("u32", oidNames)("supported_oid", "OID", { base: "hex" })],
};
const macEntry: StructDescription = { name: "MulticastAddress", key: "multicast", prefix: O, label: "Address", size: 6, fields: [mac("multicast_address", "MAC address")] };

const u32Value = simple("Value", "value", [u32("value", "Value")], "{value}");
const counter = simple("Counter", "counter", [
  u32("counter32", "Counter", { when: eq(sizeAtLeast(8), 0) }), u64("counter64", "Counter", { when: sizeAtLeast(8) }),
]);
const macAddress = simple("MacAddress", "mac_address", [mac("mac", "MAC address")], "{mac}");
/** Sent in units of 100 bit/s; shown in bit/s. */
const linkSpeed = simple("LinkSpeed", "link_speed", [u32("link_speed", "Link speed", { scale: 100, unit: "bit/s" })], "{link_speed}");
const packetFilter = simple("PacketFilter", "packet_filter", [flagsOf("u32", packetFilterBits)("packet_filter", "Packet filter")], "{packet_filter} {packet_filter:bits}");
const connectStatus = simple("MediaConnectStatus", "connect_status", [enumOf("u32", { 0: "connected", 1: "disconnected" })("connect_status", "Media connect status")], "{connect_status}");
const medium = simple("Medium", "medium_data", [enumOf("u32", media)("medium", "Medium")], "{medium}");
const macOptions = simple("MacOptions", "mac_options", [flagsOf("u32", macOptionBits)("mac_options", "MAC options")]);
const supportedList = simple("SupportedList", "supported_list", [array("supported_oids", "Supported OIDs", oidList)]);
const multicastList = simple("MulticastList", "multicast_list", [array("multicast_addresses", "Multicast addresses", macEntry)]);
const vendorId = simple("VendorId", "vendor_id", [hex("u32")("vendor_id", "Vendor id")], "{vendor_id}");
const vendorDescription = simple("VendorDescription", "vendor_description", [ascii("vendor_description", "Vendor description", "rest", { nulTerminated: true })], "{vendor_description}");
const friendlyName = simple("FriendlyName", "friendly_name", [utf16("friendly_name", "Friendly name", "rest", { nulTerminated: true })], "{friendly_name}");
const driverVersion = simple("DriverVersion", "driver_version", [hex("u16")("driver_version", "Driver version")]);
const vlanId = simple("VlanId", "vlan_id", [u32("vlan_id", "VLAN id")], "{vlan_id}");
const maxLinkSpeed = simple("LinkSpeeds", "max_link_speed", [
  u64("xmit_link_speed", "Transmit link speed", { unit: "bit/s" }), u64("rcv_link_speed", "Receive link speed", { unit: "bit/s" }),
]);
const hardwareStatus = simple("HardwareStatus", "hardware_status", [enumOf("u32", { 0: "ready", 1: "initializing", 2: "reset", 3: "closing", 4: "not ready" })("hardware_status", "Hardware status")]);

// A5.9
const parameterTypes: ValueStrings = { 0: "integer", 1: "hex integer", 2: "string", 3: "multi-string", 4: "binary" };
export const configParameter: StructDescription = {
  name: "ConfigParameter", key: "config_parameter", prefix: "rndis.config", label: "RNDIS config parameter",
  fields: [
    u32("name_offset", "Parameter name offset"), u32("name_length", "Parameter name length", { unit: "bytes" }),
    enumOf("u32", parameterTypes)("parameter_type", "Parameter type"),
    u32("value_offset", "Parameter value offset"), u32("value_length", "Parameter value length", { unit: "bytes" }),
    utf16("name", "Parameter name", ref("name_length"), { at: ref("name_offset"), when: gt(ref("name_length"), 0) }),
    utf16("string_value", "Value", ref("value_length"), { at: ref("value_offset"), when: and(eq(ref("parameter_type"), 2), gt(ref("value_length"), 0)) }),
    u32("integer_value", "Value", { at: ref("value_offset"), when: and(ge(ref("value_length"), 4), { op: "<=", a: ref("parameter_type"), b: 1 }) }),
    bytes("binary_value", "Value", ref("value_length"), { at: ref("value_offset"), when: and(gt(ref("value_length"), 0), gt(ref("parameter_type"), 2)) }),
  ],
  minSize: 20,
  info: "{name} = {string_value}",
};

// A6.4
const checksumSet: ValueStrings = { 0: "no change", 1: "TX/RX disabled", 2: "TX enabled, RX disabled", 3: "RX enabled, TX disabled", 4: "TX/RX enabled" };
const offloadSet: ValueStrings = { 0: "no change", 1: "disabled", 2: "enabled" };
const ipsecSet: ValueStrings = { 0: "no change", 1: "off", 2: "AH", 3: "ESP", 4: "AH+ESP" };
const onOffSet: ValueStrings = { 0: "no change", 1: "on", 2: "off" };

const P = "rndis.offload_params";
export const offloadParameters: StructDescription = {
  name: "OffloadParameters", key: "offload_params", prefix: P, label: "NDIS_OFFLOAD_PARAMETERS",
  fields: [
    header,
    ...from(20,
      enumOf("u8", checksumSet)("ipv4_checksum", "IPv4 checksum"), enumOf("u8", checksumSet)("tcp_ipv4_checksum", "TCP/IPv4 checksum"),
      enumOf("u8", checksumSet)("udp_ipv4_checksum", "UDP/IPv4 checksum"), enumOf("u8", checksumSet)("tcp_ipv6_checksum", "TCP/IPv6 checksum"),
      enumOf("u8", checksumSet)("udp_ipv6_checksum", "UDP/IPv6 checksum"), enumOf("u8", offloadSet)("lsov1", "LSO v1"),
      enumOf("u8", ipsecSet)("ipsecv1", "IPsec v1"), enumOf("u8", offloadSet)("lsov2_ipv4", "LSO v2 IPv4"),
      enumOf("u8", offloadSet)("lsov2_ipv6", "LSO v2 IPv6"), u8("tcp_connection_ipv4", "TCP connection IPv4"),
      u8("tcp_connection_ipv6", "TCP connection IPv6"), reserved("u8"), hex("u32")("flags", "Flags")),
    ...from(22, enumOf("u8", ipsecSet)("ipsecv2", "IPsec v2"), enumOf("u8", ipsecSet)("ipsecv2_ipv4", "IPsec v2 IPv4")),
    ...from(26,
      enumOf("u8", offloadSet)("rsc_ipv4", "RSC IPv4"), enumOf("u8", offloadSet)("rsc_ipv6", "RSC IPv6"),
      enumOf("u8", onOffSet)("encapsulated_packet_task_offload", "Encapsulated packet task offload"),
      flagsOf("u8", [{ mask: 1, key: "nvgre", label: "NVGRE" }])("encapsulation_types", "Encapsulation types")),
    ...from(28, reserved("u16")),
  ],
};

const encapsulationBits: BitDescription[] = [
  { mask: 0x1, key: "null", label: "NULL" }, { mask: 0x2, key: "ieee_802_3", label: "IEEE 802.3" },
  { mask: 0x4, key: "ieee_802_3_pq", label: "802.3 with 802.1p/q" }, { mask: 0x8, key: "ieee_802_3_pq_oob", label: "802.3 with p/q in OOB" },
  { mask: 0x10, key: "llc_snap_routed", label: "RFC 1483 / LLC-SNAP routed" },
];
const encapsulation = flagsOf("u32", encapsulationBits);
const ipv4ChecksumBits: BitDescription[] = [
  { mask: 0x1, key: "ip_options", label: "IP options supported" }, { mask: 0x4, key: "tcp_options", label: "TCP options supported" },
  { mask: 0x10, key: "tcp", label: "TCP checksum" }, { mask: 0x40, key: "udp", label: "UDP checksum" }, { mask: 0x100, key: "ip", label: "IP checksum" },
];
const ipv6ChecksumBits: BitDescription[] = [
  { mask: 0x1, key: "ext_headers", label: "IPv6 extension headers supported" }, { mask: 0x4, key: "tcp_options", label: "TCP options supported" },
  { mask: 0x10, key: "tcp", label: "TCP checksum" }, { mask: 0x40, key: "udp", label: "UDP checksum" },
];
const v4 = flagsOf("u32", ipv4ChecksumBits);
const v6 = flagsOf("u32", ipv6ChecksumBits);

/** NDIS_OFFLOAD (hardware capabilities, current config, TASK_OFFLOAD_CURRENT_CONFIG indication). */
export const ndisOffload: StructDescription = {
  name: "Offload", key: "offload", prefix: "rndis.offload", label: "NDIS_OFFLOAD",
  fields: [
    header,
    ...from(112,
      encapsulation("ipv4_tx_encap", "Checksum IPv4 transmit encapsulation"), v4("ipv4_tx", "Checksum IPv4 transmit"),
      encapsulation("ipv4_rx_encap", "Checksum IPv4 receive encapsulation"), v4("ipv4_rx", "Checksum IPv4 receive"),
      encapsulation("ipv6_tx_encap", "Checksum IPv6 transmit encapsulation"), v6("ipv6_tx", "Checksum IPv6 transmit"),
      encapsulation("ipv6_rx_encap", "Checksum IPv6 receive encapsulation"), v6("ipv6_rx", "Checksum IPv6 receive"),
      encapsulation("lsov1_encap", "LSO v1 IPv4 encapsulation"), u32("lsov1_max_offload_size", "LSO v1 max offload size", { unit: "bytes" }),
      u32("lsov1_min_segment_count", "LSO v1 min segment count"), hex("u32")("lsov1_options", "LSO v1 TCP/IP options"),
      bytes("ipsecv1", "IPsec v1 (7 × u32)", 28),
      encapsulation("lsov2_ipv4_encap", "LSO v2 IPv4 encapsulation"), u32("lsov2_ipv4_max_offload_size", "LSO v2 IPv4 max offload size", { unit: "bytes" }),
      u32("lsov2_ipv4_min_segment_count", "LSO v2 IPv4 min segment count"),
      encapsulation("lsov2_ipv6_encap", "LSO v2 IPv6 encapsulation"), u32("lsov2_ipv6_max_offload_size", "LSO v2 IPv6 max offload size", { unit: "bytes" }),
      u32("lsov2_ipv6_min_segment_count", "LSO v2 IPv6 min segment count"),
      flagsOf("u32", [{ mask: 0x1, key: "ext_headers", label: "IPv6 extension headers supported" }, { mask: 0x4, key: "tcp_options", label: "TCP options supported" }])("lsov2_ipv6_flags", "LSO v2 IPv6 flags"),
      hex("u32")("flags", "Flags")),
    ...from(144, bytes("ipsecv2", "IPsec v2", 32)),
    ...from(156,
      u8("rsc_ipv4", "RSC IPv4 enabled"), u8("rsc_ipv6", "RSC IPv6 enabled"), reserved("u16"),
      hex("u32")("gre_flags", "Encapsulated packet task offload (GRE) flags"), u32("gre_max_header_size", "GRE max header size supported", { unit: "bytes" })),
    ...from(180, bytes("vxlan", "VXLAN encapsulated offload (OpenVMM)", 20), hex("u8")("encapsulation_types", "Encapsulation types"), bytes("padding", "Padding", 3)),
  ],
};

/** D1 #7: 0/1/2 (OpenVMM's NO_CHANGE = 1 is a slip). */
const encapsulationSet: ValueStrings = { 0: "no change", 1: "on", 2: "off" };
export const offloadEncapsulation: StructDescription = {
  name: "OffloadEncapsulation", key: "offload_encapsulation", prefix: "rndis.encap", label: "NDIS_OFFLOAD_ENCAPSULATION",
  fields: [
    header,
    ...from(28,
      enumOf("u32", encapsulationSet)("ipv4_enabled", "IPv4 enabled"),
      encapsulation("ipv4_type", "IPv4 encapsulation type"), u32("ipv4_header_size", "IPv4 header size", { unit: "bytes" }),
      enumOf("u32", encapsulationSet)("ipv6_enabled", "IPv6 enabled"),
      encapsulation("ipv6_type", "IPv6 encapsulation type"), u32("ipv6_header_size", "IPv6 header size", { unit: "bytes" })),
  ],
};

// A6.5, A6.6
export const hashBits: BitDescription[] = [
  { mask: 0x1, key: "toeplitz", label: "Toeplitz" },
  { mask: 0x100, key: "ipv4", label: "IPV4" }, { mask: 0x200, key: "tcp_ipv4", label: "TCP_IPV4" }, { mask: 0x400, key: "ipv6", label: "IPV6" },
  { mask: 0x800, key: "ipv6_ex", label: "IPV6_EX" }, { mask: 0x1000, key: "tcp_ipv6", label: "TCP_IPV6" }, { mask: 0x2000, key: "tcp_ipv6_ex", label: "TCP_IPV6_EX" },
  { mask: 0x4000, key: "udp_ipv4", label: "UDP_IPV4" }, { mask: 0x8000, key: "udp_ipv6", label: "UDP_IPV6" }, { mask: 0x10000, key: "udp_ipv6_ex", label: "UDP_IPV6_EX" },
];
const rssCapabilityBits: BitDescription[] = [
  { mask: 0x1, key: "toeplitz", label: "Toeplitz" },
  { mask: 0x100, key: "tcp_ipv4", label: "HASH_TYPE_TCP_IPV4", alternate: "DPDK: IPV4" },
  { mask: 0x200, key: "tcp_ipv6", label: "HASH_TYPE_TCP_IPV6", alternate: "DPDK: IPV6" },
  { mask: 0x400, key: "tcp_ipv6_ex", label: "HASH_TYPE_TCP_IPV6_EX", alternate: "DPDK: IPV6_EX" },
  { mask: 0x800, key: "udp_ipv4", label: "UDP_IPV4" }, { mask: 0x1000, key: "udp_ipv6", label: "UDP_IPV6" }, { mask: 0x2000, key: "udp_ipv6_ex", label: "UDP_IPV6_EX" },
  { mask: 0x01000000, key: "msi", label: "MESSAGE_SIGNALED_INTERRUPTS" }, { mask: 0x02000000, key: "classification_at_isr", label: "CLASSIFICATION_AT_ISR" },
  { mask: 0x04000000, key: "classification_at_dpc", label: "CLASSIFICATION_AT_DPC" }, { mask: 0x08000000, key: "using_msi_x", label: "USING_MSI_X" },
  { mask: 0x10000000, key: "available_on_ports", label: "RSS_AVAILABLE_ON_PORTS" }, { mask: 0x20000000, key: "supports_msi_x", label: "SUPPORTS_MSI_X" },
  { mask: 0x40000000, key: "independent_entry_move", label: "SUPPORTS_INDEPENDENT_ENTRY_MOVE" },
];

export const rssCapabilities: StructDescription = {
  name: "RssCapabilities", key: "rss_caps", prefix: "rndis.rss_caps", label: "NDIS_RECEIVE_SCALE_CAPABILITIES",
  fields: [
    header,
    ...from(16, flagsOf("u32", rssCapabilityBits)("capabilities", "Capabilities"), u32("interrupt_messages", "Number of interrupt messages"),
      u32("receive_queues", "Number of receive queues")),
    ...from(18, u16("indirection_table_entries", "Number of indirection table entries")),
    ...from(20, reserved("u16")),
  ],
};

const rssFlagBits: BitDescription[] = [
  { mask: 0x1, key: "base_cpu_unchanged", label: "BASE_CPU_UNCHANGED" }, { mask: 0x2, key: "hash_info_unchanged", label: "HASH_INFO_UNCHANGED" },
  { mask: 0x4, key: "itable_unchanged", label: "ITABLE_UNCHANGED" }, { mask: 0x8, key: "hash_key_unchanged", label: "HASH_KEY_UNCHANGED" },
  { mask: 0x10, key: "disable_rss", label: "DISABLE_RSS" }, { mask: 0x20, key: "default_processor_unchanged", label: "DEFAULT_PROCESSOR_UNCHANGED" },
];
const indirectionEntry: StructDescription = {
  name: "IndirectionEntry", key: "entry", prefix: "rndis.rss_params.itable", label: "Entry", size: 4,
  fields: [u32("queue", "Receive queue (channel index)")],
};
const tableSize = ref("indirection_table_size");
const keySize = ref("hash_secret_key_size");

export const rssParameters: StructDescription = {
  name: "RssParameters", key: "rss_params", prefix: "rndis.rss_params", label: "NDIS_RECEIVE_SCALE_PARAMETERS",
  fields: [
    header,
    ...from(28,
      flagsOf("u16", rssFlagBits)("flags", "Flags"), u16("base_cpu_number", "Base CPU number"),
      flagsOf("u32", hashBits)("hash_information", "Hash information"),
      u16("indirection_table_size", "Indirection table size", { unit: "bytes" }), reserved("u16"),
      u32("indirection_table_offset", "Indirection table offset"),
      u16("hash_secret_key_size", "Hash secret key size", { unit: "bytes" }), reserved("u16", "reserved2"),
      u32("hash_secret_key_offset", "Hash secret key offset")),
    ...from(40, u32("processor_masks_offset", "Processor masks offset"), u32("processor_masks", "Number of processor masks"),
      u32("processor_masks_entry_size", "Processor masks entry size")),
    ...from(44, u32("default_processor", "Default processor number")),
    array("indirection_table", "Indirection table", indirectionEntry, {
      at: ref("indirection_table_offset"), count: { op: "/", a: tableSize, b: 4 }, when: and(sizeAtLeast(28), gt(tableSize, 0)),
    }),
    bytes("hash_secret_key", "Hash secret key", keySize, { at: ref("hash_secret_key_offset"), when: and(sizeAtLeast(28), gt(keySize, 0)) }),
  ],
};

const connectStates: ValueStrings = { 0: "unknown", 1: "connected", 2: "disconnected" };
const duplexStates: ValueStrings = { 0: "unknown", 1: "half", 2: "full" };
export const linkState: StructDescription = {
  name: "LinkState", key: "link_state", prefix: "rndis.link_state", label: "NDIS_LINK_STATE",
  fields: [
    header,
    ...from(40,
      enumOf("u32", connectStates)("media_connect_state", "Media connect state"), enumOf("u32", duplexStates)("media_duplex_state", "Media duplex state"),
      reserved("u32"), u64("xmit_link_speed", "Transmit link speed", { unit: "bit/s" }), u64("rcv_link_speed", "Receive link speed", { unit: "bit/s" }),
      u32("pause_functions", "Pause functions"), hex("u32")("auto_negotiation_flags", "Auto-negotiation flags")),
  ],
};

const raw = simple("Data", "raw", [bytes("data", "Data", "rest")]);

const counterOids = Object.keys(oidNames).map(Number).filter((oid) => (oid >>> 16) === 0x0002 || (oid >>> 16) === 0x0102)
  .filter((oid) => oid !== OID.FRIENDLY_NAME);

export const oidData: Record<number, StructDescription> = {
  ...Object.fromEntries(counterOids.map((oid) => [oid, counter])),
  [OID.SUPPORTED_LIST]: supportedList, [OID.HARDWARE_STATUS]: hardwareStatus, [OID.MEDIA_SUPPORTED]: medium, [OID.MEDIA_IN_USE]: medium,
  0x00010105: u32Value, [OID.MAXIMUM_FRAME_SIZE]: u32Value, [OID.LINK_SPEED]: linkSpeed, 0x00010108: u32Value, 0x00010109: u32Value,
  0x0001010a: u32Value, 0x0001010b: u32Value, [OID.VENDOR_ID]: vendorId, [OID.VENDOR_DESCRIPTION]: vendorDescription,
  [OID.CURRENT_PACKET_FILTER]: packetFilter, 0x0001010f: u32Value, [OID.DRIVER_VERSION]: driverVersion, 0x00010111: u32Value,
  [OID.MAC_OPTIONS]: macOptions, [OID.MEDIA_CONNECT_STATUS]: connectStatus, 0x00010115: u32Value, 0x00010116: u32Value,
  [OID.RSS_CAPABILITIES]: rssCapabilities, [OID.RSS_PARAMETERS]: rssParameters, [OID.MAX_LINK_SPEED]: maxLinkSpeed,
  [OID.LINK_STATE]: linkState, [OID.RNDIS_CONFIG_PARAMETER]: configParameter, [OID.VLAN_ID]: vlanId, [OID.FRIENDLY_NAME]: friendlyName,
  [OID.PERMANENT_ADDRESS]: macAddress, [OID.CURRENT_ADDRESS]: macAddress, [OID.MULTICAST_LIST]: multicastList, 0x01010104: u32Value,
  [OID.OFFLOAD_ENCAPSULATION]: offloadEncapsulation, [OID.ADD_MULTICAST]: macAddress, [OID.DELETE_MULTICAST]: macAddress,
  [OID.OFFLOAD_CURRENT_CONFIG]: ndisOffload, [OID.OFFLOAD_PARAMETERS]: offloadParameters, [OID.OFFLOAD_HARDWARE_CAPABILITIES]: ndisOffload,
};

/** An information buffer whose data is chosen by an OID (from the message, or recalled from the request). */
export const informationBuffer = (name: string, oid: Expr): StructDescription => ({
  name, key: "info_buffer", prefix: "rndis", label: "Information buffer",
  fields: [choice("oid_data", "OID data", oid, oidData, { default: raw })],
});
