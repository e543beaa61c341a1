// The synthetic keyboard (devices.md §11): raw in-band packets (no pipe header), a u32 message
// type then a fixed body. Offsets in the comments are from the start of the payload.

import { and, bitSet, bytes, choice, enumOf, eq, flagsOf, hasBytes, hex, not, ref, reserved, state } from "../describe/dsl.js";
import type { Field, ProtocolDescription, StructDescription, ValueStrings } from "../describe/types.js";

const P = "kbd";

export const keyboardTypes: ValueStrings = { 1: "PROTOCOL_REQUEST", 2: "PROTOCOL_RESPONSE", 3: "EVENT", 4: "SET_LED_INDICATORS" };
export const keyboardVersions: ValueStrings = { 0x00010000: "1.0 (WIN8)" };

const letters = (first: number, text: string): Record<number, string> =>
  Object.fromEntries(Array.from(text, (c, i) => [first + i, c]));

/** Scan code set 1, without the E0/E1 prefix: the make code (the release bit 0x80 cleared). */
export const scanCodeNames: ValueStrings = {
  0x01: "Esc", ...letters(0x02, "1234567890"), 0x0c: "-", 0x0d: "=", 0x0e: "Backspace", 0x0f: "Tab",
  ...letters(0x10, "QWERTYUIOP"), 0x1a: "[", 0x1b: "]", 0x1c: "Enter", 0x1d: "Left Ctrl",
  ...letters(0x1e, "ASDFGHJKL"), 0x27: ";", 0x28: "'", 0x29: "`", 0x2a: "Left Shift", 0x2b: "\\",
  ...letters(0x2c, "ZXCVBNM"), 0x33: ",", 0x34: ".", 0x35: "/", 0x36: "Right Shift", 0x37: "Keypad *", 0x38: "Left Alt",
  0x39: "Space", 0x3a: "Caps Lock",
  ...Object.fromEntries(Array.from({ length: 10 }, (_, i) => [0x3b + i, `F${i + 1}`])),
  0x45: "Num Lock", 0x46: "Scroll Lock", 0x47: "Keypad 7", 0x48: "Keypad 8", 0x49: "Keypad 9", 0x4a: "Keypad -",
  0x4b: "Keypad 4", 0x4c: "Keypad 5", 0x4d: "Keypad 6", 0x4e: "Keypad +", 0x4f: "Keypad 1", 0x50: "Keypad 2",
  0x51: "Keypad 3", 0x52: "Keypad 0", 0x53: "Keypad .", 0x54: "SysRq (Alt+Print Screen)", 0x56: "\\ (102nd key)", 0x57: "F11", 0x58: "F12",
};

/** Scan code set 1 keys sent with the E0 prefix. */
export const scanCodeE0Names: ValueStrings = {
  0x10: "Previous Track", 0x19: "Next Track", 0x1c: "Keypad Enter", 0x1d: "Right Ctrl", 0x20: "Mute", 0x22: "Play/Pause", 0x24: "Stop",
  0x2a: "(fake Left Shift)", 0x2e: "Volume Down", 0x30: "Volume Up", 0x35: "Keypad /", 0x36: "(fake Right Shift)", 0x37: "Print Screen",
  0x38: "Right Alt", 0x46: "Break (Ctrl+Pause)", 0x47: "Home", 0x48: "Up", 0x49: "Page Up", 0x4b: "Left", 0x4d: "Right", 0x4f: "End",
  0x50: "Down", 0x51: "Page Down", 0x52: "Insert", 0x53: "Delete", 0x5b: "Left Windows", 0x5c: "Right Windows", 0x5d: "Menu",
  0x5e: "Power", 0x5f: "Sleep", 0x63: "Wake",
};

/** The E1 prefix is only used by Pause (E1 1D 45). */
export const scanCodeE1Names: ValueStrings = { 0x1d: "Pause (E1 1D)", 0x45: "Pause (E1 45)" };

const msg = (name: string, key: string, fields: Field[], extra: Partial<StructDescription> = {}): StructDescription =>
  ({ name, key, prefix: P, label: name, fields, ...extra });

const protocolRequest = msg("ProtocolRequest", "protocol_request", [
  hex("u32")("version", "Protocol version", { values: keyboardVersions, description: "(major << 16) | minor" }),
], { info: "version {version}", size: 4, effects: [{ set: "channel.kbd.version_requested", value: ref("version") }] });

