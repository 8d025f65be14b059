import { listInterfaces, type InterfaceInfo } from '../transport/index.ts';
import type { InterfaceAddress } from '../server/index.ts';
import { RuntimeError } from './errors.ts';

/** One interface the server answers on, with the addresses it uses there. */
export interface ServedInterface {
  readonly name: string;
  readonly addresses: readonly InterfaceAddress[];
}

/**
 * Resolves Kea's `interfaces-config.interfaces`: `eth0` (every IPv4 address of eth0), `eth0/198.18.0.1`
 * (only that address), `*` (every interface that is up and has an IPv4 address, loopback excepted).
 */
export function resolveInterfaces(
  entries: readonly string[],
  list: () => InterfaceInfo[] = () => listInterfaces(),
): ServedInterface[] {
  const all = list();
  const out = new Map<string, InterfaceAddress[]>();
  const add = (name: string, addrs: readonly InterfaceAddress[]): void => {
    const have = out.get(name) ?? [];
    for (const a of addrs) if (!have.some((h) => h.address === a.address)) have.push(a);
    out.set(name, have);
  };
  entries.forEach((entry, i) => {
    const path = `Dhcp4.interfaces-config.interfaces[${i}]`;
    if (entry === '*') {
      for (const info of all) {
        if (info.name === 'lo' || !info.up || info.addresses.length === 0) continue;
        add(info.name, addressesOf(info));
      }
      return;
    }
    const [name = '', only] = entry.split('/');
    const info = all.find((x) => x.name === name);
    if (info === undefined) {
      throw new RuntimeError('ERR_SERVER_INTERFACE', `no interface "${name}" on this host`, { path });
    }
    const addrs = addressesOf(info).filter((a) => only === undefined || a.address === only);
    if (only !== undefined && addrs.length === 0) {
      throw new RuntimeError('ERR_SERVER_INTERFACE', `${name} has no address ${only}`, { path });
    }
    add(name, addrs);
  });
  return [...out].map(([name, addresses]) => ({ name, addresses }));
}

export function addressesOf(info: InterfaceInfo): InterfaceAddress[] {
  return info.addresses.map((a) => ({ address: a.ip, prefixLength: a.prefix }));
}
