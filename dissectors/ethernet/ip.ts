// IPv4 (RFC 791) and IPv6 (RFC 8200) headers: enough for addresses, lengths and the next protocol.
// Options and extension headers stay bytes; fragments after the first are not reassembled.
// Values follow Wireshark's filters: ip.hdr_len in bytes, ip.flags the 3 flag bits, ip.frag_offset in bytes.

import {
  and, bytes, enumOf, eq, flagsOf, ge, gt, handoff, hex, ipv4, ipv6, lt, min, mux, ne, ref, remaining, sameBytes, sub, u16be, u8,
} from "../describe/dsl.js";
import type { Expr, StructDescription } from "../describe/types.js";
import { dscpNames, ecnNames, ipProtocols } from "./names.js";

/** The bytes after the header as the total length states them; 0 (TSO/LSO super-packets, A8) = the rest of the frame. */
const ipv4Payload: Expr = mux(eq(ref("len"), 0), remaining, sub(ref("len"), ref("hdr_len")));

const ipFlags = flagsOf("u8", [
  { mask: 0x4, key: "rb", label: "Reserved bit" },
  { mask: 0x2, key: "df", label: "Don't fragment" },
  { mask: 0x1, key: "mf", label: "More fragments" },
]);

export const ipv4Header: StructDescription = {
  name: "IPv4", prefix: "ip", label: "Internet Protocol Version 4",
  fields: [
    ...sameBytes(
      u8("version", "Version", { mask: 0xf0 }),
      u8("hdr_len", "Header Length", { mask: 0x0f, scale: 4, unit: "bytes" }),
    ),
    ...sameBytes(
      hex("u8")("dsfield", "Differentiated Services Field"),
      u8("dscp", "Differentiated Services Codepoint", { mask: 0xfc, values: dscpNames, filter: "ip.dsfield.dscp" }),
      u8("ecn", "Explicit Congestion Notification", { mask: 0x03, values: ecnNames, filter: "ip.dsfield.ecn" }),
    ),
    u16be("len", "Total Length"),
    hex("u16be")("id", "Identification"),
    ...sameBytes(
      ipFlags("flags", "Flags", { mask: 0xe0 }),
      u16be("frag_offset", "Fragment Offset", { mask: 0x1fff, scale: 8, unit: "bytes" }),
    ),
    u8("ttl", "Time to Live"),
    enumOf("u8", ipProtocols)("proto", "Protocol"),
    hex("u16be")("checksum", "Header Checksum"),
    ipv4("src", "Source Address"),
    ipv4("dst", "Destination Address"),
    bytes("options", "Options", sub(ref("hdr_len"), 20), { when: gt(ref("hdr_len"), 20) }),
    handoff("payload", "Payload", "ip.proto", { by: ref("proto"), length: ipv4Payload, when: and(ge(ref("hdr_len"), 20), eq(ref("frag_offset"), 0)) }),
    bytes("fragment", "Fragment data (not reassembled)", min(ipv4Payload, remaining), { filter: "data.data", when: gt(ref("frag_offset"), 0) }),
  ],
  minSize: 20,
  checks: [
    { fails: ne(ref("version"), 4), field: "version", text: "IPv4 header with version {version:raw}" },
    { fails: lt(ref("hdr_len"), 20), field: "hdr_len", text: "Header length {hdr_len:raw} is less than 20 bytes" },
    { fails: and(ne(ref("len"), 0), gt(ref("hdr_len"), ref("len"))), field: "len", text: "Total length {len:raw} is less than the header length {hdr_len:raw}" },
  ],
  info: "{src} → {dst}",
};

export const ipv6Header: StructDescription = {
  name: "IPv6", prefix: "ipv6", label: "Internet Protocol Version 6",
  fields: [
    ...sameBytes(
      u8("version", "Version", { mask: 0xf0 }),
      hex("u32be")("tclass", "Traffic Class", { mask: 0x0ff00000 }),
      hex("u32be")("flow", "Flow Label", { mask: 0x000fffff }),
    ),
    u16be("plen", "Payload Length"),
    enumOf("u8", ipProtocols)("nxt", "Next Header"),
    u8("hlim", "Hop Limit"),
    ipv6("src", "Source Address"),
    ipv6("dst", "Destination Address"),
    // Extension headers are not walked: their protocol numbers have no entry in ip.proto (payload as bytes).
    handoff("payload", "Payload", "ip.proto", { by: ref("nxt"), length: mux(eq(ref("plen"), 0), remaining, ref("plen")) }),
  ],
  minSize: 40,
  checks: [{ fails: ne(ref("version"), 6), field: "version", text: "IPv6 header with version {version:raw}" }],
  info: "{src} → {dst}",
};
