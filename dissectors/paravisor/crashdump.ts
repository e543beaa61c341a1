// Guest crash dump (devices.md §18.3): message-mode pipe, pipe header at payload offset 0, then a
// packed 24-byte header (activity_id GUID at 0, message_type u64 at 16) and the body from 24.
// Offsets in the comments are from the start of the crash-dump message.

import { and, bytes, choice, enumOf, flagsOf, ge, guid, hasBytes, lt, ref, struct, sub, u64 } from "../describe/dsl.js";
import type { ProtocolDescription, StructDescription, ValueStrings } from "../describe/types.js";
import { pipeDataLength, pipeHeader, trailingPadding } from "../hvsock/pipe.js";

const P = "crashdump";
const RESPONSE = 0x00010000;

const requests: Record<number, string> = {
  0x1: "GET_CAPABILITIES_V1", 0x2: "GET_WINDOWS_DUMP_CONFIG_V1", 0x3: "WINDOWS_DUMP_START_V1", 0x4: "WINDOWS_DUMP_WRITE_V1",
  0x5: "WINDOWS_DUMP_COMPLETE_V1", 0x102: "GET_NIX_DUMP_CONFIG_V1", 0x103: "NIX_DUMP_START_V1", 0x104: "NIX_DUMP_WRITE_V1",
  0x105: "NIX_DUMP_COMPLETE_V1",
};
export const crashdumpTypes: ValueStrings = Object.fromEntries(Object.entries(requests).flatMap(([value, name]) => [
  [Number(value), `${name} request`], [Number(value) + RESPONSE, `${name} response`],
]));

const body = (name: string, key: string, fields: StructDescription["fields"], info?: string): StructDescription => ({ name, key, prefix: P, label: name, fields, info });
const config = body("DumpConfigV1", "config", [
  u64("max_dump_size", "Maximum dump size", { unit: "bytes" }),
  enumOf("u32", { 0: "none", 1: "ELF", 2: "kdump" })("dump_type", "Dump type"),
], "{dump_type} max {max_dump_size}");

const bodies: Record<number, StructDescription> = {
  [0x1 + RESPONSE]: body("CapabilitiesV1", "capabilities_v1", [
    flagsOf("u64", [{ mask: 1, key: "windows_config_v1", label: "Windows config v1" }, { mask: 2, key: "linux_config_v1", label: "Linux config v1" }])("capabilities", "Capabilities"),
  ], "{capabilities:bits}"),
  [0x2 + RESPONSE]: config,
  [0x102 + RESPONSE]: config,
};
const other = body("Body", "other_body", [bytes("body_data", "Body (layout not in the reference)", "rest", { when: hasBytes(1) })]);

const isResponse = and(ge(ref("message_type"), RESPONSE), lt(ref("message_type"), 2 * RESPONSE));

export const crashdumpMessage: StructDescription = {
  name: "CrashDumpMessage", key: "msg", prefix: P, label: "Crash-dump message",
  fields: [
    guid("activity_id", "Activity id"),
    enumOf("u64", crashdumpTypes)("message_type", "Message type", { base: "hex" }),
    choice("body", "Body", ref("message_type"), bodies, { default: other }),
  ],
  minSize: 24,
  info: "crash dump {message_type}",
  // A response's type is its request's type + 0x10000 (devices.md §18.3).
  pairing: [
    { namespace: "crashdump", role: "request", id: ref("message_type"), when: lt(ref("message_type"), RESPONSE), text: "{message_type}" },
    { namespace: "crashdump", role: "response", id: sub(ref("message_type"), RESPONSE), when: isResponse },
  ],
};

export const crashdumpPacket: StructDescription = {
  name: "CrashDumpPacket", key: "packet", prefix: P, label: "Crash-dump packet",
  fields: [struct("pipe", "Pipe header", pipeHeader), struct("message", "Crash-dump message", crashdumpMessage, { length: pipeDataLength }), trailingPadding()],
  minSize: 32,
};

export const crashdumpProtocol: ProtocolDescription = { name: "crashdump", label: "Guest crash dump", short: "crashdump", root: crashdumpPacket, messageType: ["crashdump.message_type"] };


