// Small bounded tables (devices, fields, statistics) through cli-table3, coloured only via our switch.

import Table from "cli-table3";

export function renderTable(head: string[], rows: string[][]): string {
  const table = new Table({ head, style: { head: [], border: [] }, wordWrap: true });
  for (const row of rows) table.push(row);
  return table.toString();
}
