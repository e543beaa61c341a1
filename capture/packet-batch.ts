// -w's fast path from a pcapng (issue 7: a million records a second). A VMBus packet that the pcapng
// writer would write back byte for byte stays where the reader found it, a place in the input's
// chunk, instead of becoming a record that is then encoded again: no object, view or BigInt per
// packet. Every other packet (offers, the first packets of a channel, anything the encoder would
// normalise, whatever the consumer's condition refuses) comes as a record, in its file order.

import { BATCH_SIZE } from "./input.js";
import type { Direction, RecordKind, VmbusRecord } from "./record.js";

/** What the consumer can take as copies; the reader checks each packet against it. */
export interface CopyCondition {
  /** The output's if_tsresol: packets are copied only from interfaces with the same units and no if_tsoffset. */
  tsresol: number;
  /**
   * Whether this packet may go as a copy (e.g. the writer has its interface, named from an earlier
   * record, and it teaches the session nothing); its payload is bytes[payloadStart, payloadEnd).
   */
  copies(kind: RecordKind, relid: number, bytes: Uint8Array, payloadStart: number, payloadEnd: number): boolean;
}

const EMPTY = new Uint8Array(0);

/**
 * One batch in file order: slot i is records[i], or when that is undefined a copied packet, whose
 * fields are the arrays' element i. One object is reused for every batch: a batch is valid until
 * the next one is asked for.
 */
export class PacketBatch {
  length = 0;
  /** The input chunk every copied packet of this batch lies in. */
  bytes: Uint8Array = EMPTY;
  readonly records: Array<VmbusRecord | undefined> = new Array<VmbusRecord | undefined>(BATCH_SIZE).fill(undefined);
  /** The packet's data (pseudo-header, payload, chunks) is bytes[dataStart, dataStart + dataLength). */
  readonly dataStart = new Int32Array(BATCH_SIZE);
  readonly dataLength = new Int32Array(BATCH_SIZE);
  /** The EPB's original length as the writer states it (never below dataLength). */
  readonly originalLength = new Uint32Array(BATCH_SIZE);
  /** EPB timestamp units, in the output's resolution. */
  readonly timestampHigh = new Uint32Array(BATCH_SIZE);
  readonly timestampLow = new Uint32Array(BATCH_SIZE);
  /** The record's direction, for epb_flags. */
  readonly direction = new Uint8Array(BATCH_SIZE);
  readonly kind = new Uint8Array(BATCH_SIZE);
  readonly relid = new Uint32Array(BATCH_SIZE);
  /** Where the block starts in the file (progress). */
  readonly fileOffset = new Float64Array(BATCH_SIZE);
  /** The whole block is bytes[blockStart, blockStart + blockLength). */
  readonly blockStart = new Int32Array(BATCH_SIZE);
  readonly blockLength = new Int32Array(BATCH_SIZE);
  /**
   * The input's interface id when the block is byte for byte what the writer makes of the packet
   * given that id (little-endian, its options only the epb_flags the writer sets, zero padding): a
   * writer whose id for the packet is the same may copy the whole block. -1 otherwise.
   */
  readonly verbatimInterface = new Int32Array(BATCH_SIZE);

  /** Empties the batch for packets of this chunk. */
  start(bytes: Uint8Array): void {
    this.length = 0;
    this.bytes = bytes;
  }

  addRecord(record: VmbusRecord): void {
    this.records[this.length++] = record;
  }

  /** Returns the copy's index (for placeBlock). */
  addCopy(fileOffset: number, dataStart: number, dataLength: number, originalLength: number, timestampHigh: number, timestampLow: number, direction: Direction, kind: RecordKind, relid: number): number {
    const index = this.length++;
    this.records[index] = undefined;
    this.fileOffset[index] = fileOffset;
    this.dataStart[index] = dataStart;
    this.dataLength[index] = dataLength;
    this.originalLength[index] = Math.max(originalLength, dataLength);
    this.timestampHigh[index] = timestampHigh;
    this.timestampLow[index] = timestampLow;
    this.direction[index] = direction;
    this.kind[index] = kind;
    this.relid[index] = relid;
    this.verbatimInterface[index] = -1;
    return index;
  }

  /** Where copy index's whole block is, and the interface id under which it is written as it is (-1: none). */
  placeBlock(index: number, blockStart: number, blockLength: number, verbatimInterface: number): void {
    this.blockStart[index] = blockStart;
    this.blockLength[index] = blockLength;
    this.verbatimInterface[index] = verbatimInterface;
  }
}
