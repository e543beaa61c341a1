// Value names of the storage protocol (net-storage.md Part B and Part C), shared by vstor and vscsi.

import type { ValueStrings } from "../describe/types.js";

/** B2.1: vstor operations (Linux names; 14 only in OpenVMM/MSVM). */
export const vstorOperations: ValueStrings = {
  1: "COMPLETE_IO", 2: "REMOVE_DEVICE", 3: "EXECUTE_SRB", 4: "RESET_LUN", 5: "RESET_ADAPTER", 6: "RESET_BUS",
  7: "BEGIN_INITIALIZATION", 8: "END_INITIALIZATION", 9: "QUERY_PROTOCOL_VERSION", 10: "QUERY_PROPERTIES",
  11: "ENUMERATE_BUS", 12: "FCHBA_DATA", 13: "CREATE_SUB_CHANNELS", 14: "EVENT_NOTIFICATION",
};

/** B2.2: NTSTATUS values the storage host returns. */
export const ntStatus: ValueStrings = {
  0x00000000: "STATUS_SUCCESS", 0x80000005: "STATUS_BUFFER_OVERFLOW", 0x80000011: "STATUS_DEVICE_BUSY",
  0xc0000001: "STATUS_UNSUCCESSFUL", 0xc000000d: "STATUS_INVALID_PARAMETER", 0xc0000010: "STATUS_INVALID_DEVICE_REQUEST",
  0xc0000059: "STATUS_REVISION_MISMATCH", 0xc000009d: "STATUS_DEVICE_NOT_CONNECTED", 0xc00000b5: "STATUS_IO_TIMEOUT",
  0xc00000c0: "STATUS_DEVICE_DOES_NOT_EXIST", 0xc0000120: "STATUS_CANCELLED", 0xc0000184: "STATUS_INVALID_DEVICE_STATE",
  0xc0000185: "STATUS_IO_DEVICE_ERROR",
};

/** B1: protocol versions (major << 8 | minor). */
export const vstorVersions: ValueStrings = {
  0x0001: "0.1 (Win2k8 V1 beta)", 0x0100: "1.0 (Win2k8 RC)", 0x0200: "2.0 (WIN6, Windows Server 2008)",
  0x0300: "3.0 (reserved)", 0x0400: "4.0 (Win7 beta)", 0x0402: "4.2 (WIN7, 2008 R2)", 0x0500: "5.0 (Win8 M3)",
  0x0501: "5.1 (WIN8, 2012)", 0x0600: "6.0 (BLUE / WIN8_1, 2012 R2)", 0x0602: "6.2 (WIN10 / THRESHOLD, 2016)",
  0xffff: "invalid",
};

export const versionText = (version: number): string => `${version >> 8}.${version & 0xff}`;

/** B4.1: SRB status, low 6 bits; the byte's values table covers both flag bits too. */
const srbStatusCodes: Record<number, string> = {
  0x00: "PENDING", 0x01: "SUCCESS", 0x02: "ABORTED", 0x03: "ABORT_FAILED", 0x04: "ERROR", 0x05: "BUSY",
  0x06: "INVALID_REQUEST", 0x07: "INVALID_PATH_ID", 0x08: "NO_DEVICE", 0x09: "TIMEOUT", 0x0a: "SELECTION_TIMEOUT",
  0x0b: "COMMAND_TIMEOUT", 0x0d: "MESSAGE_REJECTED", 0x0e: "BUS_RESET", 0x0f: "PARITY_ERROR",
  0x10: "REQUEST_SENSE_FAILED", 0x11: "NO_HBA", 0x12: "DATA_OVERRUN", 0x13: "UNEXPECTED_BUS_FREE",
  0x14: "PHASE_SEQUENCE_FAILURE", 0x15: "BAD_SRB_BLOCK_LENGTH", 0x16: "REQUEST_FLUSHED", 0x20: "INVALID_LUN",
  0x21: "INVALID_TARGET_ID", 0x22: "BAD_FUNCTION", 0x23: "ERROR_RECOVERY", 0x24: "NOT_POWERED", 0x25: "LINK_DOWN",
  0x30: "INTERNAL_ERROR (Linux)",
};
export const srbStatus: ValueStrings = Object.fromEntries(
  Array.from({ length: 256 }, (_, byte) => {
    const name = srbStatusCodes[byte & 0x3f];
    return name === undefined ? undefined : [byte, name];
  }).filter((entry): entry is [number, string] => entry !== undefined),
);
export const srbStatusBits = [
  { mask: 0x40, key: "queue_frozen", label: "QUEUE_FROZEN" },
  { mask: 0x80, key: "autosense_valid", label: "AUTOSENSE_VALID" },
];

