/**
 * Renders one DHCP message as a commented hex fixture: one line per BOOTP header field, one line per
 * option (`# 53 dhcp-message-type = DISCOVER`). Deliberately independent of src/protocol, so the fixtures
 * cross-check the codec instead of echoing it. Also returns a plain summary used to write the tests.
 */

type Kind = 'ip' | 'ips' | 'u8' | 'u16' | 'u32' | 'text' | 'codes' | 'msgtype' | 'hex' | 'flag';

const OPTIONS: Record<number, [string, Kind]> = {
  1: ['subnet-mask', 'ip'],
  2: ['time-offset', 'u32'],
  3: ['routers', 'ips'],
  6: ['domain-name-servers', 'ips'],
  12: ['host-name', 'text'],
  15: ['domain-name', 'text'],
  26: ['interface-mtu', 'u16'],
  28: ['broadcast-address', 'ip'],
  42: ['ntp-servers', 'ips'],
  50: ['dhcp-requested-address', 'ip'],
  51: ['dhcp-lease-time', 'u32'],
  52: ['dhcp-option-overload', 'u8'],
  53: ['dhcp-message-type', 'msgtype'],
  54: ['dhcp-server-identifier', 'ip'],
  55: ['dhcp-parameter-request-list', 'codes'],
  56: ['dhcp-message', 'text'],
  57: ['dhcp-max-message-size', 'u16'],
  58: ['dhcp-renewal-time', 'u32'],
  59: ['dhcp-rebinding-time', 'u32'],
  60: ['vendor-class-identifier', 'text'],
  61: ['dhcp-client-identifier', 'hex'],
  80: ['rapid-commit', 'flag'],
  81: ['fqdn', 'hex'],
  82: ['dhcp-agent-options', 'hex'],
  118: ['subnet-selection', 'ip'],
  119: ['domain-search', 'hex'],
  121: ['classless-static-route', 'hex'],
  145: ['forcerenew-nonce-capable', 'hex'],
};

const MESSAGE_TYPES = ['', 'DISCOVER', 'OFFER', 'REQUEST', 'DECLINE', 'ACK', 'NAK', 'RELEASE', 'INFORM'];

export interface Summary {
  op: number;
  htype: number;
  hlen: number;
  hops: number;
  xid: number;
  secs: number;
  flags: number;
  ciaddr: string;
  yiaddr: string;
  siaddr: string;
  giaddr: string;
  chaddr: string;
  sname: string;
  file: string;
  /** code -> value as rendered in the comment (numbers as numbers, lists as arrays, opaque as hex). */
  options: { code: number; name: string; value: unknown; raw: string }[];
  /** Bytes after the END option (padding). */
  trailing: number;
}

const hex = (b: Uint8Array): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
const spaced = (b: Uint8Array): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');
const ip = (b: Uint8Array, o = 0): string => [...b.subarray(o, o + 4)].join('.');
const u16 = (b: Uint8Array, o = 0): number => (b[o]! << 8) | b[o + 1]!;
const u32 = (b: Uint8Array, o = 0): number =>
  ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
const text = (b: Uint8Array): string => Buffer.from(b).toString('latin1');
const cstr = (b: Uint8Array): string => {
  const z = b.indexOf(0);
  return text(z >= 0 ? b.subarray(0, z) : b);
};

function renderValue(kind: Kind, v: Uint8Array): unknown {
  switch (kind) {
    case 'ip':
      return v.length === 4 ? ip(v) : hex(v);
    case 'ips':
      return v.length % 4 === 0 ? Array.from({ length: v.length / 4 }, (_, i) => ip(v, i * 4)) : hex(v);
    case 'u8':
      return v[0];
    case 'u16':
      return v.length === 2 ? u16(v) : hex(v);
    case 'u32':
      return v.length === 4 ? u32(v) : hex(v);
    case 'text':
      return text(v);
    case 'codes':
      return [...v];
    case 'msgtype':
      return v[0];
    case 'flag':
      return true;
    case 'hex':
      return hex(v);
  }
}

