/**
 * RFC 1035 §3.1 domain names in wire form, with §4.1.4 compression for option 119 (RFC 3397 §2) and its
 * kin. Names are written without the trailing dot: 'example.com'; the root is ''.
 */
import { DhcpEncodeError } from './errors.ts';

const MAX_NAME = 255;
const MAX_LABEL = 63;
/**
 * Pointers followed per name. A 255-byte name has at most 127 labels, so real names need far fewer; the
 * cap keeps a list of names that each chain back through all earlier ones from costing quadratic time.
 */
const MAX_POINTERS = 128;

/**
 * Decodes every name in `b` (a list filling the whole value). Compression pointers are offsets from the
 * start of `b` and must point strictly backwards, so a loop cannot be built and decoding always ends; at
 * most 128 are followed per name, so that the whole list decodes in linear time.
 * Returns undefined on any malformed input.
 */
export function decodeNameList(b: Uint8Array, allowCompression: boolean): string[] | undefined {
  const names: string[] = [];
  let pos = 0;
  while (pos < b.length) {
    const r = decodeName(b, pos, allowCompression);
    if (r === undefined) return undefined;
    names.push(r.name);
    pos = r.next;
  }
  return names;
}

/** One name at `start`; `next` is the offset after it in the original stream (after the first pointer). */
export function decodeName(
  b: Uint8Array,
  start: number,
  allowCompression: boolean,
): { name: string; next: number } | undefined {
  let name = '';
  let wireLength = 1;
  let pos = start;
  let next = -1;
  // Every pointer must go below the lowest position read so far, which bounds the walk by b.length.
  let floor = start;
  let hops = 0;
  for (;;) {
    if (pos >= b.length) return undefined;
    const len = b[pos]!;
    if (len === 0) {
      if (next < 0) next = pos + 1;
      return { name, next };
    }
    if ((len & 0xc0) === 0xc0) {
      if (!allowCompression || pos + 1 >= b.length) return undefined;
      const target = ((len & 0x3f) << 8) | b[pos + 1]!;
      if (target >= floor || ++hops > MAX_POINTERS) return undefined;
      if (next < 0) next = pos + 2;
      floor = target;
      pos = target;
      continue;
    }
    if (len > MAX_LABEL) return undefined; // 0x40 and 0x80 label types are not defined for DHCP
    if (pos + 1 + len > b.length) return undefined;
    wireLength += len + 1;
    if (wireLength > MAX_NAME) return undefined;
    let label = '';
    for (let i = pos + 1; i <= pos + len; i++) label += String.fromCharCode(b[i]!);
    name = name === '' ? label : `${name}.${label}`;
    pos += len + 1;
  }
}

/** Splits and checks a name; an impossible one is a DhcpEncodeError (ERR_ENCODE_BAD_OPTION_VALUE). */
function badName(message: string): DhcpEncodeError {
  return new DhcpEncodeError('ERR_ENCODE_BAD_OPTION_VALUE', message);
}

export function nameLabels(name: string): string[] {
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
  if (trimmed === '') return [];
  const labels = trimmed.split('.');
  let wire = 1;
  for (const label of labels) {
    if (label.length === 0) throw badName(`empty label in domain name '${name}'`);
    if (label.length > MAX_LABEL) throw badName(`label longer than 63 bytes in '${name}'`);
    for (let i = 0; i < label.length; i++) {
      if (label.charCodeAt(i) > 0x7f) throw badName(`non-ASCII domain name '${name}' (use punycode)`);
    }
    wire += label.length + 1;
  }
  if (wire > MAX_NAME) throw badName(`domain name longer than 255 bytes: '${name}'`);
  return labels;
}

/** Encodes names in sequence, compressing repeated suffixes when `compress` (RFC 1035 §4.1.4). */
export function encodeNameList(names: readonly string[], compress: boolean): Uint8Array {
  const out: number[] = [];
  const suffixes = new Map<string, number>();
  for (const name of names) {
    const labels = nameLabels(name);
    let pointer = -1;
    for (let i = 0; i < labels.length; i++) {
      const suffix = labels.slice(i).join('.');
      const known = compress ? suffixes.get(suffix) : undefined;
      if (known !== undefined) {
        pointer = known;
        break;
      }
      if (compress && out.length < 0x4000) suffixes.set(suffix, out.length);
      const label = labels[i]!;
      out.push(label.length);
      for (let j = 0; j < label.length; j++) out.push(label.charCodeAt(j));
    }
    if (pointer >= 0) out.push(0xc0 | (pointer >> 8), pointer & 0xff);
    else out.push(0);
  }
  return Uint8Array.from(out);
}

/** One name without compression; `terminated` false leaves off the root label (an RFC 4702 partial name). */
export function encodeName(name: string, terminated: boolean): Uint8Array {
  const out: number[] = [];
  for (const label of nameLabels(name)) {
    out.push(label.length);
    for (let j = 0; j < label.length; j++) out.push(label.charCodeAt(j));
  }
  if (terminated) out.push(0);
  return Uint8Array.from(out);
}
