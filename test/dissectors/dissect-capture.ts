// Dissects a whole capture file as the CLI does, for tests that compare dissections. Kept apart
// from tree-helpers.ts: importing the full dissector registers every device's tables, which tests
// of one device's bytes must not see.
import { openCapture } from "../../capture/open.js";
import { Dissector, type Dissection, type DissectorOptions } from "../../dissectors/index.js";

/** Every record of the file, dissected in order by one dissector made with these options. */
export async function dissectCapture(file: string, options: DissectorOptions = {}): Promise<Dissection[]> {
  const capture = await openCapture(file);
  const dissector = new Dissector(options);
  const all: Dissection[] = [];
  try {
    for await (const record of capture.records) all.push(dissector.dissect(record));
  } finally {
    await capture.close();
  }
  return all;
}
