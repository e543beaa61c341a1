// Ethernet, 802.1Q, ARP, IPv4/IPv6, ICMP, UDP, TCP and DHCP (net-storage.md A8 and the RFCs) decoded
// from frames written by hand here, byte by byte; the sample frames of samples/frames.ts decoded back;
// malformed frames marked, never thrown. Frames are decoded as RNDIS hands them over (table rndis.data).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Dissector } from "../../dissectors/index.js";
import type { DecodeContext } from "../../dissectors/describe/compile.js";
import { newScope } from "../../dissectors/describe/expr.js";
import type { ExpertItem, TreeNode } from "../../dissectors/tree.js";
import { frames, internetChecksum } from "../../samples/frames.js";
import { expectAbsent, expectBits, expectChildrenInside, expectField, findNode, hex, node } from "./tree-helpers.js";

interface Decoded {
  layers: TreeNode[];
  experts: ExpertItem[];
  info: string;
  malformed: boolean;
}

/** Decodes one frame the way the dissector does after RNDIS: the hand-off to table rndis.data, key 0. */
function decodeFrame(bytes: Uint8Array): Decoded {
  const dissector = new Dissector();
  const context = (dissector as unknown as { newContext(bytes: Uint8Array): DecodeContext }).newContext(bytes);
  context.handoff("rndis.data", context, 0, bytes.length, newScope(undefined, 0, bytes.length), 0);
  // The Info column as dissect.ts joins it: pieces by spaces, layers by one arrow.
  const info = context.info.filter((part) => part !== "").join(" ").replace(/→(\s*→)+/g, "→").replace(/^(\s*→\s*)+/, "").replace(/(\s*→\s*)+$/, "");
  const malformed = context.experts.some((e) => e.group === "malformed" || e.severity === "error");
  return { layers: context.layers, experts: context.experts, info, malformed };
}

const protocols = (d: Decoded): string[] => d.layers.map((layer) => layer.field.filter);

function expectClean(d: Decoded): void {
  assert.equal(d.malformed, false, `unexpected malformed: ${JSON.stringify(d.experts)}`);
  expectChildrenInside(d.layers);
}

const ETH_VM = "00 15 5d 00 00 05";
const ETH_GW = "00 15 5d 00 00 01";

describe("Ethernet II and ARP", () => {
  test("ARP request, broadcast: who has 10.0.0.1? tell 10.0.0.5", () => {
    const bytes = hex(`ff ff ff ff ff ff ${ETH_VM} 08 06
      00 01 08 00 06 04 00 01 ${ETH_VM} 0a 00 00 05 00 00 00 00 00 00 0a 00 00 01`);
    assert.equal(bytes.length, 42);
    const d = decodeFrame(bytes);
    expectClean(d);
    assert.deepEqual(protocols(d), ["eth", "arp"]);
    expectField(d.layers, "eth.dst", "ff:ff:ff:ff:ff:ff", 0, 6);
    expectField(d.layers, "eth.src", "00:15:5d:00:00:05", 6, 6);
    expectField(d.layers, "eth.type", 0x0806, 12, 2);
    expectAbsent(d.layers, "eth.len");
    expectField(d.layers, "arp.hw.type", 1, 14, 2);
    expectField(d.layers, "arp.proto.type", 0x0800, 16, 2);
    expectField(d.layers, "arp.hw.size", 6, 18, 1);
    expectField(d.layers, "arp.proto.size", 4, 19, 1);
    expectField(d.layers, "arp.opcode", 1, 20, 2);
    assert.equal(node(d.layers, "arp.opcode").field.values?.[1], "request");
    expectField(d.layers, "arp.src.hw_mac", "00:15:5d:00:00:05", 22, 6);
    expectField(d.layers, "arp.src.proto_ipv4", "10.0.0.5", 28, 4);
    expectField(d.layers, "arp.dst.hw_mac", "00:00:00:00:00:00", 32, 6);
    expectField(d.layers, "arp.dst.proto_ipv4", "10.0.0.1", 38, 4);
    assert.equal(d.layers[1].offset, 14);
    assert.equal(d.layers[1].length, 28);
    assert.equal(d.info, "Who has 10.0.0.1? Tell 10.0.0.5");
  });

  test("ARP reply: 10.0.0.1 is at its MAC", () => {
    const bytes = hex(`${ETH_VM} ${ETH_GW} 08 06 00 01 08 00 06 04 00 02 ${ETH_GW} 0a 00 00 01 ${ETH_VM} 0a 00 00 05`);
    const d = decodeFrame(bytes);
    expectClean(d);
    expectField(d.layers, "arp.opcode", 2, 20, 2);
    assert.equal(d.info, "10.0.0.1 is at 00:15:5d:00:00:01");
  });

  test("IEEE 802.3 length frame: eth.len, LLC bytes, padding", () => {
    // A spanning-tree BPDU: length 38, LLC 42 42 03, then zero padding to 60 bytes.
    const llc = `42 42 03 ${"00 ".repeat(35)}`;
    const bytes = hex(`01 80 c2 00 00 00 ${ETH_GW} 00 26 ${llc} ${"00 ".repeat(8)}`);
    assert.equal(bytes.length, 60);
    const d = decodeFrame(bytes);
    expectClean(d);
    assert.deepEqual(protocols(d), ["eth"]);
    expectAbsent(d.layers, "eth.type");
    expectField(d.layers, "eth.len", 38, 12, 2);
    expectField(d.layers, "llc", hex(llc), 14, 38);
    expectField(d.layers, "eth.padding", new Uint8Array(8), 52, 8);
  });
});

