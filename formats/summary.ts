// The default output: one line per record, like tshark's packet list.

import { isRecovered } from "../capture/record.js";
import type { Dissection } from "../dissectors/dissect.js";
import { escapeText } from "./escape.js";
import { channelText, directionText, protocolText } from "./record-meta.js";
import type { Style } from "./style.js";
import type { TimeColumn } from "./time.js";

export function summaryLine(dissection: Dissection, time: TimeColumn, style: Style): string {
  const { record } = dissection;
  const device = dissection.device?.short ?? "";
  const marks = (isRecovered(record) ? style.dim(" [recovered]") : "") + (dissection.malformed ? style.error(" [Malformed]") : "");
  const columns = [
    String(record.origin.number).padStart(6),
    time.text(record.timestampNs).padStart(12),
    directionText(record.direction).padEnd(3),
    channelText(dissection).padEnd(9),
    device.padEnd(9),
    protocolText(dissection).padEnd(6),
  ];
  return `${columns.join(" ")} ${escapeText(dissection.info)}${marks}`;
}
