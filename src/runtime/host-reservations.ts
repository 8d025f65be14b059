import { compileHostReservation, ipv4ToInt } from '../config/index.ts';
import { CommandArgumentError, ControlConflictError } from '../control/index.ts';
import type {
  HostSelector,
  OperationTarget,
  ReservationAccess,
  ReservationQuery,
  ReservationJson,
  StoredReservation,
} from '../control/index.ts';
import { HostDatabaseError, IDENTIFIER_CODES, hostInsert, identifierBytes } from '../hosts/index.ts';
import type { HostFilter, PgHostDatabase } from '../hosts/index.ts';
import { optionCode } from '../protocol/index.ts';
import type { ConfigHolder } from './config-holder.ts';
import type { HostDatabases } from './host-databases.ts';

/**
 * The `reservation-*` commands over the configuration and the host databases, as Kea's host_cmds with
 * `hosts-databases`: reads consult the configuration, then each database in order (`operation-target`
 * `all`); writes go to the databases (every writable one, as Kea's HostMgr adds to all its sources) unless
 * `operation-target` says `memory` or `all`. After a database write the hosts are read again, so this
 * server serves the change at once; others sharing the database within their refresh interval.
 */
export class DatabaseReservations implements ReservationAccess {
  readonly #memory: ReservationAccess;
  readonly #dbs: HostDatabases;
  readonly #holder: ConfigHolder;

  constructor(memory: ReservationAccess, dbs: HostDatabases, holder: ConfigHolder) {
    this.#memory = memory;
    this.#dbs = dbs;
    this.#holder = holder;
  }

  sourceCount(): number {
    return 1 + this.#dbs.sources.length;
  }

  async add(subnetId: number, host: ReservationJson, target: OperationTarget = 'default'): Promise<void> {
    if (target === 'memory') return this.#memory.add(subnetId, host);
    const config = this.#holder.current;
    const subnet = config.subnets.find((s) => s.id === subnetId);
    if (subnetId !== 0 && subnet === undefined)
      throw new CommandArgumentError(`Subnet with SUBNET_ID=${subnetId} does not exist`);
    const checked = compileHostReservation(host, subnet, config.optionDefs);
    if (!checked.ok) throw new CommandArgumentError(`reservation rejected: ${checked.error}`);
    const insert = hostInsert(
      subnetId,
      host,
      (space, name) =>
        config.optionDefs.byName(space, name)?.code ?? (space === 'dhcp4' ? optionCode(name) : undefined),
    );
    if (typeof insert === 'string') throw new CommandArgumentError(insert);
    const writable = this.#writable('add');
    let added = 0;
    for (const db of writable) if ((await this.#call(db, () => db.add(insert))) === 'added') added++;
    if (added === 0) throw new ControlConflictError('Host already exists.');
    await this.#dbs.refresh(true);
    if (target === 'all') await this.#memory.add(subnetId, host);
  }

  async get(
    subnetId: number,
    selector: HostSelector,
    target: OperationTarget = 'default',
  ): Promise<ReservationJson | undefined> {
    if (target !== 'database') {
      const found = await this.#memory.get(subnetId, selector);
      if (found !== undefined || target === 'memory') return found;
    }
    const filter = { subnetId, ...this.#filter(selector) };
    for (const s of this.#dbs.sources) {
      const load = await this.#call(s.db, () => s.db.load(1, filter));
      if (load.hosts[0] !== undefined) return load.hosts[0].host;
    }
    return undefined;
  }

  async all(
    subnetId: number | undefined,
    where: ReservationQuery = {},
  ): Promise<readonly StoredReservation[]> {
    const target = where.target ?? 'default';
    const sources =
      where.source !== undefined
        ? [where.source]
        : [
            ...(target === 'database' ? [] : [0]),
            ...(target === 'memory' ? [] : this.#dbs.sources.map((_, i) => i + 1)),
          ];
    const out: StoredReservation[] = [];
    for (const index of sources) {
      if (index === 0) out.push(...(await this.#memory.all(subnetId)));
      const s = this.#dbs.sources[index - 1];
      if (s === undefined) continue;
      const filter: HostFilter = {
        ...(subnetId === undefined ? {} : { subnetId }),
        ...(where.hostname === undefined ? {} : { hostname: where.hostname }),
        ...(where.identifier === undefined ? {} : this.#filter({ kind: 'identifier', ...where.identifier })),
      };
      const load = await this.#call(s.db, () => s.db.load(this.#dbs.maxHosts, filter));
      out.push(...load.hosts.map((h) => ({ subnetId: h.subnetId, host: h.host })));
    }
    return out;
  }

  async page(
    subnetId: number | undefined,
    source: number,
    from: number,
    limit: number,
  ): Promise<{ readonly hosts: readonly StoredReservation[]; readonly next: number }> {
    if (source === 0) {
      const hosts = (await this.#memory.all(subnetId)).slice(from, from + limit);
      return { hosts, next: from + hosts.length };
    }
    const s = this.#dbs.sources[source - 1];
    if (s === undefined) return { hosts: [], next: from };
    const load = await this.#call(s.db, () =>
      s.db.load(Math.min(limit, this.#dbs.maxHosts), {
        afterHostId: from,
        ...(subnetId === undefined ? {} : { subnetId }),
      }),
    );
    const hosts = load.hosts.map((h) => ({ subnetId: h.subnetId, host: h.host }));
    return { hosts, next: load.lastHostId ?? from };
  }

  async del(subnetId: number, selector: HostSelector, target: OperationTarget = 'default'): Promise<boolean> {
    if (target === 'memory') return this.#memory.del(subnetId, selector);
    const filter = this.#filter(selector);
    const which =
      filter.address !== undefined ? { address: filter.address } : { identifier: filter.identifier! };
    let deleted = false;
    for (const db of this.#writable('delete'))
      if (await this.#call(db, () => db.del(subnetId, which))) deleted = true;
    if (deleted) await this.#dbs.refresh(true);
    if (target === 'all') deleted = (await this.#memory.del(subnetId, selector)) || deleted;
    return deleted;
  }

  #writable(what: 'add' | 'delete'): PgHostDatabase[] {
    const dbs = this.#dbs.sources.map((s) => s.db).filter((db) => !db.readonly);
    if (dbs.length === 0)
      throw new CommandArgumentError(
        `Unable to ${what} a host because there is no writable hosts-databases configured.`,
      );
    return dbs;
  }

  #filter(selector: HostSelector): HostFilter & { address?: number } {
    if (selector.kind === 'address') return { address: ipv4ToInt(selector.address) };
    const id = identifierBytes(selector.type, selector.value);
    if (id === undefined)
      throw new CommandArgumentError(`'${selector.value}' is not a valid ${selector.type}`);
    return { identifier: { type: IDENTIFIER_CODES[selector.type], bytes: id.bytes } };
  }

  /** A database error becomes the command's error text (result 1), not a crash. */
  async #call<T>(db: PgHostDatabase, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (error instanceof HostDatabaseError) throw new CommandArgumentError(error.message);
      const detail = error instanceof Error ? error.message : String(error);
      throw new CommandArgumentError(`${db.note}: ${detail}`);
    }
  }
}
