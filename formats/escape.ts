// Strings from captures never reach a terminal raw: control characters, escape sequences,
// bidirectional overrides and lone surrogates are shown as escapes.

// A backslash is escaped too, so that a capture's literal text "\x1b" cannot pass for an escaped ESC.
const UNSAFE = /[\\\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const named: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\" };

function escapeOne(char: string): string {
  if (named[char]) return named[char];
  const code = char.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
}

export function escapeText(text: string): string {
  return text.replace(UNSAFE, escapeOne);
}
