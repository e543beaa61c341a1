// Ethernet frames of a VM's network traffic, built with our encoder from the descriptions in
// dissectors/ethernet/ (lengths computed, IPv4 header and TCP/UDP/ICMP checksums valid). The VM is
// 10.0.0.5 / fe80::215:5dff:fe00:5 (MAC 00:15:5d:00:00:05, Hyper-V's OUI), its gateway, DHCP and DNS
// server 10.0.0.1 (00:15:5d:00:00:01). The network samples put these frames inside RNDIS packets.

import { encodeStruct, type EncodeValues } from "../dissectors/describe/encode.js";
import {
  arpPacket, dhcpMessage, ethernetFrame, icmpMessage, icmpv6Message, ipv4Header, ipv6Header, tcpSegment, udpDatagram, vlanTag,
} from "../dissectors/ethernet/index.js";

export interface SampleFrame {
  name: string;
  description: string;
  bytes: Uint8Array;
}

export const VM_MAC = "00:15:5d:00:00:05";
export const GATEWAY_MAC = "00:15:5d:00:00:01";
export const BROADCAST_MAC = "ff:ff:ff:ff:ff:ff";
export const VM_IP = "10.0.0.5";
export const GATEWAY_IP = "10.0.0.1";
export const VM_IPV6 = "fe80::215:5dff:fe00:5";
export const GATEWAY_IPV6 = "fe80::215:5dff:fe00:1";

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_ARP = 0x0806;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = 0x8100;
const PROTO_ICMP = 1;
const PROTO_TCP = 6;
const PROTO_UDP = 17;
const PROTO_ICMPV6 = 58;

