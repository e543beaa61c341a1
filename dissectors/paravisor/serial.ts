// VMBus serial UART (devices.md §18.4): message-mode pipe, pipe header at payload offset 0, then a
// 4-byte header as GET's (version, type, id) and the body. Offsets in the comments are from the
// start of the serial message (its header at 0).

import { bytes, gt, hasBytes, hex, min, ref, reserved, struct, sub, u8 } from "../describe/dsl.js";
import type { Field, ProtocolDescription, StructDescription, ValueStrings } from "../describe/types.js";
import { pipeDataLength, pipeHeader, trailingPadding } from "../hvsock/pipe.js";
import { GUEST_NOTIFICATION, HOST_NOTIFICATION, HOST_REQUEST, HOST_RESPONSE, paravisorMessage } from "./get.js";

const P = "serial";
const BUFFER = 64;

export const serialRequests: ValueStrings = { 1: "VERSION", 2: "GET_RX_DATA" };
export const serialHostNotifications: ValueStrings = { 1: "RX_CLEAR_BUFFER", 2: "TX_DATA_AVAILABLE" };
export const serialGuestNotifications: ValueStrings = { 1: "RX_DATA_AVAILABLE", 2: "SET_MODEM_STATUS", 3: "TX_COMPLETED" };

const body = (name: string, key: string, fields: Field[], extra: Partial<StructDescription> = {}): StructDescription =>
  ({ name, key, prefix: P, label: name, fields, ...extra });

/** buffer_length bytes of a fixed 64-byte buffer, the rest of the buffer unused. */
const buffer = (): Field[] => [
  bytes("data", "Data", min(ref("buffer_length"), BUFFER)),
  bytes("buffer_unused", "Unused buffer bytes", sub(BUFFER, min(ref("buffer_length"), BUFFER))),
];
const lengthCheck = { fails: gt(ref("buffer_length"), BUFFER), field: "buffer_length", text: "buffer length {buffer_length:raw} exceeds the 64-byte buffer" };

const bodies: Record<number, Record<number, StructDescription>> = {
  // TX_DATA_AVAILABLE: buffer_length u8 at 4, buffer u8[64] at 5, pad u8 at 69 (70 bytes).
  [HOST_NOTIFICATION]: { 2: body("TxDataAvailable", "tx_data_available", [u8("buffer_length", "Buffer length", { unit: "bytes" }), ...buffer(), reserved("u8", "pad_u8", "Padding")], {
    info: "{buffer_length:raw} bytes", checks: [lengthCheck],
  }) },
  [HOST_REQUEST]: { 1: body("VersionRequest", "version_request", [hex("u32")("requested_version", "Requested version", { values: { 0x00010000: "MANGANESE (1.0)" } })], { info: "{requested_version}" }) },
  [HOST_RESPONSE]: { 1: body("VersionResponse", "version_response", [
    u8("version_accepted", "Version accepted", { values: { 0: "no", 1: "yes" } }), reserved("u8", "pad_u8", "Padding"),
  ], { info: "accepted {version_accepted}" }),
  // GET_RX_DATA response: buffer_length u8 at 4, more_data_available u8 at 5, buffer u8[64] at 6 (70 bytes).
  2: body("GetRxDataResponse", "get_rx_data_response", [
    u8("buffer_length", "Buffer length", { unit: "bytes" }), u8("more_data_available", "More data available", { values: { 0: "no", 1: "yes" } }), ...buffer(),
  ], { info: "{buffer_length:raw} bytes", checks: [lengthCheck] }) },
  // SET_MODEM_STATUS: modem_status u8 at 4, is_connected u8 at 5 (6 bytes).
  [GUEST_NOTIFICATION]: { 2: body("SetModemStatus", "set_modem_status", [
    hex("u8")("modem_status", "Modem status"), u8("is_connected", "Connected", { values: { 0: "no", 1: "yes" } }),
  ], { info: "modem status {modem_status} connected {is_connected}" }) },
};

// "Other messages are header-only" (§18.4): anything after the header is unexpected.
const headerOnly = body("HeaderOnly", "header_only", [bytes("extra", "Unexpected bytes after a header-only message", "rest", { when: hasBytes(1) })]);

export const serialMessage: StructDescription = paravisorMessage({
  prefix: P, name: "SerialMessage", label: "serial message",
  ids: { request: serialRequests, hostNotification: serialHostNotifications, guestNotification: serialGuestNotifications },
  bodies, other: headerOnly,
});

export const serialPacket: StructDescription = {
  name: "SerialPacket", key: "packet", prefix: P, label: "VMBus serial packet",
  fields: [struct("pipe", "Pipe header", pipeHeader), struct("message", "Serial message", serialMessage, { length: pipeDataLength }), trailingPadding()],
  minSize: 12,
};

export const serialProtocol: ProtocolDescription = { name: "serial", label: "VMBus serial port", short: "serial", root: serialPacket, messageType: ["serial.message_type"] };
