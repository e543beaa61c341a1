// `vmbus-dissect devices`: the device registry as a table, or JSON.

import { allDevices, decodingStatus, HV_SOCKET } from "../../dissectors/devices.js";
import "../../dissectors/index.js";
import { renderTable } from "../../formats/tables.js";

export function devicesOutput(format: "text" | "json"): string {
  const devices = [...allDevices(), HV_SOCKET];
  if (format === "json") {
    return JSON.stringify(devices.map((d) => ({
      short: d.short, name: d.name, class_guid: d.guid || null, also_known_as: d.alsoKnownAs ?? null,
      linux_define: d.linuxDefine ?? null, aliases: d.aliases ?? [], public_specification: d.specification === "public",
      decoded: d.protocol !== undefined, status: decodingStatus(d),
    })), null, 2);
  }
  const rows = devices.map((d) => [
    d.short, d.alsoKnownAs ? `${d.name}\n(${d.alsoKnownAs})` : d.name, d.guid || "(offer flag 0x2000)", decodingStatus(d),
  ]);
  return renderTable(["short", "device", "class GUID", "what is decoded"], rows);
}
