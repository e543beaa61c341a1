// A VM's keyboard, mouse and screen as a capture shows them (devices.md §11–13): the keyboard
// protocol and key presses (make and break, an E0 key, the LEDs), the mouse protocol, its device
// info with a HID report descriptor and input reports, and the video protocol: version, VRAM,
// supported resolutions (with an EDID), a situation update, a pointer shape and position, and dirty
// rectangles; then a second mouse whose report descriptor lays its reports out otherwise (a report
// id, X and Y first). Every message comes from the encoder; relids 21 (keyboard), 22 (mouse),
// 23 (video), 24 (the second mouse).

import { Direction, RecordKind, type VmbusRecord } from "../capture/record.js";
import { encodeStruct, type EncodeValues } from "../dissectors/describe/encode.js";
import { guidBytes } from "../dissectors/describe/read.js";
import { keyboardMessage } from "../dissectors/input/keyboard.js";
import { synthhidBodies, synthhidMessage } from "../dissectors/input/synthhid.js";
import { synthvidBodies, synthvidPacket } from "../dissectors/synthvid/synthvid.js";
import { buildRingPacket } from "../dissectors/vmbus/packets.js";

const G2H = Direction.GuestToHost;
const H2G = Direction.HostToGuest;
export const KEYBOARD = { relid: 21, guid: "f912ad6d-2b17-48ea-bd65-f927a61c7684" };
export const MOUSE = { relid: 22, guid: "cfa8b69e-5b4a-4cc0-b98b-8ba1a1f3f95a" };
export const VIDEO = { relid: 23, guid: "da0a7802-e377-4aac-8e77-0558eb1073f8" };
export const MOUSE_WITH_REPORT_ID = { relid: 24, guid: MOUSE.guid };

/** 2026-11-25T10:06:00Z. */
const START_NS = 1795601160_000000000n;

/** A standard absolute mouse (5 buttons, X/Y 0–32767, wheel; the layout of devices.md §12.3): 67 bytes of short items. */
export const MOUSE_REPORT_DESCRIPTOR = Uint8Array.of(
  0x05, 0x01, 0x09, 0x02, 0xa1, 0x01, 0x09, 0x01, 0xa1, 0x00,
  0x05, 0x09, 0x19, 0x01, 0x29, 0x05, 0x15, 0x00, 0x25, 0x01, 0x95, 0x05, 0x75, 0x01, 0x81, 0x02,
  0x95, 0x01, 0x75, 0x03, 0x81, 0x01,
  0x05, 0x01, 0x09, 0x30, 0x09, 0x31, 0x15, 0x00, 0x26, 0xff, 0x7f, 0x75, 0x10, 0x95, 0x02, 0x81, 0x02,
  0x05, 0x01, 0x09, 0x38, 0x16, 0x01, 0x80, 0x26, 0xff, 0x7f, 0x75, 0x10, 0x95, 0x01, 0x81, 0x06,
  0xc0, 0xc0,
);

/**
 * A mouse whose reports differ from the standard layout (HID 1.11 items written by hand): report id 1,
 * X and Y first (16 bits, 0–32767), then 5 buttons and 3 bits of padding, then an 8-bit signed wheel.
 * Its reports are 7 bytes: id, X, Y, buttons, wheel.
 */
export const REPORT_ID_MOUSE_DESCRIPTOR = Uint8Array.of(
  0x05, 0x01, 0x09, 0x02, 0xa1, 0x01, 0x85, 0x01, 0x09, 0x01, 0xa1, 0x00,
  0x05, 0x01, 0x09, 0x30, 0x09, 0x31, 0x15, 0x00, 0x26, 0xff, 0x7f, 0x75, 0x10, 0x95, 0x02, 0x81, 0x02,
  0x05, 0x09, 0x19, 0x01, 0x29, 0x05, 0x15, 0x00, 0x25, 0x01, 0x75, 0x01, 0x95, 0x05, 0x81, 0x02,
  0x75, 0x03, 0x95, 0x01, 0x81, 0x03,
  0x05, 0x01, 0x09, 0x38, 0x15, 0x81, 0x25, 0x7f, 0x75, 0x08, 0x95, 0x01, 0x81, 0x06,
  0xc0, 0xc0,
);

