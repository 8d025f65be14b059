import { InvalidLeaseError } from './errors.ts';

const QUAD = /^(?:0|[1-9]\d{0,2})$/;

/** Dotted quad -> unsigned 32-bit integer (the numeric order lease paging uses). Null when malformed. */
export function parseIpv4(address: string): number | null {
  // A char loop that accepts exactly what the split-and-QUAD form does (that form stays for non-strings).
  if (typeof address !== 'string') return parseIpv4Split(address);
  const len = address.length;
  if (len < 7 || len > 15) return null;
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < len; i++) {
    const c = address.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return null;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && octet === 0) return null;
      octet = octet * 10 + (c - 48);
      if (octet > 255) return null;
      digits++;
    } else return null;
  }
  return dots === 3 && digits > 0 ? value * 256 + octet : null;
}

function parseIpv4Split(address: string): number | null {
  const parts = address.split('.');
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!QUAD.test(part)) return null;
    const octet = Number(part);
    if (octet > 255) return null;
    value = value * 256 + octet;
  }
  return value;
}

/** Like {@link parseIpv4} but throws `InvalidLeaseError` naming `field`. */
export function ipv4ToNumber(address: string, field = 'address'): number {
  const value = typeof address === 'string' ? parseIpv4(address) : null;
  if (value === null)
    throw new InvalidLeaseError(field, `not a dotted-quad IPv4 address: ${JSON.stringify(address)}`);
  return value;
}

export function numberToIpv4(value: number): string {
  return `${(value >>> 24) & 255}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}