describe("IPv4 and TCP", () => {
  // 10.0.0.5:51234 → 10.0.0.1:443, SYN, seq 1000, data offset 10 (40 bytes: MSS, SACK permitted, timestamps, NOP, window scale).
  const syn = hex(`${ETH_GW} ${ETH_VM} 08 00
    45 00 00 3c 1c 46 40 00 40 06 00 00 0a 00 00 05 0a 00 00 01
    c8 22 01 bb 00 00 03 e8 00 00 00 00 a0 02 fa f0 12 34 00 00
    02 04 05 b4 04 02 08 0a 00 00 00 01 00 00 00 00 01 03 03 07`);

  test("a SYN with options: every header field, offsets and the summary", () => {
    assert.equal(syn.length, 74);
    const d = decodeFrame(syn);
    expectClean(d);
    assert.deepEqual(protocols(d), ["eth", "ip", "tcp"]);
    expectField(d.layers, "eth.type", 0x0800, 12, 2);
    expectField(d.layers, "ip.version", 4, 14, 1);
    expectField(d.layers, "ip.hdr_len", 20, 14, 1);
    expectField(d.layers, "ip.dsfield", 0, 15, 1);
    expectField(d.layers, "ip.dsfield.dscp", 0, 15, 1);
    expectField(d.layers, "ip.len", 60, 16, 2);
    expectField(d.layers, "ip.id", 0x1c46, 18, 2);
    expectField(d.layers, "ip.flags", 0x2, 20, 1);
    expectBits(d.layers, "ip.flags", { rb: false, df: true, mf: false });
    expectField(d.layers, "ip.frag_offset", 0, 20, 2);
    expectField(d.layers, "ip.ttl", 64, 22, 1);
    expectField(d.layers, "ip.proto", 6, 23, 1);
    assert.equal(node(d.layers, "ip.proto").field.values?.[6], "TCP");
    expectField(d.layers, "ip.checksum", 0, 24, 2);
    expectField(d.layers, "ip.src", "10.0.0.5", 26, 4);
    expectField(d.layers, "ip.dst", "10.0.0.1", 30, 4);
    expectAbsent(d.layers, "ip.options");
    assert.equal(d.layers[1].offset, 14);
    assert.equal(d.layers[1].length, 60);
    expectField(d.layers, "tcp.srcport", 51234, 34, 2);
    expectField(d.layers, "tcp.dstport", 443, 36, 2);
    expectField(d.layers, "tcp.seq", 1000, 38, 4);
    expectField(d.layers, "tcp.seq_raw", 1000, 38, 4);
    expectField(d.layers, "tcp.ack", 0, 42, 4);
    expectField(d.layers, "tcp.hdr_len", 40, 46, 1);
    expectField(d.layers, "tcp.flags", 0x002, 46, 2);
    expectBits(d.layers, "tcp.flags", { fin: false, syn: true, reset: false, push: false, ack: false, urg: false, ece: false, cwr: false });
    expectField(d.layers, "tcp.window_size_value", 64240, 48, 2);
    expectField(d.layers, "tcp.checksum", 0x1234, 50, 2);
    expectField(d.layers, "tcp.urgent_pointer", 0, 52, 2);
    expectField(d.layers, "tcp.options", hex("02 04 05 b4 04 02 08 0a 00 00 00 01 00 00 00 00 01 03 03 07"), 54, 20);
    expectAbsent(d.layers, "tcp.payload");
    assert.equal(d.info, "10.0.0.5 → 10.0.0.1 → TCP 51234 → 443 [SYN] Seq=1000 Ack=0 Win=64240");
  });

  test("SYN-ACK and PSH-ACK flags read as tshark writes them; payload as bytes", () => {
    const segment = hex(`${ETH_VM} ${ETH_GW} 08 00
      45 00 00 2c 00 00 40 00 40 06 00 00 0a 00 00 01 0a 00 00 05
      01 bb c8 22 00 00 07 d0 00 00 03 e9 50 18 01 f6 00 00 00 00
      de ad be ef`);
    const d = decodeFrame(segment);
    expectClean(d);
    expectField(d.layers, "tcp.hdr_len", 20, 46, 1);
    expectField(d.layers, "tcp.flags", 0x018, 46, 2);
    expectBits(d.layers, "tcp.flags", { push: true, ack: true, syn: false });
    expectField(d.layers, "tcp.payload", hex("de ad be ef"), 54, 4);
    assert.equal(d.info, "10.0.0.1 → 10.0.0.5 → TCP 443 → 51234 [PSH, ACK] Seq=2000 Ack=1001 Win=502");
  });

  test("a fragment after the first is not handed to TCP", () => {
    // More fragments, offset 185 × 8 = 1480 bytes.
    const fragment = hex(`${ETH_GW} ${ETH_VM} 08 00 45 00 00 1c 1c 47 20 b9 40 06 00 00 0a 00 00 05 0a 00 00 01 01 02 03 04 05 06 07 08`);
    const d = decodeFrame(fragment);
    expectClean(d);
    assert.deepEqual(protocols(d), ["eth", "ip"]);
    expectField(d.layers, "ip.flags", 0x1, 20, 1);
    expectBits(d.layers, "ip.flags", { mf: true, df: false });
    expectField(d.layers, "ip.frag_offset", 1480, 20, 2);
    expectField(d.layers, "data.data", hex("01 02 03 04 05 06 07 08"), 34, 8);
  });
});

