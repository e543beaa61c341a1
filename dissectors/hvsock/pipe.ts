// The VMBus pipe header (core.md §7.1, devices.md §2.1): an 8-byte header at the start of the
// payload of in-band packets on pipe channels (hv_sock, vmbfs, GET, serial, crash dump).
// Offsets in the comments are from the start of the ring packet's payload.

import { bytes, enumOf, gt, hasBytes, ne, peek, ref, remaining, u32 } from "../describe/dsl.js";
import type { Field, StructDescription, ValueStrings } from "../describe/types.js";

/** mu_msvm VMPIPE_PROTOCOL_MESSAGE_TYPE (core.md §7.1). */
export const pipeMessageTypes: ValueStrings = {
  0: "Invalid", 1: "Data", 2: "Partial", 3: "SetupGpaDirect", 4: "TeardownGpaDirect", 5: "IndicationComplete",
};

export const PIPE_DATA = 1;
export const MAX_PIPE_PAYLOAD = 16384;

/**
 * The pipe header as the device protocols see it (prefix "pipe"): type, then the number of data
 * bytes that follow. Devices decode `data_size` bytes after it and show the rest as padding.
 */
export const pipeHeader: StructDescription = {
  name: "PipeHeader", key: "pipe", prefix: "pipe", label: "Pipe header", size: 8,
  fields: [
    enumOf("u32", pipeMessageTypes)("type", "Pipe message type"),
    u32("data_size", "Data size (bytes after this header)", { unit: "bytes" }),
  ],
  checks: [
    { fails: ne(ref("type"), PIPE_DATA), field: "type", text: "pipe message type {type} on a device channel (devices decode only type 1, Data)" },
    { fails: gt(ref("data_size"), remaining), field: "data_size", text: "pipe data size {data_size:raw} runs past the packet" },
  ],
};

/** The pipe data size, read from the packet struct that holds the pipe header at its start. */
export const pipeDataLength = peek("u32", 4);

/** The bytes after the device message, up to the packet's 8-byte padding. */
export const trailingPadding = (): Field => bytes("padding", "Padding", "rest", { when: hasBytes(1) });

/** The data size of an in-band payload that starts with a pipe Data header whose size fits; undefined otherwise. */
export function pipeDataSize(payload: Uint8Array, packetType: number): number | undefined {
  if (packetType !== 6 || payload.length < 8) return undefined;
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const size = view.getUint32(4, true);
  if (view.getUint32(0, true) !== PIPE_DATA || size > MAX_PIPE_PAYLOAD || 8 + size > payload.length) return undefined;
  return size;
}

export const u32At = (payload: Uint8Array, at: number): number | undefined =>
  payload.length >= at + 4 ? new DataView(payload.buffer, payload.byteOffset, payload.byteLength).getUint32(at, true) : undefined;
