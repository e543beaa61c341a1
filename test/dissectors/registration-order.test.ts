// Fields are registered as their protocol is first decoded (dissectors/index.ts), so which protocol
// comes first depends on the capture. A field shared by two protocols shows the first registration's
// label: the registry must end up the same whatever the order, or output would depend on the capture.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, it } from "node:test";
import { root } from "../cli/run-cli.js";

const child = join(root, "test", "dissectors", "register-in-order.ts");

function registryAfter(order: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const process_ = spawn(process.execPath, ["--import", "tsx", child, order], { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
    let output = "";
    process_.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    process_.on("error", reject);
    process_.on("close", (status) => (status === 0 ? resolve(output) : reject(new Error(`register-in-order ${order} exited with ${status}`))));
  });
}

/** Each field's JSON text by its filter name, so that a difference names the field. */
function fieldsByFilter(output: string): Map<string, string> {
  const fields = JSON.parse(output) as Array<[string, ...unknown[]]>;
  return new Map(fields.map((field) => [field[0], JSON.stringify(field)]));
}

describe("field registration order", () => {
  it("gives the same fields, labels and descriptions whichever protocol is registered first", async () => {
    const [forward, ...others] = (await Promise.all(["forward", "reverse", "1", "2", "3"].map(registryAfter))).map(fieldsByFilter);
    assert.ok(forward.size > 1000, "every protocol's fields are registered");
    for (const other of others) {
      const differing = [...new Set([...forward.keys(), ...other.keys()])].filter((filter) => forward.get(filter) !== other.get(filter));
      assert.deepEqual(differing.map((filter) => [forward.get(filter), other.get(filter)]), []);
    }
  });
});
