/**
 * Option 162, the DHCPv4 Encrypted DNS option (RFC 9463 §5.1): DNR instances, each a service priority,
 * an authentication domain name, and unless the instance is ADN-only its resolvers' addresses and the
 * service parameters of RFC 9460 §2.2 that DNR uses (RFC 9463 §3.1.8: alpn, port, dohpath).
 */
import { decodeName, encodeName } from '../dns-name.ts';
import { bad, checkArray, checkInt, checkIp, encodeText, textDecoder, type ValueCodec } from './codec.ts';

export interface DnrParams {
  /** ALPN protocol ids (RFC 9460 §7.1.1), e.g. ['dot', 'doq']. */
  readonly alpn?: readonly string[];
  readonly port?: number;
  /** RFC 9461 §5's URI template, e.g. '/dns-query{?dns}'. */
  readonly dohpath?: string;
}

export interface DnrInstance {
  readonly priority: number;
  /** The authentication domain name, without the trailing dot. */
  readonly adn: string;
  /** The resolvers' addresses; absent in ADN-only mode (RFC 9463 §3.1.6). */
  readonly addresses?: readonly string[];
  readonly params?: DnrParams;
}

/** RFC 9460 §14.3.2 SvcParamKeys, those RFC 9463 §3.1.8 lets DNR carry. */
const ALPN = 1;
const PORT = 3;
const DOHPATH = 7;

function u16(n: number): number[] {
  return [n >> 8, n & 255];
}

function encodeParams(p: DnrParams): number[] {
  const out: number[] = [];
  // RFC 9460 §2.2: keys in strictly increasing order.
  if (p.alpn !== undefined) {
    const ids: number[] = [];
    for (const id of checkArray(p.alpn, 1)) {
      if (typeof id !== 'string') bad('expected ALPN ids as strings');
      const b = encodeText(id);
      if (b.length < 1 || b.length > 255) bad(`ALPN id "${id}" must be 1 to 255 bytes`);
      ids.push(b.length, ...b);
    }
    out.push(...u16(ALPN), ...u16(ids.length), ...ids);
  }
  if (p.port !== undefined) out.push(...u16(PORT), 0, 2, ...u16(checkInt(p.port, 0, 0xffff)));
  if (p.dohpath !== undefined) {
    if (typeof p.dohpath !== 'string') bad('expected dohpath as a string');
    const b = encodeText(p.dohpath);
    out.push(...u16(DOHPATH), ...u16(b.length), ...b);
  }
  return out;
}

function encodeInstance(v: unknown): number[] {
  if (typeof v !== 'object' || v === null) bad('expected a DNR instance');
  const d = v as DnrInstance;
  if (typeof d.adn !== 'string' || d.adn.replace(/\.$/, '') === '') bad('a DNR instance needs an ADN');
  const adn = encodeName(d.adn, true);
  const body = [...u16(checkInt(d.priority, 0, 0xffff)), adn.length, ...adn];
  if (d.addresses !== undefined) {
    const addrs = checkArray(d.addresses, 1).map(checkIp);
    if (addrs.length * 4 > 255) bad('at most 63 addresses in one DNR instance');
    body.push(addrs.length * 4);
    for (const n of addrs) body.push(n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
    if (d.params !== undefined) body.push(...encodeParams(d.params));
  } else if (d.params !== undefined) {
    bad('an ADN-only DNR instance has no service parameters');
  }
  if (body.length > 0xffff) bad('a DNR instance is at most 65535 bytes');
  return [...u16(body.length), ...body];
}

function decodeAlpn(b: Uint8Array): string[] | undefined {
  const ids: string[] = [];
  let pos = 0;
  while (pos < b.length) {
    const len = b[pos]!;
    if (len === 0 || pos + 1 + len > b.length) return undefined;
    ids.push(textDecoder.decode(b.subarray(pos + 1, pos + 1 + len)));
    pos += 1 + len;
  }
  return ids.length > 0 ? ids : undefined;
}

function decodeParams(b: Uint8Array): DnrParams | undefined {
  const p: { alpn?: string[]; port?: number; dohpath?: string } = {};
  let pos = 0;
  let previous = -1;
  while (pos < b.length) {
    if (pos + 4 > b.length) return undefined;
    const key = (b[pos]! << 8) | b[pos + 1]!;
    const len = (b[pos + 2]! << 8) | b[pos + 3]!;
    const value = b.subarray(pos + 4, pos + 4 + len);
    if (key <= previous || value.length !== len) return undefined;
    previous = key;
    if (key === ALPN) {
      const ids = decodeAlpn(value);
      if (ids === undefined) return undefined;
      p.alpn = ids;
    } else if (key === PORT) {
      if (len !== 2) return undefined;
      p.port = (value[0]! << 8) | value[1]!;
    } else if (key === DOHPATH) {
      p.dohpath = textDecoder.decode(value);
    } else {
      return undefined; // a key DNR does not carry (RFC 9463 §3.1.8)
    }
    pos += 4 + len;
  }
  return p;
}

function decodeInstance(b: Uint8Array): DnrInstance | undefined {
  if (b.length < 3) return undefined;
  const priority = (b[0]! << 8) | b[1]!;
  const adnLength = b[2]!;
  if (adnLength === 0 || 3 + adnLength > b.length) return undefined;
  const name = decodeName(b.subarray(3, 3 + adnLength), 0, false);
  if (name === undefined || name.next !== adnLength || name.name === '') return undefined;
  let pos = 3 + adnLength;
  if (pos === b.length) return { priority, adn: name.name };
  const addrLength = b[pos]!;
  if (addrLength === 0 || addrLength % 4 !== 0 || pos + 1 + addrLength > b.length) return undefined;
  const addresses: string[] = [];
  for (let i = pos + 1; i < pos + 1 + addrLength; i += 4)
    addresses.push(`${b[i]}.${b[i + 1]}.${b[i + 2]}.${b[i + 3]}`);
  pos += 1 + addrLength;
  if (pos === b.length) return { priority, adn: name.name, addresses };
  const params = decodeParams(b.subarray(pos));
  return params === undefined ? undefined : { priority, adn: name.name, addresses, params };
}

export const dnrInstances: ValueCodec<DnrInstance[]> = {
  kind: 'dnr',
  decode(b) {
    const out: DnrInstance[] = [];
    let pos = 0;
    while (pos < b.length) {
      if (pos + 2 > b.length) return undefined;
      const len = (b[pos]! << 8) | b[pos + 1]!;
      if (pos + 2 + len > b.length) return undefined;
      const d = decodeInstance(b.subarray(pos + 2, pos + 2 + len));
      if (d === undefined) return undefined;
      out.push(d);
      pos += 2 + len;
    }
    return out.length > 0 ? out : undefined;
  },
  encode(v) {
    const out: number[] = [];
    for (const d of checkArray(v, 1)) out.push(...encodeInstance(d));
    return Uint8Array.from(out);
  },
  toJSON: (v) => v,
};
