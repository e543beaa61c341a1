// Our writer's files, checked by Wireshark's tools and read back by our readers; files written by those tools read back.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import type { InterfaceInfo } from "../../capture/pcapng-reader.js";
import {
  concatenate,
  epochText,
  readFile,
  run,
  sampleRecords,
  temporaryDirectory,
  withoutOrigin,
  writeSampleFile,
} from "./helpers.js";

const directory = temporaryDirectory();
const ours = join(directory, "ours.pcapng");
const expected = sampleRecords();

/** The sample records minus what a classic pcap cannot carry (interface ids, comments). */
function asInPcap(records = expected) {
  return records.map(({ interfaceId: _interfaceId, comments: _comments, ...rest }) => rest);
}

before(async () => {
  await writeSampleFile(ours);
});

describe("pcapng written by PcapngWriter", () => {
  test("tshark sees every packet on its interface with the exact time", () => {
    const lines = run("tshark", ["-r", ours, "-T", "fields", "-e", "frame.number", "-e", "frame.interface_id", "-e", "frame.time_epoch"]).trim().split("\n");
    assert.deepEqual(
      lines,
      expected.map((record, index) => `${index + 1}\t${record.interfaceId}\t${epochText(record.timestampNs!)}`),
    );
  });

  test("tshark reads comments, direction and lengths from the EPB", () => {
    const lines = run("tshark", ["-r", ours, "-T", "fields", "-E", "separator=|", "-e", "frame.comment", "-e", "frame.p2p_dir", "-e", "frame.len", "-e", "frame.cap_len"]).trim().split("\n");
    assert.equal(lines[0], "offer|1|224|224");
    assert.equal(lines[2].split("|")[0], "send RNDIS,second comment, ünïcode");
    assert.equal(lines[4], "||284|284", "unknown direction writes no epb_flags");
    assert.equal(lines[5], "|1|108|60", "a truncated record keeps its original length");
  });

  test("capinfos lists both interfaces by name and the writing application", () => {
    const report = run("capinfos", [ours]);
    assert.match(report, /Number of interfaces in file: 2/);
    assert.match(report, /Name = vmbus\/0/);
    assert.match(report, /Name = vmbus\/5/);
    assert.match(report, /Description = netvsc f8615163/);
    assert.match(report, /Capture application: vmbus-dissect test/);
    assert.match(report, /Time resolution = 0x07/);
    const table = run("capinfos", ["-T", "-c", ours]).trim().split("\n");
    assert.equal(table[1].split("\t")[1], String(expected.length));
  });

  test("our reader reads back every field identically", async () => {
    const { records, error } = await readFile(ours);
    assert.equal(error, undefined);
    assert.deepStrictEqual(records.map(withoutOrigin), expected);
    assert.deepStrictEqual(records.map((record) => record.origin.number), [1, 2, 3, 4, 5, 6]);
    const bytes = readFileSync(ours);
    for (const record of records) {
      assert.equal(bytes.readUInt32LE(record.origin.fileOffset), 6, "origin points at the EPB start");
      assert.equal(record.origin.file, ours);
    }
  });

  test("tsresol 9 keeps nanoseconds exactly", async () => {
    const path = join(directory, "nanoseconds.pcapng");
    const records = sampleRecords(1_700_000_000_123_456_789n).map((record, index) => ({ ...record, timestampNs: record.timestampNs! + BigInt(index) }));
    await writeSampleFile(path, records, 9);
    assert.deepStrictEqual((await readFile(path)).records.map(withoutOrigin), records);
    const times = run("tshark", ["-r", path, "-T", "fields", "-e", "frame.time_epoch"]).trim().split("\n");
    assert.deepEqual(times, records.map((record) => epochText(record.timestampNs!)));
  });
});

