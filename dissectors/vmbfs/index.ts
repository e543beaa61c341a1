// VMBus file system / Initial Machine Configuration (devices.md §16): pipe header, an 8-byte
// vmbfs header (message_type u32, reserved u32), then the body. Offsets in the comments are from
// the ring packet's payload start (pipe header at 0, vmbfs header at 8, body at 16).

import { registerDeviceProtocol } from "../devices.js";
import { and, bytes, choice, enumOf, eq, flagsOf, hex, ne, ref, reserved, struct, sub, u32, u64, utf16, bitAnd } from "../describe/dsl.js";
import type { Field, ProtocolDescription, StructDescription, ValueStrings } from "../describe/types.js";
import { pipeDataLength, pipeDataSize, pipeHeader, trailingPadding, u32At } from "../hvsock/pipe.js";

const P = "vmbfs";

export const vmbfsTypes: ValueStrings = {
  0: "INVALID", 1: "VERSION_REQUEST", 2: "VERSION_RESPONSE", 3: "GET_FILE_INFO", 4: "GET_FILE_INFO_RESPONSE",
  5: "READ_FILE", 6: "READ_FILE_RESPONSE", 7: "READ_FILE_RDMA", 8: "READ_FILE_RDMA_RESPONSE",
};
const versions: ValueStrings = { 0x00010000: "1.0 (WIN10)" };
const fileStatus: ValueStrings = { 0: "success", 1: "not found", 2: "end of file", 3: "error" };

const msg = (name: string, key: string, fields: Field[], info?: string): StructDescription => ({ name, key, prefix: P, label: name, fields, info });
const status = enumOf("u32", fileStatus)("status", "Status");
const path = utf16("path", "File path", "rest", { nulTerminated: true });

const bodies: Record<number, StructDescription> = {
  1: msg("VersionRequest", "version_request", [hex("u32")("requested_version", "Requested version", { values: versions })], "{requested_version}"),
  2: msg("VersionResponse", "version_response", [enumOf("u32", { 0: "supported", 1: "unsupported" })("version_status", "Status")], "{version_status}"),
  3: msg("GetFileInfo", "get_file_info", [path], "{path}"),
  4: msg("GetFileInfoResponse", "get_file_info_response", [
    status,
    flagsOf("u32", [{ mask: 1, key: "directory", label: "Directory" }, { mask: 2, key: "rdma_capable", label: "RDMA capable" }])("file_flags", "Flags"),
    u64("file_size", "File size", { unit: "bytes" }),
  ], "{status} size {file_size:raw} {file_flags:bits}"),
  // byte_count at 16, offset u64 at 20 (unaligned, packed), path from 28.
  5: msg("ReadFile", "read_file", [u32("byte_count", "Byte count", { unit: "bytes" }), u64("offset", "File offset"), path], "{path} {byte_count:raw} bytes at {offset:raw}"),
  6: msg("ReadFileResponse", "read_file_response", [status, bytes("file_data", "File data", "rest")], "{status} {file_data:len} bytes"),
  7: msg("ReadFileRdma", "read_file_rdma", [
    hex("u32")("handle", "Handle"), u32("byte_count", "Byte count", { unit: "bytes" }), u64("offset", "File offset"),
    hex("u64")("token_offset", "Token offset"), path,
  ], "{path} {byte_count:raw} bytes at {offset:raw}"),
  8: msg("ReadFileRdmaResponse", "read_file_rdma_response", [status, u32("byte_count", "Byte count", { unit: "bytes" })], "{status} {byte_count:raw} bytes"),
};

const unknown: StructDescription = {
  name: "UnknownMessage", key: "unknown", prefix: P, label: "Unknown vmbfs message", fields: [bytes("body_data", "Body", "rest")],
  checks: [{ fails: 1, field: "body_data", text: "unknown vmbfs message type" }],
};

const isRequest = and(ne(ref("message_type"), 0), eq(bitAnd(ref("message_type"), 1), 1));
const isResponse = and(ne(ref("message_type"), 0), eq(bitAnd(ref("message_type"), 1), 0));

/** The vmbfs message proper (from payload offset 8), data_size bytes long. */
export const vmbfsMessage: StructDescription = {
  name: "VmbfsMessage", key: "msg", prefix: P, label: "vmbfs message",
  fields: [
    enumOf("u32", vmbfsTypes)("message_type", "Message type"),
    reserved("u32"),
    choice("body", "Body", ref("message_type"), bodies, { default: unknown }),
  ],
  minSize: 8,
  info: "vmbfs {message_type}",
  // One request at a time; each response type is its request's type + 1 (devices.md §16).
  pairing: [
    { namespace: "vmbfs", role: "request", id: ref("message_type"), when: isRequest, text: "{message_type}" },
    { namespace: "vmbfs", role: "response", id: sub(ref("message_type"), 1), when: isResponse },
  ],
};

export const vmbfsPacket: StructDescription = {
  name: "VmbfsPacket", key: "packet", prefix: P, label: "vmbfs packet",
  fields: [struct("pipe", "Pipe header", pipeHeader), struct("message", "vmbfs message", vmbfsMessage, { length: pipeDataLength }), trailingPadding()],
  minSize: 16,
};

export const vmbfsProtocol: ProtocolDescription = { name: "vmbfs", label: "VMBus file system (IMC)", short: "vmbfs", root: vmbfsPacket, messageType: ["vmbfs.message_type"] };

/** An in-band pipe Data packet whose vmbfs header has a known type and a zero reserved word. */
export function recogniseVmbfs(payload: Uint8Array, packetType: number): boolean {
  const size = pipeDataSize(payload, packetType);
  if (size === undefined || size < 8 || size > 12288) return false;
  const type = u32At(payload, 8)!;
  return type >= 1 && type <= 8 && u32At(payload, 12) === 0;
}

registerDeviceProtocol("vmbfs", vmbfsProtocol, {
  note: "decoded: pipe header, vmbfs header, all message types 1–8 (version, file info, read file, RDMA read); requests paired with their responses",
  recognise: recogniseVmbfs,
});
