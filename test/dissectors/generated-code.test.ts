// The fast paths give exactly what the plain ones give: generated JavaScript (fields and
// expressions, describe/codegen.ts and expr.ts) against the closures (VMBUS_DISSECT_INTERPRET=1),
// on every sample and on hostile records; 64-bit reads against BigInt; the JSON writer against
// JSON.stringify; a reader's frame against a new encoding; summary templates and arrows against
// the regular expressions they replaced.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { openCapture } from "../../capture/open.js";
import { PcapngWriter } from "../../capture/pcapng-writer.js";
import type { VmbusRecord } from "../../capture/record.js";
import { encodeVmbusRecord, vmbusFrame } from "../../capture/vmbus-pseudo-header.js";
import { displayValue, formatInfo, shortValue } from "../../dissectors/describe/display.js";
import { readI64, readU64 } from "../../dissectors/describe/read.js";
import { infoText } from "../../dissectors/dissect.js";
import type { Dissection } from "../../dissectors/index.js";
import type { TreeNode } from "../../dissectors/tree.js";
import { recordJson, recordJsonLine } from "../../formats/json.js";
import { corpus } from "../fuzz/corpus.js";
import { mutateRecord, random } from "../fuzz/mutate.js";
import { root, sample } from "../cli/run-cli.js";
import { dissectCapture } from "./dissect-capture.js";

const cli = join(root, "dist", "bin", "vmbus-dissect.js");
const samples = readdirSync(join(root, "samples")).filter((name) => name.endsWith(".pcapng")).map(sample);

/** Sample records, each followed by hostile variants of it (seeded, so every run checks the same ones). */
function hostileRecords(count: number): VmbusRecord[] {
  const rng = random(20261125);
  const records = corpus();
  const classGuids = records.flatMap((record) => (record.classGuid ? [record.classGuid] : []));
  const mutated = Array.from({ length: count }, () => mutateRecord(records[Math.floor(rng() * records.length)], records[Math.floor(rng() * records.length)], rng, classGuids));
  return [...records, ...mutated];
}

async function writeCapture(path: string, records: readonly VmbusRecord[]): Promise<void> {
  const writer = await PcapngWriter.create(path, { userAppl: "vmbus-dissect test" });
  const id = writer.addInterface(147, "vmbus");
  for (const record of records) {
    try {
      await writer.writeVmbusRecord(id, record);
    } catch {
      // A ring-header record has no pcapng form.
    }
  }
  await writer.close();
}

const hostileCapture = (async () => {
  const path = join(mkdtempSync(join(tmpdir(), "vmbus-dissect-generated-")), "hostile.pcapng");
  await writeCapture(path, hostileRecords(4000));
  return path;
})();

function run(args: string[], interpret: boolean): string {
  const env = { ...process.env, VMBUS_DISSECT_INTERPRET: interpret ? "1" : "0" };
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", env, maxBuffer: 1 << 30 });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout;
}

function sameBothWays(args: string[]): void {
  const generated = run(args, false);
  const interpreted = run(args, true);
  assert.ok(generated.length > 0);
  // assert.equal would print both outputs (megabytes): name the first line that differs instead.
  if (generated !== interpreted) {
    const a = generated.split("\n");
    const b = interpreted.split("\n");
    const line = a.findIndex((text, index) => text !== b[index]);
    assert.fail(`${args.join(" ")}: line ${line + 1} differs\n  generated:   ${a[line]?.slice(0, 300)}\n  interpreted: ${b[line]?.slice(0, 300)}`);
  }
}

describe("generated decoders", () => {
  for (const file of samples) {
    it(`decode ${file.split("/").pop()} exactly as the closures do (-V -x and -T json)`, () => {
      sameBothWays(["-V", "-x", file]);
      sameBothWays(["-T", "json", file]);
    });
  }

  it("decode hostile records exactly as the closures do", async () => {
    const file = await hostileCapture;
    sameBothWays(["-V", "-x", file]);
    sameBothWays(["-T", "json", file]);
  });
});

