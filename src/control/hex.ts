import { fail, normalizeHex } from './args.ts';

/** Kea's messages for a bad hex string, from its `util::str::decodeFormattedHexString`. */
export function parseHwAddress(text: string): string {
  const hex = normalizeHex(text);
  if (hex !== undefined) return hex;
  const bad = [...text].find((c) => c !== ':' && !/[0-9a-fA-F]/.test(c));
  if (bad !== undefined && !/[-. ]/.test(bad)) {
    fail(`'${bad}' is not a valid hexadecimal digit in decoded string '${text}'`);
  }
  fail(`invalid format of the decoded string '${text}'`);
}

export function parseClientId(text: string): string {
  const hex = normalizeHex(text);
  if (hex === undefined) fail(`'${text}' is not a valid string of hexadecimal digits`);
  return hex;
}
