/**
 * The one hostname comparison of every lease store (`getByHostname`) and of the engine's lookups: ASCII
 * letters compare without case and nothing else folds, as DNS compares names (RFC 4343 section 3): 'ABC' is
 * 'abc', 'Ä' is not 'ä'. It is SQLite's NOCASE collation (`sqlite3StrNICmp`, then the lengths), which the
 * SQLite store compares with, quirks included: the comparison stops where both texts hold a NUL, and texts
 * of different UTF-8 lengths differ.
 */
export function sameHostname(a: string, b: string): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === NUL && y === NUL) return utf8Length(a) === utf8Length(b);
    if (x !== y && foldAscii(x) !== foldAscii(y)) return false;
  }
  return a.length === b.length;
}

const NUL = 0;

function foldAscii(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c + 0x20 : c;
}

/** The length of `s` in UTF-8 as SQLite stores it (a lone surrogate as U+FFFD, 3 bytes). */
function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}
