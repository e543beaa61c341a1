import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { escapeText } from "../../formats/escape.js";

describe("escapeText", () => {
  it("escapes C0 and C1 controls, DEL, bidirectional overrides and lone surrogates, and keeps ordinary text", () => {
    assert.equal(escapeText("a\u001b[31mb"), "a\\x1b[31mb");
    assert.equal(escapeText("tab\tnl\ncr\r"), "tab\\tnl\\ncr\\r");
    assert.equal(escapeText("\u007f\u009b"), "\\x7f\\x9b");
    assert.equal(escapeText("abc\u202edef"), "abc\\u202edef");
    assert.equal(escapeText("lone \ud800 high, lone \udc00 low"), "lone \\ud800 high, lone \\udc00 low");
    assert.equal(escapeText("pair 😀 → é ü"), "pair 😀 → é ü");
    assert.equal(escapeText("back\\slash"), "back\\\\slash");
  });
});