describe("UDP and ICMP", () => {
  test("a UDP datagram: ports, length, payload to table udp.port (nothing for 53 here: data)", () => {
    const bytes = hex(`${ETH_GW} ${ETH_VM} 08 00
      45 00 00 20 12 34 00 00 80 11 00 00 0a 00 00 05 0a 00 00 01
      d4 31 00 35 00 0c ab cd de ad be ef`);
    const d = decodeFrame(bytes);
    assert.equal(d.malformed, false);
    assert.deepEqual(protocols(d), ["eth", "ip", "udp", "data"]);
    expectField(d.layers, "ip.proto", 17, 23, 1);
    expectField(d.layers, "udp.srcport", 54321, 34, 2);
    expectField(d.layers, "udp.dstport", 53, 36, 2);
    expectField(d.layers, "udp.length", 12, 38, 2);
    expectField(d.layers, "udp.checksum", 0xabcd, 40, 2);
    expectField(d.layers, "data.data", hex("de ad be ef"), 42, 4);
    assert.equal(d.info, "10.0.0.5 → 10.0.0.1 → UDP 54321 → 53 len=12 → 4 bytes of payload");
  });

  test("an ICMP echo request: type, code, checksum, identifier, sequence, data", () => {
    const bytes = hex(`${ETH_GW} ${ETH_VM} 08 00
      45 00 00 20 00 01 00 00 80 01 00 00 0a 00 00 05 0a 00 00 01
      08 00 f7 fc 00 01 00 02 61 62 63 64`);
    const d = decodeFrame(bytes);
    expectClean(d);
    assert.deepEqual(protocols(d), ["eth", "ip", "icmp"]);
    expectField(d.layers, "icmp.type", 8, 34, 1);
    assert.equal(node(d.layers, "icmp.type").field.values?.[8], "Echo (ping) request");
    expectField(d.layers, "icmp.code", 0, 35, 1);
    expectField(d.layers, "icmp.checksum", 0xf7fc, 36, 2);
    expectField(d.layers, "icmp.ident", 1, 38, 2);
    expectField(d.layers, "icmp.seq", 2, 40, 2);
    expectField(d.layers, "data.data", hex("61 62 63 64"), 42, 4);
    assert.equal(d.info, "10.0.0.5 → 10.0.0.1 → Echo (ping) request id=0x1 seq=2");
  });
});

