// Value strings of the Ethernet/IP family, with Wireshark's wording where users know it.

import type { ValueStrings } from "../describe/types.js";

export const etherTypes: ValueStrings = {
  0x0800: "IPv4", 0x0806: "ARP", 0x0842: "Wake-on-LAN", 0x22f3: "TRILL", 0x6003: "DECnet",
  0x8035: "RARP", 0x809b: "AppleTalk", 0x80f3: "AARP", 0x8100: "802.1Q Virtual LAN", 0x8137: "IPX",
  0x86dd: "IPv6", 0x8808: "Ethernet flow control", 0x8809: "Slow protocols (LACP)", 0x8847: "MPLS label switched packet",
  0x8848: "MPLS multicast label switched packet", 0x8863: "PPPoE Discovery", 0x8864: "PPPoE Session",
  0x888e: "802.1X Authentication", 0x8892: "PROFINET", 0x88a8: "802.1ad Provider Bridge (Q-in-Q)",
  0x88cc: "802.1 Link Layer Discovery Protocol (LLDP)", 0x88e5: "802.1AE (MACsec)", 0x88f7: "PTPv2 over Ethernet (IEEE1588)",
  0x8906: "Fibre Channel over Ethernet", 0x8914: "FCoE Initialization Protocol", 0x9000: "Loopback",
};

/** IANA protocol numbers (ip.proto, ipv6.nxt). */
export const ipProtocols: ValueStrings = {
  0: "IPv6 Hop-by-Hop Option", 1: "ICMP", 2: "IGMP", 4: "IPIP", 6: "TCP", 17: "UDP", 41: "IPv6",
  43: "Routing Header for IPv6", 44: "Fragment Header for IPv6", 46: "RSVP", 47: "GRE", 50: "ESP", 51: "AH",
  58: "ICMPv6", 59: "IPv6 No Next Header", 60: "Destination Options for IPv6", 88: "EIGRP", 89: "OSPF",
  103: "PIM", 112: "VRRP", 115: "L2TP", 132: "SCTP", 136: "UDPLite", 137: "MPLS in IP",
};

export const arpHardwareTypes: ValueStrings = {
  1: "Ethernet", 6: "IEEE 802 Networks", 15: "Frame Relay", 16: "ATM", 18: "Fibre Channel", 20: "Serial Line",
  24: "IEEE 1394.1995", 32: "InfiniBand",
};

export const arpOpcodes: ValueStrings = {
  1: "request", 2: "reply", 3: "reverse request", 4: "reverse reply", 8: "inverse request", 9: "inverse reply",
};

export const icmpTypes: ValueStrings = {
  0: "Echo (ping) reply", 3: "Destination unreachable", 4: "Source quench (flow control)", 5: "Redirect",
  8: "Echo (ping) request", 9: "Router advertisement", 10: "Router solicitation", 11: "Time-to-live exceeded",
  12: "Parameter problem", 13: "Timestamp request", 14: "Timestamp reply", 15: "Information request",
  16: "Information reply", 17: "Address mask request", 18: "Address mask reply", 30: "Traceroute",
};

export const icmpv6Types: ValueStrings = {
  1: "Destination Unreachable", 2: "Packet Too Big", 3: "Time Exceeded", 4: "Parameter Problem",
  128: "Echo (ping) request", 129: "Echo (ping) reply", 130: "Multicast Listener Query", 131: "Multicast Listener Report",
  132: "Multicast Listener Done", 133: "Router Solicitation", 134: "Router Advertisement", 135: "Neighbor Solicitation",
  136: "Neighbor Advertisement", 137: "Redirect", 143: "Multicast Listener Report Message v2",
};

export const dscpNames: ValueStrings = {
  0: "Default", 8: "Class Selector 1", 10: "Assured Forwarding 11", 12: "Assured Forwarding 12",
  14: "Assured Forwarding 13", 16: "Class Selector 2", 18: "Assured Forwarding 21", 20: "Assured Forwarding 22",
  22: "Assured Forwarding 23", 24: "Class Selector 3", 26: "Assured Forwarding 31", 28: "Assured Forwarding 32",
  30: "Assured Forwarding 33", 32: "Class Selector 4", 34: "Assured Forwarding 41", 36: "Assured Forwarding 42",
  38: "Assured Forwarding 43", 40: "Class Selector 5", 44: "Voice Admit", 46: "Expedited Forwarding",
  48: "Class Selector 6", 56: "Class Selector 7",
};

export const ecnNames: ValueStrings = {
  0: "Not ECN-Capable Transport", 1: "ECN-Capable Transport codepoint '01'", 2: "ECN-Capable Transport codepoint '10'",
  3: "Congestion Experienced",
};

/** 802.1Q priority code points (IEEE 802.1Q-2014 Table I-2, as Wireshark names them). */
export const vlanPriorities: ValueStrings = {
  0: "Best Effort (default)", 1: "Background", 2: "Excellent Effort", 3: "Critical Applications",
  4: "Video, < 100ms latency and jitter", 5: "Voice, < 10ms latency and jitter", 6: "Internetwork Control",
  7: "Network Control",
};

export const dhcpOps: ValueStrings = { 1: "Boot Request", 2: "Boot Reply" };

export const dhcpMessageTypes: ValueStrings = {
  1: "Discover", 2: "Offer", 3: "Request", 4: "Decline", 5: "ACK", 6: "NAK", 7: "Release", 8: "Inform",
  9: "Force Renew", 10: "Lease query", 11: "Lease Unassigned", 12: "Lease Unknown", 13: "Lease Active",
  14: "Bulk Lease Query", 15: "Lease Query Done", 16: "Active LeaseQuery", 17: "Lease Query Status", 18: "TLS",
};

export const dhcpOptionNames: ValueStrings = {
  0: "Padding", 1: "Subnet Mask", 3: "Router", 6: "Domain Name Server", 12: "Host Name", 15: "Domain Name",
  50: "Requested IP Address", 51: "IP Address Lease Time", 53: "DHCP Message Type", 54: "DHCP Server Identifier",
  55: "Parameter Request List", 58: "Renewal Time Value", 59: "Rebinding Time Value", 61: "Client identifier",
  81: "Client Fully Qualified Domain Name", 255: "End",
};