/** B4.2 */
export const srbFlagBits = [
  { mask: 0x00000002, key: "queue_action_enable", label: "QUEUE_ACTION_ENABLE" },
  { mask: 0x00000004, key: "disable_disconnect", label: "DISABLE_DISCONNECT" },
  { mask: 0x00000008, key: "disable_synch_transfer", label: "DISABLE_SYNCH_TRANSFER" },
  { mask: 0x00000010, key: "bypass_frozen_queue", label: "BYPASS_FROZEN_QUEUE" },
  { mask: 0x00000020, key: "disable_autosense", label: "DISABLE_AUTOSENSE" },
  { mask: 0x00000040, key: "data_in", label: "DATA_IN" },
  { mask: 0x00000080, key: "data_out", label: "DATA_OUT" },
  { mask: 0x00000100, key: "no_queue_freeze", label: "NO_QUEUE_FREEZE" },
  { mask: 0x00000200, key: "adapter_cache_enable", label: "ADAPTER_CACHE_ENABLE" },
  { mask: 0x00000400, key: "free_sense_buffer", label: "FREE_SENSE_BUFFER" },
  { mask: 0x00000800, key: "d3_processing", label: "D3_PROCESSING" },
  { mask: 0x00008000, key: "ms_special_behavior", label: "MS_SPECIAL_BEHAVIOR" },
  { mask: 0x00010000, key: "is_active", label: "IS_ACTIVE" },
  { mask: 0x00020000, key: "allocated_from_zone", label: "ALLOCATED_FROM_ZONE" },
  { mask: 0x00040000, key: "sglist_from_pool", label: "SGLIST_FROM_POOL" },
  { mask: 0x00080000, key: "bypass_locked_queue", label: "BYPASS_LOCKED_QUEUE" },
  { mask: 0x00100000, key: "no_keep_awake", label: "NO_KEEP_AWAKE" },
  { mask: 0x00200000, key: "port_driver_allocsense", label: "PORT_DRIVER_ALLOCSENSE" },
  { mask: 0x00400000, key: "port_driver_sensehasport", label: "PORT_DRIVER_SENSEHASPORT" },
  { mask: 0x00800000, key: "dont_start_next_packet", label: "DONT_START_NEXT_PACKET" },
  { mask: 0x0f000000, key: "port_driver_reserved", label: "PORT_DRIVER_RESERVED (mask)" },
  { mask: 0xf0000000, key: "class_driver_reserved", label: "CLASS_DRIVER_RESERVED (mask)" },
];

export const dataDirections: ValueStrings = { 0: "WRITE_TYPE (data out)", 1: "READ_TYPE (data in)", 2: "UNKNOWN_TYPE (no data)" };

export const queueActions: ValueStrings = { 0x20: "SIMPLE_TAG", 0x21: "HEAD_OF_QUEUE_TAG (unconfirmed)", 0x22: "ORDERED_TAG (unconfirmed)" };

/** C4 */
export const scsiStatus: ValueStrings = {
  0x00: "GOOD", 0x02: "CHECK CONDITION", 0x04: "CONDITION MET", 0x08: "BUSY", 0x10: "INTERMEDIATE",
  0x14: "INTERMEDIATE-CONDITION MET", 0x18: "RESERVATION CONFLICT", 0x22: "COMMAND TERMINATED",
  0x28: "TASK SET FULL", 0x30: "ACA ACTIVE", 0x40: "TASK ABORTED",
};