describe("IPv6 and 802.1Q", () => {
  test("IPv6: version, traffic class and flow label from one word; UDP inside", () => {
    const bytes = hex(`33 33 00 01 00 02 ${ETH_VM} 86 dd
      6b 8a bc de 00 08 11 40
      fe 80 00 00 00 00 00 00 00 00 00 00 00 00 00 01
      ff 02 00 00 00 00 00 00 00 00 00 00 00 01 00 02
      02 22 02 23 00 08 00 00`);
    const d = decodeFrame(bytes);
    expectClean(d);
    assert.deepEqual(protocols(d), ["eth", "ipv6", "udp"]);
    expectField(d.layers, "eth.type", 0x86dd, 12, 2);
    expectField(d.layers, "ipv6.version", 6, 14, 1);
    expectField(d.layers, "ipv6.tclass", 0xb8, 14, 4);
    expectField(d.layers, "ipv6.flow", 0xabcde, 14, 4);
    expectField(d.layers, "ipv6.plen", 8, 18, 2);
    expectField(d.layers, "ipv6.nxt", 17, 20, 1);
    expectField(d.layers, "ipv6.hlim", 64, 21, 1);
    expectField(d.layers, "ipv6.src", "fe80::1", 22, 16);
    expectField(d.layers, "ipv6.dst", "ff02::1:2", 38, 16);
    expectField(d.layers, "udp.srcport", 546, 54, 2);
    assert.equal(d.info, "fe80::1 → ff02::1:2 → UDP 546 → 547 len=8");
  });

  test("a VLAN-tagged ARP request: priority, DEI and VID from the TCI, then the inner EtherType", () => {
    const bytes = hex(`ff ff ff ff ff ff ${ETH_VM} 81 00 a0 64 08 06
      00 01 08 00 06 04 00 01 ${ETH_VM} 0a 00 00 05 00 00 00 00 00 00 0a 00 00 01`);
    const d = decodeFrame(bytes);
    expectClean(d);
    assert.deepEqual(protocols(d), ["eth", "vlan", "arp"]);
    expectField(d.layers, "eth.type", 0x8100, 12, 2);
    expectField(d.layers, "vlan.priority", 5, 14, 2);
    expectField(d.layers, "vlan.dei", 0, 14, 2);
    expectField(d.layers, "vlan.id", 100, 14, 2);
    expectField(d.layers, "vlan.etype", 0x0806, 16, 2);
    expectField(d.layers, "arp.opcode", 1, 24, 2);
    assert.equal(d.info, "VLAN 100 → Who has 10.0.0.1? Tell 10.0.0.5");
  });
});

