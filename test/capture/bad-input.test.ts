// Damaged captures: every record before the damage is yielded, then a CaptureError names the block offset.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { before, describe, test } from "node:test";
import { openInput } from "../../capture/input.js";
import { readPcapng } from "../../capture/pcapng-reader.js";
import { CaptureError, Direction, RecordFlags, RecordKind } from "../../capture/record.js";
import { encodeVmbusRecord } from "../../capture/vmbus-pseudo-header.js";
import {
  concatenate,
  enhancedPacket,
  interfaceDescription,
  readFile,
  run,
  sectionHeader,
  temporaryDirectory,
  writeSampleFile,
} from "./helpers.js";

const directory = temporaryDirectory();
const original = join(directory, "good.pcapng");
let bytes: Uint8Array;
let blockOffsets: number[];

/** Start offsets of every block in a little-endian pcapng. */
function blockStarts(file: Uint8Array): number[] {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const starts: number[] = [];
  for (let offset = 0; offset < file.length; offset += view.getUint32(offset + 4, true)) starts.push(offset);
  return starts;
}

function save(name: string, content: Uint8Array): string {
  const path = join(directory, name);
  writeFileSync(path, content);
  return path;
}

before(async () => {
  await writeSampleFile(original);
  bytes = new Uint8Array(readFileSync(original));
  blockOffsets = blockStarts(bytes);
});

describe("damaged pcapng", () => {
  test("cut at every length inside every block: earlier records, then the cut block's offset", async () => {
    const packetStarts = blockOffsets.slice(3);
    for (const [blockIndex, start] of blockOffsets.entries()) {
      const end = blockOffsets[blockIndex + 1] ?? bytes.length;
      for (const cut of new Set([start + 1, start + 7, start + 8, start + 11, Math.floor((start + end) / 2), end - 1])) {
        const { records, error } = await readFile(save("cut.pcapng", bytes.subarray(0, cut)));
        assert.ok(error, `cut at ${cut} must fail`);
        assert.equal(error.offset, start, `cut at ${cut}: ${error.message}`);
        assert.equal(records.length, packetStarts.filter((packetStart) => packetStart < start).length);
        assert.doesNotMatch(error.message, /\n\s+at /);
      }
    }
  });

  test("a cut exactly between blocks is a clean end", async () => {
    const { records, error } = await readFile(save("cut-clean.pcapng", bytes.subarray(0, blockOffsets[5])));
    assert.equal(error, undefined);
    assert.equal(records.length, 2);
  });

  test("a trailing length that disagrees with the leading one names the block", async () => {
    const damaged = bytes.slice();
    const view = new DataView(damaged.buffer);
    const target = blockOffsets[4];
    const length = view.getUint32(target + 4, true);
    view.setUint32(target + length - 4, length + 4, true);
    const { records, error } = await readFile(save("trailer.pcapng", damaged));
    assert.equal(records.length, 1);
    assert.equal(error?.offset, target);
    assert.match(error!.message, /does not match its trailing copy/);
  });

  test("a length far beyond the file is refused before anything is allocated", async () => {
    const damaged = bytes.slice();
    const target = blockOffsets[3];
    new DataView(damaged.buffer).setUint32(target + 4, 0xfffffff0, true);
    const heapBefore = process.memoryUsage().arrayBuffers;
    const { records, error } = await readFile(save("huge.pcapng", damaged));
    assert.equal(records.length, 0);
    assert.equal(error?.offset, target);
    assert.match(error!.message, /runs past the end of the file/);
    assert.ok(process.memoryUsage().arrayBuffers - heapBefore < 64 * 1024 * 1024);
  });

  test("a length that is not a multiple of 4, or below the minimum, is refused", async () => {
    for (const length of [62, 30, 8]) {
      const damaged = bytes.slice();
      const target = blockOffsets[4];
      new DataView(damaged.buffer).setUint32(target + 4, length, true);
      const { records, error } = await readFile(save("odd.pcapng", damaged));
      assert.equal(records.length, 1);
      assert.equal(error?.offset, target);
      assert.match(error!.message, /multiple of 4|below the minimum/);
    }
  });

  test("a captured length running past its block is refused", async () => {
    const damaged = bytes.slice();
    const target = blockOffsets[3];
    new DataView(damaged.buffer).setUint32(target + 20, 5000, true);
    const { error } = await readFile(save("caplen.pcapng", damaged));
    assert.equal(error?.offset, target);
    assert.match(error!.message, /captured length 5000 runs past the block/);
  });

  test("a file that is neither pcapng nor pcap, and a pcapng without a section header", async () => {
    const text = await readFile(save("text.txt", new TextEncoder().encode("hello, world\n")));
    assert.equal(text.error?.offset, 0);
    const input = await openInput(save("headless.pcapng", bytes.subarray(blockOffsets[1])));
    await assert.rejects(async () => {
      for await (const _record of readPcapng(input)) assert.fail("no record expected");
    }, (error: CaptureError) => error.offset === 0 && /does not start with a section header/.test(error.reason));
    await input.close();
    const empty = await readFile(save("empty.pcapng", new Uint8Array(0)));
    assert.equal(empty.error?.offset, 0);
  });

  test("a section header with an unknown byte-order magic, and a packet on an undefined interface", async () => {
    const magic = bytes.slice();
    new DataView(magic.buffer).setUint32(8, 0x11223344, true);
    const badMagic = await readFile(save("magic.pcapng", magic));
    assert.equal(badMagic.error?.offset, 0);
    assert.match(badMagic.error!.message, /byte-order magic/);
    const orphan = concatenate(sectionHeader(), interfaceDescription(147, 0, new Uint8Array(0)), enhancedPacket(3, 0n, new Uint8Array(40), new Uint8Array(0)));
    const undefinedInterface = await readFile(save("orphan.pcapng", orphan));
    assert.equal(undefinedInterface.error?.offset, sectionHeader().length + interfaceDescription(147, 0, new Uint8Array(0)).length);
    assert.match(undefinedInterface.error!.message, /interface 3, but the section defines 1/);
  });

  test("standard input cut mid-block: earlier records, then the block offset", () => {
    const cutAt = blockOffsets[5] + 30;
    const script = join(directory, "stdin-cut.mts");
    writeFileSync(
      script,
      `import { readFile } from "${resolve("test/capture/helpers.ts")}";
       const { records, error } = await readFile("-");
       console.log(JSON.stringify([records.length, error?.offset, error?.reason]));`,
    );
    const child = spawnSync("node", ["--import", "tsx", script], { input: bytes.subarray(0, cutAt), encoding: "utf8" });
    assert.equal(child.stderr, "");
    const [count, offset, reason] = JSON.parse(child.stdout);
    assert.equal(count, 2);
    assert.equal(offset, blockOffsets[5]);
    assert.match(reason, /file ends inside a block/);
  });

  test("a damaged classic pcap yields its earlier records and names the record offset", async () => {
    const pcap = join(directory, "good.pcap");
    run("editcap", ["-F", "pcap", original, pcap]);
    const classic = new Uint8Array(readFileSync(pcap));
    const secondRecord = 24 + 16 + new DataView(classic.buffer).getUint32(24 + 8, true);
    const cut = await readFile(save("cut.pcap", classic.subarray(0, secondRecord + 20)));
    assert.equal(cut.records.length, 1);
    assert.equal(cut.error?.offset, secondRecord);
    const huge = classic.slice();
    new DataView(huge.buffer).setUint32(secondRecord + 8, 0x7fffffff, true);
    const lying = await readFile(save("huge.pcap", huge));
    assert.equal(lying.records.length, 1);
    assert.equal(lying.error?.offset, secondRecord);
  });
});