/** A 128-byte EDID base block: header, "MSF" manufacturer, version 1.4; the rest zero but the checksum. */
export function sampleEdid(): Uint8Array {
  const edid = new Uint8Array(128);
  edid.set([0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x36, 0x66, 0x00, 0x16, 0x01, 0x00, 0x00, 0x00, 0x01, 0x1e, 0x01, 0x04]);
  edid[127] = (256 - (edid.reduce((a, b) => a + b, 0) % 256)) % 256;
  return edid;
}

class Timeline {
  records: VmbusRecord[] = [];
  private now = START_NS;
  private transId = 0x2000;

  packet(channel: { relid: number; guid: string }, direction: Direction, payload: Uint8Array, options: { gapUs?: number; completion?: boolean } = {}): void {
    this.now += BigInt((options.gapUs ?? 200) * 1000);
    this.records.push({
      origin: { file: "samples", fileOffset: 0, number: this.records.length + 1 }, timestampNs: this.now, direction, kind: RecordKind.RingPacket,
      flags: 0, relid: channel.relid, classGuid: guidBytes(channel.guid),
      payload: buildRingPacket({ type: 0x6, flags: options.completion ? 1 : 0, transId: ++this.transId, payload }), attached: [],
    });
  }
}

const kbd = (msgType: number, body: EncodeValues): Uint8Array => encodeStruct(keyboardMessage, { msg_type: msgType, body });

/** A synthhid message in its pipe packet: synthhid.size is the body, pipe.len the header and body. */
function hid(msgType: number, body: EncodeValues): Uint8Array {
  const bodyLength = encodeStruct(synthhidBodies[msgType], body).length;
  return encodeStruct(synthhidMessage, { pipe_type: 1, pipe_len: 8 + bodyLength, message: { msg_type: msgType, size: bodyLength, body } });
}

/** A synthvid message in its pipe packet; vid.size as Linux sets it (8 + body). */
function vid(msgType: number, body: EncodeValues): Uint8Array {
  const bodyLength = encodeStruct(synthvidBodies[msgType], body).length;
  return encodeStruct(synthvidPacket, { pipe_type: 1, pipe_len: 8 + bodyLength, message: { msg_type: msgType, size: 8 + bodyLength, body } });
}

const BREAK = 0x2;
const E0 = 0x4;

function keyboard(t: Timeline): void {
  t.packet(KEYBOARD, G2H, kbd(1, { version: 0x00010000 }), { completion: true });
  t.packet(KEYBOARD, H2G, kbd(2, { status: 1 }), { gapUs: 90 });
  const key = (code: number, flags: number, gapUs: number) =>
    t.packet(KEYBOARD, H2G, kbd(3, { make_code: code, transition: flags & BREAK ? 1 : 0, info: flags }), { gapUs });
  key(0x1e, 0, 250_000); // A down
  key(0x1e, BREAK, 95_000); // A up
  key(0x48, E0, 400_000); // Up (E0 48) down
  key(0x48, E0 | BREAK, 80_000); // Up up
  key(0x3a, 0, 300_000); // Caps Lock down
  t.packet(KEYBOARD, G2H, kbd(4, { led_flags: 0x4 | 0x2 }), { gapUs: 150 });
  key(0x3a, BREAK, 90_000); // Caps Lock up
}

/** INITIAL_DEVICE_INFO with a report descriptor, and the guest's acknowledgement. */
function deviceInfo(t: Timeline, channel: typeof MOUSE, descriptor: Uint8Array): void {
  t.packet(channel, H2G, hid(2, {
    attributes: { size: 32, vendor_id: 0x045e, product_id: 0x0621, version: 0x0001 },
    hid_descriptor: { b_length: 9, b_descriptor_type: 0x21, bcd_hid: 0x0101, b_country_code: 0, b_num_descriptors: 1, descriptors: [{ type: 0x22, length: descriptor.length }] },
    report_descriptor: { bytes: descriptor },
  }), { gapUs: 40 });
  t.packet(channel, G2H, hid(3, { ack_reserved: 0 }), { gapUs: 300 });
}