function describe(code: number, kind: Kind, value: unknown): string {
  if (kind === 'msgtype') return MESSAGE_TYPES[value as number] ?? String(value);
  if (kind === 'text') return JSON.stringify(value);
  if (Array.isArray(value)) return value.join(', ');
  if (code === 61 && typeof value === 'string') return `type ${value.slice(0, 2)}, ${value.slice(2)}`;
  if (code === 82 && typeof value === 'string') return relaySubOptions(Buffer.from(value, 'hex'));
  return String(value);
}

const RELAY_SUBOPTIONS: Record<number, string> = {
  1: 'circuit-id',
  2: 'remote-id',
  5: 'link-selection',
  11: 'server-id-override',
};

function relaySubOptions(v: Uint8Array): string {
  const parts: string[] = [];
  for (let off = 0; off + 2 <= v.length;) {
    const code = v[off]!;
    const data = v.subarray(off + 2, off + 2 + v[off + 1]!);
    const printable = data.every((b) => b >= 0x20 && b < 0x7f);
    parts.push(
      `${RELAY_SUBOPTIONS[code] ?? 'sub-option'}(${code}) ${printable ? JSON.stringify(text(data)) : hex(data)}`,
    );
    off += 2 + data.length;
  }
  return parts.join(', ');
}

/** Option 52's value in the options field (0 when absent). */
function overloadOf(msg: Uint8Array): number {
  for (let off = 240; off < msg.length;) {
    const code = msg[off]!;
    if (code === 0) {
      off++;
      continue;
    }
    if (code === 255) break;
    if (code === 52) return msg[off + 2] ?? 0;
    off += 2 + (msg[off + 1] ?? 0);
  }
  return 0;
}

const pad48 = (h: string): string => h.padEnd(48);

/** One option area (the options field, or file/sname when overloaded): a line per option, pads, end, rest. */
function walkOptions(area: Uint8Array): { lines: string[]; options: Summary['options']; trailing: number } {
  const lines: string[] = [];
  const options: Summary['options'] = [];
  const field = (bytes: Uint8Array, comment: string): void => {
    lines.push(`${pad48(spaced(bytes))}# ${comment}`);
  };
  const block = (bytes: Uint8Array, comment: string): void => {
    for (let i = 0; i < bytes.length; i += 16) {
      const chunk = bytes.subarray(i, i + 16);
      lines.push(i === 0 ? `${pad48(spaced(chunk))}# ${comment}` : spaced(chunk));
    }
  };
  let off = 0;
  let pads = 0;
  const flushPads = (): void => {
    if (pads > 0) lines.push(`${pad48(spaced(area.subarray(off - pads, off)))}# 0 pad x${pads}`);
    pads = 0;
  };
  while (off < area.length) {
    const code = area[off]!;
    if (code === 0) {
      pads++;
      off++;
      continue;
    }
    flushPads();
    if (code === 255) {
      lines.push(`${pad48('ff')}# 255 end`);
      off++;
      break;
    }
    const len = area[off + 1] ?? 0;
    const v = area.subarray(off + 2, off + 2 + len);
    const [name, kind] = OPTIONS[code] ?? [`option-${code}`, 'hex' as Kind];
    const value = renderValue(kind, v);
    options.push({ code, name, value, raw: hex(v) });
    const all = area.subarray(off, off + 2 + len);
    const comment = `${code} ${name} = ${describe(code, kind, value)}`;
    if (all.length <= 16) field(all, comment);
    else block(all, comment);
    off += 2 + len;
  }
  flushPads();
  let trailing = 0;
  if (off < area.length) {
    trailing = area.length - off;
    const rest = area.subarray(off);
    const allZero = rest.every((b) => b === 0);
    block(rest, `${rest.length} bytes after end${allZero ? ' (zero padding)' : ''}`);
  }
  return { lines, options, trailing };
}

