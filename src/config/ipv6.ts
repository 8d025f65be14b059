/**
 * IPv6 addresses in text (RFC 4291 §2.2) for the few DHCPv4 options that carry one (option 212's 6rd
 * prefix, RFC 5969 §7.1), and back in RFC 5952's canonical form.
 */
import { parseIp } from '../protocol/index.ts';

/** The 16 bytes of an IPv6 address in text, or undefined when it is not one. */
export function parseIpv6(text: string): Uint8Array | undefined {
  let s = text.trim();
  if (s.length > 45 || !/^[0-9a-fA-F:.]+$/.test(s)) return undefined;
  // An embedded IPv4 address (RFC 4291 §2.2 form 3) stands for the last two groups.
  let tail: number[] = [];
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.')) {
    const n = parseIp(s.slice(lastColon + 1));
    if (n < 0) return undefined;
    tail = [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
    s = s.slice(0, s.endsWith('::', lastColon + 1) ? lastColon + 1 : lastColon);
  }
  const want = 8 - tail.length / 2;
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const split = (h: string): string[] => (h === '' ? [] : h.split(':'));
  const head = split(halves[0]!);
  const rest = halves.length === 2 ? split(halves[1]!) : [];
  const fill = want - head.length - rest.length;
  if (halves.length === 2 ? fill < 1 : fill !== 0) return undefined;
  const out: number[] = [];
  for (const g of [...head, ...new Array<string>(fill).fill('0'), ...rest]) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    const v = parseInt(g, 16);
    out.push(v >> 8, v & 255);
  }
  return Uint8Array.from([...out, ...tail]);
}

/** RFC 5952 §4: lower case, no leading zeros, the longest run (of two or more) of zero groups as "::". */
export function formatIpv6(b: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((b[i]! << 8) | b[i + 1]!);
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}
