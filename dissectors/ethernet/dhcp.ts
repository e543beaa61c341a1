// DHCP (RFC 2131; BOOTP RFC 951) on UDP ports 67/68: the fixed BOOTP header, the magic cookie, and
// the message type when option 53 is the first option (as clients and servers send it, for the
// summary); then every option as code, length and value bytes.

import {
  and, array, ascii, bytes, enumOf, eq, flagsOf, hasBytes, hex, ipv4, mac, ne, not, peek, ref, u16be, u8,
} from "../describe/dsl.js";
import type { BlobField, Field, StructDescription } from "../describe/types.js";
import { arpHardwareTypes, dhcpMessageTypes, dhcpOps, dhcpOptionNames } from "./names.js";

export const DHCP_MAGIC_COOKIE = 0x63825363;
/** The fixed BOOTP header: op .. file. The cookie follows, then the options. */
const BOOTP_HEADER = 236;

const named = <T extends Field>(field: T, filter: string): T => ({ ...field, filter });
const hasCookie = eq(peek("u32be", BOOTP_HEADER), DHCP_MAGIC_COOKIE);
const messageTypeFirst = and(hasCookie, eq(peek("u8", BOOTP_HEADER + 4), 53));
const ethernetAddress = and(eq(ref("hw_type"), 1), eq(ref("hw_len"), 6));

const optionCode = peek("u8", 0);
const isOption = and(ne(optionCode, 0), ne(optionCode, 255));

/** One option: code, length, value (Wireshark shows the value as bytes for every option); End; trailing Padding. */
const dhcpOption: StructDescription = {
  name: "Option", key: "option", prefix: "dhcp.option",
  fields: [
    u8("end", "Option End", { when: eq(optionCode, 255) }),
    bytes("padding", "Padding", "rest", { when: eq(optionCode, 0) }),
    enumOf("u8", dhcpOptionNames)("type", "Option", { when: isOption }),
    u8("length", "Length", { when: isOption }),
    enumOf("u8", dhcpMessageTypes)("dhcp", "DHCP", { when: and(isOption, eq(ref("type"), 53)), shared: true }),
    bytes("value", "Value", ref("length"), { when: isOption }),
  ],
};

const address = (key: string, label: string, filter: string): BlobField => named(ipv4(key, label), filter);

export const dhcpMessage: StructDescription = {
  name: "DHCP", prefix: "dhcp", label: "Dynamic Host Configuration Protocol",
  fields: [
    enumOf("u8", dhcpOps)("type", "Message type"),
    named(enumOf("u8", arpHardwareTypes)("hw_type", "Hardware type", { base: "hex" }), "dhcp.hw.type"),
    named(u8("hw_len", "Hardware address length"), "dhcp.hw.len"),
    u8("hops", "Hops"),
    hex("u32be")("id", "Transaction ID"),
    u16be("secs", "Seconds elapsed"),
    flagsOf("u16be", [{ mask: 0x8000, key: "bc", label: "Broadcast flag" }])("flags", "Bootp flags"),
    address("client", "Client IP address", "dhcp.ip.client"),
    address("your", "Your (client) IP address", "dhcp.ip.your"),
    address("server", "Next server IP address", "dhcp.ip.server"),
    address("relay", "Relay agent IP address", "dhcp.ip.relay"),
    { ...named(mac("mac_addr", "Client MAC address"), "dhcp.hw.mac_addr"), when: ethernetAddress },
    bytes("addr_padding", "Client hardware address padding", 10, { filter: "dhcp.hw.addr_padding", when: ethernetAddress }),
    bytes("addr", "Client hardware address", 16, { filter: "dhcp.hw.addr", when: not(ethernetAddress) }),
    ascii("sname", "Server host name", 64, { filter: "dhcp.server", nulTerminated: true }),
    ascii("file", "Boot file name", 128, { nulTerminated: true }),
    { ...ipv4("cookie", "Magic cookie"), when: hasBytes(4) },
    named(enumOf("u8", dhcpOptionNames)("option_type", "Option", { when: messageTypeFirst }), "dhcp.option.type"),
    named(u8("option_length", "Length", { when: messageTypeFirst }), "dhcp.option.length"),
    named(enumOf("u8", dhcpMessageTypes)("message_type", "DHCP", { when: messageTypeFirst, shared: true }), "dhcp.option.dhcp"),
    named(bytes("option_value", "Value", ref("option_length"), { when: messageTypeFirst }), "dhcp.option.value"),
    array("options", "Options", dhcpOption, { when: and(hasCookie, hasBytes(1)) }),
    bytes("vendor", "Vendor-specific area", "rest", { when: and(not(hasCookie), hasBytes(1)) }),
  ],
  minSize: BOOTP_HEADER,
  info: "DHCP {option.dhcp} xid {id}",
};
