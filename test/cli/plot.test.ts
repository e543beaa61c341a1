// `stats --plot`: the file is opened in real headless Chromium (Debian's chromium, installed by
// .ci/run); its DOM must hold one series per channel and per request type, and the screenshot must
// show each throughput series' colour, so the series were drawn, not just written.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { inflateSync } from "node:zlib";
import { SERIES_COLOURS } from "../../formats/plot.js";
import { sample, temporaryDirectory, vmbusDissect } from "./run-cli.js";

const directory = temporaryDirectory();

function chromium(args: string[]): string {
  const result = spawnSync("chromium", ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", ...args], { encoding: "utf8", timeout: 60_000 });
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT") throw new Error("chromium is required by the tests: apt-get install chromium (see .ci/run)");
  assert.equal(result.status, 0, result.stderr);
  return result.stdout;
}

/** RGB(A) pixels of an 8-bit PNG, as Chromium writes its screenshots. */
function pngPixels(file: string): { width: number; height: number; channels: number; data: Uint8Array } {
  const png = readFileSync(file);
  let offset = 8;
  let width = 0, height = 0, channels = 0;
  const idat: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString("latin1", offset + 4, offset + 8);
    const body = png.subarray(offset + 8, offset + 8 + length);
    if (type === "IHDR") {
      [width, height] = [body.readUInt32BE(0), body.readUInt32BE(4)];
      assert.equal(body[8], 8, "8-bit PNG");
      channels = body[9] === 6 ? 4 : body[9] === 2 ? 3 : 0;
      assert.ok(channels > 0, `colour type ${body[9]}`);
    }
    if (type === "IDAT") idat.push(body);
    offset += 12 + length;
  }
  return { width, height, channels, data: unfilter(inflateSync(Buffer.concat(idat)), width, height, channels) };
}

function unfilter(raw: Buffer, width: number, height: number, channels: number): Uint8Array {
  const stride = width * channels;
  const out = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let x = 0; x < stride; x++) {
      const value = raw[y * (stride + 1) + 1 + x];
      const left = x >= channels ? out[y * stride + x - channels] : 0;
      const up = y > 0 ? out[(y - 1) * stride + x] : 0;
      const upLeft = x >= channels && y > 0 ? out[(y - 1) * stride + x - channels] : 0;
      const paeth = (): number => {
        const p = left + up - upLeft;
        const [a, b, c] = [Math.abs(p - left), Math.abs(p - up), Math.abs(p - upLeft)];
        return a <= b && a <= c ? left : b <= c ? up : upLeft;
      };
      const predictor = [0, left, up, (left + up) >> 1, paeth()][filter];
      out[y * stride + x] = (value + predictor) & 0xff;
    }
  }
  return out;
}

/** Pixels of a colour in the rows above `belowY` (the throughput chart is the top 300 pixels). */
function countColour(image: ReturnType<typeof pngPixels>, hex: string, belowY: number): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  let count = 0;
  for (let i = 0; i < Math.min(image.data.length, belowY * image.width * image.channels); i += image.channels) {
    if (Math.abs(image.data[i] - r) <= 2 && Math.abs(image.data[i + 1] - g) <= 2 && Math.abs(image.data[i + 2] - b) <= 2) count++;
  }
  return count;
}

function plot(name: string, file: string): { report: any; path: string } {
  const path = join(directory, file);
  const run = vmbusDissect(["stats", "-T", "json", "--plot", path, sample(name)]);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stderr, /plot written to/);
  return { report: JSON.parse(run.stdout), path };
}

describe("stats --plot", () => {
  for (const file of ["vm-connect.svg", "vm-connect.html"]) {
    it(`draws every channel's throughput and every request type's response times: ${file}`, () => {
      const { report, path } = plot("vm-connect.pcapng", file);
      const dom = chromium(["--dump-dom", `file://${path}`]);
      const series = [...dom.matchAll(/data-series="([^"]*)"/g)].map((match) => match[1]);
      const channels = [...new Set(report.throughput.rows.map((row: any) => row.relid))];
      for (const relid of channels) assert.ok(series.some((label) => label.startsWith(`relid ${relid} `) || label === `relid ${relid}`), `relid ${relid} in ${series.join(" | ")}`);
      for (const row of report.response_times.filter((r: any) => r.answered > 0)) {
        assert.ok(series.includes(`${row.protocol} ${row.request} (${row.answered})`), `${row.protocol} ${row.request}`);
      }
      const screenshot = join(directory, `${file}.png`);
      chromium([`--screenshot=${screenshot}`, "--window-size=960,1400", `file://${path}`]);
      const image = pngPixels(screenshot);
      channels.forEach((_, index) => assert.ok(countColour(image, SERIES_COLOURS[index % SERIES_COLOURS.length], 300) > 50, `colour of series ${index} is drawn`));
    });
  }

  it("refuses a plot file that is neither .svg nor .html", () => {
    const run = vmbusDissect(["stats", "--plot", join(directory, "plot.png"), sample("storage.pcapng")]);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /must end in \.svg or \.html/);
  });
});