describe("64-bit reads", () => {
  const edges = [0n, 1n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 53n - 2n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n];
  const rng = random(7);
  const randoms = Array.from({ length: 2000 }, () => BigInt(Math.floor(rng() * 2 ** 32)) * 2n ** 32n + BigInt(Math.floor(rng() * 2 ** 32)));
  const exact = (value: bigint): number | bigint => (value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value);
  const view = new DataView(new ArrayBuffer(9));

  it("give numbers while exact and bigints beyond, as a BigInt read does", () => {
    for (const value of [...edges, ...randoms, ...edges.map((edge) => 2n ** 64n - edge)]) {
      const unsigned = BigInt.asUintN(64, value);
      for (const littleEndian of [true, false]) {
        view.setBigUint64(1, unsigned, littleEndian);
        assert.equal(readU64(view, 1, littleEndian), exact(view.getBigUint64(1, littleEndian)));
      }
      view.setBigUint64(1, unsigned, true);
      assert.equal(readI64(view, 1), exact(view.getBigInt64(1, true)), `i64 ${BigInt.asIntN(64, value)}`);
    }
  });
});

async function dissections(files: readonly string[]): Promise<Dissection[]> {
  const all: Dissection[] = [];
  for (const file of files) all.push(...(await dissectCapture(file)));
  return all;
}

describe("the JSON writer", () => {
  it("writes what JSON.stringify writes of the record's object, for every sample and hostile record", async () => {
    for (const dissection of await dissections([...samples, await hostileCapture])) {
      assert.equal(recordJsonLine(dissection), JSON.stringify(recordJson(dissection)), `record ${dissection.record.origin.number}`);
    }
  });

  it("lists repeated fields, leaves out undefined values and keeps integer-like names in JSON.stringify's order", async () => {
    const [dissection] = await dissections([sample("vm-connect.pcapng")]);
    const field = (filter: string): TreeNode["field"] => ({ filter, label: filter, kind: "uint", width: 4 });
    const leaf = (filter: string, value: unknown): TreeNode => ({ field: field(filter), value: value as TreeNode["value"], offset: 0, length: 4, source: 0 });
    const layer = (children: TreeNode[]): TreeNode => ({ field: { filter: "test", label: "Test", kind: "protocol" }, value: null, offset: 0, length: 0, source: 0, children });
    const struct = (filter: string, children: TreeNode[]): TreeNode => ({ field: { filter, label: filter, kind: "struct" }, value: null, offset: 0, length: 0, source: 0, children });
    const typed = (filter: string, kind: TreeNode["field"]["kind"], value: unknown, values?: Record<number, string>): TreeNode =>
      ({ field: { filter, label: filter, kind, values }, value: value as TreeNode["value"], offset: 0, length: 4, source: 0 });
    const awkward = "quote\" back\\ ctl\u0001\u001f\b\t\n\f\r del\u007f é → 😀 lone\ud800 x\udc00 pair\ud83d\ude00 end\ud83d";
    const names = { 1: "one", 2: "tw\"o → \u0002", 3: awkward };
    const cases = [
      [leaf("a.x", 1), leaf("a.y", 2), leaf("a.x", 3), leaf("a.x", undefined)],
      [leaf("a.x", undefined), leaf("a.z", Number.NaN), leaf("a.w", -0), leaf("a.v", 2n ** 70n)],
      [leaf("b.x", 1), leaf("7", 2), leaf("b.y", Uint8Array.of(1, 2))],
      // Strings as JSON.stringify escapes them, values and the names of values.
      [typed("c.s", "string", awkward), typed("c.e", "string", ""), typed("c.g", "guid", awkward), typed("c.n", "uint", 2, names), typed("c.m", "uint", 3, names), typed("c.u", "uint", 9, names)],
      [typed("c.g", "guid", awkward), typed("c.n", "uint", 3, names), typed("c.m", "uint", 2, names)],
      // A name inside a struct, then (or not) beside it.
      [leaf("d.x", 1), struct("d.s", [leaf("d.x", 2)]), leaf("d.y", 3)],
      [struct("d.s", [leaf("d.x", 2)]), leaf("d.x", 1)],
      [leaf("d.x", 1), struct("d.s", [leaf("d.x", 2)]), leaf("d.x", 3)],
    ];
    for (const children of cases) {
      for (const added of [[layer(children)], [layer(children), layer(children)]]) {
        const changed = { ...dissection, layers: [...dissection.layers, ...added] };
        assert.equal(recordJsonLine(changed), JSON.stringify(recordJson(changed)));
      }
    }
  });
});

