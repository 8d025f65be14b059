import { optionsFromHex, type ClientLease } from '../client/index.ts';

/** The configuration a server handed out, as option values. */
export interface DhcpConfiguration {
  /** Option 54: the server that answered. */
  readonly serverIdentifier: string | null;
  /** Option 1. */
  readonly netmask: string | null;
  /** The first router of option 3, or null. */
  readonly router: string | null;
  /** Option 3, all of it. */
  readonly routers: readonly string[];
  /** Option 6. */
  readonly dnsServers: readonly string[];
  /** Option 12: the host name the server gave this client. */
  readonly hostname: string | null;
  /** Option 15. */
  readonly domainName: string | null;
  /** Option 119. */
  readonly searchDomains: readonly string[];
  /** Option 26. */
  readonly mtu: number | null;
  /** Every option received, as lower-case hex by decimal code. */
  readonly options: Readonly<Record<string, string>>;
}

/**
 * A client's lease: the address, its times (ms since the epoch) and the configuration that came with it.
 * The address and the times are the engine's `ClientLease` fields as they are; the lease time is renamed.
 */
export interface DhcpClientLease
  extends
    DhcpConfiguration,
    Pick<ClientLease, 'address' | 'prefixLength' | 'obtainedAt' | 'renewAt' | 'rebindAt' | 'expiresAt'> {
  /** Option 51 in seconds; null for an infinite lease. */
  readonly leaseDuration: number | null;
}

/** Option values from raw options (hex by code). */
export function configurationOf(hexByCode: Readonly<Record<string, string>>): DhcpConfiguration {
  const o = optionsFromHex(hexByCode);
  const routers = o.get('routers') ?? [];
  return {
    serverIdentifier: o.get('dhcp-server-identifier') ?? null,
    netmask: o.get('subnet-mask') ?? null,
    router: routers[0] ?? null,
    routers,
    dnsServers: o.get('domain-name-servers') ?? [],
    hostname: o.get('host-name') ?? null,
    domainName: o.get('domain-name') ?? null,
    searchDomains: o.get('domain-search') ?? [],
    mtu: o.get('interface-mtu') ?? null,
    options: hexByCode,
  };
}

/** The engine's lease as the library shows it. */
export function clientLeaseOf(l: ClientLease): DhcpClientLease {
  return Object.freeze({
    ...configurationOf(l.options),
    serverIdentifier: l.serverId,
    address: l.address,
    prefixLength: l.prefixLength,
    leaseDuration: l.leaseTime,
    obtainedAt: l.obtainedAt,
    renewAt: l.renewAt,
    rebindAt: l.rebindAt,
    expiresAt: l.expiresAt,
  });
}
