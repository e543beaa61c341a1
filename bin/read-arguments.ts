// The options of reading (the default command) and of any input, as yargs declares them, and the
// command lines of a plain read, parsed here as yargs would parse them: `vmbus-dissect capture -c 10
// -Y filter` then starts without loading yargs, which took a quarter of the time to the first line.
// Anything else (help, a command, an unknown, repeated or doubtful option) goes to yargs, which also
// reports the errors; test/cli/read-arguments.test.ts checks that both give the same options.

import { colorWanted } from "../formats/style.js";
import type { ReadOptions } from "./commands/read.js";
import type { InputOptions } from "./commands/records.js";
import { UsageError } from "./errors.js";

/** How any input is read (ring dumps above all), shared by reading and extracting. */
export const INPUT_OPTIONS = {
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

export const OUTPUT_FORMAT = { alias: "T", choices: ["text", "json"] as const, default: "text" as const, describe: "text, or json (JSON Lines for records; one JSON document for lists)" };

export const CAPTURE_POSITIONAL = { type: "string", describe: "capture file: pcapng, pcap or a raw ring dump; - for standard input" } as const;

/** The read command's options, in the order --help lists them. */
export const READ_OPTIONS = {
  "read-file": { alias: "r", type: "string", describe: "capture file (same as the positional argument)" },
  "verbose": { alias: "V", type: "boolean", default: false, describe: "full tree: every field with its position and size" },
  "hex": { alias: "x", type: "boolean", default: false, describe: "hex dump of the record's bytes" },
  "output-format": { ...OUTPUT_FORMAT, describe: "text (summary lines or -V tree) or json (JSON Lines, one object per record)" },
  "count": { alias: "c", type: "number", describe: "stop after N records (of those the filter keeps)" },
  "two-pass": { alias: "2", type: "boolean", default: false, describe: "read the capture twice, so that requests show the record of their answer (or that none came)" },
  "display-filter": { alias: "Y", type: "string", describe: "only records for which the filter holds: nvsp.msg_type == SEND_RNDIS_PKT && ip.dst == 10.0.0.1" },
  "write": { alias: "w", type: "string", describe: "write the records to a pcapng file (- for standard output)" },
  "print": { alias: "P", type: "boolean", default: false, describe: "with -w, also print records" },
  "time-format": { alias: "t", choices: ["r", "a", "ad", "e"] as const, default: "r" as const, describe: "r relative, a absolute, ad absolute with date, e epoch" },
  ...INPUT_OPTIONS,
  "strict": { type: "boolean", default: false, describe: "exit with status 1 when any record is malformed" },
  "color": { type: "boolean", describe: "colour the output (default: when standard output is a terminal and NO_COLOR is unset)" },
} as const;

/** Parsed arguments as yargs hands them to a command (camelCase names; `_` holds what no option took). */
export type ParsedArguments = Record<string, unknown> & { _: Array<string | number>; file?: string; readFile?: string };

/** The input options as the readers take them; a capture name is required. */
export function inputOptions(argv: Record<string, unknown>, file: string | undefined): InputOptions {
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
export function captureName(argv: ParsedArguments): string | undefined {
  const given = argv.readFile ?? argv.file;
  return given === "" || (given === undefined && argv._.map(String).includes("-")) ? "-" : given;
}

/** The read command's options from its parsed arguments. */
export function readOptions(argv: ParsedArguments): ReadOptions {
  const file = captureName(argv);
  const count = argv.count as number | undefined;
  if (count !== undefined && !(Number.isInteger(count) && count > 0)) throw new UsageError("--count must be a whole number above 0");
  return {
    ...inputOptions(argv, file), verbose: argv.verbose as boolean, hex: argv.hex as boolean, format: argv.outputFormat as ReadOptions["format"],
    count, write: argv.write as string | undefined, print: argv.print as boolean, timeFormat: argv.timeFormat as ReadOptions["timeFormat"],
    strict: argv.strict as boolean, color: colorWanted(process.stdout, argv.color as boolean | undefined),
    displayFilter: argv.displayFilter as string | undefined, twoPass: argv.twoPass as boolean,
  };
}

type OptionName = keyof typeof READ_OPTIONS;
interface OptionSpec { type?: "string" | "number" | "boolean"; alias?: string; default?: unknown; choices?: readonly string[] }

const optionSpec = (name: OptionName): OptionSpec => READ_OPTIONS[name];
const camelCase = (name: string): string => name.replace(/-([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
const isOptionName = (name: string): name is OptionName => Object.hasOwn(READ_OPTIONS, name);
const OPTION_BY_ALIAS = new Map(Object.entries(READ_OPTIONS).flatMap(([name, spec]) => ("alias" in spec ? [[spec.alias, name as OptionName]] : [])));

/** `--name` or `-a`; yargs alone handles `--name=value`, `-abc`, `--camelCase` and unknown names. */
function optionOf(token: string): OptionName | undefined {
  if (token.startsWith("--")) return isOptionName(token.slice(2)) ? token.slice(2) as OptionName : undefined;
  return token.length === 2 ? OPTION_BY_ALIAS.get(token[1]) : undefined;
}

/**
 * A value read exactly as yargs reads it, or undefined when yargs might read it otherwise (or refuse
 * it). yargs takes "-" (standard input or output) as the value of a short option only.
 */
function optionValue(spec: OptionSpec, value: string | undefined, short: boolean): string | number | undefined {
  if (value === undefined || value === "" || (value.startsWith("-") && !(value === "-" && short))) return undefined;
  if (spec.choices) return spec.choices.includes(value) ? value : undefined;
  if (spec.type === "number") return /^(0|[1-9][0-9]{0,14})$/.test(value) ? Number(value) : undefined;
  return spec.type === "string" ? value : undefined;
}

/** A capture name that no yargs rule touches: no command's name (they have no `.` or `/`), no number, no option. */
const plainCaptureName = (token: string): boolean =>
  token === "-" || (/[./]/.test(token) && !token.startsWith("-") && Number.isNaN(Number(token)));

/** The arguments of a plain read, as yargs would parse them; undefined when yargs must parse them. */
export function plainReadArguments(args: readonly string[]): ParsedArguments | undefined {
  const argv: ParsedArguments = { _: [] };
  for (const [name, spec] of Object.entries(READ_OPTIONS)) if ("default" in spec) argv[camelCase(name)] = spec.default;
  const seen = new Set<OptionName>();
  for (let index = 0; index < args.length; index++) {
    const token = args[index];
    if (!token.startsWith("-") || token === "-") {
      if (argv.file !== undefined || !plainCaptureName(token)) return undefined;
      argv.file = token;
      continue;
    }
    const negated = token.startsWith("--no-") ? token.slice(5) : undefined;
    const name = negated === undefined ? optionOf(token) : isOptionName(negated) ? negated : undefined;
    if (name === undefined || seen.has(name)) return undefined;
    seen.add(name);
    const spec = optionSpec(name);
    if (spec.type === "boolean") {
      // yargs reads a following "true" or "false" as the flag's value.
      if (args[index + 1] === "true" || args[index + 1] === "false") return undefined;
      argv[camelCase(name)] = negated === undefined;
      continue;
    }
    const value = negated === undefined ? optionValue(spec, args[++index], !token.startsWith("--")) : undefined;
    if (value === undefined) return undefined;
    argv[camelCase(name)] = value;
  }
  return argv.file === undefined && argv.readFile === undefined ? undefined : argv;
}
