// The ring control page (core.md §2.1), shown as a record of its own for ring dumps.

import { bytes, flagsOf, hex, u32 } from "../describe/dsl.js";
import type { StructDescription } from "../describe/types.js";

export const ringHeader: StructDescription = {
  name: "RingHeader", key: "ring", prefix: "vmbus.ring", label: "VMBus ring header",
  fields: [
    hex("u32")("write_index", "Write index (producer)"),
    hex("u32")("read_index", "Read index (consumer)"),
    u32("interrupt_mask", "Interrupt mask", { description: "non-zero: the consumer is polling, do not interrupt" }),
    u32("pending_send_size", "Pending send size", { unit: "bytes", description: "non-zero: the producer waits for this much free space" }),
    bytes("reserved", "Reserved", 48),
    flagsOf("u32", [{ mask: 1, key: "supports_pending_send_size", label: "Supports pending send size" }])("feature_bits", "Feature bits"),
  ],
  info: "write {write_index} read {read_index}",
  hooks: ["vmbus.ring_header"],
};