/** C1 */
export const scsiOpcodes: ValueStrings = {
  0x00: "TEST UNIT READY", 0x03: "REQUEST SENSE", 0x04: "FORMAT UNIT", 0x08: "READ(6)", 0x0a: "WRITE(6)",
  0x12: "INQUIRY", 0x15: "MODE SELECT(6)", 0x16: "RESERVE(6)", 0x17: "RELEASE(6)", 0x1a: "MODE SENSE(6)",
  0x1b: "START STOP UNIT", 0x1c: "RECEIVE DIAGNOSTIC RESULTS", 0x1d: "SEND DIAGNOSTIC",
  0x1e: "PREVENT ALLOW MEDIUM REMOVAL", 0x23: "READ FORMAT CAPACITIES", 0x24: "SET WINDOW", 0x25: "READ CAPACITY(10)",
  0x28: "READ(10)", 0x2a: "WRITE(10)", 0x2b: "SEEK(10)", 0x2e: "WRITE AND VERIFY(10)", 0x2f: "VERIFY(10)",
  0x35: "SYNCHRONIZE CACHE(10)", 0x3b: "WRITE BUFFER", 0x3c: "READ BUFFER", 0x41: "WRITE SAME(10)",
  0x42: "UNMAP", 0x43: "READ TOC", 0x46: "GET CONFIGURATION", 0x4a: "GET EVENT STATUS NOTIFICATION",
  0x4d: "LOG SENSE", 0x55: "MODE SELECT(10)", 0x56: "RESERVE(10)", 0x57: "RELEASE(10)", 0x5a: "MODE SENSE(10)",
  0x5e: "PERSISTENT RESERVE IN", 0x5f: "PERSISTENT RESERVE OUT", 0x83: "EXTENDED COPY / ODX (0x83)",
  0x84: "RECEIVE COPY RESULTS / ODX (0x84)", 0x85: "ATA PASS-THROUGH(16)", 0x88: "READ(16)",
  0x89: "COMPARE AND WRITE", 0x8a: "WRITE(16)", 0x8e: "WRITE AND VERIFY(16)", 0x8f: "VERIFY(16)",
  0x91: "SYNCHRONIZE CACHE(16)", 0x93: "WRITE SAME(16)", 0x9e: "SERVICE ACTION IN(16)", 0xa0: "REPORT LUNS",
  0xa1: "ATA PASS-THROUGH(12) / BLANK", 0xa2: "SECURITY PROTOCOL IN", 0xa3: "MAINTENANCE IN", 0xa8: "READ(12)",
  0xaa: "WRITE(12)", 0xaf: "VERIFY(12)", 0xb5: "SECURITY PROTOCOL OUT",
};

export const serviceActionsIn16: ValueStrings = { 0x10: "READ CAPACITY(16)", 0x12: "GET LBA STATUS" };
export const maintenanceInActions: ValueStrings = {
  0x0a: "REPORT TARGET PORT GROUPS", 0x0c: "REPORT SUPPORTED OPERATION CODES", 0x0d: "REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS",
};
export const prInActions: ValueStrings = { 0: "READ KEYS", 1: "READ RESERVATION", 2: "REPORT CAPABILITIES", 3: "READ FULL STATUS" };
export const prOutActions: ValueStrings = {
  0: "REGISTER", 1: "RESERVE", 2: "RELEASE", 3: "CLEAR", 4: "PREEMPT", 5: "PREEMPT AND ABORT",
  6: "REGISTER AND IGNORE EXISTING KEY", 7: "REGISTER AND MOVE", 8: "REPLACE LOST RESERVATION",
};
const prTypes: Record<number, string> = {
  1: "Write Exclusive", 3: "Exclusive Access", 5: "Write Exclusive, Registrants Only", 6: "Exclusive Access, Registrants Only",
  7: "Write Exclusive, All Registrants", 8: "Exclusive Access, All Registrants",
};
/** PR OUT byte 2: scope (bits 7-4) and type (bits 3-0). */
export const prScopeType: ValueStrings = Object.fromEntries(
  Array.from({ length: 256 }, (_, b) => [b, `scope ${b >> 4 === 0 ? "LU" : b >> 4}, ${prTypes[b & 0xf] ?? (b & 0xf ? `type ${b & 0xf}` : "no type")}`]),
);

