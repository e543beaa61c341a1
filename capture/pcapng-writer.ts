// pcapng writer: one little-endian section, one IDB per interface, EPBs; output buffered into large writes.
import { BlockType, BYTE_ORDER_MAGIC, END_OF_OPTIONS_LENGTH, epbFlagsOf, FLAGS_OPTION_LENGTH, OptionCode } from "./pcapng-constants.js";
import { randomBytes } from "node:crypto";
import { open, rename, unlink, type FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { PacketBatch } from "./packet-batch.js";
import { Direction, RecordKind, type VmbusRecord } from "./record.js";
import { encodeVmbusRecordInto, vmbusFrameLength } from "./vmbus-pseudo-header.js";
import { paddedTo4 } from "./bytes.js";

export interface PcapngWriterOptions {
  /** Names the writing program and version (shb_userappl). */
  userAppl: string;
  /** Timestamp resolution as a power of ten: 7 = 100 ns (Hyper-V's clock, the default), 9 = 1 ns. */
  tsresol?: 7 | 9;
}

export interface PacketOptions {
  direction?: Direction;
  comments?: string[];
}

/** Wireshark 4.0 refuses a whole file at the first packet longer than this (pcapng: "cap_len ... is larger than 262144"). */
export const WIRESHARK_MAX_PACKET_LENGTH = 262144;

/** Output goes to the sink in writes of about this size; a buffer twice as large holds any block below it. */
export const FLUSH_THRESHOLD = 1 << 20;
const utf8 = new TextEncoder();

/** Where finished bytes go: a temporary file renamed on close, or standard output. */
interface Sink {
  /** bytes is only valid until the returned promise settles. */
  write(bytes: Uint8Array): Promise<void>;
  readonly gone: boolean;
  finish(): Promise<void>;
  abort(): Promise<void>;
}

/** An output buffer and its DataView. */
interface OutputBuffer {
  bytes: Uint8Array;
  view: DataView;
}

const outputBuffer = (length: number): OutputBuffer => {
  const bytes = new Uint8Array(length);
  return { bytes, view: new DataView(bytes.buffer) };
};

/**
 * Blocks are encoded straight into one of two output buffers: while the sink writes one, records
 * go into the other. Appending never awaits; callers flush when `full` says so.
 */
export class PcapngWriter {
  private current = outputBuffer(FLUSH_THRESHOLD * 2);
  /** The buffer the sink may still be writing (reused only after that write settled). */
  private spare = outputBuffer(FLUSH_THRESHOLD * 2);
  private fill = 0;
  private writing: Promise<void> = Promise.resolve();
  private writeFailure?: { error: unknown };
  private interfaceCount = 0;
  private readonly timestamps: TimestampUnits;

  private constructor(
    private readonly sink: Sink,
    private readonly tsresol: 7 | 9,
  ) {
    this.timestamps = new TimestampUnits(10 ** (9 - tsresol));
  }

  /** True once standard output's reader went away: nothing more will be written, so callers may stop early. */
  get outputGone(): boolean {
    return this.sink.gone;
  }

  /** True when enough is buffered for a write: the caller should flush(). */
  get full(): boolean {
    return this.fill >= FLUSH_THRESHOLD;
  }

  /** path "-" writes to standard output; any other path is written in place only on close(). */
  static async create(path: string, options: PcapngWriterOptions): Promise<PcapngWriter> {
    const sink = path === "-" ? standardOutputSink() : await temporaryFileSink(path);
    const writer = new PcapngWriter(sink, options.tsresol ?? 7);
    writer.appendSectionHeader(options.userAppl);
    return writer;
  }

  /** Returns the new interface's id; ids count from 0 in order of addition. */
  addInterface(linkType: number, name: string, description?: string, snaplen = 0): number {
    const textLength = (text: string) => 4 + paddedTo4(3 * text.length);
    const optionsBound = textLength(name) + (description === undefined ? 0 : textLength(description)) + 8 + END_OF_OPTIONS_LENGTH;
    const start = this.beginBlock(BlockType.InterfaceDescription, 8 + optionsBound);
    const { view } = this.current;
    view.setUint32(start + 8, linkType & 0xffff, true);
    view.setUint32(start + 12, snaplen, true);
    let offset = this.textOption(start + 16, OptionCode.InterfaceName, name);
    if (description !== undefined) offset = this.textOption(offset, OptionCode.InterfaceDescription, description);
    this.optionHeader(offset, OptionCode.TimestampResolution, 1);
    view.setUint32(offset + 4, this.tsresol, true); // the value byte and its padding
    this.endBlock(start, offset + 8, true);
    return this.interfaceCount++;
  }

  /** originalLength defaults to the data length; an undefined timestamp is written as 0. */
  async writePacket(
    interfaceId: number,
    timestampNs: bigint | undefined,
    data: Uint8Array,
    originalLength = data.length,
    options: PacketOptions = {},
  ): Promise<void> {
    const units = this.timestamps.of(timestampNs);
    const dataStart = this.appendEnhancedPacket(interfaceId, units.high, units.low, data.length, originalLength, options.direction, options.comments);
    this.current.bytes.set(data, dataStart);
    if (this.full) await this.flush();
  }

  /**
   * Pseudo-header, payload and attached chunks as the contract lays them out. The record's
   * originalLength counts payload bytes; the bytes it lacks are added to the EPB's original length.
   */
  async writeVmbusRecord(interfaceId: number, record: VmbusRecord): Promise<void> {
    this.appendVmbusRecord(interfaceId, record);
    if (this.full) await this.flush();
  }

  /** writeVmbusRecord without waiting: the record is encoded into the buffer; flush when `full`. */
  appendVmbusRecord(interfaceId: number, record: VmbusRecord): void {
    if (record.kind === RecordKind.RingHeader) throw new RangeError("a ring-header record has no pcapng form (contract kinds are 1..3)");
    // Encoding costs less than finding and checking the packet a record was read from (the bytes are the same).
    const length = vmbusFrameLength(record);
    const missing = Math.max(0, (record.originalLength ?? 0) - record.payload.length);
    const units = this.timestamps.of(record.timestampNs);
    const dataStart = this.appendEnhancedPacket(interfaceId, units.high, units.low, length, length + missing, record.direction, record.comments);
    encodeVmbusRecordInto(record, this.current.bytes, this.current.view, dataStart);
  }

  /** Packet index of the batch, a copy (its timestamp already in this writer's units), as appendVmbusRecord would write its record. */
  appendCopiedPacket(interfaceId: number, batch: PacketBatch, index: number): void {
    const start = batch.dataStart[index];
    const length = batch.dataLength[index];
    const dataStart = this.appendEnhancedPacket(interfaceId, batch.timestampHigh[index], batch.timestampLow[index], length, batch.originalLength[index], batch.direction[index], undefined);
    this.current.bytes.set(batch.bytes.subarray(start, start + length), dataStart);
  }

  /** Whole blocks as they are, bytes[start, end): blocks this writer would write so (PacketBatch.verbatimInterface). */
  appendBlocks(bytes: Uint8Array, start: number, end: number): void {
    this.reserve(end - start);
    this.current.bytes.set(bytes.subarray(start, end), this.fill);
    this.fill += end - start;
  }

  /** if_tsresol of every interface this writer adds. */
  get timestampResolution(): number {
    return this.tsresol;
  }

  /** Sends what is buffered to the sink; the write goes on while records fill the other buffer. */
  async flush(): Promise<void> {
    await this.settle();
    if (this.fill === 0) return;
    const bytes = this.current.bytes.subarray(0, this.fill);
    this.writing = this.sink.write(bytes).catch((error: unknown) => {
      this.writeFailure = { error };
    });
    [this.current, this.spare] = [this.spare, this.current];
    this.fill = 0;
  }

  async close(): Promise<void> {
    await this.flush();
    await this.settle();
    await this.sink.finish();
  }

  /** Waits for the write under way; its failure is this call's. */
  private async settle(): Promise<void> {
    await this.writing;
    if (this.writeFailure) throw this.writeFailure.error;
  }

  /** Drops the output: an existing file of the same name stays as it was. */
  async abort(): Promise<void> {
    await this.writing;
    await this.sink.abort();
  }

  private appendSectionHeader(userAppl: string): void {
    const start = this.beginBlock(BlockType.SectionHeader, 16 + 4 + paddedTo4(3 * userAppl.length) + END_OF_OPTIONS_LENGTH);
    const { view } = this.current;
    view.setUint32(start + 8, BYTE_ORDER_MAGIC, true);
    view.setUint16(start + 12, 1, true);
    view.setUint16(start + 14, 0, true);
    view.setBigInt64(start + 16, -1n, true);
    this.endBlock(start, this.textOption(start + 24, OptionCode.UserApplication, userAppl), true);
  }

  /**
   * An EPB with room for dataLength bytes of packet data, which the caller writes at the returned
   * offset (the padding after them is written here). Options: comments, then epb_flags.
   */
  private appendEnhancedPacket(
    interfaceId: number,
    timestampHigh: number,
    timestampLow: number,
    dataLength: number,
    originalLength: number,
    direction: Direction | undefined,
    comments: readonly string[] | undefined,
  ): number {
    if (interfaceId < 0 || interfaceId >= this.interfaceCount) throw new RangeError(`interface ${interfaceId} was not added`);
    const flags = epbFlagsOf(direction);
    let optionsBound = flags !== 0 ? FLAGS_OPTION_LENGTH + END_OF_OPTIONS_LENGTH : 0;
    if (comments !== undefined) for (const comment of comments) optionsBound += 4 + paddedTo4(3 * comment.length) + END_OF_OPTIONS_LENGTH;
    const start = this.beginBlock(BlockType.EnhancedPacket, 20 + paddedTo4(dataLength) + optionsBound);
    const { bytes, view } = this.current;
    view.setUint32(start + 8, interfaceId, true);
    view.setUint32(start + 12, timestampHigh, true);
    view.setUint32(start + 16, timestampLow, true);
    view.setUint32(start + 20, dataLength, true);
    view.setUint32(start + 24, Math.max(originalLength, dataLength), true);
    const dataStart = start + 28;
    let offset = dataStart + paddedTo4(dataLength);
    for (let padding = dataStart + dataLength; padding < offset; padding++) bytes[padding] = 0;
    if (comments !== undefined) for (const comment of comments) offset = this.textOption(offset, OptionCode.Comment, comment);
    if (flags !== 0) {
      this.optionHeader(offset, OptionCode.PacketFlags, 4);
      view.setUint32(offset + 4, flags, true);
      offset += FLAGS_OPTION_LENGTH;
    }
    this.endBlock(start, offset, offset !== dataStart + paddedTo4(dataLength));
    return dataStart;
  }

  /** Starts a block of at most bodyBound bytes between its framing at the fill position; returns its start. */
  private beginBlock(type: number, bodyBound: number): number {
    this.reserve(12 + bodyBound);
    this.current.view.setUint32(this.fill, type, true);
    return this.fill;
  }

  /** Closes the options with opt_endofopt (when there are any), writes the total length at both ends and takes the block into the buffer. */
  private endBlock(start: number, end: number, hasOptions: boolean): void {
    const { view } = this.current;
    if (hasOptions) {
      // The buffer is reused, so the zeros must be written.
      view.setUint32(end, 0, true);
      end += END_OF_OPTIONS_LENGTH;
    }
    const totalLength = end + 4 - start;
    view.setUint32(start + 4, totalLength, true);
    view.setUint32(end, totalLength, true);
    this.fill = start + totalLength;
  }

  /** A UTF-8 option (room for 3 bytes per UTF-16 unit was reserved); returns the offset after it. */
  private textOption(offset: number, code: number, text: string): number {
    const { bytes } = this.current;
    const valueStart = offset + 4;
    const { written } = utf8.encodeInto(text, bytes.subarray(valueStart, valueStart + 3 * text.length));
    this.optionHeader(offset, code, written);
    const end = valueStart + paddedTo4(written);
    bytes.fill(0, valueStart + written, end);
    return end;
  }

  /** An option's code and length; its value follows. */
  private optionHeader(offset: number, code: number, length: number): void {
    const { view } = this.current;
    view.setUint16(offset, code, true);
    view.setUint16(offset + 2, length, true);
  }

  /** Makes room for one block; a block larger than the buffer gets a buffer of its own. */
  private reserve(length: number): void {
    const { bytes } = this.current;
    if (bytes.length - this.fill >= length) return;
    const larger = outputBuffer(Math.max(bytes.length, this.fill + length));
    larger.bytes.set(bytes.subarray(0, this.fill));
    this.current = larger;
  }
}

/**
 * Nanoseconds to EPB timestamp units (high and low 32 bits). Timestamps near each other share the
 * high half: the nanoseconds where it starts are kept, and the rest is computed exactly as a number.
 */
class TimestampUnits {
  high = 0;
  low = 0;
  private readonly perUnit: bigint;
  /** Nanoseconds covered by one value of the high half (2^32 units; exact as a number). */
  private readonly span: number;
  /** Where the current high half starts, in nanoseconds; undefined before the first non-negative timestamp. */
  private highStartNs?: bigint;

  constructor(private readonly nanosecondsPerUnit: number) {
    this.perUnit = BigInt(nanosecondsPerUnit);
    this.span = 2 ** 32 * nanosecondsPerUnit;
  }

  /** An undefined timestamp is 0. */
  of(timestampNs: bigint | undefined): this {
    const ns = timestampNs ?? 0n;
    if (this.highStartNs !== undefined) {
      const within = Number(ns - this.highStartNs);
      if (within >= 0 && within < this.span) {
        this.low = (within - (within % this.nanosecondsPerUnit)) / this.nanosecondsPerUnit;
        return this;
      }
    }
    const units = BigInt.asUintN(64, ns / this.perUnit);
    this.high = Number(units >> 32n);
    this.low = Number(units & 0xffffffffn);
    this.highStartNs = ns >= 0n ? (units >> 32n) * (1n << 32n) * this.perUnit : undefined;
    return this;
  }
}

async function temporaryFileSink(path: string): Promise<Sink> {
  const temporaryPath = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  const handle: FileHandle = await open(temporaryPath, "wx");
  let closed = false;
  const closeHandle = async () => {
    if (!closed) {
      closed = true;
      await handle.close();
    }
  };
  return {
    gone: false,
    async write(bytes) {
      let written = 0;
      while (written < bytes.length) {
        written += (await handle.write(bytes, written, bytes.length - written)).bytesWritten;
      }
    },
    async finish() {
      await closeHandle();
      await rename(temporaryPath, path);
    },
    async abort() {
      await closeHandle();
      await unlink(temporaryPath).catch(() => undefined);
    },
  };
}

/** A reader that goes away (EPIPE, e.g. `| head`) ends the output quietly: later writes are dropped. */
function standardOutputSink(): Sink {
  const sink = {
    gone: false,
    failure: undefined as Error | undefined,
    write(bytes: Uint8Array): Promise<void> {
      if (sink.gone) return Promise.resolve();
      if (sink.failure) return Promise.reject(sink.failure);
      // The stream may hold on to the bytes after this call, and the writer reuses its buffer.
      const copy = bytes.slice();
      return new Promise((resolve, reject) => {
        process.stdout.write(copy, (error) => {
          if (error && !isBrokenPipe(error)) return reject(error);
          if (error) sink.gone = true;
          resolve();
        });
      });
    },
    finish: async () => undefined,
    abort: async () => undefined,
  };
  // Stays installed: an unhandled 'error' event on stdout would end the process with a stack trace.
  process.stdout.on("error", (error) => {
    if (isBrokenPipe(error)) sink.gone = true;
    else sink.failure = error;
  });
  return sink;
}

function isBrokenPipe(error: Error): boolean {
  return (error as NodeJS.ErrnoException).code === "EPIPE";
}
