import { readFileSync } from 'node:fs';
import { intToIpv4, ipv4ToInt, isIpv4 } from '../config/index.ts';
import type { CompiledConfig } from '../config/index.ts';
import type {
  ControlLeaseStore,
  ControlTarget,
  DhcpSwitch,
  InterfaceReceive,
  ServerStatus,
  SubnetAccess,
  SubnetInfo,
  VersionInfo,
} from '../control/index.ts';
import type { LeaseStore } from '../leases/index.ts';
import type { LeaseStoreHealth } from '../leases/index.ts';
import { leasesByClientId, leasesByHostname, leasesByHwAddress, type LeaseIndex } from '../server/index.ts';
import type { ConfigHolder } from './config-holder.ts';
import { ConfigReservations } from './reservations.ts';
import type { EngineStatistics } from './statistics.ts';

export interface TargetParts {
  readonly holder: ConfigHolder;
  readonly store: LeaseStore;
  readonly statistics: EngineStatistics;
  readonly dhcp: DhcpSwitch;
  readonly reclaim: (remove: boolean) => Promise<void>;
  readonly shutdown: (exitValue: number | undefined) => void;
  readonly startedAt: number;
  readonly clock: () => number;
  readonly sockets: () => ServerStatus['sockets'];
  readonly leaseStore?: () => LeaseStoreHealth;
  /** How each interface's packet socket reads (status-get's `receive`). */
  readonly receive?: () => readonly InterfaceReceive[];
  /** The engine's index of every lease it holds: answers the lookups by client (see `controlLeases`). */
  readonly index?: LeaseIndex;
}

/** The ControlTarget of a running server: each part is the server's own object, nothing is copied. */
export function controlTarget(p: TargetParts): ControlTarget {
  return {
    config: {
      get: async () => p.holder.json(),
      test: async (c) => p.holder.test(c),
      set: async (c) => p.holder.apply(c),
      write: (f) => p.holder.write(f),
      reload: () => p.holder.reload(),
    },
    dhcp: p.dhcp,
    statistics: p.statistics,
    leases: controlLeases(p.store, p.index),
    reservations: new ConfigReservations(p.holder),
    subnets: subnetAccess(() => p.holder.current),
    reclaim: p.reclaim,
    shutdown: p.shutdown,
    version: () => VERSION,
    status: () => ({
      pid: process.pid,
      uptime: Math.floor((p.clock() - p.startedAt) / 1000),
      reload: Math.floor((p.clock() - p.holder.appliedAt) / 1000),
      multiThreadingEnabled: false,
      sockets: p.sockets(),
      ...(p.leaseStore === undefined ? {} : { leaseStore: p.leaseStore() }),
      ...(p.receive === undefined ? {} : { receive: p.receive() }),
    }),
  };
}

/**
 * Backends whose every lease the engine's index holds, kept in step by the store's change callbacks: one
 * server owns the storage. A PostgreSQL database is shared with other servers (and operators' SQL) and keeps
 * its indexes on these columns, so it answers itself.
 */
const MIRRORED_BACKENDS: ReadonlySet<string> = new Set(['sqlite', 'memory']);

/** The index when it holds every lease of the store, else undefined (the store must answer itself). */
export function mirroringIndex(store: LeaseStore, index: LeaseIndex | undefined): LeaseIndex | undefined {
  return index !== undefined && MIRRORED_BACKENDS.has(store.backend) ? index : undefined;
}

/**
 * The store, with the lookups by client across subnets answered by a scan of the engine's index: the SQLite
 * store keeps no index on hardware address, client id or hostname (docs/leases.md), so it would read its
 * whole table on the event loop while every packet waits.
 */
export function controlLeases(store: LeaseStore, index: LeaseIndex | undefined): ControlLeaseStore {
  if (index === undefined || !MIRRORED_BACKENDS.has(store.backend)) return store;
  return {
    commit: (lease, options) => store.commit(lease, options),
    get: (address) => store.get(address),
    getAll: (filter) => store.getAll(filter),
    getPage: (from, limit) => store.getPage(from, limit),
    remove: (address) => store.remove(address),
    wipe: (filter) => store.wipe(filter),
    stats: (filter) => store.stats(filter),
    getByHwAddress: async (hwAddress, subnetId) => leasesByHwAddress(index, hwAddress, subnetId),
    getByClientId: async (clientId, subnetId) => leasesByClientId(index, clientId, subnetId),
    getByHostname: async (hostname) => leasesByHostname(index, hostname),
  };
}

function subnetAccess(config: () => CompiledConfig): SubnetAccess {
  const info = (s: CompiledConfig['subnets'][number]): SubnetInfo => ({
    id: s.id,
    totalAddresses: s.pools.reduce((n, pool) => n + pool.end - pool.start + 1, 0),
    validLifetime: s.lifetimes.valid,
  });
  return {
    list: () => config().subnets.map(info),
    listing: () =>
      config().subnets.map((s) => ({ id: s.id, subnet: s.prefix, sharedNetwork: s.sharedNetwork })),
    networks: () => config().sharedNetworks.map((n) => n.name),
    forAddress: (address) => {
      if (!isIpv4(address)) return undefined;
      const a = ipv4ToInt(address);
      const s = config().subnets.find((x) => a >= x.network && a <= x.broadcast);
      return s === undefined ? undefined : info(s);
    },
  };
}

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: unknown;
    };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

const version = packageVersion();
const VERSION: VersionInfo = {
  version,
  extended: `${version}\nleasekeeper DHCPv4 server\nNode.js ${process.version} (${process.platform}/${process.arch})`,
  buildReport: `leasekeeper ${version}\nNode.js ${process.version}\nlease backends: memory, sqlite`,
};

/** For a log line: `198.18.0.0/24 (id 1, pool 198.18.0.128 - 198.18.0.254)`. */
export function describeSubnet(s: CompiledConfig['subnets'][number]): string {
  const pools = s.pools.map((p) => `${intToIpv4(p.start)} - ${intToIpv4(p.end)}`).join(', ');
  return `${s.prefix} (id ${s.id}${pools === '' ? ', no pool' : `, pool ${pools}`})`;
}