describe("damaged VMBus records inside sound blocks", () => {
  function fileWith(data: Uint8Array): Uint8Array {
    return concatenate(sectionHeader(), interfaceDescription(147, 0, new Uint8Array(0)), enhancedPacket(0, 0n, data, new Uint8Array(0)));
  }

  const ring = () => {
    const payload = new Uint8Array(24);
    new DataView(payload.buffer).setUint16(4, 3, true);
    return payload;
  };

  test("a bad pseudo-header version still yields the record, with a problem", async () => {
    const data = encodeVmbusRecord({ direction: Direction.GuestToHost, kind: RecordKind.RingPacket, flags: 0, relid: 3, payload: ring(), attached: [] });
    data[0] = 2;
    const { records, error } = await readFile(save("version.pcapng", fileWith(data)));
    assert.equal(error, undefined);
    assert.equal(records.length, 1);
    assert.equal(records[0].relid, 3);
    assert.match(records[0].readerProblems![0].text, /version 2/);
  });

  test("an attached chunk running past the record keeps what is there, with a problem", async () => {
    const data = encodeVmbusRecord({
      direction: Direction.HostToGuest,
      kind: RecordKind.RingPacket,
      flags: RecordFlags.AttachedData,
      relid: 3,
      payload: ring(),
      attached: [
        { source: 1, index: 0, offset: 0, data: Uint8Array.of(1, 2, 3, 4) },
        { source: 1, index: 1, offset: 0, data: Uint8Array.of(5, 6, 7, 8, 9, 10, 11, 12) },
      ],
    });
    new DataView(data.buffer).setUint32(28 + 24 + 16 + 8, 100, true);
    const { records } = await readFile(save("chunk.pcapng", fileWith(data)));
    assert.equal(records[0].attached.length, 2);
    assert.deepEqual(records[0].attached[1].data, Uint8Array.of(5, 6, 7, 8, 9, 10, 11, 12));
    const problem = records[0].readerProblems![0];
    assert.match(problem.text, /chunk of 100 bytes runs past the record; 8 bytes kept/);
    assert.equal(problem.offset, 24 + 16);
  });

  test("attached data on a channel message, a ring length past the record, a record shorter than the pseudo-header", async () => {
    const onMessage = encodeVmbusRecord({ direction: 0, kind: RecordKind.ChannelMessage, flags: RecordFlags.AttachedData, relid: 0, payload: new Uint8Array(16), attached: [] });
    onMessage[5] = RecordFlags.AttachedData;
    const message = await readFile(save("message.pcapng", fileWith(onMessage)));
    assert.equal(message.records[0].payload.length, 16);
    assert.match(message.records[0].readerProblems![0].text, /not defined/);

    const longRing = ring();
    new DataView(longRing.buffer).setUint16(4, 100, true);
    const pastEnd = encodeVmbusRecord({ direction: 0, kind: RecordKind.RingPacket, flags: 0, relid: 1, payload: longRing, attached: [] });
    pastEnd[5] = RecordFlags.AttachedData;
    const ringResult = await readFile(save("ring.pcapng", fileWith(pastEnd)));
    assert.equal(ringResult.records[0].payload.length, 24);
    assert.match(ringResult.records[0].readerProblems![0].text, /total length 800 runs past/);

    const short = await readFile(save("short.pcapng", fileWith(Uint8Array.of(1, 0, 28, 0, 2))));
    assert.equal(short.records.length, 1);
    assert.equal(short.records[0].readerProblems![0].severity, "error");
  });
});
