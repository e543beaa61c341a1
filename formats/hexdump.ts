// -x: the bytes of each data source, 16 per line with offsets and printable ASCII, as tshark prints them.

import type { DataSource } from "../dissectors/tree.js";

const printable = (byte: number): string => (byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : ".");

export function hexDump(bytes: Uint8Array): string[] {
  const lines: string[] = [];
  for (let at = 0; at < bytes.length; at += 16) {
    const row = bytes.subarray(at, at + 16);
    const hex = Array.from(row, (b) => b.toString(16).padStart(2, "0"));
    const left = hex.slice(0, 8).join(" ");
    const right = hex.slice(8).join(" ");
    lines.push(`${at.toString(16).padStart(4, "0")}  ${left.padEnd(23)}  ${right.padEnd(23)}   ${Array.from(row, printable).join("")}`);
  }
  return lines;
}

export function hexDumpSources(sources: readonly DataSource[]): string[] {
  const lines: string[] = [];
  sources.forEach((source, index) => {
    if (sources.length > 1) lines.push(index === 0 ? "Frame:" : `${source.name[0].toUpperCase()}${source.name.slice(1)} (${source.bytes.length} bytes):`);
    lines.push(...hexDump(source.bytes));
  });
  return lines;
}
