/**
 * Client-supplied text made safe for a one-line text log: C0 and C1 control characters, DEL, the Unicode
 * line and paragraph separators, the backslash and the double quote are written as escapes (`\x1b`,
 * `\u2028`, `\\`, `\"`), so a host name can neither end the line nor forge another record, nor carry
 * terminal escape sequences to whoever reads the log. Printable text is unchanged.
 */
export function escapeLogText(s: string): string {
  // Fast path: almost every host name is plain printable ASCII.
  return UNSAFE.test(s) ? s.replace(UNSAFE_ALL, escapeOne) : s;
}

/** Only the control characters and line separators of `escapeLogText` (for text already quoted). */
export function escapeControls(s: string): string {
  return CONTROLS.test(s) ? s.replace(CONTROLS_ALL, escapeOne) : s;
}

/* eslint-disable no-control-regex -- matching control characters is the point */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\\"]/;
const UNSAFE_ALL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\\"]/g;
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const CONTROLS_ALL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
/* eslint-enable no-control-regex */

function escapeOne(c: string): string {
  if (c === '\\' || c === '"') return `\\${c}`;
  const code = c.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
}
