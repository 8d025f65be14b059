import type { DhcpMessage } from '../protocol/index.ts';
import { fromHex, readIp, readU16, readU32, toHex } from '../protocol/index.ts';
import { isSafeDomainName } from './dns-names.ts';
import type { ClientLease } from './lease.ts';
import { maskPrefixLength } from './lease.ts';
import type { UdhcpcKind } from './udhcpc-table.ts';
import { UDHCPC_OPTIONS } from './udhcpc-table.ts';

/**
 * busybox udhcpc's script environment, byte for byte where it matters (networking/udhcp/dhcpc.c
 * `fill_envp`, common.c `dhcp_optflags`/`dhcp_option_strings`): scripts written for udhcpc run
 * unchanged against leasekeeper. The option names are those of Debian 12's busybox 1.35 (built with
 * RFC 3397 and 802.1Q support), read from its binary.
 */

/** The first argument udhcpc gives its script. */
export type UdhcpcScriptEvent = 'deconfig' | 'bound' | 'renew' | 'nak' | 'leasefail';

const ELEMENT_SIZE: Readonly<Record<'ip' | 'ip-pair' | 'u8' | 'u16' | 'u32' | 's32', number>> = {
  ip: 4,
  'ip-pair': 8,
  u8: 1,
  u16: 2,
  u32: 4,
  s32: 4,
};

/** A C string: the bytes up to the first NUL. */
function cString(b: Uint8Array): string {
  const end = b.indexOf(0);
  return new TextDecoder().decode(end >= 0 ? b.subarray(0, end) : b);
}

/** udhcpc's `good_hostname()`: labels of [A-Za-z0-9_-] separated by dots. */
function goodHostname(s: string): boolean {
  return /^[A-Za-z0-9_.-]*$/.test(s);
}

/** RFC 1035 names with compression pointers, space-separated, as busybox's `dname_dec()`; null when malformed. */
export function decodeDomainList(b: Uint8Array): string | null {
  let out = '';
  let pos = 0;
  let ret = 0;
  let depth = 0;
  while (pos < b.length) {
    const c = b[pos]!;
    if ((c & 0xc0) === 0xc0) {
      if (pos + 2 > b.length) return null;
      if (ret === 0) ret = pos + 2;
      depth++;
      pos = ((c & 0x3f) << 8) | b[pos + 1]!;
    } else if (c !== 0) {
      if (pos + c + 1 > b.length) return null;
      out += new TextDecoder().decode(b.subarray(pos + 1, pos + 1 + c)) + '.';
      pos += c + 1;
    } else {
      if (ret === 0) pos++;
      else {
        pos = ret;
        ret = 0;
        depth = 0;
      }
      if (out.length > 0) out = out.slice(0, -1) + ' ';
    }
    if (depth > 10) return null; // a pointer loop
  }
  return out.slice(0, -1);
}

/**
 * A domain list for the script: udhcpc 1.35 passes the decoded names as they are, so a label with a
 * newline, `;` or `$(...)` would reach a script that writes `search $search` to resolv.conf. A name that
 * is not a valid domain name becomes `bad`, as udhcpc does for host names.
 */
function safeDomainList(b: Uint8Array): string {
  const list = decodeDomainList(b);
  if (list === null || list === '') return '';
  return list
    .split(' ')
    .map((name) => (isSafeDomainName(name) ? name : 'bad'))
    .join(' ');
}

function staticRoutes(b: Uint8Array): string {
  const parts: string[] = [];
  let i = 0;
  while (b.length - i >= 5) {
    const len = b[i++]!;
    if (len > 32) break;
    const n = (len + 7) >> 3;
    const dest = new Uint8Array(4);
    dest.set(b.subarray(i, i + n));
    i += n;
    if (b.length - i < 4) break;
    parts.push(`${readIp(dest, 0)}/${len} ${readIp(b, i)}`);
    i += 4;
  }
  return parts.join(' ');
}

function ipv6Full(b: Uint8Array, off: number): string {
  const groups: string[] = [];
  for (let g = 0; g < 8; g++) groups.push(toHex(b.subarray(off + 2 * g, off + 2 * g + 2)));
  return groups.join(':');
}

function sixRd(b: Uint8Array): string {
  const maskLen = b[0] ?? 0;
  const prefixLen = b[1] ?? 0;
  // udhcpc: at least 22 bytes, IPv4MaskLen <= 32, 6rdPrefixLen + (32 - IPv4MaskLen) <= 128; else empty.
  if (b.length < 22 || maskLen > 32 || prefixLen + 32 - maskLen > 128) return '';
  let s = `${maskLen} ${prefixLen} ${ipv6Full(b, 2)}`;
  for (let off = 18; off + 4 <= b.length; off += 4) s += ` ${readIp(b, off)}`;
  return s;
}