/** Returns the annotated hex lines (no header) and a summary of the message. */
export function annotate(msg: Uint8Array): { lines: string[]; summary: Summary } {
  if (msg.length < 240) throw new Error(`message too short: ${msg.length}`);
  const lines: string[] = [];
  const pad = (h: string): string => h.padEnd(48);
  const field = (bytes: Uint8Array, comment: string): void => {
    lines.push(`${pad(spaced(bytes))}# ${comment}`);
  };
  const block = (bytes: Uint8Array, comment: string): void => {
    for (let i = 0; i < bytes.length; i += 16) {
      const chunk = bytes.subarray(i, i + 16);
      lines.push(i === 0 ? `${pad(spaced(chunk))}# ${comment}` : spaced(chunk));
    }
  };
  const s: Summary = {
    op: msg[0]!,
    htype: msg[1]!,
    hlen: msg[2]!,
    hops: msg[3]!,
    xid: u32(msg, 4),
    secs: u16(msg, 8),
    flags: u16(msg, 10),
    ciaddr: ip(msg, 12),
    yiaddr: ip(msg, 16),
    siaddr: ip(msg, 20),
    giaddr: ip(msg, 24),
    chaddr: [...msg.subarray(28, 28 + Math.min(msg[2]!, 16))]
      .map((x) => x.toString(16).padStart(2, '0'))
      .join(':'),
    sname: cstr(msg.subarray(44, 108)),
    file: cstr(msg.subarray(108, 236)),
    options: [],
    trailing: 0,
  };
  field(msg.subarray(0, 1), `op = ${s.op} ${s.op === 1 ? 'BOOTREQUEST' : s.op === 2 ? 'BOOTREPLY' : '?'}`);
  field(msg.subarray(1, 2), `htype = ${s.htype}${s.htype === 1 ? ' (Ethernet)' : ''}`);
  field(msg.subarray(2, 3), `hlen = ${s.hlen}`);
  field(msg.subarray(3, 4), `hops = ${s.hops}`);
  field(msg.subarray(4, 8), `xid = 0x${s.xid.toString(16).padStart(8, '0')}`);
  field(msg.subarray(8, 10), `secs = ${s.secs}`);
  field(
    msg.subarray(10, 12),
    `flags = 0x${s.flags.toString(16).padStart(4, '0')}${s.flags & 0x8000 ? ' (BROADCAST)' : ''}`,
  );
  field(msg.subarray(12, 16), `ciaddr = ${s.ciaddr}`);
  field(msg.subarray(16, 20), `yiaddr = ${s.yiaddr}`);
  field(msg.subarray(20, 24), `siaddr = ${s.siaddr}`);
  field(msg.subarray(24, 28), `giaddr = ${s.giaddr}`);
  block(msg.subarray(28, 44), `chaddr = ${s.chaddr} (16 bytes, hlen used)`);
  // RFC 2131 §4.1 / RFC 2132 §9.3: with option 52 in the options field, file (bit 1) and then sname (bit 2)
  // carry options too; they are read after the options field, but lie before it on the wire.
  const overload = overloadOf(msg);
  const sname = msg.subarray(44, 108);
  const file = msg.subarray(108, 236);
  const walked = {
    options: walkOptions(msg.subarray(240)),
    file: overload & 1 ? walkOptions(file) : undefined,
    sname: overload & 2 ? walkOptions(sname) : undefined,
  };
  if (walked.sname) {
    s.sname = '';
    lines.push(`# sname (64 bytes): options, overloaded (option 52 = ${overload})`);
    lines.push(...walked.sname.lines);
  } else block(sname, `sname = ${JSON.stringify(s.sname)} (64 bytes)`);
  if (walked.file) {
    s.file = '';
    lines.push(`# file (128 bytes): options, overloaded (option 52 = ${overload})`);
    lines.push(...walked.file.lines);
  } else block(file, `file = ${JSON.stringify(s.file)} (128 bytes)`);
  field(msg.subarray(236, 240), `magic cookie = 99.130.83.99`);
  lines.push(...walked.options.lines);
  s.trailing = walked.options.trailing;
  s.options.push(
    ...walked.options.options,
    ...(walked.file?.options ?? []),
    ...(walked.sname?.options ?? []),
  );
  return { lines, summary: s };
}