export const vpdPages: ValueStrings = {
  0x00: "Supported VPD pages", 0x80: "Unit serial number", 0x83: "Device identification", 0x8f: "Third-party copy",
  0xb0: "Block limits", 0xb1: "Block device characteristics", 0xb2: "Logical block provisioning",
  0xce: "Microsoft paging extent properties", 0xcf: "Microsoft virtual device properties",
};

export const modePages: Record<number, string> = {
  0x01: "read/write error recovery", 0x02: "disconnect-reconnect", 0x03: "format device", 0x04: "rigid disk geometry",
  0x05: "flexible disk / CD write parameters", 0x07: "verify error recovery", 0x08: "caching", 0x09: "peripheral",
  0x0a: "control", 0x0b: "medium types", 0x0c: "notch", 0x0e: "CD audio", 0x0f: "data compression",
  0x10: "device configuration", 0x11: "medium partition", 0x14: "enclosure services", 0x15: "extended",
  0x16: "extended device-specific", 0x18: "protocol-specific LUN", 0x19: "protocol-specific port", 0x1a: "power condition",
  0x1b: "LUN mapping", 0x1c: "informational exceptions", 0x1d: "CD/DVD inactivity timeout / element address",
  0x1e: "transport geometry", 0x1f: "device capabilities", 0x2a: "CD capabilities", 0x3f: "all pages",
};
const pageControls = ["current", "changeable", "default", "saved"];
/** MODE SENSE byte 2: PC (bits 7-6) and page code (bits 5-0). */
export const modeSensePage: ValueStrings = Object.fromEntries(
  Array.from({ length: 256 }, (_, b) => [b, `${pageControls[b >> 6]} values, ${modePages[b & 0x3f] ?? `page 0x${(b & 0x3f).toString(16)}`}`]),
);
/** A mode page's first byte: PS (bit 7), SPF (bit 6), page code (bits 5-0). */
export const modePageByte: ValueStrings = Object.fromEntries(
  Array.from({ length: 256 }, (_, b) => [b, modePages[b & 0x3f] ?? `page 0x${(b & 0x3f).toString(16)}`]),
);

const deviceTypes: Record<number, string> = {
  0x00: "direct-access block device (disk)", 0x01: "sequential-access (tape)", 0x05: "CD/DVD", 0x07: "optical memory",
  0x08: "medium changer", 0x0c: "storage array controller", 0x0d: "enclosure services", 0x0e: "simplified direct-access",
  0x1f: "unknown or no device type",
};
const qualifiers = ["connected", "not connected", "reserved qualifier", "not supported"];
/** INQUIRY/VPD byte 0: peripheral qualifier (bits 7-5) and device type (bits 4-0). */
export const peripheral: ValueStrings = Object.fromEntries(
  Array.from({ length: 256 }, (_, b) => [b, `${deviceTypes[b & 0x1f] ?? `device type 0x${(b & 0x1f).toString(16)}`}, ${qualifiers[b >> 5] ?? `qualifier ${b >> 5}`}`]),
);
export const inquiryVersions: ValueStrings = { 0: "no standard claimed", 3: "SPC", 4: "SPC-2", 5: "SPC-3", 6: "SPC-4", 7: "SPC-5" };

const protocolIds = ["FC", "parallel SCSI", "SSA", "IEEE 1394", "SRP", "iSCSI", "SAS", "ADT", "ATA", "UAS", "SOP", "PCIe", "proto 0xc", "proto 0xd", "proto 0xe", "no protocol"];
const codeSets: Record<number, string> = { 1: "binary", 2: "ASCII", 3: "UTF-8" };
/** Designation descriptor byte 0: protocol identifier (7-4), code set (3-0). */
export const protocolCodeSet: ValueStrings = Object.fromEntries(
  Array.from({ length: 256 }, (_, b) => [b, `${codeSets[b & 0xf] ?? `code set ${b & 0xf}`}, ${protocolIds[b >> 4]}`]),
);
const associations = ["logical unit", "target port", "target device", "reserved association"];
const designatorTypes = ["vendor specific", "T10 vendor ID", "EUI-64", "NAA", "relative target port", "target port group", "LU group", "MD5 LU id", "SCSI name string", "protocol-specific port", "UUID"];
/** Designation descriptor byte 1: PIV (7), association (5-4), designator type (3-0). */
export const associationType: ValueStrings = Object.fromEntries(
  Array.from({ length: 256 }, (_, b) => [b, `${designatorTypes[b & 0xf] ?? `type ${b & 0xf}`}, ${associations[(b >> 4) & 3]}${b & 0x80 ? ", PIV" : ""}`]),
);

