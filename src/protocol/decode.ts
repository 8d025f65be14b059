import { copyToSlab } from './bytes.ts';
import { DhcpDecodeError, type DecodeWarning } from './errors.ts';
import { readIp } from './ip.ts';
import type { DhcpMessage } from './message.ts';
import { definitionByCode } from './option-table.ts';
import { DhcpOptions } from './options.ts';

// Local copies of the layout constants keep the hot loop free of cross-module lookups.
const SNAME = 44;
const FILE = 108;
const HEADER = 236;
const OPTIONS = 240;
const PAD = 0;
const END = 255;
const OVERLOAD = 52;
const MESSAGE_TYPE = 53;
/** The highest message type IANA has assigned (RFC 7724 TLS = 18). */
const MAX_MESSAGE_TYPE = 18;

/**
 * The options of the packet being decoded, collected into arrays shared by every decode (decoding is
 * synchronous and never re-entered): parallel arrays as DhcpOptions stores them, of which each message gets
 * an exact-size copy, where arrays grown by `push` from empty would allocate for 17 entries each.
 */
interface Collected {
  readonly codes: number[];
  readonly slots: (Uint8Array | number)[];
  /** How many entries of `codes` and `slots` are this packet's. */
  count: number;
  /** Pieces of repeated codes by index, joined once by `joinRepeats` (joining as they come is quadratic). */
  repeats: Map<number, (Uint8Array | number)[]> | undefined;
}

const collected: Collected = { codes: [], slots: [], count: 0, repeats: undefined };

/** code -> index + 1 in `Collected` for the packet being decoded; reset before returning. */
const seen = new Uint8Array(256);

/** The last giaddr decoded and its text: a relay's address is the same in every packet it forwards. */
let lastGiaddr = 0;
let lastGiaddrText = '0.0.0.0';

/**
 * Decodes one BOOTP/DHCP message. Throws only DhcpDecodeError; the option-loop policy it follows is
 * written down in docs/protocol.md and tested point by point in test/protocol/option-loop.test.ts.
 */
export function decodeMessage(input: Uint8Array): DhcpMessage {
  const len = input.length;
  if (len < OPTIONS) {
    throw new DhcpDecodeError(
      'ERR_DECODE_TRUNCATED_HEADER',
      `${len}-byte packet is shorter than the 236-byte BOOTP header and the 4-byte magic cookie`,
    );
  }
  // RFC 2131 §3: the options field starts with the magic cookie 99.130.83.99.
  if (input[236] !== 99 || input[237] !== 130 || input[238] !== 83 || input[239] !== 99) {
    throw new DhcpDecodeError('ERR_DECODE_BAD_MAGIC_COOKIE', 'no DHCP magic cookie 99.130.83.99', HEADER);
  }
  const hlen = input[2]!;
  if (hlen > 16)
    throw new DhcpDecodeError('ERR_DECODE_BAD_HLEN', `hlen ${hlen} exceeds the 16-byte chaddr field`, 2);

  const b = copyToSlab(input);
  const c = collected;
  c.count = 0;
  c.repeats = undefined;
  try {
    readOptions(b, OPTIONS, len, c);
    joinRepeats(b, c);
    let warnings: DecodeWarning[] | undefined;
    let overload = 0;
    const ovAt = seen[OVERLOAD]!;
    if (ovAt !== 0) {
      const ov = valueOf(b, c.slots[ovAt - 1]!);
      if (ov.length === 1 && ov[0]! >= 1 && ov[0]! <= 3) {
        overload = ov[0]!;
        // RFC 2131 §4.1: the options field first, then file, then sname.
        if (overload & 1) readOptions(b, FILE, HEADER, c);
        if (overload & 2) readOptions(b, SNAME, FILE, c);
        joinRepeats(b, c);
      } else {
        warnings = [
          {
            code: 'ERR_DECODE_BAD_OVERLOAD',
            option: OVERLOAD,
            message: 'dhcp-option-overload is not one byte of 1, 2 or 3; sname and file are read as text',
          },
        ];
      }
    }

    const mtAt = seen[MESSAGE_TYPE]!;
    if (mtAt !== 0) {
      const mt = valueOf(b, c.slots[mtAt - 1]!);
      if (mt.length !== 1 || mt[0] === 0 || mt[0]! > MAX_MESSAGE_TYPE) {
        throw new DhcpDecodeError(
          'ERR_DECODE_BAD_MESSAGE_TYPE',
          mt.length !== 1
            ? `dhcp-message-type has length ${mt.length}, not 1`
            : `dhcp-message-type ${mt[0]} is not an assigned message type`,
        );
      }
    }
    warnings = checkKnownOptions(b, c, warnings);

    const msg: DhcpMessage = {
      op: b[0]!,
      htype: b[1]!,
      hlen,
      hops: b[3]!,
      xid: ((b[4]! << 24) | (b[5]! << 16) | (b[6]! << 8) | b[7]!) >>> 0,
      secs: (b[8]! << 8) | b[9]!,
      flags: (b[10]! << 8) | b[11]!,
      ciaddr: ipAt(b, 12),
      yiaddr: ipAt(b, 16),
      siaddr: ipAt(b, 20),
      giaddr: giaddrAt(b),
      chaddr: b.subarray(28, 44),
      sname: overload & 2 ? '' : cString(b, SNAME, FILE),
      file: overload & 1 ? '' : cString(b, FILE, HEADER),
      options: DhcpOptions.fromDecoded(b, c.codes.slice(0, c.count), c.slots.slice(0, c.count)),
    };
    if (warnings !== undefined) msg.warnings = warnings;
    return msg;
  } finally {
    for (let i = 0; i < c.count; i++) seen[c.codes[i]!] = 0;
    // The shared arrays keep their numbers, but no view into this packet.
    for (let i = 0; i < c.count; i++) c.slots[i] = 0;
    c.repeats = undefined;
  }
}