describe("malformed frames are marked, never thrown", () => {
  const ipFrame = (ip: string) => hex(`${ETH_GW} ${ETH_VM} 08 00 ${ip}`);

  test("an Ethernet frame of 10 bytes", () => {
    const d = decodeFrame(hex("ff ff ff ff ff ff 00 15 5d 00"));
    assert.equal(d.malformed, true);
    expectField(d.layers, "eth.dst", "ff:ff:ff:ff:ff:ff", 0, 6);
  });

  test("a truncated IPv4 header (12 of 20 bytes)", () => {
    const d = decodeFrame(ipFrame("45 00 00 3c 1c 46 40 00 40 06 00 00"));
    assert.equal(d.malformed, true);
    assert.deepEqual(protocols(d), ["eth", "ip"]);
    expectField(d.layers, "ip.version", 4, 14, 1);
    expectField(d.layers, "ip.src", new Uint8Array(0), 26, 0);
    expectAbsent(d.layers, "ip.dst");
  });

  test("IHL below 5", () => {
    const d = decodeFrame(ipFrame("44 00 00 28 00 01 00 00 40 06 00 00 0a 00 00 05 0a 00 00 01 c8 22 01 bb 00 00 00 00"));
    assert.equal(d.malformed, true);
    expectField(d.layers, "ip.hdr_len", 16, 14, 1);
    assert.ok(d.experts.some((e) => e.group === "malformed" && e.offset === 14 && /less than 20/.test(e.text)), JSON.stringify(d.experts));
    assert.deepEqual(protocols(d), ["eth", "ip"], "nothing handed on");
  });

  test("a TCP data offset beyond the segment", () => {
    // Data offset 15 (60 bytes) in a 24-byte segment.
    const d = decodeFrame(ipFrame("45 00 00 2c 00 01 00 00 40 06 00 00 0a 00 00 05 0a 00 00 01 c8 22 01 bb 00 00 00 01 00 00 00 00 f0 02 fa f0 00 00 00 00 01 02 03 04"));
    assert.equal(d.malformed, true);
    expectField(d.layers, "tcp.hdr_len", 60, 46, 1);
    assert.ok(d.experts.some((e) => e.group === "malformed" && e.offset === 54), JSON.stringify(d.experts));
  });

  test("a TCP data offset below 5 and a UDP length below 8", () => {
    const tcp = decodeFrame(ipFrame("45 00 00 28 00 01 00 00 40 06 00 00 0a 00 00 05 0a 00 00 01 c8 22 01 bb 00 00 00 01 00 00 00 00 40 02 fa f0 00 00 00 00"));
    assert.equal(tcp.malformed, true);
    const udp = decodeFrame(ipFrame("45 00 00 1c 00 01 00 00 40 11 00 00 0a 00 00 05 0a 00 00 01 d4 31 00 35 00 04 00 00"));
    assert.equal(udp.malformed, true);
    assert.deepEqual(protocols(udp), ["eth", "ip", "udp"]);
  });

  test("every truncation of every sample frame decodes without throwing", () => {
    for (const frame of frames()) {
      for (let length = 0; length < frame.bytes.length; length++) decodeFrame(frame.bytes.subarray(0, length));
    }
  });
});