/** C5.3 */
export const senseKeys: ValueStrings = {
  0x0: "NO SENSE", 0x1: "RECOVERED ERROR", 0x2: "NOT READY", 0x3: "MEDIUM ERROR", 0x4: "HARDWARE ERROR",
  0x5: "ILLEGAL REQUEST", 0x6: "UNIT ATTENTION", 0x7: "DATA PROTECT", 0x8: "BLANK CHECK", 0x9: "VENDOR SPECIFIC",
  0xa: "COPY ABORTED", 0xb: "ABORTED COMMAND", 0xc: "EQUAL (obsolete)", 0xd: "VOLUME OVERFLOW", 0xe: "MISCOMPARE",
  0xf: "COMPLETED (SPC-5; reserved before)",
};

/** C5.4: ASC << 8 | ASCQ. */
const ascAscqList: Record<number, string> = {
  0x0000: "No additional sense information", 0x0400: "Logical unit not ready, cause not reportable",
  0x0401: "Logical unit is in process of becoming ready", 0x0402: "Logical unit not ready, initializing command required",
  0x0403: "Logical unit not ready, manual intervention required", 0x0404: "Logical unit not ready, format in progress",
  0x0800: "Logical unit communication failure", 0x0c00: "Write error", 0x1001: "Logical block guard check failed",
  0x1100: "Unrecovered read error", 0x1a00: "Parameter list length error", 0x1d00: "Miscompare during verify operation",
  0x2000: "Invalid command operation code", 0x2100: "Logical block address out of range", 0x2400: "Invalid field in CDB",
  0x2500: "Logical unit not supported", 0x2600: "Invalid field in parameter list", 0x2700: "Write protected",
  0x2800: "Not ready to ready change, medium may have changed", 0x2900: "Power on, reset, or bus device reset occurred",
  0x2901: "Power on occurred", 0x2902: "SCSI bus reset occurred", 0x2903: "Bus device reset function occurred",
  0x2904: "Device internal reset", 0x2a01: "Mode parameters changed", 0x2a03: "Reservations preempted",
  0x2a04: "Reservations released", 0x2a05: "Registrations preempted", 0x2a09: "Capacity data has changed",
  0x2c00: "Command sequence error", 0x3000: "Incompatible medium installed", 0x3002: "Cannot read medium - incompatible format",
  0x3807: "Thin provisioning soft threshold reached", 0x3a00: "Medium not present", 0x3a01: "Medium not present - tray closed",
  0x3a02: "Medium not present - tray open", 0x3e00: "Logical unit has not self-configured yet",
  0x3f00: "Target operating conditions have changed", 0x3f03: "Inquiry data has changed", 0x3f0e: "Reported LUNs data has changed",
  0x4400: "Internal target failure", 0x5302: "Medium removal prevented", 0x5503: "Insufficient resources",
  0x5d00: "Failure prediction threshold exceeded",
};
export const ascAscq: ValueStrings = (() => {
  const table: Record<number, string> = {};
  for (let q = 0; q < 256; q++) table[0x3f00 | q] = "Target operating conditions have changed (other)";
  return Object.assign(table, ascAscqList);
})();

export const senseResponseCodes: ValueStrings = {
  0x70: "fixed, current", 0x71: "fixed, deferred", 0x72: "descriptor, current", 0x73: "descriptor, deferred",
  0xf0: "fixed, current (INFORMATION valid)", 0xf1: "fixed, deferred (INFORMATION valid)",
};
export const senseDescriptorTypes: ValueStrings = {
  0x00: "information", 0x01: "command-specific information", 0x02: "sense-key specific", 0x03: "field replaceable unit",
  0x04: "stream commands", 0x05: "block commands", 0x09: "ATA status return",
};
