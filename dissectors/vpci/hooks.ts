// The hand-written part of the vPCI dissector: a function's "vendor:device" id and its name as
// generated fields (the summary template has no plain-hex form and computed fields take no name table).

import { registerField } from "../describe/fields.js";
import { registerHooks } from "../hooks.js";
import type { FieldInfo, FieldValue, TreeNode } from "../tree.js";
import { hex4, pciDeviceNames } from "./names.js";
import { pciVendors } from "./vpci.js";

const pciId = registerField({ filter: "vpci.dev.pci_id", label: "PCI id (vendor:device)", kind: "string" });
const deviceName = registerField({ filter: "vpci.dev.device_name", label: "Device name", kind: "string" });

const generated = (node: TreeNode, field: FieldInfo, value: FieldValue): TreeNode =>
  ({ field, value, offset: node.offset, length: 0, source: node.source, generated: true });

registerHooks(() => ({
  "vpci.device_name": (scope, _context, node) => {
    const vendor = scope.values.vendor_id;
    const device = scope.values.device_id;
    if (typeof vendor !== "number" || typeof device !== "number") return;
    const id = `${hex4(vendor)}:${hex4(device)}`;
    node.children!.push(generated(node, pciId, id));
    node.children!.push(generated(node, deviceName, pciDeviceNames[id] ?? (pciVendors[vendor] ? `${pciVendors[vendor]} device` : "unknown device")));
  },
}));
