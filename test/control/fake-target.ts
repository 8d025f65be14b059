import type { Lease } from '../../src/leases/lease.ts';
import type { CommitOptions, CommitResult, SubnetFilter, SubnetLeaseStats } from '../../src/leases/store.ts';
import { ipv4ToNumber } from '../../src/control/args.ts';
import { ControlConflictError } from '../../src/control/errors.ts';
import type { JsonObject } from '../../src/control/json.ts';
import type {
  ConfigOutcome,
  ControlLeaseStore,
  ControlTarget,
  HostSelector,
  ReservationAccess,
  ReservationJson,
  StatSample,
  StoredReservation,
  SubnetInfo,
} from '../../src/control/target.ts';

/** A lease store over a Map, enough of LeaseStore for the control commands. */
export class FakeLeases implements ControlLeaseStore {
  readonly map = new Map<string, Lease>();

  async commit(lease: Lease, options?: CommitOptions): Promise<CommitResult> {
    const previous = this.map.get(lease.address) ?? null;
    const mode = options?.mode ?? 'claim';
    if (mode === 'insert' && previous !== null) return { ok: false, reason: 'exists', holder: previous };
    if (mode === 'update' && previous === null) return { ok: false, reason: 'missing' };
    this.map.set(lease.address, lease);
    return { ok: true, kind: previous === null ? 'added' : 'updated', lease, previous };
  }
  async get(address: string): Promise<Lease | null> {
    return this.map.get(address) ?? null;
  }
  #sorted(filter?: SubnetFilter): Lease[] {
    const ids = filter?.subnetIds === undefined ? null : new Set(filter.subnetIds);
    return [...this.map.values()]
      .filter((l) => ids === null || ids.has(l.subnetId))
      .sort((a, b) => ipv4ToNumber(a.address) - ipv4ToNumber(b.address));
  }
  async getAll(filter?: SubnetFilter): Promise<Lease[]> {
    return this.#sorted(filter);
  }
  async getPage(from: string, limit: number): Promise<Lease[]> {
    const start = from === 'start' ? -1 : ipv4ToNumber(from);
    return this.#sorted()
      .filter((l) => ipv4ToNumber(l.address) > start)
      .slice(0, limit);
  }
  async getByHwAddress(hw: string, subnetId?: number): Promise<Lease[]> {
    return this.#sorted().filter(
      (l) => l.hwAddress === hw && (subnetId === undefined || l.subnetId === subnetId),
    );
  }
  async getByClientId(id: string, subnetId?: number): Promise<Lease[]> {
    return this.#sorted().filter(
      (l) => l.clientId === id && (subnetId === undefined || l.subnetId === subnetId),
    );
  }
  async getByHostname(hostname: string): Promise<Lease[]> {
    return this.#sorted().filter((l) => l.hostname?.toLowerCase() === hostname.toLowerCase());
  }
  async remove(address: string): Promise<Lease | null> {
    const lease = this.map.get(address) ?? null;
    this.map.delete(address);
    return lease;
  }
  async wipe(filter?: SubnetFilter): Promise<number> {
    const doomed = this.#sorted(filter);
    for (const l of doomed) this.map.delete(l.address);
    return doomed.length;
  }
  async stats(filter?: SubnetFilter): Promise<SubnetLeaseStats[]> {
    const out = new Map<number, { default: number; declined: number; 'expired-reclaimed': number }>();
    for (const l of this.#sorted(filter)) {
      const c = out.get(l.subnetId) ?? { default: 0, declined: 0, 'expired-reclaimed': 0 };
      c[l.state] += 1;
      out.set(l.subnetId, c);
    }
    return [...out].map(([subnetId, byState]) => ({
      subnetId,
      total: byState.default + byState.declined + byState['expired-reclaimed'],
      byState,
    }));
  }
}

export const FAKE_NOW = Date.UTC(2026, 10, 23, 12, 0, 0);

/** A ControlTarget that records what the commands asked of it; any LeaseStore may stand in for the leases. */
export class FakeTarget<L extends ControlLeaseStore = FakeLeases> implements ControlTarget {
  readonly leases: L;
  constructor(leases?: L) {
    this.leases = leases ?? (new FakeLeases() as unknown as L);
  }

