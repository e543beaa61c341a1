// The SynIC message envelope (core.md §4.1): a 16-byte hypervisor message header, then (type 1) a channel message.

import { bytes, choice, enumOf, flagsOf, hex, ref, reserved, struct, u8 } from "../describe/dsl.js";
import type { StructDescription, ValueStrings } from "../describe/types.js";
import { channelMessage } from "./channel-messages.js";

export const hypervisorMessageTypes: ValueStrings = {
  0x00000000: "None", 0x00000001: "VMBus",
  0x80000000: "Unmapped GPA", 0x80000001: "GPA intercept", 0x80000003: "Unaccepted GPA", 0x80000004: "GPA attribute intercept",
  0x80000005: "Enable partition VTL intercept", 0x80000010: "Timer expired", 0x80000020: "Invalid VP register value",
  0x80000021: "Unrecoverable exception", 0x80000022: "Unsupported feature", 0x80000023: "TLB page size mismatch",
  0x80000024: "IOMMU fault", 0x8000003f: "Opaque intercept", 0x80000040: "Event-log buffer complete",
  0x80000050: "Hypercall intercept", 0x80000060: "SynIC event intercept", 0x80000061: "SynIC SINT intercept",
  0x80000062: "SynIC SINT deliverable", 0x80000070: "Async call completion", 0x80000100: "Scheduler VP signal bitset",
  0x80000101: "Scheduler VP signal pair", 0x80010000: "I/O port intercept", 0x80010001: "MSR intercept",
  0x80010002: "CPUID intercept", 0x80010003: "Exception intercept", 0x80010004: "APIC EOI",
};

const opaquePayload: StructDescription = {
  name: "HypervisorPayload", key: "hv_payload", prefix: "vmbus.synic", label: "Hypervisor message payload",
  fields: [bytes("payload", "Payload", "rest")],
};

export const synicMessage: StructDescription = {
  name: "SynicMessage", key: "synic", prefix: "vmbus.synic", label: "SynIC message",
  fields: [
    enumOf("u32", hypervisorMessageTypes)("message_type", "Message type", { base: "hex" }),
    u8("payload_size", "Payload size", { unit: "bytes" }),
    flagsOf("u8", [{ mask: 1, key: "pending", label: "Message pending" }])("message_flags", "Message flags"),
    reserved("u16"),
    hex("u64")("sender", "Sender / port id"),
    struct("message", "Channel message", channelMessage, { when: { op: "==", a: ref("message_type"), b: 1 }, length: ref("payload_size") }),
    choice("other", "Payload", ref("message_type"), {}, { default: opaquePayload, when: { op: "!=", a: ref("message_type"), b: 1 } }),
  ],
  minSize: 16,
};
