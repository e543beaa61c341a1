// SCSI commands carried by vstor EXECUTE_SRB (net-storage.md Part C): the CDB, decoded by opcode.
// Protocol filter name "vscsi" (Wireshark's own "scsi" is left alone). All fields are big-endian.

import { DATA_KEY_STATE } from "./vstor.js";
import {
  add, and, bitAnd, bytes, choice, enumOf, eq, flagsOf, hex, mul, mux, ne, or, peek, ref, reserved, u16be, u24be, u32be, u64be, u8,
} from "../describe/dsl.js";
import type { BitDescription, Field, StructDescription } from "../describe/types.js";
import {
  maintenanceInActions, modeSensePage, prInActions, prOutActions, prScopeType, scsiOpcodes, serviceActionsIn16, vpdPages,
} from "./names.js";

const P = "vscsi";
const control = flagsOf("u8", [{ mask: 0x04, key: "naca", label: "NACA" }, { mask: 0x01, key: "link", label: "LINK" }])("control", "Control");
const bits = (...list: [number, string, string][]): BitDescription[] => list.map(([mask, key, label]) => ({ mask, key, label }));

const cdb = (name: string, key: string, fields: Field[], info?: string): StructDescription =>
  ({ name, key, prefix: `${P}.${key}`, label: "CDB fields", fields: [...fields, control], info });

const rwBits = bits([0x80, "protect2", "PROTECT bit 2"], [0x40, "protect1", "PROTECT bit 1"], [0x20, "protect0", "PROTECT bit 0"],
  [0x10, "dpo", "DPO"], [0x08, "fua", "FUA"], [0x02, "fua_nv", "FUA_NV (obsolete) / VERIFY BYTCHK bit 1"], [0x01, "reladr", "RELADR (obsolete)"]);
const rwFlags = flagsOf("u8", rwBits)("flags", "Flags");
const group = hex("u8")("group", "Group number");
const lba32 = u32be("lba", "Logical block address");
const lba64 = u64be("lba", "Logical block address");
const len16 = u16be("transfer_length", "Transfer length", { unit: "blocks" });
const len32 = u32be("transfer_length", "Transfer length", { unit: "blocks" });
const alloc8 = u8("allocation_length", "Allocation length", { unit: "bytes" });
const alloc16 = u16be("allocation_length", "Allocation length", { unit: "bytes" });
const alloc32 = u32be("allocation_length", "Allocation length", { unit: "bytes" });
const param8 = u8("parameter_list_length", "Parameter list length", { unit: "bytes" });
const param16 = u16be("parameter_list_length", "Parameter list length", { unit: "bytes" });
const param32 = u32be("parameter_list_length", "Parameter list length", { unit: "bytes" });
const res = (n: number, key = `reserved${n}`): Field => bytes(key, "Reserved", n);
const serviceAction = (values: Record<number, string>) => enumOf("u8", values)("service_action", "Service action", { base: "hex" });

const rw6 = (name: string, key: string) => cdb(name, key, [
  u24be("lba", "Logical block address (21 bits; bits 23-21 reserved)"),
  u8("transfer_length", "Transfer length (0 = 256)", { unit: "blocks" }),
], "LBA {lba:raw} len {transfer_length:raw}");
const rw10 = (name: string, key: string) => cdb(name, key, [rwFlags, lba32, group, len16], "LBA {lba:raw} len {transfer_length:raw}");
const rw12 = (name: string, key: string) => cdb(name, key, [rwFlags, lba32, len32, group], "LBA {lba:raw} len {transfer_length:raw}");
const rw16 = (name: string, key: string) => cdb(name, key, [rwFlags, lba64, len32, group], "LBA {lba:raw} len {transfer_length:raw}");

const read10 = rw10("READ(10)", "rw10");
const read12 = rw12("READ(12)", "rw12");
const read16 = rw16("READ(16)", "rw16");
const read6 = rw6("READ(6)", "rw6");

/** INQUIRY byte 2 is a VPD page code only with EVPD; otherwise it must be 0 (standard data). */
const inquiryStandard: StructDescription = {
  name: "InquiryStandard", key: "standard", prefix: `${P}.inquiry`, label: "Standard data requested",
  fields: [hex("u8")("page_code_zero", "Page code (0 without EVPD)", { expect: 0 })], info: "standard data",
};
const inquiryVpd: StructDescription = {
  name: "InquiryVpd", key: "vpd", prefix: `${P}.inquiry`, label: "VPD page requested",
  fields: [enumOf("u8", vpdPages)("page_code", "Page code", { base: "hex" })], info: "VPD {page_code}",
};
const inquiry = cdb("INQUIRY", "inquiry", [
  flagsOf("u8", bits([0x01, "evpd", "EVPD"], [0x02, "cmddt", "CMDDT (obsolete)"]))("flags", "Flags"),
  choice("page", "Page", bitAnd(ref("flags"), 1), { 0: inquiryStandard, 1: inquiryVpd }),
  alloc16,
]);