describe("frames of records read from a file", () => {
  it("are the bytes encodeVmbusRecord writes, also after the record is changed", async () => {
    const capture = await openCapture(await hostileCapture);
    try {
      for await (const record of capture.records) {
        assert.deepEqual(vmbusFrame(record), encodeVmbusRecord(record));
        const changed: VmbusRecord = { ...record, relid: record.relid + 1, attached: record.attached.slice(1) };
        assert.deepEqual(vmbusFrame(changed), encodeVmbusRecord(changed));
      }
    } finally {
      await capture.close();
    }
  });
});

describe("summary text", () => {
  /** formatInfo as it was: a regular expression over the template, a search per placeholder. */
  function formatInfoByRegex(template: string, node: Pick<TreeNode, "children">): string {
    const find = (parent: Pick<TreeNode, "children">, key: string): TreeNode | undefined => {
      for (const child of parent.children ?? []) if (child.field.filter.endsWith(`.${key}`) && child.field.kind !== "struct") return child;
      for (const child of parent.children ?? []) {
        if (child.field.kind !== "struct") continue;
        const found = find(child, key);
        if (found) return found;
      }
      return undefined;
    };
    return template.replace(/\{([A-Za-z0-9_.]+)(?::(raw|bits|ifset|len))?\}/g, (_all, key: string, mode?: string) => {
      const child = find(node, key);
      if (mode === "len") return child ? String(child.length) : "?";
      if (mode === "ifset") return child && child.value !== 0 && child.value !== false && child.value !== null ? shortValue(child.field, child.value) : "";
      if (!child) return "?";
      if (mode === "bits") {
        const set = (child.children ?? []).filter((bit) => bit.field.kind === "bit" && bit.value === true).map((bit) => bit.field.label);
        return set.length > 0 ? `[${set.join(", ")}]` : "";
      }
      if (mode === "raw") return typeof child.value === "object" ? displayValue(child.field, child.value) : String(child.value);
      return shortValue(child.field, child.value);
    });
  }

  it("fills every placeholder of every struct in the samples as the regular expression did", async () => {
    const modes = ["", ":raw", ":bits", ":ifset", ":len"];
    let compared = 0;
    const visit = (node: TreeNode): void => {
      if (!node.children) return;
      const keys = node.children.map((child) => child.field.filter.split(".").slice(-2).join("."));
      for (const key of [...keys, keys[0]?.split(".").pop() ?? "x", "missing_key"]) {
        const template = modes.map((mode) => `a {${key}${mode}} b`).join(" {not a placeholder} ");
        assert.equal(formatInfo(template, node), formatInfoByRegex(template, node), template);
        compared++;
      }
      node.children.forEach(visit);
    };
    for (const dissection of await dissections(samples)) dissection.layers.forEach(visit);
    assert.ok(compared > 1000);
  });

  it("joins layers as the regular expressions did", () => {
    const byRegex = (parts: readonly string[]): string =>
      parts.filter((part) => part !== "").join(" ").replace(/→(\s*→)+/g, "→").replace(/(\s*→\s*)+$/, "").replace(/^(\s*→\s*)+/, "");
    const pieces = ["", "→", " ", "a", "b c", " →", "→ ", "x→y", "x → y", "→→", "a ", " a", "\u00a0", "\t", "…", "q → → r", "\u2003z"];
    const rng = random(11);
    for (let i = 0; i < 50_000; i++) {
      const parts = Array.from({ length: Math.floor(rng() * 7) }, () => pieces[Math.floor(rng() * pieces.length)]);
      assert.equal(infoText(parts), byRegex(parts), JSON.stringify(parts));
    }
  });
});
