import type { Logger } from 'pino';
import { compileConfig } from '../config/index.ts';
import type { Dhcp4Json, KeaConfigJson } from '../config/index.ts';
import { ConfigError, type CompiledConfig } from '../config/index.ts';
import type { LeaseStore } from '../leases/index.ts';
import { intToIp, ipToInt, isValidIp, maskToPrefix, prefixToMask } from '../protocol/index.ts';
import { DhcpLibraryError } from './errors.ts';

/**
 * The options of `@tcpip/dhcp`'s `serve()`, unchanged: a code base written for it moves over as is.
 */
export interface DhcpServerOptions {
  /** The addresses the server may lease (inclusive). */
  readonly leaseRange: { readonly start: string; readonly end: string };
  /** This server's address (option 54); with `netmask` it also gives the served subnet. */
  readonly serverIdentifier: string;
  /** Subnet mask sent to clients (option 1). */
  readonly netmask: string;
  /** Default gateway sent to clients (option 3). */
  readonly router: string;
  /** Lease lifetime in seconds; default 86400. */
  readonly leaseDuration?: number;
  /** DNS servers sent to clients (option 6). */
  readonly dnsServers?: readonly string[];
  /** Host name sent to clients (option 12). */
  readonly hostname?: string;
  /** Domain name sent to clients (option 15). */
  readonly domainName?: string;
  /** DNS search list sent to clients (option 119). */
  readonly searchDomains?: readonly string[];
}

/** A full Kea configuration (`{ "Dhcp4": { ... } }`), as `leasekeeper serve --config` reads it. */
export interface KeaServeOptions extends KeaConfigJson {
  /**
   * The server's own address as `IP` or `IP/PREFIX` (the prefix defaults to that of the subnet holding
   * it). Needed unless `interfaces` is given: it is the server identifier and selects the subnet.
   */
  readonly serverAddress?: string;
}

/** A fixed address for one client, matched by MAC or by client identifier (option 61). */
export type Reservation = {
  /** The address the client always gets; it may lie outside `leaseRange`. */
  readonly ip: string;
  /** Host name sent to this client (option 12). */
  readonly hostname?: string;
} & (
  { readonly mac: string; readonly clientId?: string } | { readonly clientId: string; readonly mac?: string }
);

/**
 * Where leases are kept: `'memory'` (default; gone on stop), `{ sqlite: path }` (a file, kept across
 * restarts) or any {@link LeaseStore} (e.g. a shared PostgreSQL store), which `stop()` closes.
 */
export type LeaseStoreOption = 'memory' | { readonly sqlite: string } | LeaseStore;

/** Control listeners: the Kea-style control API, with the dashboard and the WebSocket API on HTTP. */
export interface ControlOptions {
  /** `HOST:PORT` of an HTTP listener (port 0: any free port); the dashboard is at its `/`. */
  readonly http?: string;
  /** Path of a UNIX control socket (Kea's `control-socket`). */
  readonly socket?: string;
  /**
   * Serve `http` on a non-loopback address without authentication (`--insecure-control`): refused
   * otherwise, since anyone who reaches it can wipe the leases or stop the server.
   */
  readonly insecure?: boolean;
}

/** One interface the server answers on, with its address, when the server has several. */
export interface ServeInterface {
  /** As the transport names it (`eth0` on the virtual network; any name for a datagram transport). */
  readonly name: string;
  readonly address: string;
  readonly prefixLength: number;
}

/** What leasekeeper adds to both kinds of serve options. */
export interface LibraryServeOptions {
  /** Default `'memory'`. */
  readonly store?: LeaseStoreOption;
  /** Fixed addresses by MAC or client id; added to the subnet holding each address. */
  readonly reservations?: readonly Reservation[];
  /** Open control listeners (seed options: none by default; a Kea config: its own `control-socket(s)`). */
  readonly control?: ControlOptions | false;
  /** The server's interfaces, when not derived from `serverIdentifier`/`serverAddress`. */
  readonly interfaces?: readonly ServeInterface[];
  /** A pino logger for the server's log lines (default: silent). */
  readonly logger?: Logger;
  /** Seconds an offered address stays held for its client (default 30). */
  readonly offerLifetime?: number;
  /**
   * Keep the Node.js process alive while the server runs, as a listening socket would (default true).
   * A transport in memory holds no handle of its own.
   */
  readonly keepAlive?: boolean;
}

/** `serve()`'s options: those of `@tcpip/dhcp` or a Kea configuration, plus the library's own. */
export type ServeOptions = (DhcpServerOptions | KeaServeOptions) & LibraryServeOptions;

/** True for a Kea configuration. */
export function isKeaOptions(o: ServeOptions): o is KeaServeOptions & LibraryServeOptions {
  return 'Dhcp4' in o;
}

function bad(message: string): DhcpLibraryError {
  return new DhcpLibraryError('ERR_DHCP_OPTIONS', message);
}

function ip(name: string, v: unknown): string {
  if (!isValidIp(v)) throw bad(`${name}: expected an IPv4 address, got ${JSON.stringify(v)}`);
  return v;
}

