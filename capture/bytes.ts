// Little-endian integers read straight from bytes (no DataView per read), and the 4-byte padding
// that pcapng blocks, options and the capture contract's chunks share.

export const u16At = (bytes: Uint8Array, at: number): number => bytes[at] | (bytes[at + 1] << 8);

export const u32At = (bytes: Uint8Array, at: number): number => (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24)) >>> 0;

/** A word as a signed 32-bit integer: compared as such, it stays a small integer in optimised code. */
export const i32At = (bytes: Uint8Array, at: number): number => bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24);

export const paddedTo4 = (length: number): number => length + ((4 - (length % 4)) % 4);
