// The frames a VM's network traffic carries, handed over by RNDIS (table rndis.data): Ethernet,
// 802.1Q, ARP, IPv4, IPv6, ICMP, ICMPv6, UDP, TCP and DHCP, decoded for a summary line with
// Wireshark's filter names. Wireshark itself dissects the frames in the generated plugin.

import type { ProtocolDescription } from "../describe/types.js";
import { addToTable } from "../tables.js";
import { arpPacket } from "./arp.js";
import { dhcpMessage } from "./dhcp.js";
import { icmpMessage, icmpv6Message } from "./icmp.js";
import { ipv4Header, ipv6Header } from "./ip.js";
import { ethernetFrame, vlanTag } from "./link.js";
import { tcpSegment, udpDatagram } from "./transport.js";

export const ethernetProtocol: ProtocolDescription = { name: "eth", short: "Ethernet", label: "Ethernet II", root: ethernetFrame, wiresharkDissector: "eth_withoutfcs", messageType: ["eth.type"] };
export const vlanProtocol: ProtocolDescription = { name: "vlan", short: "802.1Q", label: "802.1Q Virtual LAN", root: vlanTag };
export const arpProtocol: ProtocolDescription = { name: "arp", short: "ARP", label: "Address Resolution Protocol", root: arpPacket, messageType: ["arp.opcode"] };
export const ipv4Protocol: ProtocolDescription = { name: "ip", short: "IPv4", label: "Internet Protocol Version 4", root: ipv4Header, messageType: ["ip.proto"] };
export const ipv6Protocol: ProtocolDescription = { name: "ipv6", short: "IPv6", label: "Internet Protocol Version 6", root: ipv6Header, messageType: ["ipv6.nxt"] };
export const icmpProtocol: ProtocolDescription = { name: "icmp", short: "ICMP", label: "Internet Control Message Protocol", root: icmpMessage, messageType: ["icmp.type"] };
export const icmpv6Protocol: ProtocolDescription = { name: "icmpv6", short: "ICMPv6", label: "Internet Control Message Protocol v6", root: icmpv6Message, messageType: ["icmpv6.type"] };
export const udpProtocol: ProtocolDescription = { name: "udp", short: "UDP", label: "User Datagram Protocol", root: udpDatagram };
export const tcpProtocol: ProtocolDescription = { name: "tcp", short: "TCP", label: "Transmission Control Protocol", root: tcpSegment };
export const dhcpProtocol: ProtocolDescription = { name: "dhcp", short: "DHCP", label: "Dynamic Host Configuration Protocol", root: dhcpMessage };

addToTable("rndis.data", 0, ethernetProtocol);

addToTable("ethertype", 0x0800, ipv4Protocol);
addToTable("ethertype", 0x0806, arpProtocol);
addToTable("ethertype", 0x86dd, ipv6Protocol);
addToTable("ethertype", 0x8100, vlanProtocol);

addToTable("ip.proto", 1, icmpProtocol);
addToTable("ip.proto", 6, tcpProtocol);
addToTable("ip.proto", 17, udpProtocol);
addToTable("ip.proto", 58, icmpv6Protocol);

// Keyed by min(srcport, dstport): 67 for client ↔ server and relay traffic; 68 only for client-to-client.
addToTable("udp.port", 67, dhcpProtocol);
addToTable("udp.port", 68, dhcpProtocol);

export { arpPacket, dhcpMessage, ethernetFrame, icmpMessage, icmpv6Message, ipv4Header, ipv6Header, tcpSegment, udpDatagram, vlanTag };