/** The served network of `@tcpip/dhcp` options: `serverIdentifier` masked by `netmask`. */
export function seedNetwork(o: DhcpServerOptions): { network: string; prefixLength: number } {
  const prefixLength = maskToPrefix(ip('netmask', o.netmask));
  if (prefixLength < 0) throw bad(`netmask: ${o.netmask} is not a contiguous mask`);
  const mask = prefixToMask(prefixLength);
  return {
    network: intToIp((ipToInt(ip('serverIdentifier', o.serverIdentifier)) & mask) >>> 0),
    prefixLength,
  };
}

/** `@tcpip/dhcp` options as the Kea `Dhcp4` configuration leasekeeper runs. */
export function seedToKea(o: DhcpServerOptions): { Dhcp4: Dhcp4Json } {
  if (typeof o.leaseRange !== 'object' || o.leaseRange === null)
    throw bad('leaseRange: expected { start, end }');
  const start = ip('leaseRange.start', o.leaseRange.start);
  const end = ip('leaseRange.end', o.leaseRange.end);
  if (ipToInt(start) > ipToInt(end)) throw bad(`leaseRange: start ${start} is after end ${end}`);
  const { network, prefixLength } = seedNetwork(o);
  const mask = prefixToMask(prefixLength);
  for (const [k, v] of [
    ['leaseRange.start', start],
    ['leaseRange.end', end],
  ] as const) {
    if ((ipToInt(v) & mask) >>> 0 !== ipToInt(network)) {
      throw bad(`${k}: ${v} is outside ${network}/${prefixLength} (serverIdentifier and netmask)`);
    }
  }
  const duration = o.leaseDuration ?? 86400;
  if (!Number.isInteger(duration) || duration < 1 || duration > 0xfffffffe) {
    throw bad('leaseDuration: expected whole seconds, at least 1');
  }
  const data: { name: string; data: string; 'always-send'?: boolean }[] = [
    { name: 'subnet-mask', data: o.netmask },
    { name: 'routers', data: ip('router', o.router) },
    { name: 'dhcp-server-identifier', data: o.serverIdentifier },
  ];
  if (o.dnsServers !== undefined && o.dnsServers.length > 0) {
    data.push({
      name: 'domain-name-servers',
      data: o.dnsServers.map((d, i) => ip(`dnsServers[${i}]`, d)).join(', '),
    });
  }
  if (o.hostname !== undefined && o.hostname !== '') data.push({ name: 'host-name', data: o.hostname });
  if (o.domainName !== undefined && o.domainName !== '')
    data.push({ name: 'domain-name', data: o.domainName });
  if (o.searchDomains !== undefined && o.searchDomains.length > 0) {
    // Sent whether asked for or not, as @tcpip/dhcp does: few clients put 119 in their request list.
    data.push({ name: 'domain-search', data: o.searchDomains.join(', '), 'always-send': true });
  }
  return {
    Dhcp4: {
      'valid-lifetime': duration,
      subnet4: [
        {
          id: 1,
          subnet: `${network}/${prefixLength}`,
          pools: [{ pool: `${start} - ${end}` }],
          'option-data': data,
        },
      ],
    },
  };
}

/** Adds reservations to the subnets holding their addresses. */
export function withReservations(
  kea: { Dhcp4: Dhcp4Json },
  reservations: readonly Reservation[],
): { Dhcp4: Dhcp4Json } {
  if (reservations.length === 0) return kea;
  const subnets = (kea.Dhcp4.subnet4 ?? []).map((s) => ({ ...s, reservations: [...(s.reservations ?? [])] }));
  reservations.forEach((r, i) => {
    const where = `reservations[${i}]`;
    const addr = ipToInt(ip(`${where}.ip`, r.ip));
    if (r.mac === undefined && r.clientId === undefined) throw bad(`${where}: give mac or clientId`);
    const subnet = subnets.find((s) => {
      const [net = '', len = '32'] = s.subnet.split('/');
      const mask = prefixToMask(Number(len));
      return isValidIp(net) && (addr & mask) >>> 0 === (ipToInt(net) & mask) >>> 0;
    });
    if (subnet === undefined) throw bad(`${where}.ip: ${r.ip} is in no served subnet`);
    subnet.reservations.push({
      ...(r.mac !== undefined ? { 'hw-address': r.mac } : {}),
      ...(r.clientId !== undefined ? { 'client-id': r.clientId } : {}),
      'ip-address': r.ip,
      ...(r.hostname !== undefined ? { hostname: r.hostname } : {}),
    });
  });
  return { Dhcp4: { ...kea.Dhcp4, subnet4: subnets } };
}

/** Compiles, turning the configuration compiler's errors into ERR_DHCP_OPTIONS with the same text. */
export function compile(kea: { Dhcp4: Dhcp4Json }): CompiledConfig {
  try {
    return compileConfig(kea);
  } catch (err) {
    if (err instanceof ConfigError)
      throw new DhcpLibraryError('ERR_DHCP_OPTIONS', err.message, { cause: err });
    throw err;
  }
}
