import { fromHex, macToString, parseMac, toHex } from './bytes.ts';
import { messageTypeName, BOOTREQUEST, BOOTREPLY } from './constants.ts';
import { DhcpEncodeError, type DecodeWarning } from './errors.ts';
import { DhcpOptions } from './options.ts';
import { definitionNamed } from './option-table.ts';

const MESSAGE_TYPE_OPT = definitionNamed('dhcp-message-type');

/** One BOOTP/DHCP message (RFC 2131 §2). Decoded messages share no bytes with the input buffer. */
export interface DhcpMessage {
  op: number;
  htype: number;
  hlen: number;
  hops: number;
  /** Unsigned 32-bit. */
  xid: number;
  secs: number;
  flags: number;
  ciaddr: string;
  yiaddr: string;
  siaddr: string;
  giaddr: string;
  /** Exactly 16 bytes as on the wire; the first `hlen` are the hardware address. */
  chaddr: Uint8Array;
  /** '' when empty or when it carried overloaded options (option 52). */
  sname: string;
  file: string;
  /** Every option, including those found in sname/file through overload. */
  options: DhcpOptions;
  /** Set by the decoder only when it kept something odd (see docs/protocol.md); never by the encoder. */
  warnings?: DecodeWarning[];
}

/** A zeroed header (Ethernet htype/hlen) with empty options; `init` wins. chaddr is padded to 16 bytes. */
export function createMessage(init: Partial<DhcpMessage> = {}): DhcpMessage {
  const chaddr = new Uint8Array(16);
  if (init.chaddr !== undefined) {
    if (!(init.chaddr instanceof Uint8Array) || init.chaddr.length > 16) {
      throw new DhcpEncodeError('ERR_ENCODE_BAD_FIELD', 'chaddr must be a Uint8Array of at most 16 bytes');
    }
    chaddr.set(init.chaddr);
  }
  const msg: DhcpMessage = {
    op: init.op ?? BOOTREQUEST,
    htype: init.htype ?? 1,
    hlen:
      init.hlen ??
      (init.chaddr !== undefined && init.chaddr.length > 0 && init.chaddr.length < 16
        ? init.chaddr.length
        : 6),
    hops: init.hops ?? 0,
    xid: init.xid ?? 0,
    secs: init.secs ?? 0,
    flags: init.flags ?? 0,
    ciaddr: init.ciaddr ?? '0.0.0.0',
    yiaddr: init.yiaddr ?? '0.0.0.0',
    siaddr: init.siaddr ?? '0.0.0.0',
    giaddr: init.giaddr ?? '0.0.0.0',
    chaddr,
    sname: init.sname ?? '',
    file: init.file ?? '',
    options: init.options ?? new DhcpOptions(),
  };
  if (init.warnings !== undefined) msg.warnings = init.warnings;
  return msg;
}

/** Option 53, or undefined for a plain BOOTP message. */
export function messageTypeOf(msg: DhcpMessage): number | undefined {
  return msg.options.getBy(MESSAGE_TYPE_OPT);
}

/** A readable JSON form: header fields, chaddr as a MAC string, options keyed by Kea name. */
export function messageToJSON(msg: DhcpMessage): Record<string, unknown> {
  const type = messageTypeOf(msg);
  const out: Record<string, unknown> = {
    op: msg.op === BOOTREQUEST ? 'BOOTREQUEST' : msg.op === BOOTREPLY ? 'BOOTREPLY' : msg.op,
    messageType: type === undefined ? 'BOOTP' : messageTypeName(type),
    htype: msg.htype,
    hlen: msg.hlen,
    hops: msg.hops,
    xid: `0x${msg.xid.toString(16).padStart(8, '0')}`,
    secs: msg.secs,
    flags: msg.flags,
    broadcast: (msg.flags & 0x8000) !== 0,
    ciaddr: msg.ciaddr,
    yiaddr: msg.yiaddr,
    siaddr: msg.siaddr,
    giaddr: msg.giaddr,
    chaddr: macToString(msg.chaddr, msg.hlen),
    sname: msg.sname,
    file: msg.file,
    options: msg.options.toJSON(),
  };
  // Bytes past hlen are normally zero; when they are not, show (and keep) the whole field.
  if (msg.chaddr.subarray(Math.min(msg.hlen, 16)).some((b) => b !== 0)) out.chaddrRaw = toHex(msg.chaddr);
  if (msg.warnings !== undefined && msg.warnings.length > 0)
    out.warnings = msg.warnings.map((w) => ({ ...w }));
  return out;
}

function num(json: Record<string, unknown>, key: string, fallback: number): number {
  const v = json[key];
  if (v === undefined) return fallback;
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^(0x[0-9a-f]+|\d+)$/i.test(v)) return Number(v);
  throw new DhcpEncodeError('ERR_ENCODE_BAD_FIELD', `${key}: expected a number`);
}

function str(json: Record<string, unknown>, key: string, fallback: string): string {
  const v = json[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'string') throw new DhcpEncodeError('ERR_ENCODE_BAD_FIELD', `${key}: expected a string`);
  return v;
}

/**
 * The inverse of messageToJSON (messageType, broadcast and warnings are derived and ignored): a message
 * written as JSON, e.g. edited output of `leasekeeper decode`. Throws DhcpEncodeError on bad fields.
 */
export function messageFromJSON(json: Readonly<Record<string, unknown>>): DhcpMessage {
  const j = json as Record<string, unknown>;
  const op =
    j.op === 'BOOTREQUEST' ? BOOTREQUEST : j.op === 'BOOTREPLY' ? BOOTREPLY : num(j, 'op', BOOTREQUEST);
  let chaddr: Uint8Array | undefined;
  if (typeof j.chaddrRaw === 'string') chaddr = fromHex(j.chaddrRaw);
  else if (typeof j.chaddr === 'string' && j.chaddr !== '') {
    try {
      chaddr = parseMac(j.chaddr);
    } catch {
      throw new DhcpEncodeError('ERR_ENCODE_BAD_FIELD', `chaddr: not a hardware address: ${j.chaddr}`);
    }
  }
  const options = j.options === undefined ? new DhcpOptions() : j.options;
  if (!(options instanceof DhcpOptions) && (typeof options !== 'object' || options === null)) {
    throw new DhcpEncodeError('ERR_ENCODE_BAD_FIELD', 'options: expected an object');
  }
  return createMessage({
    op,
    htype: num(j, 'htype', 1),
    hlen: num(j, 'hlen', chaddr !== undefined && chaddr.length <= 16 ? chaddr.length : 6),
    hops: num(j, 'hops', 0),
    xid: num(j, 'xid', 0),
    secs: num(j, 'secs', 0),
    flags: num(j, 'flags', 0),
    ciaddr: str(j, 'ciaddr', '0.0.0.0'),
    yiaddr: str(j, 'yiaddr', '0.0.0.0'),
    siaddr: str(j, 'siaddr', '0.0.0.0'),
    giaddr: str(j, 'giaddr', '0.0.0.0'),
    ...(chaddr === undefined ? {} : { chaddr }),
    sname: str(j, 'sname', ''),
    file: str(j, 'file', ''),
    options:
      options instanceof DhcpOptions ? options : DhcpOptions.fromJSON(options as Record<string, unknown>),
  });
}