const protocolResponse = msg("ProtocolResponse", "protocol_response", [
  flagsOf("u32", [{ mask: 1, key: "accepted", label: "Accepted" }])("status", "Status"),
], {
  info: "{status:bits}", size: 4, minSize: 4,
  effects: [{ set: "channel.kbd.version", value: state("channel.kbd.version_requested"), when: bitSet("status", 1), negotiated: "major.minor" }],
});

const UNICODE = 0x1;
const E0 = 0x4;
const E1 = 0x8;
const infoBits = [
  { mask: UNICODE, key: "unicode", label: "Unicode", alternate: "IS_UNICODE / IsUnicode" },
  { mask: 0x2, key: "break", label: "Break (key release)", alternate: "IS_BREAK / IsBreak" },
  { mask: E0, key: "e0", label: "E0 prefix", alternate: "IS_E0 / IsE0" },
  { mask: E1, key: "e1", label: "E1 prefix", alternate: "IS_E1 / IsE1" },
];
const plain = and(not(bitSet("info", UNICODE)), and(not(bitSet("info", E0)), not(bitSet("info", E1))));

/** EVENT (12 bytes): make code at 4, reserved at 6, flags at 8; the key name re-reads the make code. */
const event = msg("Event", "event", [
  hex("u16")("make_code", "Make code", { mask: 0x7f, shared: true, description: "Scan code set 1 without the release bit (OVMM masks it to 7 bits)" }),
  hex("u16")("make_code_high", "Make code bits 7-15", { mask: 0xff80, description: "Non-zero only for Unicode characters or a stray release bit" }),
  reserved("u16"),
  enumOf("u32", { 0: "down", 1: "up" })("transition", "Transition (make/break)", { mask: 0x2, shared: true }),
  flagsOf("u32", infoBits)("info", "Flags"),
  enumOf("u16", scanCodeNames)("key", "Key", { at: 0, when: plain, mask: 0x7f, base: "hex" }),
  enumOf("u16", scanCodeE0Names)("key_e0", "Key (E0 prefix)", { at: 0, when: and(not(bitSet("info", UNICODE)), bitSet("info", E0)), mask: 0x7f, base: "hex" }),
  enumOf("u16", scanCodeE1Names)("key_e1", "Key (E1 prefix)", { at: 0, when: and(not(bitSet("info", UNICODE)), bitSet("info", E1)), mask: 0x7f, base: "hex" }),
  hex("u16")("character", "Character (UTF-16 code unit)", { at: 0, when: bitSet("info", UNICODE) }),
], { info: "key {key:ifset}{key_e0:ifset}{key_e1:ifset}{character:ifset} {transition}", size: 8, minSize: 8 });

const ledBits = [
  { mask: 0x1, key: "scroll_lock", label: "Scroll Lock" }, { mask: 0x2, key: "num_lock", label: "Num Lock" }, { mask: 0x4, key: "caps_lock", label: "Caps Lock" },
  { mask: 0x8, key: "kana_lock", label: "Kana Lock", alternate: "KEYBOARD_KANA_LOCK_ON (ntddkbd.h); not in the reference" },
];
const setLeds = msg("SetLedIndicators", "led_indicators", [
  flagsOf("u16", ledBits)("led_flags", "LED indicators"), reserved("u16", "led_padding", "Padding"),
], { info: "LEDs {led_flags:bits}", size: 4, minSize: 2 });

const unknown = msg("Unknown", "unknown", [bytes("body_data", "Body", "rest")]);

export const keyboardBodies: Record<number, StructDescription> = { 1: protocolRequest, 2: protocolResponse, 3: event, 4: setLeds };

export const keyboardMessage: StructDescription = {
  name: "KeyboardMessage", key: "msg", prefix: P, label: "Synthetic keyboard message",
  fields: [
    enumOf("u32", keyboardTypes)("msg_type", "Message type"),
    choice("body", "Body", ref("msg_type"), keyboardBodies, { default: unknown }),
    bytes("padding", "Padding", "rest", { when: hasBytes(1) }),
  ],
  minSize: 4,
  info: "KBD {msg_type}",
  // The response carries no id of its request: one negotiation at a time per channel (id 0).
  pairing: [
    { namespace: "kbd", role: "request", id: 0, when: eq(ref("msg_type"), 1), text: "PROTOCOL_REQUEST" },
    { namespace: "kbd", role: "response", id: 0, when: eq(ref("msg_type"), 2) },
  ],
};

export const keyboardProtocol: ProtocolDescription = { name: "kbd", short: "KBD", label: "Synthetic keyboard", root: keyboardMessage, messageType: ["kbd.msg_type"] };
