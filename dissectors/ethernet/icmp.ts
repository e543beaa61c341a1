// ICMP (RFC 792) and ICMPv6 (RFC 4443, neighbour discovery RFC 4861): type, code, checksum; echo
// identifiers and neighbour-discovery targets for the summary; the rest as bytes.

import { and, array, bytes, choice, enumOf, eq, flagsOf, gt, hasBytes, hex, ipv6, mac, mul, mux, not, or, ref, sub, u16be, u8 } from "../describe/dsl.js";
import type { BlobField, StructDescription } from "../describe/types.js";
import { icmpTypes, icmpv6Types } from "./names.js";

/** Payload bytes carry Wireshark's name for undissected data. */
const data = (when = hasBytes(1)): BlobField => bytes("data", "Data", "rest", { filter: "data.data", when });

const icmpEcho: StructDescription = {
  name: "Echo", key: "echo", prefix: "icmp",
  fields: [hex("u16be")("ident", "Identifier (BE)"), u16be("seq", "Sequence Number (BE)"), data()],
  info: "id={ident} seq={seq}",
};

const isIcmpEcho = or(eq(ref("type"), 0), eq(ref("type"), 8));

export const icmpMessage: StructDescription = {
  name: "ICMP", prefix: "icmp", label: "Internet Control Message Protocol",
  fields: [
    enumOf("u8", icmpTypes)("type", "Type"),
    u8("code", "Code"),
    hex("u16be")("checksum", "Checksum"),
    choice("echo", "Echo", mux(isIcmpEcho, 1, 0), { 1: icmpEcho }),
    data(and(not(isIcmpEcho), hasBytes(1))),
  ],
  minSize: 4,
  info: "{type}",
};

const P6 = "icmpv6";

const icmpv6Echo: StructDescription = {
  name: "Echo", key: "echo", prefix: P6,
  fields: [
    hex("u16be")("identifier", "Identifier", { filter: "icmpv6.echo.identifier" }),
    u16be("sequence_number", "Sequence", { filter: "icmpv6.echo.sequence_number" }),
    data(),
  ],
  info: "id={echo.identifier} seq={echo.sequence_number}",
};

const optionType = ref("opt_type");
const isLinkAddress = and(or(eq(optionType, 1), eq(optionType, 2)), eq(ref("opt_length"), 1));

/** A neighbour-discovery option (RFC 4861 4.6): type, length in 8-byte units, then link-layer address or bytes. */
const ndOption: StructDescription = {
  name: "Option", key: "opt", prefix: P6, label: "ICMPv6 Option",
  fields: [
    u8("opt_type", "Type", { filter: "icmpv6.opt.type" }),
    u8("opt_length", "Length", { filter: "icmpv6.opt.length", unit: "× 8 bytes" }),
    { ...mac("linkaddr", "Link-layer address"), filter: "icmpv6.opt.linkaddr", when: isLinkAddress },
    { ...mac("src_linkaddr", "Source Link-layer address"), filter: "icmpv6.opt.src_linkaddr", at: 2, when: and(isLinkAddress, eq(optionType, 1)) },
    { ...mac("target_linkaddr", "Target Link-layer address"), filter: "icmpv6.opt.target_linkaddr", at: 2, when: and(isLinkAddress, eq(optionType, 2)) },
    bytes("opt_data", "Data", sub(mul(ref("opt_length"), 8), 2), { filter: "icmpv6.unknown_data", when: and(not(isLinkAddress), gt(ref("opt_length"), 0)) }),
  ],
  sizeFrom: mul(ref("opt_length"), 8),
};

const ndOptions = array("options", "Options", ndOption, { when: hasBytes(1) });

const neighborSolicitation: StructDescription = {
  name: "NeighborSolicitation", key: "nd_ns", prefix: P6, label: "Neighbor Solicitation",
  fields: [
    bytes("reserved", "Reserved", 4),
    { ...ipv6("target_address", "Target Address"), filter: "icmpv6.nd.ns.target_address" },
    ndOptions,
  ],
  info: "for {ns.target_address}",
};

const neighborAdvertisement: StructDescription = {
  name: "NeighborAdvertisement", key: "nd_na", prefix: P6, label: "Neighbor Advertisement",
  fields: [
    flagsOf("u32be", [
      { mask: 0x80000000, key: "r", label: "Router" },
      { mask: 0x40000000, key: "s", label: "Solicited" },
      { mask: 0x20000000, key: "o", label: "Override" },
    ])("flag", "Flags", { filter: "icmpv6.nd.na.flag" }),
    { ...ipv6("target_address", "Target Address"), filter: "icmpv6.nd.na.target_address" },
    ndOptions,
  ],
  info: "{na.target_address} {na.flag:bits}",
};

/** 1 echo, 2 neighbour solicitation, 3 neighbour advertisement, 0 anything else (bytes). */
const icmpv6Layout = mux(or(eq(ref("type"), 128), eq(ref("type"), 129)), 1, mux(eq(ref("type"), 135), 2, mux(eq(ref("type"), 136), 3, 0)));

export const icmpv6Message: StructDescription = {
  name: "ICMPv6", prefix: P6, label: "Internet Control Message Protocol v6",
  fields: [
    enumOf("u8", icmpv6Types)("type", "Type"),
    u8("code", "Code"),
    hex("u16be")("checksum", "Checksum"),
    choice("body", "Body", icmpv6Layout, { 1: icmpv6Echo, 2: neighborSolicitation, 3: neighborAdvertisement }),
    data(and(eq(icmpv6Layout, 0), hasBytes(1))),
  ],
  minSize: 4,
  info: "{type}",
};
