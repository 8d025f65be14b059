/** Small IPv4 arithmetic on unsigned 32-bit integers, for config validation and the allocator. */
import {
  intToIp,
  isValidIp,
  parseCidr as parseAddressPrefix,
  parseIp,
  prefixToMask,
} from '../protocol/index.ts';

/** Four decimal octets 0-255 without leading zeros, nothing else. */
export const isIpv4: (s: string) => boolean = isValidIp;

/** Dotted quad to unsigned integer; the caller has checked `isIpv4`. */
export const ipv4ToInt: (s: string) => number = parseIp;

export const intToIpv4: (n: number) => string = intToIp;

export const maskOf: (prefixLength: number) => number = prefixToMask;

export interface Cidr {
  readonly network: number;
  readonly prefixLength: number;
}

/** Parses `a.b.c.d/len`; returns undefined when malformed. `strict` refuses host bits set. */
export function parseCidr(s: string, strict: boolean): Cidr | undefined {
  const c = parseAddressPrefix(s);
  if (c === undefined) return undefined;
  const network = (c.address & maskOf(c.prefix)) >>> 0;
  if (strict && network !== c.address) return undefined;
  return { network, prefixLength: c.prefix };
}

export function broadcastOf(c: Cidr): number {
  return (c.network | ~maskOf(c.prefixLength)) >>> 0;
}

export function cidrContains(c: Cidr, addr: number): boolean {
  return (addr & maskOf(c.prefixLength)) >>> 0 === c.network;
}
