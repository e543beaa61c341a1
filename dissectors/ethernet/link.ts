// Ethernet II / IEEE 802.3 (net-storage.md A8: the frame inside RNDIS PACKET_MSG, no preamble, no FCS)
// and the 802.1Q tag. Filter names are Wireshark's.

import { and, bytes, enumOf, ge, handoff, hasBytes, lt, mac, peek, ref, sameBytes, u16be } from "../describe/dsl.js";
import type { Expr, StructDescription } from "../describe/types.js";
import { etherTypes, vlanPriorities } from "./names.js";

/** Values up to 1500 are 802.3 lengths, 0x0600 and above EtherTypes (1501..1535 are undefined: read as lengths). */
const ETHERTYPE_MIN = 0x600;

/** The type/length word at `at`, read before a field decides which of the two it is. */
const isEtherType = (at: number): Expr => ge(peek("u16be", at), ETHERTYPE_MIN);
const isLength = (at: number): Expr => lt(peek("u16be", at), ETHERTYPE_MIN);

export const ethernetFrame: StructDescription = {
  name: "Ethernet", prefix: "eth", label: "Ethernet II",
  fields: [
    mac("dst", "Destination"),
    mac("src", "Source"),
    enumOf("u16be", etherTypes)("type", "Type", { base: "hex", when: isEtherType(12) }),
    u16be("len", "Length", { when: isLength(12), unit: "bytes" }),
    handoff("payload", "Payload", "ethertype", { by: ref("type"), when: isEtherType(12) }),
    // 802.3: the LLC header and its payload, as bytes; then the padding up to the 60-byte minimum.
    bytes("llc", "Logical-Link Control", ref("len"), { filter: "llc", when: isLength(12) }),
    bytes("padding", "Padding", "rest", { when: and(isLength(12), hasBytes(1)) }),
  ],
  minSize: 14,
};

export const vlanTag: StructDescription = {
  name: "VLAN", prefix: "vlan", label: "802.1Q Virtual LAN",
  fields: [
    // The tag control information: PCP (3 bits), DEI (1 bit), VID (12 bits).
    ...sameBytes(
      enumOf("u16be", vlanPriorities)("priority", "Priority", { mask: 0xe000 }),
      u16be("dei", "DEI", { mask: 0x1000, description: "Drop eligible indicator (formerly CFI)" }),
      u16be("id", "ID", { mask: 0x0fff }),
    ),
    enumOf("u16be", etherTypes)("etype", "Type", { base: "hex", when: isEtherType(2) }),
    u16be("len", "Length", { when: isLength(2), unit: "bytes" }),
    handoff("payload", "Payload", "ethertype", { by: ref("etype"), when: isEtherType(2) }),
    bytes("llc", "Logical-Link Control", ref("len"), { filter: "llc", when: isLength(2) }),
    bytes("trailer", "Trailer", "rest", { when: and(isLength(2), hasBytes(1)) }),
  ],
  minSize: 4,
  info: "VLAN {id}",
};
