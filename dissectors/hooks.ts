// Hand-written hooks (what a description cannot say) are registered by each dissector module
// as a factory; every Dissector instance builds its own set around its own session.

import type { VmbusRecord } from "../capture/record.js";
import type { Hook } from "./describe/compile.js";
import type { Session } from "./session.js";

export interface HookEnvironment {
  session: Session;
  /** The record being dissected. */
  record(): VmbusRecord;
}

export type HookFactory = (environment: HookEnvironment) => Record<string, Hook>;

const factories: HookFactory[] = [];

export function registerHooks(factory: HookFactory): void {
  factories.push(factory);
}

export function buildHooks(environment: HookEnvironment): Record<string, Hook> {
  return Object.assign({}, ...factories.map((factory) => factory(environment)));
}
