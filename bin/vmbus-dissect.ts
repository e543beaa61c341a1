#!/usr/bin/env node
// Argument parsing and wiring only; the work is in capture/, dissectors/ and formats/.

import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { CaptureError } from "../capture/record.js";
import { colorWanted } from "../formats/style.js";
import { devicesOutput } from "./commands/devices.js";
import { fieldsOutput } from "./commands/fields.js";
import { runRead, type ReadOptions } from "./commands/read.js";
import { runWiresharkPlugin } from "./commands/wireshark-plugin.js";
import { runExtractEthernet } from "./commands/extract.js";
import { runStats } from "./commands/stats.js";
import type { InputOptions } from "./commands/records.js";
import { packageVersion, UsageError } from "./errors.js";
import { escapeText } from "../formats/escape.js";

/** How any input is read (ring dumps above all), shared by reading and extracting. */
const INPUT_OPTIONS = {
  "device": { type: "string", describe: "device of a ring dump: short name (netvsc, storvsc, kvp, ...) or class GUID" },
  "history": { type: "boolean", default: false, describe: "ring dumps: also recover consumed packets still in the ring" },
  "page-size": { type: "number", describe: "ring dumps: header page size (default 4096)" },
  "layout": { choices: ["auto", "single", "pair"] as const, default: "auto" as const, describe: "ring dumps: one ring or a channel's pair (guest-to-host first)" },
  "second-ring-page": { type: "number", describe: "ring dumps: where the second ring starts, in 4 KiB pages (OPEN_CHANNEL downstream offset)" },
  "direction": { choices: ["guest-to-host", "host-to-guest"] as const, describe: "ring dumps: direction of a single ring" },
  "relid": { type: "number", describe: "ring dumps: the channel's relid, when known" },
  "recv-buffer": { type: "string", describe: "ring dumps: file holding the receive buffer that transfer-page ranges point into" },
  "send-buffer": { type: "string", describe: "ring dumps: file holding the network send buffer; the sections SEND_RNDIS_PKT names become attached data" },
  "send-section-size": { type: "number", default: 6144, describe: "ring dumps: size of a send-buffer section (Linux netvsc: 6144)" },
  "guest-memory": { type: "string", describe: "ring dumps: flat guest memory image (PFN × 4096 = file offset) for GPA ranges" },
  "link-type": { type: "number", default: 147, describe: "pcapng link type of VMBus records (147..162)" },
} as const;

const fail = (message: string, status: number): never => {
  process.stderr.write(`vmbus-dissect: ${escapeText(message)}\n`);
  process.exit(status);
};

const outputFormat = { alias: "T", choices: ["text", "json"] as const, default: "text" as const, describe: "text, or json (JSON Lines for records; one JSON document for lists)" };

/** The input options as the readers take them; a capture name is required. */
function inputOptions(argv: Record<string, unknown>, file: string | undefined): InputOptions {
  if (!file) throw new UsageError("no capture given: vmbus-dissect <capture>, or vmbus-dissect --help");
  const linkType = Number(argv.linkType);
  if (!(linkType >= 147 && linkType <= 162)) throw new UsageError("--link-type must be one of the user link types 147..162");
  return {
    file, device: argv.device as string | undefined, history: argv.history === true, pageSize: argv.pageSize as number | undefined,
    layout: argv.layout as InputOptions["layout"], secondRingPage: argv.secondRingPage as number | undefined,
    recvBuffer: argv.recvBuffer as string | undefined, sendBuffer: argv.sendBuffer as string | undefined,
    sendSectionSize: Number(argv.sendSectionSize), guestMemory: argv.guestMemory as string | undefined,
    direction: argv.direction as InputOptions["direction"], relid: argv.relid as number | undefined, linkType,
  };
}

/** yargs turns a lone "-" (standard input) into an empty string, or after "--" leaves it unparsed. */
function captureName(argv: { readFile?: string; file?: string; _: Array<string | number> }): string | undefined {
  const given = argv.readFile ?? argv.file;
  return given === "" || (given === undefined && argv._.map(String).includes("-")) ? "-" : given;
}

function printAndExit(text: string): void {
  process.stdout.write(`${text}\n`);
}

