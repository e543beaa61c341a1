// Colour through one switch: on for terminals, off with NO_COLOR, --no-color or a pipe.

import { Chalk, type ChalkInstance } from "chalk";

export interface Style {
  enabled: boolean;
  layer: (text: string) => string;
  label: (text: string) => string;
  dim: (text: string) => string;
  error: (text: string) => string;
  warn: (text: string) => string;
  note: (text: string) => string;
}

export function colorWanted(stream: NodeJS.WriteStream, flag: boolean | undefined): boolean {
  if (flag !== undefined) return flag;
  if ("NO_COLOR" in process.env && process.env.NO_COLOR !== "") return false;
  if (process.env.TERM === "dumb") return false;
  return stream.isTTY === true;
}

export function makeStyle(enabled: boolean): Style {
  const chalk: ChalkInstance = new Chalk({ level: enabled ? 1 : 0 });
  return {
    enabled,
    layer: (t) => chalk.bold(t),
    label: (t) => t,
    dim: (t) => chalk.dim(t),
    error: (t) => chalk.red(t),
    warn: (t) => chalk.yellow(t),
    note: (t) => chalk.cyan(t),
  };
}
