// Device payloads for the samples. The network protocol (NVSP) is not described yet (issue 3), so its
// messages are written as their little-endian u32 fields: message type, then the body's words.

export function nvspBytes(messageType: number, words: readonly number[]): Uint8Array {
  const bytes = new Uint8Array(4 * (1 + words.length));
  const view = new DataView(bytes.buffer);
  view.setUint32(0, messageType, true);
  words.forEach((word, index) => view.setUint32(4 * (index + 1), word >>> 0, true));
  return bytes;
}
