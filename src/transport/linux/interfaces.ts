/**
 * Interface discovery: names, indexes, MACs, IPv4 addresses with prefixes, and link state, down
 * interfaces included (os.networkInterfaces() leaves out interfaces that are not up and running).
 * Uses getifaddrs(3) through the addon (netlink underneath, works inside a named netns); without the
 * addon, falls back to /sys/class/net plus os.networkInterfaces() for addresses of running interfaces.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { formatMac } from '../addr.ts';
import { TransportError } from '../errors.ts';
import { nativeAddon } from './native.ts';

export interface InterfaceAddress {
  ip: string;
  prefix: number;
}

export interface InterfaceInfo {
  name: string;
  index: number;
  /** Lower-case `aa:bb:..`; `00:00:00:00:00:00` for interfaces without one (loopback, tunnels). */
  mac: string;
  addresses: InterfaceAddress[];
  /** Administratively up (IFF_UP). */
  up: boolean;
  /** Lower layer up (IFF_RUNNING): carrier present and the interface up. */
  carrier: boolean;
}

const IFF_UP = 0x1;
const IFF_RUNNING = 0x40;

export interface ListOptions {
  /** A network namespace name under /var/run/netns (needs the addon and root). */
  netns?: string;
}

export function listInterfaces(opts: ListOptions = {}): InterfaceInfo[] {
  const native = nativeAddon();
  if (native instanceof TransportError) {
    if (opts.netns !== undefined) throw native;
    return fromSysfs();
  }
  try {
    return native.interfaces(opts.netns).map((i) => ({
      name: i.name,
      index: i.index,
      mac: i.mac.length >= 6 ? formatMac(i.mac) : '00:00:00:00:00:00',
      addresses: i.addrs.map((a) => ({ ip: a.address, prefix: a.prefix })),
      up: (i.flags & IFF_UP) !== 0,
      carrier: (i.flags & IFF_RUNNING) !== 0,
    }));
  } catch (e) {
    throw new TransportError(
      'ERR_TRANSPORT_NO_INTERFACE',
      `listing interfaces failed: ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  }
}

function fromSysfs(): InterfaceInfo[] {
  const os = networkInterfaces();
  const read = (name: string, file: string): string => {
    try {
      return readFileSync(`/sys/class/net/${name}/${file}`, 'utf8').trim();
    } catch {
      return '';
    }
  };
  let names: string[] = [];
  try {
    names = readdirSync('/sys/class/net');
  } catch {
    names = Object.keys(os);
  }
  return names.map((name) => {
    const flags = parseInt(read(name, 'flags') || '0', 16);
    return {
      name,
      index: Number(read(name, 'ifindex')) || 0,
      mac: read(name, 'address') || '00:00:00:00:00:00',
      addresses: (os[name] ?? [])
        .filter((a) => a.family === 'IPv4')
        .map((a) => ({ ip: a.address, prefix: Number(a.cidr?.split('/')[1] ?? 32) })),
      up: (flags & IFF_UP) !== 0,
      carrier: (flags & IFF_RUNNING) !== 0,
    };
  });
}
