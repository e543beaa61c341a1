// pcapng numbers shared by the reader and the writer (IETF pcapng draft).

import { Direction } from "./record.js";

export const BlockType = {
  SectionHeader: 0x0a0d0d0a,
  InterfaceDescription: 1,
  ObsoletePacket: 2,
  SimplePacket: 3,
  EnhancedPacket: 6,
} as const;

export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

/** Option codes; several share a number in different blocks (2 = if_name in an IDB, epb_flags in an EPB). */
export const OptionCode = {
  EndOfOptions: 0,
  Comment: 1,
  PacketFlags: 2,
  InterfaceName: 2,
  InterfaceDescription: 3,
  UserApplication: 4,
  TimestampResolution: 9,
  TimestampOffset: 14,
} as const;

/** epb_flags bits 0-1. */
export const EPB_INBOUND = 1;
export const EPB_OUTBOUND = 2;

/** The epb_flags the writer gives a record of this direction (0: it writes no epb_flags). */
export const epbFlagsOf = (direction: Direction | undefined): number =>
  direction === Direction.HostToGuest ? EPB_INBOUND : direction === Direction.GuestToHost ? EPB_OUTBOUND : 0;
/** epb_flags as an option (code 2, length 4, value), and the opt_endofopt after the options. */
export const FLAGS_OPTION_LENGTH = 8;
export const END_OF_OPTIONS_LENGTH = 4;
