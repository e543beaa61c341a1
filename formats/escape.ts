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
  return needsEscaping(text) ? text.replace(UNSAFE, escapeOne) : text;
}

/**
 * Whether UNSAFE could match: false when every character is printable ASCII other than the
 * backslash, or lies in a range UNSAFE leaves alone (most text, arrows included, is decided here
 * without the regular expression, whose surrogate look-arounds make it slow).
 */
function needsEscaping(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x20 && code < 0x7f) {
      if (code === 0x5c) return true;
      continue;
    }
    if (!inSafeRange(code)) return true;
  }
  return false;
}

/** A loop, not `some` with a closure: arrows are in most summaries. */
function inSafeRange(code: number): boolean {
  for (let i = 0; i < SAFE_RANGES.length; i++) if (code >= SAFE_RANGES[i][0] && code <= SAFE_RANGES[i][1]) return true;
  return false;
}

/** Characters outside printable ASCII that UNSAFE never matches (surrogates are left to it). */
const SAFE_RANGES: ReadonlyArray<readonly [number, number]> = [
  [0x00a0, 0x200d], [0x2010, 0x2029], [0x202f, 0x2065], [0x206a, 0xd7ff], [0xe000, 0xfefe], [0xff00, 0xffff],
];