function mouse(t: Timeline): void {
  t.packet(MOUSE, G2H, hid(0, { version_requested: 0x00020000 }), { completion: true, gapUs: 1200 });
  t.packet(MOUSE, H2G, hid(1, { version_requested: 0x00020000, approved: 1 }), { gapUs: 110 });
  deviceInfo(t, MOUSE, MOUSE_REPORT_DESCRIPTOR);
  const report = (buttons: number, x: number, y: number, wheel: number, gapUs: number) => {
    const bytes = new Uint8Array(7);
    const view = new DataView(bytes.buffer);
    view.setUint8(0, buttons);
    view.setUint16(1, x, true);
    view.setUint16(3, y, true);
    view.setInt16(5, wheel, true);
    t.packet(MOUSE, H2G, hid(4, { report: bytes }), { gapUs });
  };
  report(0, 16384, 8192, 0, 180_000);
  report(0x1, 16384, 8192, 0, 16_000);
  report(0, 16500, 8300, 0, 120_000);
  report(0, 16500, 8300, -1, 40_000);
}

function video(t: Timeline): void {
  t.packet(VIDEO, G2H, vid(1, { version: 0x00050003 }), { gapUs: 2500 });
  t.packet(VIDEO, H2G, vid(2, { version: 0x00050003, is_accepted: 1, max_video_outputs: 1 }), { gapUs: 120 });
  const resolutions = [[1024, 768], [1152, 864], [1280, 720], [1280, 1024], [1600, 900], [1920, 1080]].map(([width, height]) => ({ width, height }));
  t.packet(VIDEO, G2H, vid(13, { maximum_resolution_count: 64 }), { gapUs: 80 });
  t.packet(VIDEO, H2G, vid(14, { edid: sampleEdid(), default_resolution_index: 5, is_standard: 0, resolutions }), { gapUs: 140 });
  const VRAM = 0xf8000000;
  t.packet(VIDEO, G2H, vid(3, { user_context: VRAM, is_vram_gpa_specified: 1, vram_gpa: VRAM }), { gapUs: 60 });
  t.packet(VIDEO, H2G, vid(4, { user_context: VRAM }), { gapUs: 700 });
  t.packet(VIDEO, G2H, vid(7, { is_visible: 1, video_output: 0, image_x: 0, image_y: 0 }), { gapUs: 50 });
  // A 1×1 ARGB shape: Linux hides the host-drawn pointer this way.
  t.packet(VIDEO, G2H, vid(8, { part_index: 0xff, cursor_flags: 1, width: 1, height: 1, hot_x: 0, hot_y: 0, pixel_data: new Uint8Array(4) }), { gapUs: 40 });
  t.packet(VIDEO, G2H, vid(5, {
    user_context: 0, outputs: [{ active: 1, primary_surface_vram_offset: 0, depth_bits: 32, width_pixels: 1920, height_pixels: 1080, pitch_bytes: 7680 }],
  }), { gapUs: 60 });
  t.packet(VIDEO, H2G, vid(6, { user_context: 0 }), { gapUs: 300 });
  t.packet(VIDEO, H2G, vid(9, { is_dirt_needed: 1, is_pointer_position_needed: 0, is_pointer_shape_needed: 1, is_situation_needed: 0 }), { gapUs: 500 });
  t.packet(VIDEO, G2H, vid(10, { video_output: 0, rects: [{ left: 0, top: 0, right: 1920, bottom: 1080 }] }), { gapUs: 16_000 });
  t.packet(VIDEO, G2H, vid(10, { video_output: 0, rects: [{ left: 100, top: 200, right: 420, bottom: 240 }, { left: 0, top: 1040, right: 1920, bottom: 1080 }] }), { gapUs: 16_600 });
}

/** A second mouse (relid 24) whose descriptor lays its reports out otherwise: they are read by it. */
function reportIdMouse(t: Timeline): void {
  deviceInfo(t, MOUSE_WITH_REPORT_ID, REPORT_ID_MOUSE_DESCRIPTOR);
  const report = (x: number, y: number, buttons: number, wheel: number, gapUs: number) =>
    t.packet(MOUSE_WITH_REPORT_ID, H2G, hid(4, { report: Uint8Array.of(1, x & 0xff, x >> 8, y & 0xff, y >> 8, buttons, wheel & 0xff) }), { gapUs });
  report(1000, 2000, 0, 0, 90_000);
  report(1000, 2000, 0x2, 0, 20_000);
  report(1200, 2100, 0, -3, 30_000);
}

export function inputVideoSession(): VmbusRecord[] {
  const t = new Timeline();
  video(t);
  keyboard(t);
  mouse(t);
  reportIdMouse(t);
  return t.records;
}
