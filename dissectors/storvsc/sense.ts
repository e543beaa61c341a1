// SCSI sense data (net-storage.md C5): fixed format (0x70/0x71) and descriptor format (0x72/0x73).
// It sits in the vmscsi response's 20-byte area (18 bytes before protocol 5.1), or in REQUEST SENSE data.

import {
  add, and, array, bitAnd, bytes, choice, digits, enumOf, flagsOf, gt, hasBytes, hex, min, ne, onlyWhen, peek, ref, remaining, sameBytes, struct, structSize, u8,
} from "../describe/dsl.js";
import type { StructDescription } from "../describe/types.js";
import { senseDescriptorTypes, senseKeys, senseResponseCodes, ascAscq } from "./names.js";

/** ASC and ASCQ, and the two together by name (SPC-4 annex D). */
const ascAscqFields = sameBytes(
  enumOf("u16be", ascAscq)("asc_ascq", "ASC/ASCQ", { base: "hex" }),
  hex("u8")("asc", "Additional sense code (ASC)"),
) .concat([hex("u8")("ascq", "Additional sense code qualifier (ASCQ)")]);

/** The sense key is the low nibble of its byte in both formats (SPC-4 4.5.2, 4.5.3). */
const senseKey = enumOf("u8", senseKeys)("sense_key", "Sense key", { base: "hex", mask: 0x0f });

const P = "vscsi.sense";

/** Fixed byte 2: flags in bits 7-4, the sense key in bits 3-0 (the values name the key). */
const fixedKeyValues = Object.fromEntries(Array.from({ length: 256 }, (_, b) => [b, senseKeys[b & 0xf]]));

const fixedFormat: StructDescription = {
  name: "FixedSense", key: "fixed", prefix: P, label: "Fixed-format sense",
  fields: [
    hex("u8")("segment", "Segment number (obsolete)"),
    ...sameBytes(
      flagsOf("u8", [
        { mask: 0x80, key: "filemark", label: "FILEMARK" }, { mask: 0x40, key: "eom", label: "EOM" },
        { mask: 0x20, key: "ili", label: "ILI" }, { mask: 0x10, key: "sdat_ovfl", label: "SDAT_OVFL" },
      ])("key_byte", "Sense key / flags", { values: fixedKeyValues }),
      senseKey,
    ),
    hex("u32be")("information", "Information"),
    u8("additional_length", "Additional sense length", { unit: "bytes" }),
    hex("u32be")("command_specific", "Command-specific information", { when: hasBytes(4) }),
    ...onlyWhen(hasBytes(2), ...ascAscqFields),
    hex("u8")("fru", "Field replaceable unit code", { when: hasBytes(1) }),
    hex("u24be")("sense_key_specific", "SKSV (bit 23) / sense-key specific", { when: hasBytes(3) }),
    bytes("additional", "Additional sense bytes", min(remaining, ref("additional_length")), { when: hasBytes(1) }),
  ],
};

const descriptor: StructDescription = {
  name: "SenseDescriptor", key: "descriptor", prefix: `${P}.desc`, label: "Sense descriptor",
  fields: [
    enumOf("u8", senseDescriptorTypes)("type", "Descriptor type", { base: "hex" }),
    u8("length", "Additional length", { unit: "bytes" }),
    bytes("data", "Descriptor data", ref("length")),
  ],
  info: undefined,
};

const descriptorFormat: StructDescription = {
  name: "DescriptorSense", key: "descriptor_format", prefix: P, label: "Descriptor-format sense",
  fields: [
    senseKey,
    ...ascAscqFields,
    flagsOf("u8", [{ mask: 0x80, key: "sdat_ovfl", label: "SDAT_OVFL" }])("flags", "Flags"),
    bytes("reserved", "Reserved", 2),
    u8("additional_length", "Additional sense length", { unit: "bytes" }),
    struct("descriptors_region", "Descriptors", {
      name: "Descriptors", key: "descriptors_region", prefix: P, label: "Descriptors",
      fields: [array("descriptors", "Descriptors", descriptor)],
    }, { length: min(remaining, ref("additional_length")), when: hasBytes(1) }),
  ],
};

const unknownFormat: StructDescription = {
  name: "UnknownSense", key: "unknown_format", prefix: P, label: "Sense data (unknown response code)",
  fields: [bytes("bytes", "Sense bytes", "rest")],
};

const statedLength = add(8, peek("u8", 7));

export const senseRoot: StructDescription = {
  name: "Sense", key: "sense", prefix: P, label: "Sense data",
  info: "{sense_key} {asc}/{ascq} {asc_ascq}",
  fields: [
    flagsOf("u8", [{ mask: 0x80, key: "valid", label: "VALID (INFORMATION valid; fixed format)" }])("response_code", "Response code", { values: senseResponseCodes }),
    choice("format", "Format", bitAnd(ref("response_code"), 0x7f), { 0x70: fixedFormat, 0x71: fixedFormat, 0x72: descriptorFormat, 0x73: descriptorFormat }, { default: unknownFormat }),
  ],
  checks: [{
    fails: and(ne(bitAnd(ref("response_code"), 0x7e), 0x70), ne(bitAnd(ref("response_code"), 0x7e), 0x72)),
    field: "response_code", text: "response code {response_code:raw} is not sense data (0x70-0x73)",
  }, {
    // The additional length (byte 7) may promise more sense bytes than the vmscsi sense area holds.
    fails: gt(statedLength, structSize), field: "additional_length", severity: "note", group: "protocol",
    text: "sense data states {stated} bytes; only {held} are in the buffer (the vmscsi sense area holds 20, 18 before 5.1)",
    args: { stated: digits(statedLength), held: digits(structSize) },
  }],
};

export const vscsiSenseProtocol = { name: "vscsi", short: "SCSI", label: "SCSI (vscsi)", root: senseRoot };

