// VMBus protocol versions (core.md §5.1): major << 16 | minor.

import type { ValueStrings } from "../describe/types.js";

export const versionName: ValueStrings = {
  0x0000000d: "0.13 (Windows Server 2008)",
  0x00010001: "1.1 (Windows 7 / WS2008 R2)",
  0x00020004: "2.4 (Windows 8 / WS2012)",
  0x00030000: "3.0 (Windows 8.1 / WS2012 R2)",
  0x00040000: "4.0 (Windows 10 / WS2016)",
  0x00040001: "4.1 (Windows 10 RS3)",
  0x00050000: "5.0 (Windows 10 RS3, multi-client)",
  0x00050001: "5.1 (Windows 10 RS4)",
  0x00050002: "5.2 (Windows Server 2019)",
  0x00050003: "5.3 (Windows Server 2022)",
  0x00060000: "6.0 (Copper)",
};

export const versionText = (value: number): string => `${value >>> 16}.${value & 0xffff}`;
