// GPA ranges (core.md §3.6): used by GPA-direct packets, GPADL_HEADER/BODY and establish-GPADL packets.

import { add, array, ceilDiv, hex, ref, u32 } from "../describe/dsl.js";
import type { StructDescription } from "../describe/types.js";

const P = "vmbus.gpa";

export const pfnEntry: StructDescription = { name: "Pfn", key: "pfn_entry", prefix: P, size: 8, fields: [hex("u64")("pfn", "PFN (4 KiB frame)")], info: undefined };

const pageCount = ceilDiv(add(ref("byte_offset"), ref("byte_count")), 4096);

const rangeFields = (clipToEnd: boolean) => [
  u32("byte_count", "Byte count"),
  hex("u32")("byte_offset", "Byte offset in first page"),
  array("pfns", "PFNs", pfnEntry, { count: pageCount, clipToEnd, clipNote: clipToEnd ? "(continues in GPADL_BODY)" : undefined }),
];

/** A range whose PFN list must be complete (GPA-direct packets). */
export const gpaRange: StructDescription = { name: "GpaRange", key: "range", prefix: P, label: "GPA range", fields: rangeFields(false) };

/** A range whose PFN list may continue in later messages (GPADL_HEADER). */
export const gpaRangeContinued: StructDescription = { name: "GpaRange", key: "range", prefix: P, label: "GPA range", fields: rangeFields(true) };
