import { ipToBytes, isValidIp, u32Bytes } from '../protocol/index.ts';
import type { ExtraOption } from './config.ts';
import { UdhcpcOptionError } from './errors.ts';
import type { UdhcpcKind } from './udhcpc-table.ts';
import { UDHCPC_OPTIONS } from './udhcpc-table.ts';

/** udhcpc's `-O OPT` / the OPT of `-x OPT:VAL`: a name from its table, a decimal or a 0x-hex code. */
export function parseUdhcpcOptionCode(s: string): number {
  const named = UDHCPC_OPTIONS.find(([, name]) => name === s);
  if (named !== undefined) return named[0];
  const n = /^0x[0-9a-f]{1,2}$/i.test(s) ? parseInt(s, 16) : /^\d{1,3}$/.test(s) ? Number(s) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 254) throw new UdhcpcOptionError(`unknown option '${s}'`);
  return n;
}

function ipsOf(v: string): Uint8Array {
  const parts = v.split(/[\s,]+/).filter((p) => p !== '');
  if (parts.length === 0 || !parts.every((p) => isValidIp(p)))
    throw new UdhcpcOptionError(`not a list of IPv4 addresses: '${v}'`);
  const out = new Uint8Array(parts.length * 4);
  parts.forEach((p, i) => out.set(ipToBytes(p), 4 * i));
  return out;
}

function intOf(v: string, min: number, max: number): number {
  const n = Number(v);
  if (!/^-?\d+$/.test(v) || n < min || n > max)
    throw new UdhcpcOptionError(`not an integer in ${min}..${max}: '${v}'`);
  return n;
}

function domainListOf(v: string): Uint8Array {
  const out: number[] = [];
  for (const name of v.split(/\s+/).filter((x) => x !== '')) {
    for (const label of name.replace(/\.$/, '').split('.')) {
      const b = new TextEncoder().encode(label);
      if (b.length < 1 || b.length > 63) throw new UdhcpcOptionError(`bad domain name '${name}'`);
      out.push(b.length, ...b);
    }
    out.push(0);
  }
  return Uint8Array.from(out);
}

function staticRoutesOf(v: string): Uint8Array {
  const words = v.split(/\s+/).filter((x) => x !== '');
  if (words.length === 0 || words.length % 2 !== 0)
    throw new UdhcpcOptionError(`expected 'dest/len router' pairs: '${v}'`);
  const out: number[] = [];
  for (let i = 0; i < words.length; i += 2) {
    const [dest, lenText] = words[i]!.split('/');
    const router = words[i + 1]!;
    if (dest === undefined || lenText === undefined || !isValidIp(dest) || !isValidIp(router)) {
      throw new UdhcpcOptionError(`bad static route '${words[i]} ${router}'`);
    }
    const len = intOf(lenText, 0, 32);
    // RFC 3442 §2: the destination is sent as its significant octets only.
    out.push(len, ...ipToBytes(dest).subarray(0, (len + 7) >> 3), ...ipToBytes(router));
  }
  return Uint8Array.from(out);
}

function valueOf(kind: UdhcpcKind, v: string): Uint8Array {
  switch (kind) {
    case 'ip':
      return ipsOf(v);
    case 'ip-pair': {
      const pairs = v.split(/\s+/).filter((x) => x !== '');
      return ipsOf(pairs.flatMap((p) => p.split('/')).join(' '));
    }
    case 'string':
    case 'string-host':
      return new TextEncoder().encode(v);
    case 'u8':
      return Uint8Array.of(intOf(v, 0, 255));
    case 'u16': {
      const n = intOf(v, 0, 0xffff);
      return Uint8Array.of(n >> 8, n & 255);
    }
    case 'u32':
      return u32Bytes(intOf(v, 0, 0xffffffff));
    case 's32':
      return u32Bytes(intOf(v, -0x80000000, 0x7fffffff) >>> 0);
    case 'static-routes':
      return staticRoutesOf(v);
    case 'dns-string':
      return domainListOf(v);
    case 'sip-servers':
    case '6rd':
      throw new UdhcpcOptionError(
        `setting this option with -x is not supported; give its code and hex bytes`,
      );
  }
}

/**
 * udhcpc's `-x OPT:VAL`: a named option takes a value of its type (`hostname:bbox`, `lease:3600`,
 * `dns:1.1.1.1 8.8.8.8`); a numeric code takes hex bytes (`0x3d:0100BEEFC0FFEE`) or a string in double
 * quotes (`14:"dumpfile"`).
 */
export function parseUdhcpcExtraOption(arg: string): ExtraOption {
  const colon = arg.indexOf(':');
  if (colon <= 0) throw new UdhcpcOptionError(`expected OPT:VALUE, got '${arg}'`);
  const opt = arg.slice(0, colon);
  const value = arg.slice(colon + 1);
  const code = parseUdhcpcOptionCode(opt);
  const named = UDHCPC_OPTIONS.find(([c, name]) => c === code && name === opt);
  let data: Uint8Array;
  if (named !== undefined) data = valueOf(named[2], value);
  else if (/^".*"$/s.test(value)) data = new TextEncoder().encode(value.slice(1, -1));
  else {
    const hex = value.replace(/[\s:]/g, '');
    if (!/^(?:[0-9a-fA-F]{2})+$/.test(hex))
      throw new UdhcpcOptionError(`option ${code}: not hex bytes: '${value}'`);
    data = Uint8Array.from(Buffer.from(hex, 'hex'));
  }
  if (data.length > 255) throw new UdhcpcOptionError(`option ${code}: value longer than 255 bytes`);
  return { code, data };
}
