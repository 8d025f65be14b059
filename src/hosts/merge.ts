import { compileHostReservation, intToIpv4 } from '../config/index.ts';
import type { CompiledConfig, CompiledReservation, CompiledSubnet } from '../config/index.ts';
import type { DatabaseHost } from './kea-host-rows.ts';

/** What the merge did with the database hosts. */
export interface MergeOutcome {
  readonly config: CompiledConfig;
  /** Hosts that do not compile (bad option data, address outside the subnet...), one line each. */
  readonly rejected: readonly string[];
  /** Hosts whose identifier or address an earlier source (the configuration first) already reserves. */
  readonly shadowed: number;
  /** Hosts of subnets the configuration does not have: kept for the commands, never matched. */
  readonly unknownSubnet: number;
  /** Hosts served. */
  readonly served: number;
}

/** How many hosts are compiled between two turns of the event loop. */
const CHUNK = 500;

function keysOf(r: CompiledReservation): string[] {
  const keys: string[] = [];
  if (r.hwAddress !== undefined) keys.push(`hw-address ${r.hwAddress}`);
  if (r.clientId !== undefined) keys.push(`client-id ${r.clientId}`);
  if (r.duid !== undefined) keys.push(`duid ${r.duid}`);
  if (r.circuitId !== undefined) keys.push(`circuit-id ${r.circuitId}`);
  if (r.flexId !== undefined) keys.push(`flex-id ${r.flexId}`);
  if (r.ipAddress !== undefined) keys.push(`ip-address ${intToIpv4(r.ipAddress)}`);
  return keys;
}

/**
 * Adds the hosts of the host databases to a compiled configuration, after its own reservations and in the
 * order of the databases, as Kea's HostMgr consults them (configuration first, then each `hosts-databases`
 * entry): a database host whose identifier or address is already reserved in its scope is shadowed.
 * Each host is compiled like a reservation of the file; results are cached by the host's JSON and subnet, so
 * a refresh only compiles what changed, and `prepare` does that work in chunks between event-loop turns.
 */
export class HostMerger {
  #defs = '';
  #cache = new Map<string, CompiledReservation | string>();

  /** Compiles what `merge` will need, yielding to the event loop every few hundred hosts. */
  async prepare(config: CompiledConfig, sources: readonly (readonly DatabaseHost[])[]): Promise<void> {
    this.#sync(config);
    const subnets = subnetsById(config);
    let done = 0;
    for (const hosts of sources)
      for (const h of hosts) {
        const subnet = subnets.get(h.subnetId);
        if (h.subnetId !== 0 && subnet === undefined) continue;
        const key = cacheKey(h, subnet);
        if (this.#cache.has(key)) continue;
        this.#cache.set(key, compiled(h, subnet, config));
        if (++done % CHUNK === 0) await new Promise((r) => setImmediate(r));
      }
  }

  merge(config: CompiledConfig, sources: readonly (readonly DatabaseHost[])[]): MergeOutcome {
    this.#sync(config);
    const subnets = subnetsById(config);
    const taken = new Map<number, Set<string>>();
    const scope = (id: number): Set<string> => {
      let s = taken.get(id);
      if (s === undefined) taken.set(id, (s = new Set()));
      return s;
    };
    for (const s of config.subnets)
      for (const r of s.reservations) for (const k of keysOf(r)) scope(s.id).add(k);
    for (const r of config.globalReservations) for (const k of keysOf(r)) scope(0).add(k);
    const extra = new Map<number, CompiledReservation[]>();
    const used = new Map<string, CompiledReservation | string>();
    const rejected: string[] = [];
    let shadowed = 0;
    let unknownSubnet = 0;
    let served = 0;
    for (const hosts of sources)
      for (const h of hosts) {
        const subnet = subnets.get(h.subnetId);
        if (h.subnetId !== 0 && subnet === undefined) {
          unknownSubnet++;
          continue;
        }
        const key = cacheKey(h, subnet);
        const r = this.#cache.get(key) ?? compiled(h, subnet, config);
        used.set(key, r);
        if (typeof r === 'string') {
          rejected.push(`host_id ${h.hostId} (subnet ${h.subnetId}): ${r}`);
          continue;
        }
        const keys = keysOf(r);
        const inScope = scope(h.subnetId);
        if (keys.some((k) => inScope.has(k))) {
          shadowed++;
          continue;
        }
        for (const k of keys) inScope.add(k);
        let list = extra.get(h.subnetId);
        if (list === undefined) extra.set(h.subnetId, (list = []));
        list.push(r);
        served++;
      }
    this.#cache = used;
    const outcome = { rejected, shadowed, unknownSubnet, served };
    if (extra.size === 0) return { config, ...outcome };
    const all = [...extra.values()].flat();
    const merged: CompiledConfig = {
      ...config,
      subnets: config.subnets.map((s) => {
        const more = extra.get(s.id);
        return more === undefined ? s : Object.freeze({ ...s, reservations: [...s.reservations, ...more] });
      }),
      globalReservations: [...config.globalReservations, ...(extra.get(0) ?? [])],
      // Reservations naming classes need the requests classified.
      classifies: config.classifies || all.some((r) => r.clientClasses.length > 0),
      recordsClasses: config.recordsClasses || all.some((r) => r.clientClasses.length > 0),
    };
    return { config: Object.freeze(merged), ...outcome };
  }

  /** Option definitions decide how options compile: a change of them invalidates every cached host. */
  #sync(config: CompiledConfig): void {
    const defs = JSON.stringify(config.source['option-def'] ?? []);
    if (defs === this.#defs) return;
    this.#defs = defs;
    this.#cache = new Map();
  }
}

function subnetsById(config: CompiledConfig): Map<number, CompiledSubnet> {
  return new Map(config.subnets.map((s) => [s.id, s]));
}

function cacheKey(h: DatabaseHost, subnet: CompiledSubnet | undefined): string {
  return `${subnet?.prefix ?? 'global'} ${JSON.stringify(h.host)}`;
}

function compiled(
  h: DatabaseHost,
  subnet: CompiledSubnet | undefined,
  config: CompiledConfig,
): CompiledReservation | string {
  const r = compileHostReservation(h.host, subnet, config.optionDefs);
  return r.ok ? r.reservation : r.error;
}