describe("files written by Wireshark's tools", () => {
  test("editcap -F pcap (microseconds) reads back with rounded times", async () => {
    const path = join(directory, "classic.pcap");
    run("editcap", ["-F", "pcap", ours, path]);
    const { records, error } = await readFile(path);
    assert.equal(error, undefined);
    const timeless = (record: object) => ({ ...record, timestampNs: undefined });
    assert.deepStrictEqual(records.map(withoutOrigin).map(timeless), asInPcap().map(timeless));
    records.forEach((record, index) => {
      const difference = record.timestampNs! - expected[index].timestampNs!;
      assert.ok(difference >= -1000n && difference <= 1000n, `record ${index + 1} time off by ${difference} ns`);
      assert.equal(record.timestampNs! % 1000n, 0n);
    });
    assert.equal(records[0].origin.fileOffset, 24, "the first record follows the 24-byte file header");
  });

  test("editcap -F nsecpcap reads back with exact times", async () => {
    const path = join(directory, "classic-ns.pcap");
    run("editcap", ["-F", "nsecpcap", ours, path]);
    const { records, error } = await readFile(path);
    assert.equal(error, undefined);
    assert.deepStrictEqual(records.map(withoutOrigin), asInPcap());
  });

  test("editcap -F pcapng round trip keeps every field", async () => {
    const path = join(directory, "editcap.pcapng");
    run("editcap", ["-F", "pcapng", ours, path]);
    const { records, error } = await readFile(path);
    assert.equal(error, undefined);
    assert.deepStrictEqual(records.map(withoutOrigin), expected);
  });

  test("mergecap of two of our files holds every record of both", async () => {
    const second = join(directory, "second.pcapng");
    const later = sampleRecords(1_700_000_000_500_000_000n);
    await writeSampleFile(second, later);
    const merged = join(directory, "merged.pcapng");
    run("mergecap", ["-w", merged, ours, second]);
    const { records, error } = await readFile(merged);
    assert.equal(error, undefined);
    const key = (record: { timestampNs?: bigint; relid: number; kind: number }) => `${record.timestampNs}/${record.relid}/${record.kind}`;
    const strip = ({ interfaceId: _interfaceId, ...rest }: ReturnType<typeof withoutOrigin>) => rest;
    const sorted = (list: ReturnType<typeof withoutOrigin>[]) => list.map(strip).sort((a, b) => key(a).localeCompare(key(b)));
    assert.deepStrictEqual(sorted(records.map(withoutOrigin)), sorted([...expected, ...later]));
    const tsharkCount = run("tshark", ["-r", merged, "-T", "fields", "-e", "frame.number"]).trim().split("\n").length;
    assert.equal(records.length, tsharkCount);
    const names = run("tshark", ["-r", merged, "-T", "fields", "-e", "frame.interface_name"]).trim().split("\n");
    records.forEach((record, index) => assert.equal(names[index], `vmbus/${record.relid}`));
  });

  test("two files concatenated byte-wise (two sections) read fully", async () => {
    const second = join(directory, "section2.pcapng");
    const later = sampleRecords(1_800_000_000_000_000_000n);
    await writeSampleFile(second, later);
    const path = join(directory, "two-sections.pcapng");
    writeFileSync(path, concatenate(readFileSync(ours), readFileSync(second)));
    const { records, error } = await readFile(path);
    assert.equal(error, undefined);
    assert.deepStrictEqual(records.map(withoutOrigin), [...expected, ...later]);
    assert.equal(records[expected.length].origin.number, expected.length + 1);
    const interfaces: InterfaceInfo[] = [];
    await readFile(path, { onInterface: (info) => interfaces.push(info) });
    assert.deepEqual(
      interfaces.map(({ section, interfaceId, name, linkType }) => [section, interfaceId, name, linkType]),
      [[0, 0, "vmbus/0", 147], [0, 1, "vmbus/5", 147], [1, 0, "vmbus/0", 147], [1, 1, "vmbus/5", 147]],
    );
    assert.equal(interfaces[1].description, "netvsc f8615163-df3e-46c5-913f-f2d2f965ed0e");
    assert.equal(records[expected.length].origin.fileOffset > readFileSync(ours).length, true);
    const tsharkCount = run("tshark", ["-r", path, "-T", "fields", "-e", "frame.number"]).trim().split("\n").length;
    assert.equal(tsharkCount, records.length);
  });
});
