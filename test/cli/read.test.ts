import assert from "node:assert/strict";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { hasStackTrace, lines, sample, temporaryDirectory, tool, vmbusDissect } from "./run-cli.js";
import { buildRingDump } from "../../capture/ring-writer.js";
import { buildRingPacket } from "../../dissectors/vmbus/packets.js";

const CONNECTION = sample("vm-connect.pcapng");
const CONNECTION_RECORDS = 61;

describe("reading the connection sample", () => {
  it("prints one summary line per record, numbered like tshark", () => {
    const run = vmbusDissect([CONNECTION]);
    assert.equal(run.status, 0, run.stderr);
    const output = lines(run.stdout);
    assert.equal(output.length, CONNECTION_RECORDS);
    output.forEach((line, index) => assert.match(line, new RegExp(`^\\s*${index + 1} `)));
    assert.match(output[0], /InitiateContact version 6\.0/);
    assert.match(output[3], /OfferChannel relid 1 Synthetic network adapter/);
  });

  it("names every channel message type 1..29 somewhere in the sample", () => {
    const run = vmbusDissect(["-T", "json", CONNECTION]);
    const types = new Set(lines(run.stdout).flatMap((line) => {
      const chan = JSON.parse(line).layers.vmbus["vmbus.chan"] ?? JSON.parse(line).layers.vmbus["vmbus.synic"]?.["vmbus.synic.message"];
      return chan ? [chan["vmbus.chan.msgtype"]] : [];
    }));
    for (let type = 1; type <= 29; type++) assert.ok(types.has(type), `message type ${type} missing`);
  });

  it("stops after -c records", () => {
    assert.equal(lines(vmbusDissect(["-c", "5", CONNECTION]).stdout).length, 5);
  });

  it("shows the full tree with positions and sizes with -V", () => {
    const run = vmbusDissect(["-V", "-c", "4", CONNECTION]);
    assert.match(run.stdout, /Record 4: Channel message/);
    assert.match(run.stdout, /Interface type \(device class \/ hv_sock service id\): f8615163-df3e-46c5-913f-f2d2f965ed0e \(Synthetic network adapter\)  \[pos 36, size 16\]/);
    assert.match(run.stdout, /\.\.\.1 = Enumerate device interface: Set/);
  });

  it("prints a hex dump with -x", () => {
    const run = vmbusDissect(["-x", "-c", "1", CONNECTION]);
    assert.match(run.stdout, /^0000  01 00 1c 00 01 00 00 00  00 00 00 00 00 00 00 00/m);
  });

  it("never colours piped output", () => {
    assert.doesNotMatch(vmbusDissect(["-V", "-c", "3", CONNECTION]).stdout, /\x1b\[/);
    assert.match(vmbusDissect(["-V", "-c", "3", "--color", CONNECTION]).stdout, /\x1b\[/);
    assert.doesNotMatch(vmbusDissect(["-V", "-c", "3", CONNECTION], { env: { NO_COLOR: "1" } }).stdout, /\x1b\[/);
  });
});

describe("JSON Lines for jq", () => {
  const json = vmbusDissect(["-T", "json", CONNECTION]).stdout;

  it("has no malformed record, and a summary for every record", () => {
    assert.equal(tool("jq", ["-c", "select(.malformed)"], json).stdout, "");
    const summaries = lines(tool("jq", ["-r", ".summary"], json).stdout);
    assert.equal(summaries.length, CONNECTION_RECORDS);
    assert.ok(summaries.every((summary) => summary.length > 0));
  });

  it("keys fields by filter name with typed values and enum names", () => {
    const first = JSON.parse(lines(json)[0]);
    const chan = first.layers.vmbus["vmbus.chan"];
    assert.equal(chan["vmbus.chan.msgtype"], 14);
    assert.equal(chan["vmbus.chan.msgtype.name"], "InitiateContact");
    assert.equal(chan["vmbus.chan.initiate_contact"]["vmbus.chan.version_requested"], 0x60000);
    assert.equal(first.direction, "guest-to-host");
    assert.equal(typeof first.timestamp_ns, "string");
  });

  it("lets jq select ring packets by device", () => {
    const selected = lines(tool("jq", ["-c", 'select(.device == "netvsc") | .index'], json).stdout);
    assert.deepEqual(selected.map(Number), [36, 37, 38, 39, 40, 41]);
  });
});

describe("writing pcapng", () => {
  const directory = temporaryDirectory();
  const written = join(directory, "out.pcapng");
  const run = vmbusDissect([CONNECTION, "-w", written]);

  it("writes every record, and tshark counts the same", () => {
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout, "");
    assert.equal(lines(tool("tshark", ["-r", written]).stdout).length, CONNECTION_RECORDS);
  });

  it("puts each channel on an interface of its own that capinfos lists", () => {
    const info = tool("capinfos", [written]).stdout;
    assert.match(info, /Number of packets:\s+61/);
    assert.match(info, /Name = vmbus\n/);
    assert.match(info, /Name = vmbus\/1\n/);
    assert.match(info, /Description = netvsc: Synthetic network adapter, class f8615163-df3e-46c5-913f-f2d2f965ed0e, instance/);
  });

  it("reads back to the same JSON", () => {
    const strip = (text: string) => lines(text).map((line) => {
      const { file_offset: _offset, ...rest } = JSON.parse(line);
      return rest;
    });
    assert.deepEqual(strip(vmbusDissect(["-T", "json", written]).stdout), strip(vmbusDissect(["-T", "json", CONNECTION]).stdout));
  });

  it("writes ring dumps too, with the device and direction of each packet", () => {
    const fromRing = join(directory, "ring.pcapng");
    const result = vmbusDissect([sample("netvsc-ring-pair.bin"), "--device", "netvsc", "--history", "-w", fromRing]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stderr, /2 ring-header record\(s\) are not packets/);
    const fields = lines(tool("tshark", ["-r", fromRing, "-T", "fields", "-e", "frame.number", "-e", "pkt_comment"]).stdout);
    const back = lines(vmbusDissect(["-T", "json", fromRing]).stdout).map((line) => JSON.parse(line));
    assert.equal(fields.length, back.length);
    assert.ok(back.every((record) => record.device === "netvsc"));
    assert.deepEqual([...new Set(back.map((record) => record.direction))], ["guest-to-host", "host-to-guest"]);
  });
});

describe("ring dumps", () => {
  it("shows the ring header, then the recovered records, then the pending ones, in ring order", () => {
    const run = vmbusDissect(["-V", "--history", "--device", "netvsc", sample("netvsc-ring.bin")]);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, /single ring/);
    assert.match(run.stderr, /device: netvsc/);
    const headings = run.stdout.split("\n").filter((line) => line.startsWith("Record "));
    assert.match(headings[0], /Ring header.*ring 0 header/);
    const notes = headings.slice(1).map((line) => (/, (recovered|pending),/.exec(line) ?? [])[1]);
    const firstPending = notes.indexOf("pending");
    assert.ok(firstPending > 1, "recovered records come first");
    assert.ok(notes.slice(0, firstPending).every((note) => note === "recovered"));
    assert.ok(notes.slice(firstPending).every((note) => note === "pending"));
    const [write, read] = [/Write index \(producer\): (0x[0-9a-f]+)/, /Read index \(consumer\): (0x[0-9a-f]+)/].map((re) => Number(re.exec(run.stdout)![1]));
    assert.match(run.stdout, new RegExp(`\\[Bytes pending \\(unread\\): ${write - read} bytes\\]`));
    const transactionIds = [...run.stdout.matchAll(/Transaction id: (0x[0-9a-f]+)/g)].map((m) => Number(m[1]));
    assert.deepEqual(transactionIds, [...transactionIds].sort((a, b) => a - b), "ring order");
  });

  it("attaches the receive-buffer bytes that transfer-page ranges point to", () => {
    const run = vmbusDissect(["-T", "json", "--device", "netvsc", "--recv-buffer", sample("netvsc-recv-buffer.bin"), sample("netvsc-ring-pair.bin")]);
    const withData = lines(run.stdout).map((line) => JSON.parse(line)).filter((record) => record.layers.vmbus["vmbus.pkt"]?.["vmbus.pkt.attached"]);
    assert.ok(withData.length > 0);
    const buffer = readFileSync(sample("netvsc-recv-buffer.bin"));
    const chunk = withData[0].layers.vmbus["vmbus.pkt"]["vmbus.pkt.attached_tree"][0];
    const range = withData[0].layers.vmbus["vmbus.pkt"]["vmbus.pkt.xfer_hdr"]["vmbus.pkt.xfer_ranges_tree"][0];
    const offset = range["vmbus.pkt.xfer.byte_offset"];
    assert.equal(chunk["vmbus.attached.data"], buffer.subarray(offset, offset + range["vmbus.pkt.xfer.byte_count"]).toString("hex"));
  });

  it("applies --relid and --device to ring dumps only, never to a capture's own records", () => {
    const records = lines(vmbusDissect(["-T", "json", "--relid", "99", "--device", "storvsc", CONNECTION]).stdout).map((line) => JSON.parse(line));
    assert.deepEqual([...new Set(records.filter((r) => r.device).map((r) => `${r.relid} ${r.device}`))], ["1 netvsc"]);
    const ring = lines(vmbusDissect(["-T", "json", "--relid", "99", "--device", "netvsc", sample("netvsc-ring.bin")]).stdout).map((line) => JSON.parse(line));
    assert.ok(ring.filter((r) => r.device).every((r) => r.relid === 99));
  });

  it("recognises the device from the packets when not told, and says on what evidence", () => {
    const network = vmbusDissect([sample("netvsc-ring.bin")]);
    assert.match(network.stderr, /device: netvsc \(Synthetic network adapter\), recognised: \d+ of \d+ packets look like netvsc/);
    assert.ok(lines(network.stdout).slice(1).every((line) => / netvsc /.test(line)));
    const storage = vmbusDissect([sample("storvsc-ring-pair.bin")]);
    assert.match(storage.stderr, /device: storvsc .* recognised/);
  });

  it("says the device is unknown when no device recognises the packets, and still shows every packet", () => {
    const path = join(temporaryDirectory(), "unknown.bin");
    const packets = [1, 2, 3].map((n) => buildRingPacket({ type: 0x6, transId: n, payload: Uint8Array.from({ length: 24 }, (_, i) => (i * 37 + n) & 0xff) }));
    writeFileSync(path, buildRingDump({ dataSize: 8192, rings: [{ packets, consumed: 0, startOffset: 0 }] }));
    const run = vmbusDissect([path]);
    assert.equal(run.status, 0);
    assert.match(run.stderr, /not recognised from the packets.*give --device/);
    assert.equal(lines(run.stdout).length, 4);
  });

  it("attaches the send-buffer sections that packets name (--send-buffer)", () => {
    const run = vmbusDissect(["-T", "json", "--history", "--send-buffer", sample("netvsc-send-buffer.bin"), sample("netvsc-ring.bin")]);
    const records = lines(run.stdout).map((line) => JSON.parse(line));
    const inSections = records.filter((record) => / section \d+ → RNDIS PACKET/.test(record.summary));
    assert.ok(inSections.length > 10, `${inSections.length} records with their section decoded`);
    assert.ok(records.every((record) => !record.malformed));
  });
});

describe("Hyper-V socket connections", () => {
  it("ties a guest's TL_CONNECT_REQUEST to the offer that answers it, and to a failure result", () => {
    const sockets = lines(vmbusDissect(["-T", "json", sample("sockets.pcapng")]).stdout).map((line) => JSON.parse(line));
    const request = sockets.find((r) => r.summary.startsWith("TlConnectRequest"));
    const offer = sockets.find((r) => JSON.stringify(r.layers).includes('"vmbus.tl_connect.request_in"'));
    assert.ok(request && offer, "request and answering offer");
    assert.match(offer.summary, /^OfferChannel relid \d+ .* for TL_CONNECT service /);
    assert.equal(JSON.stringify(offer.layers).match(/"vmbus\.tl_connect\.request_in":(\d+)/)?.[1], String(request.index));
    const refused = lines(vmbusDissect(["-T", "json", CONNECTION]).stdout).map((line) => JSON.parse(line)).find((r) => r.summary.startsWith("TlConnectRequestResult"));
    assert.match(refused.summary, /STATUS_CONNECTION_REFUSED for TL_CONNECT service 0000abcd-/);
  });
});

describe("lists", () => {
  it("fields lists every field with its filter name and type", () => {
    const fields = vmbusDissect(["fields"]).stdout;
    assert.match(fields, /^F\tMessage type\tvmbus\.chan\.msgtype\tuint32\tvmbus/m);
    assert.match(fields, /^F\tTransaction id\tvmbus\.pkt\.trans_id\tuint64\tvmbus\thex/m);
    assert.match(fields, /^P\tVMBus\tvmbus$/m);
    const json = JSON.parse(vmbusDissect(["fields", "-T", "json"]).stdout);
    assert.ok(json.some((field: { filter: string }) => field.filter === "vmbus.device"));
  });

  it("devices lists every class with what is decoded, as a table and as JSON", () => {
    const table = vmbusDissect(["devices"]).stdout;
    for (const short of ["netvsc", "storvsc", "kvp", "vmbfs", "rdctl", "hvsock"]) assert.match(table, new RegExp(`│ ${short} `));
    const devices = JSON.parse(vmbusDissect(["devices", "-T", "json"]).stdout);
    assert.equal(devices.length, 25);
    const disputed = devices.find((device: { class_guid: string }) => device.class_guid === "f8e65716-3cb3-4a06-9a60-1889c5cccab5");
    assert.match(disputed.name, /Remote Desktop control/);
    assert.match(disputed.also_known_as, /AVMA1/);
    assert.equal(devices.find((device: { short: string }) => device.short === "nd").public_specification, false);
  });
});

describe("bad input", () => {
  const directory = temporaryDirectory();

  it("says in one line that a file is not a capture, with exit status 2", () => {
    const path = join(directory, "notes.txt");
    writeFileSync(path, "hello, this is not a capture\n".repeat(400));
    const run = vmbusDissect([path]);
    assert.equal(run.status, 2);
    assert.equal(lines(run.stderr).length, 1);
    assert.match(run.stderr, /notes\.txt: not a pcapng, pcap or VMBus ring dump/);
    assert.ok(!hasStackTrace(run.stderr));
  });

  it("outputs every record before the damage of a truncated pcapng, then names the offset", () => {
    const path = join(directory, "cut.pcapng");
    const whole = readFileSync(CONNECTION);
    writeFileSync(path, whole.subarray(0, Math.floor(whole.length / 2)));
    const run = vmbusDissect([path]);
    assert.equal(run.status, 2);
    const shown = lines(run.stdout).length;
    assert.ok(shown > 10 && shown < CONNECTION_RECORDS, `${shown} records before the damage`);
    assert.match(run.stderr, /cut\.pcapng: .* at byte offset \d+/);
    assert.equal(lines(run.stderr).length, 1);
  });

  it("rejects a ring dump whose indices run past its data area", () => {
    const path = join(directory, "bad-ring.bin");
    const dump = readFileSync(sample("netvsc-ring.bin"));
    dump.writeUInt32LE(0x7fff0000, 0);
    writeFileSync(path, dump);
    const run = vmbusDissect(["--layout", "single", path]);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /write_index .* beyond/);
    assert.ok(!hasStackTrace(run.stderr));
  });

  it("reports a missing file and a usage error without a stack trace", () => {
    const missing = vmbusDissect([join(directory, "nope.pcapng")]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /nope\.pcapng: cannot open/);
    const usage = vmbusDissect(["--device", "no-such-device", CONNECTION]);
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /unknown device "no-such-device"/);
    assert.ok(!hasStackTrace(missing.stderr + usage.stderr));
  });

  it("refuses a count that is not a whole number above 0 (it would never be reached)", () => {
    for (const count of ["0", "2.5", "-3"]) {
      const run = vmbusDissect(["-c", count, CONNECTION]);
      assert.equal(run.status, 2, count);
      assert.equal(run.stdout, "");
      assert.match(run.stderr, /^vmbus-dissect: --count must be a whole number above 0\n$/);
    }
  });

  it("reads standard input", () => {
    const run = vmbusDissect(["-"], { input: readFileSync(CONNECTION) });
    assert.equal(lines(run.stdout).length, CONNECTION_RECORDS);
  });

  it("keeps decoding after a malformed record, and --strict turns it into exit status 1", () => {
    const path = join(directory, "one-bad.pcapng");
    copyFileSync(CONNECTION, path);
    const bytes = readFileSync(path);
    const first = bytes.indexOf(Buffer.from([0x01, 0x00, 0x1c, 0x00, 0x01])); // first VMBus record's pseudo-header
    bytes.writeUInt32LE(30, first + 28); // channel message type 30 does not exist
    writeFileSync(path, bytes);
    const run = vmbusDissect(["-T", "json", path]);
    assert.equal(run.status, 0);
    const records = lines(run.stdout).map((line) => JSON.parse(line));
    assert.equal(records.length, CONNECTION_RECORDS);
    assert.equal(records[0].malformed, true);
    assert.match(records[0].problems[0].text, /unknown channel message type 30/);
    assert.ok(records.slice(1).every((record) => !record.malformed));
    assert.equal(vmbusDissect(["--strict", path]).status, 1);
  });
});
