/** Codecs for domain names: lists (RFC 1035 compression, RFC 3397), single names, client FQDN (RFC 4702). */
import { decodeName, decodeNameList, encodeName, encodeNameList } from '../dns-name.ts';
import { bad, checkArray, checkInt, encodeText, identity, type ValueCodec } from './codec.ts';

function checkNames(v: unknown): string[] {
  const list = checkArray(v, 1);
  for (const n of list) if (typeof n !== 'string') bad('expected domain names as strings');
  return list as string[];
}

/** A list of domain names; `compress` for RFC 3397 §2 (option 119) style compression on encode. */
export function fqdnList(compress: boolean): ValueCodec<string[]> {
  return {
    kind: 'fqdn-list',
    decode: (b) => (b.length > 0 ? decodeNameList(b, true) : undefined),
    encode: (v) => encodeNameList(checkNames(v), compress),
    toJSON: identity,
  };
}

/** A single uncompressed domain name. */
export const fqdn: ValueCodec<string> = {
  kind: 'fqdn',
  decode(b) {
    const r = b.length > 0 ? decodeName(b, 0, false) : undefined;
    return r && r.next === b.length ? r.name : undefined;
  },
  encode(v) {
    if (typeof v !== 'string') bad('expected a domain name');
    return encodeName(v, true);
  },
  toJSON: identity,
};

/** Option 81, RFC 4702 §2. */
export interface ClientFqdn {
  /** S (0x01), O (0x02), E (0x04), N (0x08). */
  flags: number;
  rcode1: number;
  rcode2: number;
  /**
   * With E set, the name in canonical wire form: a fully qualified name ends with '.', a partial one
   * (RFC 4702 §2.3.1, no root label) does not: 'host' or 'host.example.com.'. Without E, the
   * deprecated ASCII text as sent.
   */
  name: string;
}

export const FQDN_FLAG_S = 0x01;
export const FQDN_FLAG_O = 0x02;
export const FQDN_FLAG_E = 0x04;
export const FQDN_FLAG_N = 0x08;

export const clientFqdn: ValueCodec<ClientFqdn> = {
  kind: 'client-fqdn',
  decode(b) {
    if (b.length < 3) return undefined;
    const flags = b[0]!;
    const base = { flags, rcode1: b[1]!, rcode2: b[2]! };
    if ((flags & FQDN_FLAG_E) === 0) {
      let name = '';
      for (let i = 3; i < b.length; i++) name += String.fromCharCode(b[i]!);
      return { ...base, name };
    }
    // A partial name has no root label: read labels until the data ends.
    const body = b.subarray(3);
    let pos = 0;
    const labels: string[] = [];
    while (pos < body.length) {
      const len = body[pos]!;
      if (len === 0) {
        if (pos + 1 !== body.length) return undefined;
        return { ...base, name: labels.length === 0 ? '.' : `${labels.join('.')}.` };
      }
      if (len > 63 || pos + 1 + len > body.length) return undefined;
      let label = '';
      for (let i = pos + 1; i <= pos + len; i++) label += String.fromCharCode(body[i]!);
      labels.push(label);
      pos += 1 + len;
    }
    return { ...base, name: labels.join('.') };
  },
  encode(v) {
    if (typeof v !== 'object' || v === null) bad('expected { flags, rcode1, rcode2, name }');
    const flags = checkInt(v.flags, 0, 255);
    const head = [flags, checkInt(v.rcode1, 0, 255), checkInt(v.rcode2, 0, 255)];
    if (typeof v.name !== 'string') bad('expected fqdn.name as a string');
    let body: Uint8Array;
    if ((flags & FQDN_FLAG_E) === 0) {
      body = encodeText(v.name);
    } else {
      const name = v.name;
      const full = name.endsWith('.');
      body = encodeName(name === '.' ? '' : name, full);
    }
    if (body.length > 252) bad('fqdn is longer than 252 bytes');
    const out = new Uint8Array(3 + body.length);
    out.set(head, 0);
    out.set(body, 3);
    return out;
  },
  toJSON: (v) => ({ ...v }),
};