const modeSense6 = cdb("MODE SENSE(6)", "modesense6", [
  flagsOf("u8", bits([0x08, "dbd", "DBD (disable block descriptors)"]))("flags", "Flags"),
  enumOf("u8", modeSensePage)("page", "Page control / page code", { base: "hex" }),
  hex("u8")("subpage", "Subpage code"), alloc8,
], "{page}");
const modeSense10 = cdb("MODE SENSE(10)", "modesense10", [
  flagsOf("u8", bits([0x10, "llbaa", "LLBAA"], [0x08, "dbd", "DBD (disable block descriptors)"]))("flags", "Flags"),
  enumOf("u8", modeSensePage)("page", "Page control / page code", { base: "hex" }),
  hex("u8")("subpage", "Subpage code"), res(3), alloc16,
], "{page}");
const modeSelectBits = bits([0x10, "pf", "PF (page format)"], [0x01, "sp", "SP (save pages)"]);
const modeSelect6 = cdb("MODE SELECT(6)", "modeselect6", [flagsOf("u8", modeSelectBits)("flags", "Flags"), res(2), param8]);
const modeSelect10 = cdb("MODE SELECT(10)", "modeselect10", [flagsOf("u8", modeSelectBits)("flags", "Flags"), res(5), param16]);

const readCapacity10 = cdb("READ CAPACITY(10)", "readcap10", [
  reserved("u8"), lba32, res(2), flagsOf("u8", bits([0x01, "pmi", "PMI"]))("pmi", "PMI"),
]);
const serviceActionIn16 = cdb("SERVICE ACTION IN(16)", "sai16", [
  serviceAction(serviceActionsIn16), lba64, alloc32, flagsOf("u8", bits([0x01, "pmi", "PMI"]))("pmi", "PMI"),
], "{service_action}");
const maintenanceIn = cdb("MAINTENANCE IN", "maintin", [
  serviceAction(maintenanceInActions),
  flagsOf("u8", bits([0x80, "rctd", "RCTD"], [0x04, "options2", "Reporting options bit 2"], [0x02, "options1", "Reporting options bit 1"], [0x01, "options0", "Reporting options bit 0"]))("options", "Reporting options"),
  hex("u8")("requested_opcode", "Requested operation code"), hex("u16be")("requested_service_action", "Requested service action"),
  alloc32, reserved("u8"),
], "{service_action}");

const syncBits = bits([0x04, "sync_nv", "SYNC_NV (obsolete)"], [0x02, "immed", "IMMED"]);
const syncCache10 = cdb("SYNCHRONIZE CACHE(10)", "sync10", [flagsOf("u8", syncBits)("flags", "Flags"), lba32, group, u16be("blocks", "Number of blocks (0 = to the end)")], "LBA {lba:raw} blocks {blocks:raw}");
const syncCache16 = cdb("SYNCHRONIZE CACHE(16)", "sync16", [flagsOf("u8", syncBits)("flags", "Flags"), lba64, u32be("blocks", "Number of blocks (0 = to the end)"), group], "LBA {lba:raw} blocks {blocks:raw}");

const writeSameBits = bits([0x80, "protect2", "WRPROTECT bit 2"], [0x40, "protect1", "WRPROTECT bit 1"], [0x20, "protect0", "WRPROTECT bit 0"],
  [0x10, "anchor16", "ANCHOR (16)"], [0x08, "unmap", "UNMAP"], [0x04, "anchor10", "ANCHOR (10)"], [0x01, "ndob", "NDOB (16)"]);
const writeSame10 = cdb("WRITE SAME(10)", "ws10", [flagsOf("u8", writeSameBits)("flags", "Flags"), lba32, group, u16be("blocks", "Number of blocks")], "LBA {lba:raw} blocks {blocks:raw}");
const writeSame16 = cdb("WRITE SAME(16)", "ws16", [flagsOf("u8", writeSameBits)("flags", "Flags"), lba64, u32be("blocks", "Number of blocks"), group], "LBA {lba:raw} blocks {blocks:raw}");

