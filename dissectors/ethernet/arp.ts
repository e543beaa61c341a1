// ARP (RFC 826). Ethernet/IPv4 addresses get Wireshark's typed fields (arp.src.hw_mac ...), any other
// hardware or protocol its addresses as bytes (arp.src.hw ...). The opcode chooses the summary.

import { and, bytes, choice, enumOf, eq, ipv4, mac, min, mux, ref, u8 } from "../describe/dsl.js";
import type { BlobField, StructDescription } from "../describe/types.js";
import { arpHardwareTypes, arpOpcodes, etherTypes } from "./names.js";

const P = "arp";
const named = <T extends BlobField>(field: T, filter: string): T => ({ ...field, filter });

const ethernetIpv4Fields = [
  named(mac("src_hw_mac", "Sender MAC address"), "arp.src.hw_mac"),
  named(ipv4("src_proto_ipv4", "Sender IP address"), "arp.src.proto_ipv4"),
  named(mac("dst_hw_mac", "Target MAC address"), "arp.dst.hw_mac"),
  named(ipv4("dst_proto_ipv4", "Target IP address"), "arp.dst.proto_ipv4"),
];

const ethernetIpv4 = (key: string, name: string, info: string): StructDescription =>
  ({ name, key, prefix: P, label: `${name} (Ethernet/IPv4 addresses)`, fields: ethernetIpv4Fields, size: 20, info });

const anyAddresses: StructDescription = {
  name: "Addresses", key: "addresses", prefix: P,
  fields: [
    bytes("src_hw", "Sender hardware address", ref("hw_size"), { filter: "arp.src.hw" }),
    bytes("src_proto", "Sender protocol address", ref("proto_size"), { filter: "arp.src.proto" }),
    bytes("dst_hw", "Target hardware address", ref("hw_size"), { filter: "arp.dst.hw" }),
    bytes("dst_proto", "Target protocol address", ref("proto_size"), { filter: "arp.dst.proto" }),
  ],
  info: "ARP (addresses other than Ethernet/IPv4)",
};

/** 1..4 = the opcode with Ethernet/IPv4 addresses, 5 = another opcode with them, 0 = other address types. */
const layout = mux(
  and(and(eq(ref("hw_size"), 6), eq(ref("proto_size"), 4)), eq(ref("proto_type"), 0x0800)),
  min(ref("opcode"), 5),
  0,
);

export const arpPacket: StructDescription = {
  name: "ARP", prefix: P, label: "Address Resolution Protocol",
  fields: [
    enumOf("u16be", arpHardwareTypes)("hw_type", "Hardware type", { filter: "arp.hw.type" }),
    enumOf("u16be", etherTypes)("proto_type", "Protocol type", { filter: "arp.proto.type", base: "hex" }),
    u8("hw_size", "Hardware size", { filter: "arp.hw.size" }),
    u8("proto_size", "Protocol size", { filter: "arp.proto.size" }),
    enumOf("u16be", arpOpcodes)("opcode", "Opcode"),
    choice("addresses", "Addresses", layout, {
      1: ethernetIpv4("request", "Request", "Who has {dst.proto_ipv4}? Tell {src.proto_ipv4}"),
      2: ethernetIpv4("reply", "Reply", "{src.proto_ipv4} is at {src.hw_mac}"),
      3: ethernetIpv4("reverse_request", "Reverse request", "Who is {dst.hw_mac}? Tell {src.hw_mac}"),
      4: ethernetIpv4("reverse_reply", "Reverse reply", "{dst.hw_mac} is at {dst.proto_ipv4}"),
      5: ethernetIpv4("other", "Other", "ARP {src.proto_ipv4} ({src.hw_mac}) → {dst.proto_ipv4} ({dst.hw_mac})"),
    }, { default: anyAddresses }),
  ],
  minSize: 8,
};
