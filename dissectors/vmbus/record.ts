// The VMBus record of our pcapng encapsulation (capture-formats.md §2): a 28-byte pseudo-header,
// then the payload chosen by kind. This is the root of every record's tree, as "frame" is in tshark.

import { choice, enumOf, flagsOf, guid, reserved, ref, u16, u32, u8 } from "../describe/dsl.js";
import type { StructDescription, ValueStrings } from "../describe/types.js";
import { channelMessage } from "./channel-messages.js";
import { ringPacket } from "./packets.js";
import { synicMessage } from "./synic.js";

export const directions: ValueStrings = { 0: "guest→host", 1: "host→guest", 255: "unknown" };
export const recordKinds: ValueStrings = { 1: "Channel message", 2: "Ring packet", 3: "SynIC message" };

export const recordFlagBits = [
  { mask: 1, key: "truncated", label: "Payload truncated" },
  { mask: 2, key: "recovered", label: "Recovered from consumed ring memory" },
  { mask: 4, key: "attached", label: "Attached data follows" },
] as const;

export const PSEUDO_HEADER_LENGTH = 28;

export const vmbusRecord: StructDescription = {
  name: "VmbusRecord", key: "record", prefix: "vmbus", label: "VMBus record",
  fields: [
    u8("version", "Record version", { expect: 1 }),
    enumOf("u8", directions)("direction", "Direction"),
    u16("header_length", "Header length", { unit: "bytes" }),
    enumOf("u8", recordKinds)("kind", "Record kind"),
    flagsOf("u8", recordFlagBits)("record_flags", "Record flags", { filter: "vmbus.flags" }),
    reserved("u16"),
    u32("relid", "Channel relid"),
    guid("class_guid", "Channel class"),
    choice("payload", "Payload", ref("kind"), { 1: channelMessage, 2: ringPacket, 3: synicMessage }, { at: ref("header_length") }),
  ],
  minSize: PSEUDO_HEADER_LENGTH,
};

