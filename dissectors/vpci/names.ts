// Names of PCI functions commonly passed through to Hyper-V guests (vendor:device), for summaries.
// Device names follow the PCI ID repository's wording where known; shown as a generated field.

import type { ValueStrings } from "../describe/types.js";

const namesByText: Readonly<Record<string, string>> = {
  "15b3:1004": "Mellanox ConnectX-3 VF",
  "15b3:1016": "Mellanox ConnectX-4 Lx VF",
  "15b3:1018": "Mellanox ConnectX-5 VF",
  "15b3:101a": "Mellanox ConnectX-5 Ex VF",
  "15b3:101c": "Mellanox ConnectX-6 VF",
  "15b3:101e": "Mellanox ConnectX Family mlx5Gen VF", // the generic VF id of ConnectX-6 Dx and later (pci.ids); ConnectX-5 VF is 1018
  "1414:00ba": "Microsoft MANA VF",
  "1414:00b9": "Microsoft MANA PF",
  "1414:00c1": "Microsoft MANA PF",
  "1414:b111": "Microsoft Azure Boost NVMe",
  "10de:1db4": "NVIDIA Tesla V100 PCIe 16GB",
  "10de:1db5": "NVIDIA Tesla V100 SXM2 32GB",
  "10de:1eb8": "NVIDIA Tesla T4",
  "10de:20b0": "NVIDIA A100 SXM4 40GB",
  "10de:20b5": "NVIDIA A100 80GB PCIe",
  "10de:2330": "NVIDIA H100 SXM5 80GB",
  "10de:2331": "NVIDIA H100 PCIe",
  "10de:13f2": "NVIDIA Tesla M60",
  "10de:15f8": "NVIDIA Tesla P100 PCIe 16GB",
  "1002:7460": "AMD Radeon Instinct MI25 MxGPU",
  "8086:154c": "Intel X710/XL710 VF",
  "8086:1889": "Intel E810 VF (iavf)",
};

/** The names keyed by (vendor << 16) | device, as the description computes the key. */
export const pciDeviceNames: ValueStrings = Object.fromEntries(
  Object.entries(namesByText).map(([id, name]) => [parseInt(id.replace(":", ""), 16), name]),
);
