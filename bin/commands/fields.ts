// `vmbus-dissect fields`: every registered field, like `tshark -G fields`.

import { allFields } from "../../dissectors/describe/fields.js";
import type { FieldInfo } from "../../dissectors/tree.js";
import "../../dissectors/index.js";

export function typeName(field: FieldInfo): string {
  switch (field.kind) {
    case "uint": case "int": return `${field.kind}${(field.width ?? 4) * 8}`;
    case "bit": return "boolean";
    case "struct": case "array": return "none";
    default: return field.kind;
  }
}

const protocolOf = (filter: string): string => filter.split(".")[0];

function fieldRow(field: FieldInfo): Record<string, unknown> {
  return {
    filter: field.filter,
    label: field.label,
    type: typeName(field),
    protocol: protocolOf(field.filter),
    base: field.base ?? (field.kind === "uint" || field.kind === "int" ? "dec" : null),
    mask: field.mask ?? null,
    description: field.description ?? null,
    values: field.values ?? null,
  };
}

/** Tab-separated like tshark -G fields: P rows for protocols, F rows for fields. */
function tsvLine(field: FieldInfo): string {
  if (field.kind === "protocol") return ["P", field.label, field.filter].join("\t");
  const mask = field.mask === undefined ? "0x0" : `0x${field.mask.toString(16)}`;
  return ["F", field.label, field.filter, typeName(field), protocolOf(field.filter), field.base ?? "", mask, field.description ?? ""].join("\t");
}

export function fieldsOutput(format: "text" | "json"): string {
  const fields = allFields();
  if (format === "json") return JSON.stringify(fields.map(fieldRow), null, 2);
  return fields.map(tsvLine).join("\n");
}
