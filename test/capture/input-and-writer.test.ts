// The byte input (files and standard input, across chunk boundaries), format detection, and the
// writer's output handling (temporary file and rename, abort, standard output, a closed pipe).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, test } from "node:test";
import { chooseFormat } from "../../capture/detect.js";
import { openInput } from "../../capture/input.js";
import { PcapngWriter, WIRESHARK_MAX_PACKET_LENGTH } from "../../capture/pcapng-writer.js";
import { CaptureError, Direction, RecordKind, type VmbusRecord } from "../../capture/record.js";
import { readFile, run, temporaryDirectory, withoutOrigin, writeSampleFile } from "./helpers.js";

const directory = temporaryDirectory();
const captureDirectory = resolve("capture");

function patterned(length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, index) => (index * 7 + (index >> 11)) & 0xff);
}

/** Runs a TypeScript module in a child node, as the CLI would run. */
function runScript(name: string, source: string, options: { input?: Uint8Array; shell?: string } = {}) {
  const path = join(directory, name);
  writeFileSync(path, source.replaceAll("CAPTURE", captureDirectory));
  if (options.shell) {
    return spawnSync("bash", ["-c", options.shell.replace("SCRIPT", `node --import tsx ${path}`)], { encoding: "buffer" });
  }
  return spawnSync("node", ["--import", "tsx", path], { input: options.input, encoding: "buffer", maxBuffer: 64 << 20 });
}

function ringRecord(number: number, payloadLength: number): VmbusRecord {
  const payload = patterned(payloadLength);
  new DataView(payload.buffer).setUint16(4, payloadLength / 8, true);
  return {
    origin: { file: "", fileOffset: 0, number },
    timestampNs: 1_000_000_000_000_000_000n + BigInt(number) * 100n,
    direction: number % 2 === 0 ? Direction.GuestToHost : Direction.HostToGuest,
    kind: RecordKind.RingPacket,
    flags: 0,
    relid: 1 + (number % 3),
    payload,
    attached: [],
    interfaceId: 0,
    linkType: 147,
  };
}

describe("CaptureInput", () => {
  test("peek, read, skip and readAll across 1 MiB chunk boundaries", async () => {
    const content = patterned(3 * (1 << 20) + 123);
    const path = join(directory, "bytes.bin");
    writeFileSync(path, content);
    const input = await openInput(path);
    assert.equal(input.size, content.length);
    assert.deepEqual(await input.peek(16), content.subarray(0, 16));
    assert.equal(input.position, 0);
    assert.deepEqual(await input.read(1000), content.subarray(0, 1000));
    assert.equal(await input.skip((1 << 20) - 10), (1 << 20) - 10);
    const across = await input.read(100);
    assert.deepEqual(across, content.subarray((1 << 20) + 990, (1 << 20) + 1090));
    const large = await input.read(1_500_000);
    assert.deepEqual(large, content.subarray((1 << 20) + 1090, (1 << 20) + 1090 + 1_500_000));
    await assert.rejects(input.readAll(1000), CaptureError);
    const rest = await input.readAll(1 << 30);
    assert.deepEqual(rest, content.subarray((1 << 20) + 1090 + 1_500_000));
    assert.equal(input.position, content.length);
    assert.equal((await input.read(10)).length, 0);
    assert.equal(await input.skip(10), 0);
    await input.close();
  });

  test("reads of more than a chunk and readAll return bytes that later reads leave alone", async () => {
    const content = patterned(3 << 20);
    const path = join(directory, "owned.bin");
    writeFileSync(path, content);
    const input = await openInput(path);
    const small = (await input.read(64)).slice();
    const large = await input.read((1 << 20) + 5);
    const rest = await input.readAll(1 << 30);
    assert.deepEqual(small, content.subarray(0, 64));
    assert.deepEqual(large, content.subarray(64, 64 + (1 << 20) + 5));
    assert.deepEqual(rest, content.subarray(64 + (1 << 20) + 5));
    await input.close();
  });

  test("a missing file is a CaptureError", async () => {
    await assert.rejects(openInput(join(directory, "missing.pcapng")), CaptureError);
  });

  test("standard input ('-') gives the same records as the file", async () => {
    const path = join(directory, "stdin.pcapng");
    await writeSampleFile(path);
    const child = runScript(
      "read-stdin.mts",
      `import { openInput } from "CAPTURE/input.ts";
       import { readCapture } from "CAPTURE/detect.ts";
       const input = await openInput("-");
       const seen = [];
       for await (const record of readCapture(input)) seen.push([record.origin.file, record.origin.fileOffset, String(record.timestampNs), record.relid, record.payload.length]);
       console.log(JSON.stringify(seen));`,
      { input: readFileSync(path) },
    );
    assert.equal(child.stderr.toString(), "");
    const fromFile = (await readFile(path)).records.map((record) => ["-", record.origin.fileOffset, String(record.timestampNs), record.relid, record.payload.length]);
    assert.deepEqual(JSON.parse(child.stdout.toString()), fromFile);
  });

  test("records kept from standard input hold their bytes across chunks, a block larger than a chunk included", async () => {
    const path = join(directory, "stdin-large.pcapng");
    const writer = await PcapngWriter.create(path, { userAppl: "test" });
    writer.addInterface(147, "vmbus");
    const records = Array.from({ length: 4000 }, (_, index) => ringRecord(index + 1, 8 * (1 + (index % 200))));
    records.splice(2000, 0, ringRecord(99_999, 8 * 200_000));
    for (const record of records) await writer.writeVmbusRecord(0, record);
    await writer.close();
    // Every record is kept until the end, then each payload's bytes are summed.
    const child = runScript(
      "read-stdin-large.mts",
      `import { openInput } from "CAPTURE/input.ts";
       import { readCapture } from "CAPTURE/detect.ts";
       const kept = [];
       for await (const record of readCapture(await openInput("-"))) kept.push(record);
       console.log(JSON.stringify(kept.map((record) => [record.origin.fileOffset, record.payload.reduce((sum, byte) => sum + byte, 0)])));`,
      { input: readFileSync(path) },
    );
    assert.equal(child.stderr.toString(), "");
    const fromFile = (await readFile(path)).records.map((record) => [record.origin.fileOffset, record.payload.reduce((sum, byte) => sum + byte, 0)]);
    const expected = records.map((record) => record.payload.reduce((sum, byte) => sum + byte, 0));
    assert.deepEqual(fromFile.map(([, sum]) => sum), expected);
    assert.deepEqual(JSON.parse(child.stdout.toString()), fromFile);
  });
});