function giaddrAt(b: Uint8Array): string {
  const n = ((b[24]! << 24) | (b[25]! << 16) | (b[26]! << 8) | b[27]!) >>> 0;
  if (n !== lastGiaddr) {
    lastGiaddrText = ipAt(b, 24);
    lastGiaddr = n;
  }
  return lastGiaddrText;
}

function ipAt(b: Uint8Array, off: number): string {
  // Most header addresses in requests are unset; skip building the string for them.
  return b[off] === 0 && b[off + 1] === 0 && b[off + 2] === 0 && b[off + 3] === 0
    ? '0.0.0.0'
    : readIp(b, off);
}

function valueOf(b: Uint8Array, s: Uint8Array | number): Uint8Array {
  return typeof s === 'number' ? b.subarray(s >>> 8, (s >>> 8) + (s & 255)) : s;
}

/**
 * One option area: PAD skipped, END stops (whatever follows is ignored), a repeated code is appended to
 * the earlier value (RFC 3396), an option running past the area is ERR_DECODE_TRUNCATED_OPTION. An area
 * without END is accepted when its last option ends exactly at the area's end.
 */
function readOptions(b: Uint8Array, start: number, end: number, c: Collected): void {
  let i = start;
  while (i < end) {
    const code = b[i]!;
    if (code === PAD) {
      i++;
      continue;
    }
    if (code === END) return;
    if (i + 1 >= end)
      throw new DhcpDecodeError('ERR_DECODE_TRUNCATED_OPTION', `option ${code} has no length byte`, i);
    const vlen = b[i + 1]!;
    const valueEnd = i + 2 + vlen;
    if (valueEnd > end) {
      throw new DhcpDecodeError(
        'ERR_DECODE_TRUNCATED_OPTION',
        `option ${code} runs ${valueEnd - end} byte(s) past the end of its field`,
        i,
      );
    }
    const at = seen[code]!;
    if (at === 0) {
      const n = c.count;
      c.codes[n] = code;
      c.slots[n] = (i + 2) * 256 + vlen;
      c.count = n + 1;
      seen[code] = n + 1;
    } else {
      // RFC 3396: a code that appears more than once is one value, concatenated in order.
      const pieces = (c.repeats ??= new Map()).get(at - 1);
      const piece = (i + 2) * 256 + vlen;
      if (pieces === undefined) c.repeats.set(at - 1, [c.slots[at - 1]!, piece]);
      else pieces.push(piece);
    }
    i = valueEnd;
  }
}

function joinRepeats(b: Uint8Array, c: Collected): void {
  if (c.repeats === undefined) return;
  for (const [index, pieces] of c.repeats) {
    let total = 0;
    for (const p of pieces) total += typeof p === 'number' ? p & 255 : p.length;
    const joined = new Uint8Array(total);
    let at = 0;
    for (const p of pieces) {
      const v = valueOf(b, p);
      joined.set(v, at);
      at += v.length;
    }
    c.slots[index] = joined;
  }
  c.repeats = undefined;
}

/** A known option whose bytes cannot be of its type is kept raw and reported (docs/protocol.md). */
function checkKnownOptions(
  b: Uint8Array,
  c: Collected,
  warnings: DecodeWarning[] | undefined,
): DecodeWarning[] | undefined {
  for (let i = 0; i < c.count; i++) {
    const code = c.codes[i]!;
    const d = definitionByCode(code);
    if (d === undefined || code === OVERLOAD) continue;
    const s = c.slots[i]!;
    let ok: boolean;
    if (d.codec.valid !== undefined) {
      ok = typeof s === 'number' ? d.codec.valid(b, s >>> 8, s & 255) : d.codec.valid(s, 0, s.length);
    } else {
      ok = d.codec.decode(valueOf(b, s)) !== undefined;
    }
    if (!ok) {
      (warnings ??= []).push({
        code: 'ERR_DECODE_BAD_OPTION_LENGTH',
        option: code,
        message: `${d.name} (${code}): ${valueOf(b, s).length} byte(s) do not form a valid ${d.type}; kept raw`,
      });
    }
  }
  return warnings;
}

const utf8 = new TextDecoder('utf-8');

/** A NUL-terminated field; ASCII without a decoder, anything else as UTF-8. */
function cString(b: Uint8Array, start: number, end: number): string {
  if (b[start] === 0) return '';
  let stop = start;
  let ascii = true;
  while (stop < end && b[stop] !== 0) {
    if (b[stop]! > 0x7f) ascii = false;
    stop++;
  }
  if (!ascii) return utf8.decode(b.subarray(start, stop));
  let s = '';
  for (let i = start; i < stop; i++) s += String.fromCharCode(b[i]!);
  return s;
}