const concat = (...parts: ArrayLike<number>[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
};

const ascii = (text: string): number[] => Array.from(text, (c) => c.charCodeAt(0));
const u16 = (value: number): number[] => [value >> 8, value & 0xff];
const u32 = (value: number): number[] => [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
const ipv4Bytes = (text: string): number[] => text.split(".").map(Number);
const macBytes = (text: string): number[] => text.split(":").map((h) => parseInt(h, 16));

function ipv6Bytes(text: string): number[] {
  const [head, tail] = text.split("::");
  const groups = (part: string | undefined) => (part ? part.split(":").map((g) => parseInt(g, 16)) : []);
  const left = groups(head);
  const right = groups(tail);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right].flatMap(u16);
}

/** RFC 1071: the ones' complement of the ones' complement sum of the 16-bit words. */
export function internetChecksum(data: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < data.length; i += 2) sum += (data[i] << 8) | (i + 1 < data.length ? data[i + 1] : 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** Encodes twice: with a zero checksum, then with the checksum computed over what `covered` returns. */
function withChecksum(encode: (checksum: number) => Uint8Array, covered: (bytes: Uint8Array) => ArrayLike<number>): Uint8Array {
  return encode(internetChecksum(covered(encode(0))));
}

const ethernet = (dst: string, src: string, type: number, payload: Uint8Array): Uint8Array =>
  encodeStruct(ethernetFrame, { dst, src, type, payload });

interface Ipv4Options {
  src: string;
  dst: string;
  proto: number;
  id: number;
  ttl?: number;
  /** ip.flags: 2 = don't fragment. */
  flags?: number;
  dsfield?: number;
}

function ipv4(options: Ipv4Options, payload: Uint8Array): Uint8Array {
  const values: EncodeValues = {
    version: 4, hdr_len: 20, dsfield: options.dsfield ?? 0, len: 20 + payload.length, id: options.id,
    flags: options.flags ?? 2, frag_offset: 0, ttl: options.ttl ?? 64, proto: options.proto,
    src: options.src, dst: options.dst, payload,
  };
  return withChecksum((checksum) => encodeStruct(ipv4Header, { ...values, checksum }), (bytes) => bytes.subarray(0, 20));
}

/** The pseudo-header of TCP/UDP checksums over IPv4 (RFC 9293 3.1) and IPv6 (RFC 8200 8.1). */
const pseudoHeader4 = (src: string, dst: string, proto: number, length: number): number[] =>
  [...ipv4Bytes(src), ...ipv4Bytes(dst), 0, proto, ...u16(length)];
const pseudoHeader6 = (src: string, dst: string, proto: number, length: number): number[] =>
  [...ipv6Bytes(src), ...ipv6Bytes(dst), ...u32(length), 0, 0, 0, proto];

interface TcpOptions {
  srcport: number;
  dstport: number;
  seq: number;
  ack: number;
  /** tcp.flags: 0x002 SYN, 0x010 ACK, 0x008 PSH ... */
  flags: number;
  window: number;
  options?: number[];
  payload?: Uint8Array;
}

function tcp(src: string, dst: string, options: TcpOptions): Uint8Array {
  const tcpOptions = Uint8Array.from(options.options ?? []);
  const values: EncodeValues = {
    srcport: options.srcport, dstport: options.dstport, seq: options.seq, ack: options.ack,
    hdr_len: 20 + tcpOptions.length, flags: options.flags, window_size_value: options.window, urgent_pointer: 0,
    options: tcpOptions.length > 0 ? tcpOptions : undefined, payload: options.payload,
  };
  return withChecksum((checksum) => encodeStruct(tcpSegment, { ...values, checksum }),
    (bytes) => concat(pseudoHeader4(src, dst, PROTO_TCP, bytes.length), bytes));
}

function udp(src: string, dst: string, srcport: number, dstport: number, payload: Uint8Array): Uint8Array {
  const values: EncodeValues = { srcport, dstport, length: 8 + payload.length, payload };
  // A computed checksum of 0 is sent as 0xffff (RFC 768).
  const bytes = withChecksum((checksum) => encodeStruct(udpDatagram, { ...values, checksum }),
    (encoded) => concat(pseudoHeader4(src, dst, PROTO_UDP, encoded.length), encoded));
  return bytes[6] === 0 && bytes[7] === 0 ? encodeStruct(udpDatagram, { ...values, checksum: 0xffff }) : bytes;
}

function icmpEcho(type: 0 | 8, ident: number, seq: number, data: Uint8Array): Uint8Array {
  return withChecksum((checksum) => encodeStruct(icmpMessage, { type, code: 0, checksum, echo: { ident, seq, data } }), (bytes) => bytes);
}

// Frames ------------------------------------------------------------------------------------------

function arp(opcode: 1 | 2, senderMac: string, senderIp: string, targetMac: string, targetIp: string): Uint8Array {
  const addresses = { src_hw_mac: senderMac, src_proto_ipv4: senderIp, dst_hw_mac: targetMac, dst_proto_ipv4: targetIp };
  return encodeStruct(arpPacket, { hw_type: 1, proto_type: ETHERTYPE_IPV4, hw_size: 6, proto_size: 4, opcode, addresses });
}

/** Windows ping's 32 data bytes. */
const PING_DATA = Uint8Array.from(ascii("abcdefghijklmnopqrstuvwabcdefghi"));

const DHCP_XID = 0x3903f326;

/** Options after the message type (option 53, always first here), each [code, value bytes]; End is added. */
function dhcp(op: 1 | 2, messageType: number, fields: EncodeValues, options: Array<[number, number[]]>): Uint8Array {
  return encodeStruct(dhcpMessage, {
    type: op, hw_type: 1, hw_len: 6, hops: 0, id: DHCP_XID, secs: 0, flags: 0x8000,
    client: "0.0.0.0", your: "0.0.0.0", server: "0.0.0.0", relay: "0.0.0.0",
    mac_addr: VM_MAC, addr_padding: new Uint8Array(10), sname: "", file: "", cookie: "99.130.83.99",
    option_type: 53, option_length: 1, option_value: Uint8Array.from([messageType]),
    options: [...options.map(([type, value]) => ({ type, value: Uint8Array.from(value) })), { end: 255 }],
    ...fields,
  });
}

const dhcpDiscover = dhcp(1, 1, {}, [
  [61, [1, ...macBytes(VM_MAC)]], // client identifier: hardware type 1 + MAC
  [12, ascii("vm01")], // host name
  [55, [1, 3, 6, 15]], // parameter request list: subnet mask, router, DNS, domain name
]);

const dhcpOffer = dhcp(2, 2, { your: VM_IP, server: GATEWAY_IP }, [
  [54, ipv4Bytes(GATEWAY_IP)], // server identifier
  [51, u32(86400)], // lease time
  [1, [255, 255, 255, 0]], // subnet mask
  [3, ipv4Bytes(GATEWAY_IP)], // router
  [6, ipv4Bytes(GATEWAY_IP)], // DNS
]);

/** A DNS query for example.com, type A, class IN (RFC 1035 4.1). */
const dnsQuery = Uint8Array.from([
  ...u16(0x1a2b), ...u16(0x0100), ...u16(1), ...u16(0), ...u16(0), ...u16(0),
  7, ...ascii("example"), 3, ...ascii("com"), 0, ...u16(1), ...u16(1),
]);

/** MSS 1460, SACK permitted, timestamps, NOP, window scale 7 (Linux's SYN options, 20 bytes). */
const SYN_OPTIONS = [2, 4, 0x05, 0xb4, 4, 2, 8, 10, ...u32(0x0a1b2c3d), ...u32(0), 1, 3, 3, 7];
const SYN_ACK_OPTIONS = [2, 4, 0x05, 0xb4, 4, 2, 8, 10, ...u32(0x55667788), ...u32(0x0a1b2c3d), 1, 3, 3, 7];
const CLIENT_ISN = 0x1c2d3e4f;
const SERVER_ISN = 0x7a8b9cad;
/** The start of a TLS 1.2 ClientHello record (content type 22, version 3.1). */
const TLS_BYTES = Uint8Array.from([0x16, 0x03, 0x01, 0x00, 0x2c, 0x01, 0x00, 0x00, 0x28, 0x03, 0x03, ...new Array<number>(37).fill(0x5a)]);

function neighborSolicitation(): Uint8Array {
  const solicitedNode = "ff02::1:ff00:1";
  const target = GATEWAY_IPV6;
  const icmp = withChecksum(
    (checksum) => encodeStruct(icmpv6Message, {
      type: 135, code: 0, checksum,
      body: { reserved: new Uint8Array(4), target_address: target, options: [{ opt_type: 1, opt_length: 1, linkaddr: VM_MAC, src_linkaddr: VM_MAC }] },
    }),
    (bytes) => concat(pseudoHeader6(VM_IPV6, solicitedNode, PROTO_ICMPV6, bytes.length), bytes),
  );
  const ip = encodeStruct(ipv6Header, { version: 6, tclass: 0, flow: 0, plen: icmp.length, nxt: PROTO_ICMPV6, hlim: 255, src: VM_IPV6, dst: solicitedNode, payload: icmp });
  return ethernet("33:33:ff:00:00:01", VM_MAC, ETHERTYPE_IPV6, ip);
}

/** Every sample frame, in a plausible order (address resolution, DHCP, ping, TCP handshake, DNS, IPv6, VLAN). */
export function frames(): SampleFrame[] {
  const toGateway = { src: VM_IP, dst: GATEWAY_IP };
  const fromGateway = { src: GATEWAY_IP, dst: VM_IP };
  return [
    {
      name: "arp-request", description: "ARP request: who has 10.0.0.1? tell 10.0.0.5",
      bytes: ethernet(BROADCAST_MAC, VM_MAC, ETHERTYPE_ARP, arp(1, VM_MAC, VM_IP, "00:00:00:00:00:00", GATEWAY_IP)),
    },
    {
      name: "arp-reply", description: "ARP reply: 10.0.0.1 is at 00:15:5d:00:00:01",
      bytes: ethernet(VM_MAC, GATEWAY_MAC, ETHERTYPE_ARP, arp(2, GATEWAY_MAC, GATEWAY_IP, VM_MAC, VM_IP)),
    },
    {
      name: "dhcp-discover", description: "DHCP Discover, 0.0.0.0:68 → 255.255.255.255:67, broadcast",
      bytes: ethernet(BROADCAST_MAC, VM_MAC, ETHERTYPE_IPV4,
        ipv4({ src: "0.0.0.0", dst: "255.255.255.255", proto: PROTO_UDP, id: 0x0001, ttl: 128, flags: 0, dsfield: 0x10 },
          udp("0.0.0.0", "255.255.255.255", 68, 67, dhcpDiscover))),
    },
    {
      name: "dhcp-offer", description: "DHCP Offer of 10.0.0.5, 10.0.0.1:67 → 10.0.0.5:68",
      bytes: ethernet(VM_MAC, GATEWAY_MAC, ETHERTYPE_IPV4,
        ipv4({ ...fromGateway, proto: PROTO_UDP, id: 0x4a21, ttl: 128, flags: 0 }, udp(GATEWAY_IP, VM_IP, 67, 68, dhcpOffer))),
    },
    {
      name: "icmp-echo-request", description: "ping 10.0.0.1, id 1 seq 1",
      bytes: ethernet(GATEWAY_MAC, VM_MAC, ETHERTYPE_IPV4,
        ipv4({ ...toGateway, proto: PROTO_ICMP, id: 0x1f01, ttl: 128, flags: 0 }, icmpEcho(8, 1, 1, PING_DATA))),
    },
    {
      name: "icmp-echo-reply", description: "ping reply from 10.0.0.1, id 1 seq 1",
      bytes: ethernet(VM_MAC, GATEWAY_MAC, ETHERTYPE_IPV4,
        ipv4({ ...fromGateway, proto: PROTO_ICMP, id: 0x6c02, ttl: 64, flags: 0 }, icmpEcho(0, 1, 1, PING_DATA))),
    },
    {
      name: "tcp-syn", description: "TCP SYN 10.0.0.5:51234 → 10.0.0.1:443 with MSS, SACK, timestamps, window scale",
      bytes: ethernet(GATEWAY_MAC, VM_MAC, ETHERTYPE_IPV4, ipv4({ ...toGateway, proto: PROTO_TCP, id: 0x3c01 },
        tcp(VM_IP, GATEWAY_IP, { srcport: 51234, dstport: 443, seq: CLIENT_ISN, ack: 0, flags: 0x002, window: 64240, options: SYN_OPTIONS }))),
    },
    {
      name: "tcp-syn-ack", description: "TCP SYN-ACK 10.0.0.1:443 → 10.0.0.5:51234",
      bytes: ethernet(VM_MAC, GATEWAY_MAC, ETHERTYPE_IPV4, ipv4({ ...fromGateway, proto: PROTO_TCP, id: 0x0000 },
        tcp(GATEWAY_IP, VM_IP, { srcport: 443, dstport: 51234, seq: SERVER_ISN, ack: CLIENT_ISN + 1, flags: 0x012, window: 65160, options: SYN_ACK_OPTIONS }))),
    },
    {
      name: "tcp-data", description: "TCP segment with 48 bytes of TLS, 10.0.0.5:51234 → 10.0.0.1:443 [PSH, ACK]",
      bytes: ethernet(GATEWAY_MAC, VM_MAC, ETHERTYPE_IPV4, ipv4({ ...toGateway, proto: PROTO_TCP, id: 0x3c02 },
        tcp(VM_IP, GATEWAY_IP, { srcport: 51234, dstport: 443, seq: CLIENT_ISN + 1, ack: SERVER_ISN + 1, flags: 0x018, window: 502, payload: TLS_BYTES }))),
    },
    {
      name: "udp-dns", description: "DNS query for example.com, 10.0.0.5:53000 → 10.0.0.1:53",
      bytes: ethernet(GATEWAY_MAC, VM_MAC, ETHERTYPE_IPV4,
        ipv4({ ...toGateway, proto: PROTO_UDP, id: 0x5d01 }, udp(VM_IP, GATEWAY_IP, 53000, 53, dnsQuery))),
    },
    {
      name: "icmpv6-neighbor-solicitation", description: "IPv6 neighbour solicitation for fe80::215:5dff:fe00:1",
      bytes: neighborSolicitation(),
    },
    {
      name: "vlan-icmp-echo-request", description: "802.1Q VLAN 100 (priority 0) carrying a ping to 10.0.0.1",
      bytes: ethernet(GATEWAY_MAC, VM_MAC, ETHERTYPE_VLAN, encodeStruct(vlanTag, {
        priority: 0, dei: 0, id: 100, etype: ETHERTYPE_IPV4,
        payload: ipv4({ ...toGateway, proto: PROTO_ICMP, id: 0x1f02, ttl: 128, flags: 0 }, icmpEcho(8, 1, 2, PING_DATA)),
      })),
    },
  ];
}
