// Every command and its options through yargs (help, version, errors). Plain reads skip it: see
// read-arguments.ts. Commands other than reading are imported when they run: their modules
// (tables, the plugin generator, plotting) would only slow the start of every read.

import yargs from "yargs";
import { CaptureError } from "../capture/record.js";
import type { ReadOptions } from "./commands/read.js";
import { fail, packageVersion, printDocument, UsageError } from "./errors.js";
import { captureName, CAPTURE_POSITIONAL, INPUT_OPTIONS, inputOptions, OUTPUT_FORMAT, READ_OPTIONS, readOptions } from "./read-arguments.js";

function printWithNewline(text: string): void {
  printDocument(`${text}\n`);
}

/** Parses the arguments and runs the command they name; `read` runs the default command. Gives the exit status. */
export async function runCommandLine(args: string[], read: (options: ReadOptions) => Promise<number>): Promise<number> {
  let exitCode = 0;
  await yargs(args)
    .scriptName("vmbus-dissect")
    .usage("$0 [options] <capture>\n\nDecode Hyper-V VMBus traffic from pcapng/pcap captures and raw ring-buffer dumps.")
    .command("devices", "list every known VMBus device class and what is decoded of it", (y) => y.option("output-format", OUTPUT_FORMAT),
      async (argv) => printWithNewline((await import("./commands/devices.js")).devicesOutput(argv.outputFormat)))
    .command("fields", "list every field with its filter name and type (like tshark -G fields)", (y) => y.option("output-format", OUTPUT_FORMAT),
      async (argv) => printWithNewline((await import("./commands/fields.js")).fieldsOutput(argv.outputFormat)))
    .command("wireshark-plugin", "write the Wireshark Lua dissector generated from our descriptions", (y) => y
      .option("output", { alias: "o", type: "string", describe: "write to FILE instead of standard output" })
      .option("install", { type: "boolean", default: false, describe: "install into Wireshark's personal plugin folder" })
      .option("link-type", { type: "number", array: true, default: [147], describe: "link types to register on (147..162)" }),
    async (argv) => {
      const linkTypes = argv.linkType.map(Number);
      if (linkTypes.some((t) => !(t >= 147 && t <= 162))) throw new UsageError("--link-type must be one of the user link types 147..162");
      const { runWiresharkPlugin } = await import("./commands/wireshark-plugin.js");
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
      const { runExtractEthernet } = await import("./commands/extract.js");
      exitCode = await runExtractEthernet({ ...inputOptions(argv, captureName(argv)), output: argv.write, displayFilter: argv.displayFilter });
    })
    .command("stats [file]", "statistics: channels, message types, response times, versions, throughput, anomalies", (y) => y
      .positional("file", { type: "string", describe: "capture file or ring dump; - for standard input" })
      .option("read-file", { alias: "r", type: "string", describe: "capture file (same as the positional argument)" })
      .option("output-format", { ...OUTPUT_FORMAT, describe: "text (tables) or json (one JSON document)" })
      .option("display-filter", { alias: "Y", type: "string", describe: "count only the records for which the filter holds" })
      .option("interval", { type: "number", describe: "throughput interval in seconds (default: chosen so that there are at most 100)" })
      .option("plot", { type: "string", describe: "also draw throughput and response times into FILE.svg or FILE.html" })
      .options(INPUT_OPTIONS),
    async (argv) => {
      const { runStats } = await import("./commands/stats.js");
      exitCode = await runStats({
        ...inputOptions(argv, captureName(argv)), format: argv.outputFormat, displayFilter: argv.displayFilter,
        intervalSeconds: argv.interval, plot: argv.plot,
      });
    })
    .command("$0 [file]", "read a capture and show its records", (y) => y.positional("file", CAPTURE_POSITIONAL).options(READ_OPTIONS),
      async (argv) => {
        exitCode = await read(readOptions(argv));
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
  return exitCode;
}