function sipServers(b: Uint8Array): string {
  if (b.length < 1) return '';
  if (b[0] === 0) return safeDomainList(b.subarray(1));
  if (b[0] === 1) {
    const ips: string[] = [];
    for (let off = 1; off + 4 <= b.length; off += 4) ips.push(readIp(b, off));
    return ips.join(' ');
  }
  return '';
}

/** One option's value as udhcpc's `xmalloc_optname_optval()` prints it. */
function formatValue(kind: UdhcpcKind, b: Uint8Array): string {
  switch (kind) {
    case 'string':
      return cString(b);
    case 'string-host': {
      const s = cString(b);
      // udhcpc replaces an invalid name by "bad", cut to the option's length - 1 (safe_strncpy).
      return goodHostname(s) ? s : 'bad'.slice(0, Math.max(0, b.length - 1));
    }
    case 'static-routes':
      return staticRoutes(b);
    case 'dns-string':
      return safeDomainList(b);
    case 'sip-servers':
      return sipServers(b);
    case '6rd':
      return sixRd(b);
    default: {
      const size = ELEMENT_SIZE[kind];
      const items: string[] = [];
      for (let off = 0; off + size <= b.length; off += size) {
        if (kind === 'ip') items.push(readIp(b, off));
        else if (kind === 'ip-pair') items.push(`${readIp(b, off)}/${readIp(b, off + 4)}`);
        else if (kind === 'u8') items.push(String(b[off]));
        else if (kind === 'u16') items.push(String(readU16(b, off)));
        else if (kind === 'u32') items.push(String(readU32(b, off)));
        // udhcpc prints the signed option through `(unsigned long)` with %ld: -3600 comes out as
        // 4294963696 on 64-bit hosts (checked against Debian's busybox 1.35). Scripts see that.
        else items.push(String(readU32(b, off)));
      }
      return items.join(' ');
    }
  }
}

/** What `fill_envp` reads from a packet. */
export interface UdhcpcPacketView {
  readonly yiaddr: string;
  readonly siaddr: string;
  /** '' when empty or overloaded with options. */
  readonly sname: string;
  readonly file: string;
  readonly options: ReadonlyMap<number, Uint8Array>;
}

/** The environment for one packet (`fill_envp`); `packet` null gives just `interface`, as for deconfig and leasefail. */
export function udhcpcPacketEnvironment(
  packet: UdhcpcPacketView | null,
  ifname: string,
): Record<string, string> {
  const env: Record<string, string> = { interface: ifname };
  if (packet === null) return env;
  env.ip = packet.yiaddr;
  if (packet.siaddr !== '0.0.0.0') env.siaddr = packet.siaddr;
  if (packet.file !== '') env.boot_file = packet.file;
  if (packet.sname !== '') env.sname = packet.sname;
  const named = new Set<number>();
  for (const [code, name, kind] of UDHCPC_OPTIONS) {
    const raw = packet.options.get(code);
    if (raw === undefined) continue;
    named.add(code);
    env[name] = formatValue(kind, raw);
    if (code === 1 && raw.length === 4) env.mask = String(maskPrefixLength(readU32(raw, 0)));
  }
  const rest = [...packet.options.keys()]
    .filter((c) => !named.has(c) && c !== 0 && c !== 255)
    .sort((a, b) => a - b);
  for (const code of rest) env[`opt${code}`] = toHex(packet.options.get(code)!);
  return env;
}

/** The environment udhcpc gives its script for `bound`/`renew` with this lease, or for deconfig/leasefail (null). */
export function udhcpcEnvironment(lease: ClientLease | null, ifname: string): Record<string, string> {
  if (lease === null) return udhcpcPacketEnvironment(null, ifname);
  const options = new Map<number, Uint8Array>();
  for (const [code, hex] of Object.entries(lease.options)) {
    const raw = fromHex(hex);
    if (raw !== undefined) options.set(Number(code), raw);
  }
  return udhcpcPacketEnvironment(
    { yiaddr: lease.address, siaddr: lease.siaddr, sname: lease.sname, file: lease.file, options },
    ifname,
  );
}

/** The environment for a received message, e.g. the NAK udhcpc passes to its `nak` script call. */
export function udhcpcMessageEnvironment(msg: DhcpMessage, ifname: string): Record<string, string> {
  return udhcpcPacketEnvironment(
    {
      yiaddr: msg.yiaddr,
      siaddr: msg.siaddr,
      sname: msg.sname,
      file: msg.file,
      options: new Map(msg.options.entries()),
    },
    ifname,
  );
}
