// Ring dumps with --send-buffer: a guest's SEND_RNDIS_PKT names a send-buffer section, whose bytes
// become the record's attached data (capture contract 2.1, source 3), as a capture would keep them.

import { AttachedSource, RecordFlags, RecordKind, type VmbusRecord } from "../../capture/record.js";
import type { RandomAccess } from "../../capture/ring-reader.js";
import { sendBufferSection } from "./index.js";

/** Linux netvsc's section size (NETVSC_SEND_SECTION_SIZE); the host may confirm another in SEND_SEND_BUF_COMPLETE. */
export const DEFAULT_SEND_SECTION_SIZE = 6144;

function packetPayload(record: VmbusRecord): Uint8Array | undefined {
  const bytes = record.payload;
  if (record.kind !== RecordKind.RingPacket || bytes.length < 16) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return bytes.subarray(view.getUint16(2, true) * 8, Math.min(bytes.length, view.getUint16(4, true) * 8));
}

/** Attaches the section the packet names; a problem on the record when the section lies outside the buffer. */
export function attachSendBufferSection(record: VmbusRecord, sendBuffer: RandomAccess, sectionSize: number): void {
  const payload = packetPayload(record);
  const section = payload && sendBufferSection(payload);
  if (!section) return;
  const start = section.index * sectionSize;
  const length = Math.min(section.size, sectionSize);
  if (start + length > sendBuffer.size) {
    (record.readerProblems ??= []).push({ severity: "warn", text: `send-buffer section ${section.index} (offset ${start}) lies beyond the ${sendBuffer.size}-byte send buffer given` });
    return;
  }
  record.attached = [...record.attached, { source: AttachedSource.ProtocolBuffer, index: 0, offset: 0, data: sendBuffer.read(start, length) }];
  record.flags |= RecordFlags.AttachedData;
}