const unmap = cdb("UNMAP", "unmap", [flagsOf("u8", bits([0x01, "anchor", "ANCHOR"]))("flags", "Flags"), res(4), group, param16], "param {parameter_list_length:raw}");

const startStop = cdb("START STOP UNIT", "startstop", [
  flagsOf("u8", bits([0x01, "immed", "IMMED"]))("flags", "Flags"), reserved("u8"),
  hex("u8")("power_condition_modifier", "Power condition modifier"),
  flagsOf("u8", bits([0x04, "no_flush", "NO_FLUSH"], [0x02, "loej", "LOEJ"], [0x01, "start", "START"]))("start", "Power condition (bits 7-4) / flags"),
], "{start:bits}");
const preventAllow = cdb("PREVENT ALLOW MEDIUM REMOVAL", "prevent", [res(3), enumOf("u8", { 0: "allow", 1: "prevent", 2: "persistent allow", 3: "persistent prevent" })("prevent", "Prevent")], "{prevent}");
const reportLuns = cdb("REPORT LUNS", "reportluns", [
  reserved("u8"), enumOf("u8", { 0: "all addressable LUNs", 1: "well-known LUNs", 2: "all LUNs" })("select_report", "Select report", { base: "hex" }),
  res(3), alloc32, reserved("u8"),
], "alloc {allocation_length:raw}");
const testUnitReady = cdb("TEST UNIT READY", "tur", [res(4)]);
const requestSense = cdb("REQUEST SENSE", "reqsense", [flagsOf("u8", bits([0x01, "desc", "DESC (descriptor format)"]))("flags", "Flags"), res(2), alloc8]);
const formatUnit = cdb("FORMAT UNIT", "format", [
  flagsOf("u8", bits([0x80, "fmtpinfo", "FMTPINFO"], [0x40, "rto_req", "RTO_REQ"], [0x20, "longlist", "LONGLIST"], [0x10, "fmtdata", "FMTDATA"], [0x08, "cmplst", "CMPLST"]))("flags", "Flags (bits 2-0: defect list format)"),
  hex("u8")("vendor_specific", "Vendor specific"), res(2),
]);
const reserve6 = (name: string, key: string) => cdb(name, key, [res(4, "obsolete")]);
const reserve10Bits = bits([0x10, "third_party", "3RDPTY"], [0x02, "longid", "LONGID"]);
const reserve10 = (name: string, key: string) => cdb(name, key, [
  flagsOf("u8", reserve10Bits)("flags", "Flags"),
  hex("u8")("obsolete", "Obsolete"), u8("third_party_id", "Third-party device id"), res(3), param16,
]);
const receiveDiagnostic = cdb("RECEIVE DIAGNOSTIC RESULTS", "recvdiag", [flagsOf("u8", bits([0x01, "pcv", "PCV"]))("flags", "Flags"), hex("u8")("page_code", "Page code"), alloc16]);
const sendDiagnostic = cdb("SEND DIAGNOSTIC", "senddiag", [
  flagsOf("u8", bits([0x10, "pf", "PF"], [0x04, "selftest", "SELFTEST"], [0x02, "devoffl", "DEVOFFL"], [0x01, "unitoffl", "UNITOFFL"]))("flags", "Self-test code (bits 7-5) / flags"),
  reserved("u8"), param16,
]);
const readFormatCapacities = cdb("READ FORMAT CAPACITIES", "readfmtcap", [res(6), alloc16]);
const seek10 = cdb("SEEK(10)", "seek10", [reserved("u8"), lba32, res(3)], "LBA {lba:raw}");
const buffer = (name: string, key: string) => cdb(name, key, [
  hex("u8")("mode", "Mode (bits 4-0)"), hex("u8")("buffer_id", "Buffer id"), hex("u24be")("buffer_offset", "Buffer offset"),
  u24be("length", "Parameter list / allocation length", { unit: "bytes" }),
]);
const verifyBits = bits([0x80, "protect2", "VRPROTECT bit 2"], [0x40, "protect1", "VRPROTECT bit 1"], [0x20, "protect0", "VRPROTECT bit 0"],
  [0x10, "dpo", "DPO"], [0x04, "bytchk1", "BYTCHK bit 1"], [0x02, "bytchk0", "BYTCHK bit 0"], [0x01, "reladr", "RELADR (obsolete)"]);