/** Expected layers and summary of each sample frame. */
const expected: Record<string, { layers: string[]; info: string; fields?: Record<string, unknown> }> = {
  "arp-request": { layers: ["eth", "arp"], info: "Who has 10.0.0.1? Tell 10.0.0.5" },
  "arp-reply": { layers: ["eth", "arp"], info: "10.0.0.1 is at 00:15:5d:00:00:01" },
  "dhcp-discover": {
    layers: ["eth", "ip", "udp", "dhcp"], info: "0.0.0.0 → 255.255.255.255 → UDP 68 → 67 len=273 → DHCP Discover xid 0x3903f326",
    fields: { "dhcp.type": 1, "dhcp.id": 0x3903f326, "dhcp.flags.bc": true, "dhcp.hw.mac_addr": "00:15:5d:00:00:05", "dhcp.cookie": "99.130.83.99", "dhcp.option.dhcp": 1, "dhcp.option.end": 255 },
  },
  "dhcp-offer": {
    layers: ["eth", "ip", "udp", "dhcp"], info: "10.0.0.1 → 10.0.0.5 → UDP 67 → 68 len=282 → DHCP Offer xid 0x3903f326",
    fields: { "dhcp.type": 2, "dhcp.ip.your": "10.0.0.5", "dhcp.ip.server": "10.0.0.1", "dhcp.option.dhcp": 2 },
  },
  "icmp-echo-request": { layers: ["eth", "ip", "icmp"], info: "10.0.0.5 → 10.0.0.1 → Echo (ping) request id=0x1 seq=1" },
  "icmp-echo-reply": { layers: ["eth", "ip", "icmp"], info: "10.0.0.1 → 10.0.0.5 → Echo (ping) reply id=0x1 seq=1" },
  "tcp-syn": {
    layers: ["eth", "ip", "tcp"], info: "10.0.0.5 → 10.0.0.1 → TCP 51234 → 443 [SYN] Seq=472727119 Ack=0 Win=64240",
    fields: { "tcp.hdr_len": 40, "ip.flags.df": true },
  },
  "tcp-syn-ack": { layers: ["eth", "ip", "tcp"], info: "10.0.0.1 → 10.0.0.5 → TCP 443 → 51234 [SYN, ACK] Seq=2055969965 Ack=472727120 Win=65160" },
  "tcp-data": {
    layers: ["eth", "ip", "tcp"], info: "10.0.0.5 → 10.0.0.1 → TCP 51234 → 443 [PSH, ACK] Seq=472727120 Ack=2055969966 Win=502",
    fields: { "tcp.hdr_len": 20, "ip.len": 88 },
  },
  "udp-dns": { layers: ["eth", "ip", "udp", "data"], info: "10.0.0.5 → 10.0.0.1 → UDP 53000 → 53 len=37 → 29 bytes of payload" },
  "icmpv6-neighbor-solicitation": {
    layers: ["eth", "ipv6", "icmpv6"], info: "fe80::215:5dff:fe00:5 → ff02::1:ff00:1 → Neighbor Solicitation for fe80::215:5dff:fe00:1",
    fields: { "ipv6.hlim": 255, "icmpv6.opt.src_linkaddr": "00:15:5d:00:00:05" },
  },
  "vlan-icmp-echo-request": { layers: ["eth", "vlan", "ip", "icmp"], info: "VLAN 100 → 10.0.0.5 → 10.0.0.1 → Echo (ping) request id=0x1 seq=2", fields: { "vlan.id": 100 } },
};

describe("the sample frames decode back", () => {
  const all = frames();
  test("every sample has an expectation", () => assert.deepEqual(all.map((f) => f.name).sort(), Object.keys(expected).sort()));
  for (const frame of all) {
    test(frame.name, () => {
      const d = decodeFrame(frame.bytes);
      expectClean(d);
      const want = expected[frame.name];
      assert.deepEqual(protocols(d), want.layers);
      assert.equal(d.info, want.info);
      for (const [filter, value] of Object.entries(want.fields ?? {})) assert.deepEqual(node(d.layers, filter).value, value, filter);
      // Lengths agree: the IP layer covers exactly its total length, UDP its length.
      const ip = d.layers.find((layer) => layer.field.filter === "ip");
      if (ip) {
        assert.equal(ip.length, node(d.layers, "ip.len").value);
        assert.equal(internetChecksum(frame.bytes.subarray(ip.offset, ip.offset + 20)), 0, "IPv4 header checksum");
        const transport = d.layers[d.layers.indexOf(ip) + 1];
        const src = frame.bytes.subarray(ip.offset + 12, ip.offset + 16);
        const dst = frame.bytes.subarray(ip.offset + 16, ip.offset + 20);
        const segment = frame.bytes.subarray(transport.offset, ip.offset + ip.length);
        const proto = node(d.layers, "ip.proto").value as number;
        const pseudo = proto === 1 ? [] : [...src, ...dst, 0, proto, segment.length >> 8, segment.length & 0xff];
        assert.equal(internetChecksum([...pseudo, ...segment]), 0, `${transport.field.filter} checksum`);
      }
      const udp = d.layers.find((layer) => layer.field.filter === "udp");
      if (udp) assert.equal(udp.offset + (node(d.layers, "udp.length").value as number), frame.bytes.length);
      assert.equal(findNode(d.layers, "eth.padding"), undefined);
    });
  }
});
