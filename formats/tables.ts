// Small bounded tables (devices, fields, statistics) through cli-table3, coloured only via our switch.

import Table from "cli-table3";

/** No rule between rows: long tables (statistics) stay readable. */
const COMPACT = { mid: "", "left-mid": "", "mid-mid": "", "right-mid": "" };

export function renderTable(head: string[], rows: string[][], options: { compact?: boolean } = {}): string {
  const table = new Table({ head, style: { head: [], border: [] }, wordWrap: true, ...(options.compact ? { chars: COMPACT } : {}) });
  for (const row of rows) table.push(row);
  return table.toString();
}
