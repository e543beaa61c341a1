import assert from "node:assert/strict";
import { describe, it } from "node:test";
import "../../dissectors/index.js";
import { FilterError, parseFilter } from "../../dissectors/filter/parse.js";

const shape = (source: string): string => {
  const show = (node: ReturnType<typeof parseFilter>): string => {
    switch (node.kind) {
      case "and": case "or": return `(${show(node.left)} ${node.kind} ${show(node.right)})`;
      case "not": return `!${show(node.operand)}`;
      case "present": return node.field.filter;
      case "compare": return `${node.field.filter} ${node.op} ${node.value}`;
    }
  };
  return show(parseFilter(source));
};

function failsAt(source: string, column: number, reason: RegExp): void {
  assert.throws(() => parseFilter(source), (error: unknown) => error instanceof FilterError && error.column === column && reason.test(error.reason));
}

describe("display filter syntax", () => {
  it("binds ! tighter than &&, and && tighter than ||", () => {
    assert.equal(shape("vmbus || nvsp && !rndis"), "(vmbus or (nvsp and !rndis))");
    assert.equal(shape("(vmbus || nvsp) && rndis"), "((vmbus or nvsp) and rndis)");
    assert.equal(shape("not vmbus and nvsp or rndis"), "((!vmbus and nvsp) or rndis)");
  });

  it("reads comparisons, word operators, quoted values and contains/matches", () => {
    assert.equal(shape('vmbus.device == "netvsc"'), "vmbus.device == netvsc");
    assert.equal(shape("nvsp.msg_type eq SEND_RNDIS_PKT"), "nvsp.msg_type == SEND_RNDIS_PKT");
    assert.equal(shape("vmbus.relid >= 0x10"), "vmbus.relid >= 0x10");
    assert.equal(shape('vscsi.inq.vendor contains "Msft"'), "vscsi.inq.vendor contains Msft");
    assert.equal(shape('vscsi.inq.product matches "^Virt"'), "vscsi.inq.product matches ^Virt");
    assert.equal(shape('vmbus.device == "a \\"quoted\\" word"'), 'vmbus.device == a "quoted" word');
  });

  it("points at the place of every error", () => {
    failsAt("vmbus.nope == 1", 1, /unknown field "vmbus.nope"/);
    failsAt("nvsp && (rndis", 15, /missing "\)"/);
    failsAt("nvsp.msg_type ==", 17, /a value must follow ==/);
    failsAt("nvsp rndis", 6, /unexpected "rndis"/);
    failsAt('vmbus.device == "open', 17, /unterminated string/);
    failsAt("&& nvsp", 1, /expected a field name/);
    failsAt("", 1, /ends too soon/);
  });
});