  readonly calls: string[] = [];
  configJson: JsonObject = {
    Dhcp4: {
      'valid-lifetime': 4000,
      subnet4: [{ id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.100 - 198.18.0.200' }] }],
    },
  };
  enabled = true;
  readonly stats = new Map<string, StatSample[]>([
    ['pkt4-received', [{ value: 3, at: FAKE_NOW }]],
    ['subnet[1].total-addresses', [{ value: 101, at: FAKE_NOW }]],
  ]);
  readonly hosts: StoredReservation[] = [];
  readonly subnetList: SubnetInfo[] = [{ id: 1, totalAddresses: 101, validLifetime: 4000 }];

  readonly config = {
    get: async (): Promise<JsonObject> => this.configJson,
    test: async (c: JsonObject): Promise<ConfigOutcome> => this.#check(c),
    set: async (c: JsonObject): Promise<ConfigOutcome> => {
      const outcome = this.#check(c);
      if (outcome.ok) this.configJson = c;
      return outcome;
    },
    write: async (filename: string | undefined) => {
      const name = filename ?? 'leasekeeper.json';
      this.calls.push(`config-write ${name}`);
      return { filename: name, size: JSON.stringify(this.configJson).length };
    },
    reload: async (): Promise<ConfigOutcome> => ({ ok: true }),
  };

  #check(c: JsonObject): ConfigOutcome {
    const dhcp4 = c['Dhcp4'];
    return typeof dhcp4 === 'object' && dhcp4 !== null && !Array.isArray(dhcp4) && !('bogus' in dhcp4)
      ? { ok: true }
      : { ok: false, error: "unsupported parameter 'bogus' (<string>:1:1)" };
  }

  readonly dhcp = {
    enable: async () => {
      this.enabled = true;
    },
    disable: async (maxPeriod: number | undefined) => {
      this.enabled = false;
      this.calls.push(`dhcp-disable ${maxPeriod ?? '-'}`);
    },
    enabled: () => this.enabled,
  };

  readonly statistics = {
    get: (name: string) => this.stats.get(name),
    names: () => [...this.stats.keys()],
    reset: (name: string) => {
      const s = this.stats.get(name);
      if (s === undefined) return false;
      this.stats.set(name, [{ value: 0, at: FAKE_NOW }]);
      return true;
    },
    resetAll: () => {
      for (const name of this.stats.keys()) this.stats.set(name, [{ value: 0, at: FAKE_NOW }]);
    },
    remove: (name: string) => this.stats.delete(name),
    removeAll: () => this.stats.clear(),
  };

  reservations: ReservationAccess = {
    add: async (subnetId: number, host: ReservationJson) => {
      const clash = this.hosts.find(
        (h) =>
          h.subnetId === subnetId && Object.keys(host).some((k) => k !== 'hostname' && h.host[k] === host[k]),
      );
      if (clash !== undefined) throw new ControlConflictError('Host already exists.');
      this.hosts.push({ subnetId, host });
    },
    get: async (subnetId: number, selector: HostSelector) => this.#find(subnetId, selector)?.host,
    all: async (subnetId: number | undefined) =>
      this.hosts.filter((h) => subnetId === undefined || h.subnetId === subnetId),
    del: async (subnetId: number, selector: HostSelector) => {
      const found = this.#find(subnetId, selector);
      if (found === undefined) return false;
      this.hosts.splice(this.hosts.indexOf(found), 1);
      return true;
    },
  };

  #find(subnetId: number, selector: HostSelector): StoredReservation | undefined {
    return this.hosts.find(
      (h) =>
        h.subnetId === subnetId &&
        (selector.kind === 'address'
          ? h.host['ip-address'] === selector.address
          : h.host[selector.type] === selector.value),
    );
  }

  readonly subnets = {
    list: () => this.subnetList,
    listing: () =>
      this.subnetList.map((s) => ({ id: s.id, subnet: '198.18.0.0/24', sharedNetwork: 'floor1' })),
    networks: () => ['floor1'],
    forAddress: (address: string) => (address.startsWith('198.18.0.') ? this.subnetList[0] : undefined),
  };

  async reclaim(remove: boolean): Promise<void> {
    this.calls.push(`reclaim ${remove}`);
  }
  shutdown(exitValue: number | undefined): void {
    this.calls.push(`shutdown ${exitValue ?? '-'}`);
  }
  version() {
    return {
      version: '0.1.0',
      extended: '0.1.0\nleasekeeper\nNode.js v20',
      buildReport: 'leasekeeper 0.1.0',
    };
  }
  status() {
    return { pid: 4242, uptime: 7, reload: 5, multiThreadingEnabled: false, sockets: 'ready' as const };
  }
}
