// Encoder and decoder are both derived from the descriptions: values encoded and decoded again must
// come back unchanged, for every channel message and every packet type header.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encodeVmbusRecord } from "../../capture/vmbus-pseudo-header.js";
import { Direction, RecordKind, type VmbusRecord } from "../../capture/record.js";
import { decoderFor, type DecodeContext } from "../../dissectors/describe/compile.js";
import { encodeStruct, type EncodeValues } from "../../dissectors/describe/encode.js";
import { guidBytes } from "../../dissectors/describe/read.js";
import { protocolInfo } from "../../dissectors/describe/fields.js";
import type { Field, StructDescription } from "../../dissectors/describe/types.js";
import { channelMessage, channelMessageTypes } from "../../dissectors/vmbus/channel-messages.js";
import { packetHeaders } from "../../dissectors/vmbus/packets.js";
import { vmbusRecord } from "../../dissectors/vmbus/record.js";
import type { TreeNode } from "../../dissectors/tree.js";
import { Session } from "../../dissectors/session.js";

/** Deterministic values that fit each field's width. */
function valueFor(field: Field, seed: number): EncodeValues[string] {
  if (field.kind === "blob") {
    if (field.type === "guid") return `${(0x10000000 + seed).toString(16)}-1234-4abc-8def-0123456789ab`;
    return undefined;
  }
  if (field.kind !== "scalar") return undefined;
  const widths: Record<string, number> = { u8: 0xff, u16: 0xffff, u32: 0xffffffff, i32: 0x7fffffff };
  if (field.expect !== undefined) return field.expect;
  if (field.type === "u64") return 0x1_0000_0000 + seed;
  return (seed * 2654435761) % ((widths[field.type] ?? 0xff) + 1);
}

function valuesFor(description: StructDescription, seed: number): EncodeValues {
  const values: EncodeValues = {};
  description.fields.forEach((field, index) => {
    if (field.when !== undefined || field.at !== undefined) return;
    const value = valueFor(field, seed + index);
    if (value !== undefined) values[field.key] = value;
  });
  return values;
}

function context(bytes: Uint8Array): DecodeContext {
  return {
    bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), source: 0, session: new Session(),
    experts: [], layers: [], info: [], failed: false, hooks: {}, handoff: () => undefined, handoffAttached: () => false,
  };
}

function leaves(node: TreeNode, into = new Map<string, unknown>()): Map<string, unknown> {
  for (const child of node.children ?? []) {
    if (child.field.kind === "bit") continue;
    if (child.children && child.field.kind !== "uint") leaves(child, into);
    else into.set(child.field.filter.split(".").pop()!, child.value).set(child.field.filter, child.value);
  }
  return into;
}

describe("encode then decode", () => {
  for (const [type, name] of Object.entries(channelMessageTypes)) {
    if (type === "0") continue;
    it(`channel message ${type} ${name}`, () => {
      const bodyDescription = (channelMessage.fields[2] as { cases: Record<number, StructDescription> }).cases[Number(type)];
      // Counts of arrays that are not given are filled by the encoder; a stray count would break the checks.
      const body = valuesFor(bodyDescription, Number(type));
      if ("range_count" in body) body.range_count = 0;
      const bytes = encodeStruct(channelMessage, { msgtype: Number(type), body });
      const decoding = context(bytes);
      const tree = decoderFor(channelMessage)(decoding, 0, bytes.length, undefined, protocolInfo("vmbus", "VMBus"));
      assert.deepEqual(decoding.experts.filter((e) => e.severity === "error"), []);
      const decoded = leaves(tree);
      assert.equal(decoded.get("msgtype"), Number(type));
      for (const [key, value] of Object.entries(body)) assert.equal(decoded.get(key), value, `${name}.${key}`);
    });
  }

  for (const [type, description] of Object.entries(packetHeaders)) {
    it(`packet type ${type} header ${description.name}`, () => {
      const values = valuesFor(description, Number(type));
      const bytes = encodeStruct(description, values);
      const decoding = context(bytes);
      const tree = decoderFor(description)(decoding, 0, bytes.length, undefined, protocolInfo("vmbus", "VMBus"));
      const decoded = leaves(tree);
      for (const [key, value] of Object.entries(values)) {
        if (key !== "range_count") assert.equal(decoded.get(key), value, `${description.name}.${key}`);
      }
    });
  }
});

describe("the pseudo-header: capture codec and description agree", () => {
  it("decodes what the capture layer encodes, field by field", () => {
    const record: VmbusRecord = {
      origin: { file: "t", fileOffset: 0, number: 1 }, direction: Direction.HostToGuest, kind: RecordKind.RingPacket,
      flags: 2, relid: 0x1234, classGuid: guidBytes("f8615163-df3e-46c5-913f-f2d2f965ed0e"),
      payload: new Uint8Array([6, 0, 2, 0, 2, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0]), attached: [],
    };
    const frame = encodeVmbusRecord(record);
    const decoding = context(frame);
    const decoded = leaves(decoderFor(vmbusRecord)(decoding, 0, frame.length, undefined, protocolInfo("vmbus", "VMBus")));
    assert.equal(decoded.get("vmbus.version"), 1);
    assert.equal(decoded.get("vmbus.direction"), 1);
    assert.equal(decoded.get("vmbus.header_length"), 28);
    assert.equal(decoded.get("vmbus.kind"), 2);
    assert.equal(decoded.get("vmbus.flags"), 2);
    assert.equal(decoded.get("vmbus.relid"), 0x1234);
    assert.equal(decoded.get("vmbus.class_guid"), "f8615163-df3e-46c5-913f-f2d2f965ed0e");
    assert.equal(decoded.get("vmbus.pkt.trans_id"), 7);
  });
});