const verify10 = cdb("VERIFY(10)", "verify10", [flagsOf("u8", verifyBits)("flags", "Flags"), lba32, group, u16be("verification_length", "Verification length", { unit: "blocks" })], "LBA {lba:raw} len {verification_length:raw}");
const verify12 = cdb("VERIFY(12)", "verify12", [flagsOf("u8", verifyBits)("flags", "Flags"), lba32, u32be("verification_length", "Verification length", { unit: "blocks" }), group], "LBA {lba:raw} len {verification_length:raw}");
const verify16 = cdb("VERIFY(16)", "verify16", [flagsOf("u8", verifyBits)("flags", "Flags"), lba64, u32be("verification_length", "Verification length", { unit: "blocks" }), group], "LBA {lba:raw} len {verification_length:raw}");
const readToc = cdb("READ TOC", "readtoc", [flagsOf("u8", bits([0x02, "msf", "MSF"]))("flags", "Flags"), hex("u8")("format", "Format (bits 3-0)"), res(3), u8("track", "Track / session number"), alloc16]);
const getConfiguration = cdb("GET CONFIGURATION", "getconfig", [hex("u8")("rt", "RT (bits 1-0)"), hex("u16be")("starting_feature", "Starting feature number"), res(3), alloc16]);
const getEventStatus = cdb("GET EVENT STATUS NOTIFICATION", "getevent", [flagsOf("u8", bits([0x01, "polled", "POLLED"]))("flags", "Flags"), res(2), hex("u8")("notification_class", "Notification class request"), res(2), alloc16]);
const logSense = cdb("LOG SENSE", "logsense", [
  flagsOf("u8", bits([0x02, "ppc", "PPC (obsolete)"], [0x01, "sp", "SP"]))("flags", "Flags"),
  hex("u8")("page", "Page control (bits 7-6) / page code (bits 5-0)"), hex("u8")("subpage", "Subpage code"), reserved("u8"),
  hex("u16be")("parameter_pointer", "Parameter pointer"), alloc16,
]);
const prIn = cdb("PERSISTENT RESERVE IN", "prin", [serviceAction(prInActions), res(5), alloc16], "{service_action}");
const prOut = cdb("PERSISTENT RESERVE OUT", "prout", [
  serviceAction(prOutActions), enumOf("u8", prScopeType)("scope_type", "Scope / type", { base: "hex" }), res(2), param32,
], "{service_action}");
const copy = (name: string, key: string) => cdb(name, key, [
  hex("u8")("service_action", "Service action (bits 4-0)"), bytes("parameters", "Service-action parameters (list identifier ...)", 8),
  u32be("length", "Parameter list / allocation length", { unit: "bytes" }), group,
], "service action {service_action:raw}");
const ataFlags = flagsOf("u8", bits([0x20, "ck_cond", "CK_COND"], [0x08, "t_dir", "T_DIR (from device)"], [0x04, "byte_block", "BYT_BLOK"], [0x10, "t_type", "T_TYPE"]))("ata_flags", "Flags (bits 1-0: T_LENGTH; 7-6: OFF_LINE)");
const ataPassThrough16 = cdb("ATA PASS-THROUGH(16)", "ata16", [
  hex("u8")("protocol", "Multiple count (7-5) / protocol (4-1) / EXTEND (0)"), ataFlags,
  hex("u16be")("features", "Features"), u16be("sector_count", "Sector count"),
  hex("u16be")("lba_low", "LBA low"), hex("u16be")("lba_mid", "LBA mid"), hex("u16be")("lba_high", "LBA high"),
  hex("u8")("device", "Device"), hex("u8")("command", "ATA command"),
], "ATA command {command:raw}");
const ataPassThrough12 = cdb("ATA PASS-THROUGH(12)", "ata12", [
  hex("u8")("protocol", "Multiple count (7-5) / protocol (4-1)"), ataFlags,
  hex("u8")("features8", "Features"), u8("sector_count8", "Sector count"),
  hex("u8")("lba_low8", "LBA low"), hex("u8")("lba_mid8", "LBA mid"), hex("u8")("lba_high8", "LBA high"),
  hex("u8")("device", "Device"), hex("u8")("command", "ATA command"), reserved("u8"),
], "ATA command {command:raw}");
const compareAndWrite = cdb("COMPARE AND WRITE", "caw", [rwFlags, lba64, res(3), u8("blocks", "Number of blocks"), group], "LBA {lba:raw} blocks {blocks:raw}");
const securityBits = bits([0x80, "inc_512", "INC_512"]);
const security = (name: string, key: string) => cdb(name, key, [
  hex("u8")("security_protocol", "Security protocol"), hex("u16be")("protocol_specific", "Security protocol specific"),
  flagsOf("u8", securityBits)("flags", "Flags"), reserved("u8"),
  u32be("length", "Allocation / transfer length"), reserved("u8"),
]);

