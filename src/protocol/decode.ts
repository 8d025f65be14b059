import { copyToSlab, concatBytes } from './bytes.ts';
import {
  FILE_OFFSET,
  HEADER_SIZE,
  MAX_MESSAGE_TYPE,
  OPTION_END,
  OPTION_PAD,
  OPTIONS_OFFSET,
  SNAME_OFFSET,
} from './constants.ts';
import { DhcpDecodeError, type DecodeWarning } from './errors.ts';
import { readIp, readU32 } from './ip.ts';
import type { DhcpMessage } from './message.ts';
import { definitionByCode } from './option-table.ts';
import { DhcpOptions } from './options.ts';

const OVERLOAD = 52;
const MESSAGE_TYPE = 53;

/**
 * Decodes one BOOTP/DHCP message. Throws only DhcpDecodeError; the option-loop policy it follows is
 * written down in docs/protocol.md and tested point by point in test/protocol/option-loop.test.ts.
 */
export function decodeMessage(input: Uint8Array): DhcpMessage {
  const len = input.length;
  if (len < OPTIONS_OFFSET) {
    throw new DhcpDecodeError(
      'ERR_TRUNCATED_HEADER',
      `${len}-byte packet is shorter than the 236-byte BOOTP header and the 4-byte magic cookie`,
    );
  }
  if (input[236] !== 99 || input[237] !== 130 || input[238] !== 83 || input[239] !== 99) {
    throw new DhcpDecodeError('ERR_BAD_MAGIC_COOKIE', 'no DHCP magic cookie 99.130.83.99', HEADER_SIZE);
  }
  const hlen = input[2]!;
  if (hlen > 16)
    throw new DhcpDecodeError('ERR_BAD_HLEN', `hlen ${hlen} exceeds the 16-byte chaddr field`, 2);

  const b = copyToSlab(input);
  const raw = new Map<number, Uint8Array>();
  readOptions(b, OPTIONS_OFFSET, len, raw);

  let warnings: DecodeWarning[] | undefined;
  let overload = 0;
  const ov = raw.get(OVERLOAD);
  if (ov !== undefined) {
    if (ov.length === 1 && ov[0]! >= 1 && ov[0]! <= 3) {
      overload = ov[0]!;
      // RFC 3396 §4 / RFC 2131 §4.1: the file field is read before sname.
      if (overload & 1) readOptions(b, FILE_OFFSET, HEADER_SIZE, raw);
      if (overload & 2) readOptions(b, SNAME_OFFSET, FILE_OFFSET, raw);
    } else {
      warnings = [
        {
          code: 'ERR_BAD_OVERLOAD',
          option: OVERLOAD,
          message: 'option 52 is not one byte of 1, 2 or 3; sname and file read as text',
        },
      ];
    }
  }

  const mt = raw.get(MESSAGE_TYPE);
  if (mt !== undefined && (mt.length !== 1 || mt[0] === 0 || mt[0]! > MAX_MESSAGE_TYPE)) {
    throw new DhcpDecodeError(
      'ERR_BAD_MESSAGE_TYPE',
      mt.length !== 1
        ? `dhcp-message-type has length ${mt.length}, not 1`
        : `dhcp-message-type ${mt[0]} is not assigned`,
    );
  }

  for (const [code, value] of raw) {
    const d = definitionByCode(code);
    if (d === undefined || code === OVERLOAD) continue;
    const ok = d.codec.valid !== undefined ? d.codec.valid(value) : d.codec.decode(value) !== undefined;
    if (!ok) {
      (warnings ??= []).push({
        code: 'ERR_BAD_OPTION_LENGTH',
        option: code,
        message: `${d.name} (${code}): ${value.length} byte(s) do not form a valid ${d.type}; kept raw`,
      });
    }
  }

  const msg: DhcpMessage = {
    op: b[0]!,
    htype: b[1]!,
    hlen,
    hops: b[3]!,
    xid: readU32(b, 4),
    secs: (b[8]! << 8) | b[9]!,
    flags: (b[10]! << 8) | b[11]!,
    ciaddr: readIp(b, 12),
    yiaddr: readIp(b, 16),
    siaddr: readIp(b, 20),
    giaddr: readIp(b, 24),
    chaddr: b.subarray(28, 44),
    sname: overload & 2 ? '' : cString(b, SNAME_OFFSET, FILE_OFFSET),
    file: overload & 1 ? '' : cString(b, FILE_OFFSET, HEADER_SIZE),
    options: new DhcpOptions(raw),
  };
  if (warnings !== undefined) msg.warnings = warnings;
  return msg;
}

/**
 * One option area: PAD skipped, END stops (whatever follows is ignored), a repeated code is appended to
 * the earlier value (RFC 3396 §5), an option running past the area is ERR_TRUNCATED_OPTION. An area
 * without END is accepted when its last option ends exactly at the area's end.
 */
function readOptions(b: Uint8Array, start: number, end: number, raw: Map<number, Uint8Array>): void {
  let i = start;
  while (i < end) {
    const code = b[i]!;
    if (code === OPTION_PAD) {
      i++;
      continue;
    }
    if (code === OPTION_END) return;
    if (i + 1 >= end)
      throw new DhcpDecodeError('ERR_TRUNCATED_OPTION', `option ${code} has no length byte`, i);
    const valueEnd = i + 2 + b[i + 1]!;
    if (valueEnd > end) {
      throw new DhcpDecodeError(
        'ERR_TRUNCATED_OPTION',
        `option ${code} runs ${valueEnd - end} byte(s) past its field`,
        i,
      );
    }
    const value = b.subarray(i + 2, valueEnd);
    const prev = raw.get(code);
    raw.set(code, prev === undefined ? value : concatBytes(prev, value));
    i = valueEnd;
  }
}

const utf8 = new TextDecoder('utf-8');

/** A NUL-terminated field; ASCII without allocation of a decoder, anything else as UTF-8. */
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
