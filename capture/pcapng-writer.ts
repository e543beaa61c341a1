// pcapng writer: one little-endian section, one IDB per interface, EPBs; output buffered into large writes.
import { BlockType, BYTE_ORDER_MAGIC, EPB_INBOUND, EPB_OUTBOUND, OptionCode } from "./pcapng-constants.js";
import { randomBytes } from "node:crypto";
import { open, rename, unlink, type FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { Direction, RecordKind, type VmbusRecord } from "./record.js";
import { vmbusFrame } from "./vmbus-pseudo-header.js";

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

const FLUSH_THRESHOLD = 256 * 1024;
const utf8 = new TextEncoder();

interface Option {
  code: number;
  value: Uint8Array;
}

/** Where finished bytes go: a temporary file renamed on close, or standard output. */
interface Sink {
  /** bytes is only valid until the returned promise settles. */
  write(bytes: Uint8Array): Promise<void>;
  readonly gone: boolean;
  finish(): Promise<void>;
  abort(): Promise<void>;
}

export class PcapngWriter {
  private buffer = new Uint8Array(FLUSH_THRESHOLD * 2);
  private fill = 0;
  private interfaceCount = 0;
  private readonly nanosecondsPerUnit: bigint;

  private constructor(
    private readonly sink: Sink,
    private readonly tsresol: 7 | 9,
  ) {
    this.nanosecondsPerUnit = 10n ** BigInt(9 - tsresol);
  }

  /** True once standard output's reader went away: nothing more will be written, so callers may stop early. */
  get outputGone(): boolean {
    return this.sink.gone;
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
    const options: Option[] = [{ code: OptionCode.InterfaceName, value: utf8.encode(name) }];
    if (description !== undefined) options.push({ code: OptionCode.InterfaceDescription, value: utf8.encode(description) });
    options.push({ code: OptionCode.TimestampResolution, value: Uint8Array.of(this.tsresol) });
    const fixed = new DataView(new ArrayBuffer(8));
    fixed.setUint16(0, linkType, true);
    fixed.setUint32(4, snaplen, true);
    this.appendBlock(BlockType.InterfaceDescription, [new Uint8Array(fixed.buffer)], options);
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
    if (interfaceId < 0 || interfaceId >= this.interfaceCount) throw new RangeError(`interface ${interfaceId} was not added`);
    const units = BigInt.asUintN(64, (timestampNs ?? 0n) / this.nanosecondsPerUnit);
    const fixed = new DataView(new ArrayBuffer(20));
    fixed.setUint32(0, interfaceId, true);
    fixed.setUint32(4, Number(units >> 32n), true);
    fixed.setUint32(8, Number(units & 0xffffffffn), true);
    fixed.setUint32(12, data.length, true);
    fixed.setUint32(16, Math.max(originalLength, data.length), true);
    this.appendBlock(BlockType.EnhancedPacket, [new Uint8Array(fixed.buffer), data], packetOptions(options));
    if (this.fill >= FLUSH_THRESHOLD) await this.flush();
  }

  /**
   * Pseudo-header, payload and attached chunks as the contract lays them out. The record's
   * originalLength counts payload bytes; the bytes it lacks are added to the EPB's original length.
   */
  async writeVmbusRecord(interfaceId: number, record: VmbusRecord): Promise<void> {
    if (record.kind === RecordKind.RingHeader) throw new RangeError("a ring-header record has no pcapng form (contract kinds are 1..3)");
    const data = vmbusFrame(record);
    const missing = Math.max(0, (record.originalLength ?? 0) - record.payload.length);
    await this.writePacket(interfaceId, record.timestampNs, data, data.length + missing, {
      direction: record.direction,
      comments: record.comments,
    });
  }

  async close(): Promise<void> {
    await this.flush();
    await this.sink.finish();
  }

  /** Drops the output: an existing file of the same name stays as it was. */
  async abort(): Promise<void> {
    await this.sink.abort();
  }

  private async flush(): Promise<void> {
    if (this.fill === 0) return;
    const bytes = this.buffer.subarray(0, this.fill);
    this.fill = 0;
    await this.sink.write(bytes);
  }

  private appendSectionHeader(userAppl: string): void {
    const fixed = new DataView(new ArrayBuffer(16));
    fixed.setUint32(0, BYTE_ORDER_MAGIC, true);
    fixed.setUint16(4, 1, true);
    fixed.setUint16(6, 0, true);
    fixed.setBigInt64(8, -1n, true);
    const options = [{ code: OptionCode.UserApplication, value: utf8.encode(userAppl) }];
    this.appendBlock(BlockType.SectionHeader, [new Uint8Array(fixed.buffer)], options);
  }

  /** Block type, total length, the parts (the last one padded to 4), options, total length again. */
  private appendBlock(type: number, parts: Uint8Array[], options: Option[]): void {
    const partsLength = paddedTo4(parts.reduce((sum, part) => sum + part.length, 0));
    const optionsLength = options.length === 0 ? 0 : options.reduce((sum, option) => sum + 4 + paddedTo4(option.value.length), 4);
    const totalLength = 12 + partsLength + optionsLength;
    this.reserve(totalLength);
    const view = new DataView(this.buffer.buffer, this.fill, totalLength);
    view.setUint32(0, type, true);
    view.setUint32(4, totalLength, true);
    let offset = 8;
    for (const part of parts) {
      this.buffer.set(part, this.fill + offset);
      offset += part.length;
    }
    this.buffer.fill(0, this.fill + offset, this.fill + 8 + partsLength);
    offset = 8 + partsLength;
    for (const option of options) offset = this.appendOption(view, offset, option);
    if (options.length > 0) {
      // opt_endofopt; the buffer is reused, so the zeros must be written.
      view.setUint32(offset, 0, true);
      offset += 4;
    }
    view.setUint32(offset, totalLength, true);
    this.fill += totalLength;
  }

  private appendOption(view: DataView, offset: number, option: Option): number {
    view.setUint16(offset, option.code, true);
    view.setUint16(offset + 2, option.value.length, true);
    const valueStart = this.fill + offset + 4;
    this.buffer.set(option.value, valueStart);
    this.buffer.fill(0, valueStart + option.value.length, valueStart + paddedTo4(option.value.length));
    return offset + 4 + paddedTo4(option.value.length);
  }

  /** Makes room for one block; a block larger than the buffer gets a buffer of its own. */
  private reserve(length: number): void {
    if (this.buffer.length - this.fill >= length) return;
    const larger = new Uint8Array(Math.max(this.buffer.length, this.fill + length));
    larger.set(this.buffer.subarray(0, this.fill));
    this.buffer = larger;
  }
}

function packetOptions(options: PacketOptions): Option[] {
  const encoded: Option[] = (options.comments ?? []).map((comment) => ({ code: OptionCode.Comment, value: utf8.encode(comment) }));
  const flags = options.direction === Direction.HostToGuest ? EPB_INBOUND : options.direction === Direction.GuestToHost ? EPB_OUTBOUND : 0;
  if (flags !== 0) {
    const value = new Uint8Array(4);
    new DataView(value.buffer).setUint32(0, flags, true);
    encoded.push({ code: OptionCode.PacketFlags, value });
  }
  return encoded;
}

function paddedTo4(length: number): number {
  return length + ((4 - (length % 4)) % 4);
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