/** Every opcode of C1, by opcode. */
export const cdbs: Record<number, StructDescription> = {
  0x00: testUnitReady, 0x03: requestSense, 0x04: formatUnit, 0x08: read6, 0x0a: rw6("WRITE(6)", "rw6"), 0x12: inquiry,
  0x15: modeSelect6, 0x16: reserve6("RESERVE(6)", "reserve6"), 0x17: reserve6("RELEASE(6)", "reserve6"), 0x1a: modeSense6,
  0x1b: startStop, 0x1c: receiveDiagnostic, 0x1d: sendDiagnostic, 0x1e: preventAllow, 0x23: readFormatCapacities,
  0x25: readCapacity10, 0x28: read10, 0x2a: rw10("WRITE(10)", "rw10"), 0x2b: seek10, 0x2e: rw10("WRITE AND VERIFY(10)", "rw10"),
  0x2f: verify10, 0x35: syncCache10, 0x3b: buffer("WRITE BUFFER", "buffer"), 0x3c: buffer("READ BUFFER", "buffer"),
  0x41: writeSame10, 0x42: unmap, 0x43: readToc, 0x46: getConfiguration, 0x4a: getEventStatus, 0x4d: logSense,
  0x55: modeSelect10, 0x56: reserve10("RESERVE(10)", "reserve10"), 0x57: reserve10("RELEASE(10)", "reserve10"),
  0x5a: modeSense10, 0x5e: prIn, 0x5f: prOut, 0x83: copy("EXTENDED COPY / ODX", "copy"), 0x84: copy("RECEIVE COPY RESULTS / ODX", "copy"),
  0x85: ataPassThrough16, 0x88: read16, 0x89: compareAndWrite, 0x8a: rw16("WRITE(16)", "rw16"),
  0x8e: rw16("WRITE AND VERIFY(16)", "rw16"), 0x8f: verify16, 0x91: syncCache16, 0x93: writeSame16, 0x9e: serviceActionIn16,
  0xa0: reportLuns, 0xa1: ataPassThrough12, 0xa2: security("SECURITY PROTOCOL IN", "security"), 0xa3: maintenanceIn,
  0xa8: read12, 0xaa: rw12("WRITE(12)", "rw12"), 0xaf: verify12, 0xb5: security("SECURITY PROTOCOL OUT", "security"),
};

const unknownCdb: StructDescription = {
  name: "CDB", key: "other", prefix: `${P}.other`, label: "CDB (opcode not decoded)",
  fields: [bytes("cdb_bytes", "CDB bytes", "rest")],
};

/** CDB length by group code (C1): 0 → 6, 1-2 → 10, 4 → 16, 5 → 12. */
export const cdbLengthOfGroup: Record<number, number> = { 0: 6, 1: 10, 2: 10, 4: 16, 5: 12 };

const isVpdInquiry = and(eq(ref("opcode"), 0x12), ne(bitAnd(peek("u8", 1), 1), 0));
const hasServiceAction = or(eq(ref("opcode"), 0x9e), or(eq(ref("opcode"), 0xa3), eq(ref("opcode"), 0x5e)));

export const cdbRoot: StructDescription = {
  name: "Cdb", key: "cdb", prefix: P, label: "SCSI CDB",
  fields: [
    enumOf("u8", scsiOpcodes)("opcode", "Operation code", { base: "hex" }),
    choice("command", "Command", { op: "ref", name: "opcode" }, cdbs, { default: unknownCdb }),
  ],
  info: "{opcode}",
  // The data buffer's layout: the opcode, refined by INQUIRY's VPD page or the service action.
  effects: [{ set: DATA_KEY_STATE, value: add(mul(ref("opcode"), 0x1000), mux(isVpdInquiry, add(0x100, peek("u8", 2)), mux(hasServiceAction, bitAnd(peek("u8", 1), 0x1f), 0))) }],
};

export const vscsiCdbProtocol = { name: "vscsi", short: "SCSI", label: "SCSI (vscsi)", root: cdbRoot, messageType: ["vscsi.opcode"] };