async function main(): Promise<void> {
  let exitCode = 0;
  await yargs(hideBin(process.argv))
    .scriptName("vmbus-dissect")
    .usage("$0 [options] <capture>\n\nDecode Hyper-V VMBus traffic from pcapng/pcap captures and raw ring-buffer dumps.")
    .command("devices", "list every known VMBus device class and what is decoded of it", (y) => y.option("output-format", outputFormat),
      (argv) => printAndExit(devicesOutput(argv.outputFormat)))
    .command("fields", "list every field with its filter name and type (like tshark -G fields)", (y) => y.option("output-format", outputFormat),
      (argv) => printAndExit(fieldsOutput(argv.outputFormat)))
    .command("wireshark-plugin", "write the Wireshark Lua dissector generated from our descriptions", (y) => y
      .option("output", { alias: "o", type: "string", describe: "write to FILE instead of standard output" })
      .option("install", { type: "boolean", default: false, describe: "install into Wireshark's personal plugin folder" })
      .option("link-type", { type: "number", array: true, default: [147], describe: "link types to register on (147..162)" }),
    (argv) => {
      const linkTypes = argv.linkType.map(Number);
      if (linkTypes.some((t) => !(t >= 147 && t <= 162))) throw new UsageError("--link-type must be one of the user link types 147..162");
      const path = runWiresharkPlugin({ output: argv.output, install: argv.install, linkTypes });
      if (path) process.stderr.write(`vmbus-dissect: Wireshark plugin written to ${path}${argv.install ? " (Wireshark loads it at start)" : ""}\n`);
    })
    .command("extract <what> [file]", "extract what the records carry: the guest's Ethernet frames as a plain pcapng", (y) => y
      .positional("what", { choices: ["ethernet"] as const, describe: "what to extract" })
      .positional("file", { type: "string", describe: "capture file or ring dump; - for standard input" })
      .option("read-file", { alias: "r", type: "string", describe: "capture file (same as the positional argument)" })
      .option("write", { alias: "w", type: "string", demandOption: true, describe: "pcapng to write (link type 1, one interface per network adapter)" })
      .option("display-filter", { alias: "Y", type: "string", describe: "only records for which the filter holds" })
      .options(INPUT_OPTIONS),
    async (argv) => {
      exitCode = await runExtractEthernet({ ...inputOptions(argv, captureName(argv)), output: argv.write, displayFilter: argv.displayFilter });
    })
    .command("stats [file]", "statistics: channels, message types, response times, versions, throughput, anomalies", (y) => y
      .positional("file", { type: "string", describe: "capture file or ring dump; - for standard input" })
      .option("read-file", { alias: "r", type: "string", describe: "capture file (same as the positional argument)" })
      .option("output-format", { ...outputFormat, describe: "text (tables) or json (one JSON document)" })
      .option("display-filter", { alias: "Y", type: "string", describe: "count only the records for which the filter holds" })
      .option("interval", { type: "number", describe: "throughput interval in seconds (default: chosen so that there are at most 100)" })
      .option("plot", { type: "string", describe: "also draw throughput and response times into FILE.svg or FILE.html" })
      .options(INPUT_OPTIONS),
    async (argv) => {
      exitCode = await runStats({
        ...inputOptions(argv, captureName(argv)), format: argv.outputFormat, displayFilter: argv.displayFilter,
        intervalSeconds: argv.interval, plot: argv.plot,
      });
    })
    .command("$0 [file]", "read a capture and show its records", (y) => y
      .positional("file", { type: "string", describe: "capture file: pcapng, pcap or a raw ring dump; - for standard input" })
      .option("read-file", { alias: "r", type: "string", describe: "capture file (same as the positional argument)" })
      .option("verbose", { alias: "V", type: "boolean", default: false, describe: "full tree: every field with its position and size" })
      .option("hex", { alias: "x", type: "boolean", default: false, describe: "hex dump of the record's bytes" })
      .option("output-format", { ...outputFormat, describe: "text (summary lines or -V tree) or json (JSON Lines, one object per record)" })
      .option("count", { alias: "c", type: "number", describe: "stop after N records (of those the filter keeps)" })
      .option("two-pass", { alias: "2", type: "boolean", default: false, describe: "read the capture twice, so that requests show the record of their answer (or that none came)" })
      .option("display-filter", { alias: "Y", type: "string", describe: "only records for which the filter holds: nvsp.msg_type == SEND_RNDIS_PKT && ip.dst == 10.0.0.1" })
      .option("write", { alias: "w", type: "string", describe: "write the records to a pcapng file (- for standard output)" })
      .option("print", { alias: "P", type: "boolean", default: false, describe: "with -w, also print records" })
      .option("time-format", { alias: "t", choices: ["r", "a", "ad", "e"] as const, default: "r" as const, describe: "r relative, a absolute, ad absolute with date, e epoch" })
      .options(INPUT_OPTIONS)
      .option("strict", { type: "boolean", default: false, describe: "exit with status 1 when any record is malformed" })
      .option("color", { type: "boolean", describe: "colour the output (default: when standard output is a terminal and NO_COLOR is unset)" }),
    async (argv) => {
      const file = captureName(argv);
      if (argv.count !== undefined && !(argv.count > 0)) throw new UsageError("--count must be a positive number");
      const options: ReadOptions = {
        ...inputOptions(argv, file), verbose: argv.verbose, hex: argv.hex, format: argv.outputFormat, count: argv.count, write: argv.write,
        print: argv.print, timeFormat: argv.timeFormat, strict: argv.strict, color: colorWanted(process.stdout, argv.color),
        displayFilter: argv.displayFilter, twoPass: argv.twoPass,
      };
      exitCode = await runRead(options);
    })
    .strict()
    .version(packageVersion())
    .help()
    .alias("h", "help")
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .fail((message, error) => {
      if (error instanceof UsageError) fail(error.message, 2);
      if (error instanceof CaptureError) fail(error.message, 2);
      if (error) throw error;
      fail(`${message} (see --help)`, 2);
    })
    .parseAsync();
  process.exitCode = exitCode;
}

main().catch((error: unknown) => {
  if (error instanceof UsageError || error instanceof CaptureError) fail(error.message, 2);
  fail(`internal error: ${error instanceof Error ? error.message : String(error)} (please report this with the capture)`, 70);
});
