// Which reader a capture needs, from its first bytes.
import type { CaptureInput } from "./input.js";
import { readPcap } from "./pcap-reader.js";
import { readPcapng, type CaptureReadOptions } from "./pcapng-reader.js";
import { CaptureError, type VmbusRecord } from "./record.js";

const PCAPNG_SECTION_HEADER = [0x0a, 0x0d, 0x0d, 0x0a];
const PCAP_MAGICS = [0xa1b2c3d4, 0xa1b23c4d];

/** Needs at least the first 4 bytes. */
export function chooseFormat(firstBytes: Uint8Array): "pcapng" | "pcap" | "unknown" {
  if (firstBytes.length < 4) return "unknown";
  if (PCAPNG_SECTION_HEADER.every((byte, index) => firstBytes[index] === byte)) return "pcapng";
  const view = new DataView(firstBytes.buffer, firstBytes.byteOffset, 4);
  const magics = [view.getUint32(0, true), view.getUint32(0, false)];
  if (magics.some((magic) => PCAP_MAGICS.includes(magic))) return "pcap";
  return "unknown";
}

/** Records of a pcapng or pcap input, whichever it is; CaptureError when it is neither. */
export async function* readCapture(input: CaptureInput, options: CaptureReadOptions = {}): AsyncGenerator<VmbusRecord> {
  const format = chooseFormat(await input.peek(4));
  if (format === "pcapng") yield* readPcapng(input, options);
  else if (format === "pcap") yield* readPcap(input, options);
  else throw new CaptureError(input.name, 0, "neither pcapng nor pcap (unrecognised first bytes)");
}
