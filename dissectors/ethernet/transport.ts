// UDP (RFC 768) and TCP (RFC 9293): ports, lengths, flags; TCP options and payload as bytes.
// UDP payloads go to table udp.port, keyed by the lower of the two ports (servers listen on the
// well-known, lower port; the client's ephemeral port is the higher one).

import {
  and, bytes, flagsOf, ge, gt, handoff, hasBytes, hex, lt, min, ref, sameBytes, sub, u16be, u32be, u8,
} from "../describe/dsl.js";
import type { StructDescription } from "../describe/types.js";

export const udpDatagram: StructDescription = {
  name: "UDP", prefix: "udp", label: "User Datagram Protocol",
  fields: [
    u16be("srcport", "Source Port"),
    u16be("dstport", "Destination Port"),
    u16be("length", "Length"),
    hex("u16be")("checksum", "Checksum"),
    handoff("payload", "Payload", "udp.port", { by: min(ref("srcport"), ref("dstport")), length: sub(ref("length"), 8), when: ge(ref("length"), 8) }),
  ],
  minSize: 8,
  checks: [{ fails: lt(ref("length"), 8), field: "length", text: "UDP length {length:raw} is less than the 8-byte header" }],
  info: "UDP {srcport} → {dstport} len={length}",
};

/** Bit labels are the short names, so that {flags:bits} reads "[SYN, ACK]" as in tshark. */
const tcpFlags = flagsOf("u16be", [
  { mask: 0x001, key: "fin", label: "FIN" },
  { mask: 0x002, key: "syn", label: "SYN" },
  { mask: 0x004, key: "reset", label: "RST" },
  { mask: 0x008, key: "push", label: "PSH" },
  { mask: 0x010, key: "ack", label: "ACK" },
  { mask: 0x020, key: "urg", label: "URG" },
  { mask: 0x040, key: "ece", label: "ECE" },
  { mask: 0x080, key: "cwr", label: "CWR" },
  { mask: 0x100, key: "ae", label: "AE" }, // Accurate ECN; formerly NS (tcp.flags.ns)
  { mask: 0xe00, key: "res", label: "Reserved" },
]);

export const tcpSegment: StructDescription = {
  name: "TCP", prefix: "tcp", label: "Transmission Control Protocol",
  fields: [
    u16be("srcport", "Source Port"),
    u16be("dstport", "Destination Port"),
    // Wireshark's tcp.seq/tcp.ack are relative unless relative numbering is off; ours are always the raw values.
    u32be("seq_raw", "Sequence Number (raw)", { shared: true }),
    u32be("seq", "Sequence Number"),
    u32be("ack_raw", "Acknowledgment number (raw)", { shared: true }),
    u32be("ack", "Acknowledgment Number"),
    ...sameBytes(
      u8("hdr_len", "Header Length", { mask: 0xf0, scale: 4, unit: "bytes" }),
      tcpFlags("flags", "Flags", { mask: 0x0fff }),
    ),
    u16be("window_size_value", "Window"),
    hex("u16be")("checksum", "Checksum"),
    u16be("urgent_pointer", "Urgent Pointer"),
    bytes("options", "Options", sub(ref("hdr_len"), 20), { when: gt(ref("hdr_len"), 20) }),
    bytes("payload", "TCP payload", "rest", { when: and(ge(ref("hdr_len"), 20), hasBytes(1)) }),
  ],
  minSize: 20,
  checks: [{ fails: lt(ref("hdr_len"), 20), field: "hdr_len", text: "TCP header length {hdr_len:raw} is less than 20 bytes" }],
  info: "TCP {srcport} → {dstport} {flags:bits} Seq={seq} Ack={ack} Win={window_size_value}",
};
