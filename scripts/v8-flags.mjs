// V8 flags the CLI sets for itself (the launcher, before it runs the bundle) and the code cache is
// made under (the trainer): V8 refuses a cache made under other flags. Installed beside the launcher.
//
// --heap-growing-percent: after each full collection V8 lets the old generation grow by up to 4x
// its live size before the next one. A capture promotes a few MB a second of objects that die soon
// after, so the old generation swelled to 80 MB around 20 MB of live data, and the peak resident
// memory rose with the length of the run (issue 7). At 1.2x, full collections come every few MB
// of promotion; they take milliseconds, and the peak stays near the live size. Read at every
// collection, so it works when set at run time (the new space's size would not: it is fixed at start).

import { setFlagsFromString } from "node:v8";

export const V8_FLAGS = ["--heap-growing-percent=20"];

export function setV8Flags() {
  for (const flag of V8_FLAGS) setFlagsFromString(flag);
}