describe("chooseFormat", () => {
  test("recognises pcapng, both pcap magics in both byte orders, and nothing else", () => {
    assert.equal(chooseFormat(Uint8Array.of(0x0a, 0x0d, 0x0d, 0x0a, 0, 0)), "pcapng");
    assert.equal(chooseFormat(Uint8Array.of(0xd4, 0xc3, 0xb2, 0xa1)), "pcap");
    assert.equal(chooseFormat(Uint8Array.of(0xa1, 0xb2, 0xc3, 0xd4)), "pcap");
    assert.equal(chooseFormat(Uint8Array.of(0x4d, 0x3c, 0xb2, 0xa1)), "pcap");
    assert.equal(chooseFormat(Uint8Array.of(0xa1, 0xb2, 0x3c, 0x4d)), "pcap");
    assert.equal(chooseFormat(Uint8Array.of(0x0a, 0x0d)), "unknown");
    assert.equal(chooseFormat(new TextEncoder().encode("GIF89a")), "unknown");
  });
});

describe("PcapngWriter output", () => {
  test("many records and one near Wireshark's packet limit cross every chunk boundary intact", async () => {
    const path = join(directory, "large.pcapng");
    const writer = await PcapngWriter.create(path, { userAppl: "test" });
    writer.addInterface(147, "vmbus");
    const records = Array.from({ length: 3000 }, (_, index) => ringRecord(index + 1, 8 * (1 + (index % 200))));
    records.splice(1500, 0, ringRecord(99_999, WIRESHARK_MAX_PACKET_LENGTH - 28 - 8));
    for (const record of records) await writer.writeVmbusRecord(0, record);
    await writer.close();
    const { records: read, error } = await readFile(path);
    assert.equal(error, undefined);
    assert.equal(read.length, records.length);
    assert.deepStrictEqual(read.map(withoutOrigin), records.map(withoutOrigin));
    const count = run("capinfos", ["-T", "-r", "-c", path]).trim().split("\t")[1];
    assert.equal(count, String(records.length));
  });

  test("a record larger than the output buffer and the input chunk (beyond Wireshark's limit) reads back", async () => {
    const path = join(directory, "huge-record.pcapng");
    const writer = await PcapngWriter.create(path, { userAppl: "test" });
    writer.addInterface(147, "vmbus");
    const records = [ringRecord(1, 64), ringRecord(2, 8 * 300_000), ringRecord(3, 64)];
    for (const record of records) await writer.writeVmbusRecord(0, record);
    await writer.close();
    const { records: read, error } = await readFile(path);
    assert.equal(error, undefined);
    assert.deepStrictEqual(read.map(withoutOrigin), records.map(withoutOrigin));
  });

  test("nothing replaces the output until close, and abort leaves the old file alone", async () => {
    const path = join(directory, "kept.pcapng");
    writeFileSync(path, "previous content");
    const writer = await PcapngWriter.create(path, { userAppl: "test" });
    writer.addInterface(147, "vmbus");
    await writer.writePacket(0, 1n, new Uint8Array(40));
    assert.equal(readFileSync(path, "utf8"), "previous content");
    await writer.abort();
    assert.equal(readFileSync(path, "utf8"), "previous content");
    assert.deepEqual(readdirSync(directory).filter((name) => name.endsWith(".tmp")), []);
  });

  test("writing to '-' gives the same bytes as writing to a file", async () => {
    const path = join(directory, "stdout-reference.pcapng");
    await writeSampleFile(path);
    const child = runScript(
      "write-stdout.mts",
      `import { writeSampleFile } from "${resolve("test/capture/helpers.ts")}";
       await writeSampleFile("-");`,
    );
    assert.equal(child.stderr.toString(), "");
    assert.deepEqual(new Uint8Array(child.stdout), new Uint8Array(readFileSync(path)));
    assert.ok(existsSync(path));
  });

  test("a reader that closes the pipe early ends the output quietly", () => {
    const child = runScript(
      "write-epipe.mts",
      `import { PcapngWriter } from "CAPTURE/pcapng-writer.ts";
       const writer = await PcapngWriter.create("-", { userAppl: "test" });
       writer.addInterface(147, "vmbus");
       for (let index = 0; index < 200000 && !writer.outputGone; index++) await writer.writePacket(0, BigInt(index), new Uint8Array(200));
       await writer.close();
       process.stderr.write("done " + writer.outputGone + "\\n");`,
      { shell: "SCRIPT | head -c 1000 > /dev/null; echo status=${PIPESTATUS[0]}" },
    );
    assert.match(child.stdout.toString(), /status=0/);
    assert.equal(child.stderr.toString(), "done true\n");
  });
});
