import type { Logger } from 'pino';
import type { CompiledConfig } from '../config/index.ts';
import { postgresFromKea } from '../leases/index.ts';
import { HostDatabaseError, HostMerger, PgHostDatabase, type DatabaseHost } from '../hosts/index.ts';

/** How often the databases are checked for changes by default: the staleness bound of another server's edit. */
export const DEFAULT_HOSTS_REFRESH_MS = 10_000;
/** Hosts read from one database at most; the rest (by `host_id`) are not served, and that is logged. */
export const DEFAULT_MAX_HOSTS = 100_000;
/** A database that keeps failing is reported at most this often, with the count of failed refreshes. */
const FAILURE_LOG_MS = 60_000;
/** Rejected rows named in one log line (each cut to `REASON_CHARS`); the rest are counted. */
const NAMED_REJECTS = 5;
const REASON_CHARS = 200;

/** The first reasons of a list, each cut short, and how many more there are: one bounded log line. */
function firstReasons(reasons: readonly string[]): string {
  const named = reasons
    .slice(0, NAMED_REJECTS)
    .map((r) => (r.length > REASON_CHARS ? `${r.slice(0, REASON_CHARS)}...` : r));
  const more = reasons.length - named.length;
  return named.join('; ') + (more > 0 ? `; and ${more} more` : '');
}

/** The JSON path of host database `i`: Kea's single `hosts-database`, or an element of `hosts-databases`. */
export function hostsDatabasePath(config: CompiledConfig, i: number): string {
  return config.source['hosts-database'] !== undefined
    ? 'Dhcp4.hosts-database'
    : `Dhcp4.hosts-databases[${i}]`;
}

export interface HostDatabasesOptions {
  readonly logger: Logger;
  readonly refreshMs?: number;
  readonly maxHosts?: number;
}

/** One `hosts-databases` entry, its connection and the hosts last read from it. */
export interface HostSource {
  readonly db: PgHostDatabase;
  /** `Dhcp4.hosts-databases[i]` (or `Dhcp4.hosts-database`), for logs. */
  readonly path: string;
  hosts: readonly DatabaseHost[];
  digest: string | undefined;
  failing: { since: number; count: number; loggedAt: number } | undefined;
}

/**
 * The host databases of a running server: their hosts are read at start and kept in memory, so a packet
 * never waits for the database (the engine is synchronous). Every `refreshMs` a digest of the tables is
 * compared and, when it changed, the hosts are read again and merged into the engine's configuration after
 * the configuration's own reservations (Kea's order). A reservation another server adds is therefore served
 * here within `refreshMs` plus one read; the `reservation-*` commands refresh at once. While a database is
 * unreachable its last hosts keep being served.
 */
export class HostDatabases {
  readonly sources: readonly HostSource[];
  readonly maxHosts: number;
  readonly refreshMs: number;
  readonly #logger: Logger;
  readonly #merger = new HostMerger();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #closed = false;
  #current: (() => CompiledConfig) | undefined;
  #apply: ((config: CompiledConfig) => void) | undefined;
  #summary = '';

  private constructor(sources: HostSource[], options: HostDatabasesOptions) {
    this.sources = sources;
    this.#logger = options.logger;
    this.maxHosts = options.maxHosts ?? DEFAULT_MAX_HOSTS;
    this.refreshMs = options.refreshMs ?? DEFAULT_HOSTS_REFRESH_MS;
  }

  /**
   * Connects to every entry and reads its hosts. An entry that cannot be used (a bad parameter, not Kea's
   * schema, unreachable) fails the start, as Kea's default `on-fail` does.
   */
  static async open(config: CompiledConfig, options: HostDatabasesOptions): Promise<HostDatabases> {
    const sources: HostSource[] = [];
    try {
      for (const [i, entry] of config.hostsDatabases.entries()) {
        const path = hostsDatabasePath(config, i);
        let choice: ReturnType<typeof postgresFromKea>;
        try {
          choice = postgresFromKea(entry, { path });
        } catch (error) {
          throw new HostDatabaseError(error instanceof Error ? error.message : String(error), {
            cause: error,
          });
        }
        const db = PgHostDatabase.create({
          connection: choice.spec.connection,
          readonly: entry['readonly'] === true,
          note: `hosts database ${choice.note}`,
        });
        sources.push({ db, path, hosts: [], digest: undefined, failing: undefined });
        options.logger.info({ hostsDatabase: path }, `${db.note}${db.readonly ? ' (readonly)' : ''}`);
      }
    } catch (error) {
      await Promise.all(sources.map((s) => s.db.close()));
      throw error;
    }
    const dbs = new HostDatabases(sources, options);
    for (const [i, s] of sources.entries()) {
      try {
        await s.db.verify();
        await dbs.#read(s, true);
      } catch (error) {
        const detail = error instanceof Error ? error.message : String(error);
        // Kea's retry-on-startup: start without this database's hosts and try again at every refresh.
        if (config.hostsDatabases[i]?.['retry-on-startup'] === true) {
          s.failing = { since: Date.now(), count: 1, loggedAt: Date.now() };
          options.logger.error(
            { hostsDatabase: s.path },
            `${s.path}: ${detail}; starting without its hosts (retry-on-startup), tried again at every refresh`,
          );
          continue;
        }
        await dbs.close();
        throw error instanceof HostDatabaseError
          ? error
          : new HostDatabaseError(`${s.db.note}: cannot read its hosts: ${detail}`, { cause: error });
      }
    }
    return dbs;
  }

  /** `config` with the databases' hosts merged in (compiling what is not cached yet between event-loop turns). */
  async effective(config: CompiledConfig): Promise<CompiledConfig> {
    await this.#merger.prepare(config, this.#hostLists());
    return this.effectiveNow(config);
  }

  /** The same, synchronously (a configuration being applied): new hosts compile in one go. */
  effectiveNow(config: CompiledConfig): CompiledConfig {
    const out = this.#merger.merge(config, this.#hostLists());
    const summary =
      `host databases: ${out.served} hosts served` +
      (out.shadowed > 0 ? `, ${out.shadowed} shadowed by earlier reservations` : '') +
      (out.unknownSubnet > 0 ? `, ${out.unknownSubnet} of subnets not configured` : '') +
      (out.rejected.length > 0 ? `, ${out.rejected.length} rejected` : '');
    if (summary !== this.#summary) {
      this.#summary = summary;
      this.#logger.info(
        {
          served: out.served,
          shadowed: out.shadowed,
          unknownSubnet: out.unknownSubnet,
          rejected: out.rejected.length,
        },
        summary,
      );
    }
    if (out.rejected.length > 0)
      this.#logger.warn(
        { rejected: out.rejected.length },
        `host databases: ${out.rejected.length} host(s) rejected: ${firstReasons(out.rejected)}`,
      );
    return out.config;
  }

  /** Starts the periodic refresh; `apply` hands a new effective configuration to the engine. */
  start(current: () => CompiledConfig, apply: (config: CompiledConfig) => void): void {
    this.#current = current;
    this.#apply = apply;
    this.#timer = setInterval(
      () =>
        void this.refresh(false).catch((err: unknown) =>
          this.#logger.error({ err }, `host databases: refresh failed: ${String(err)}`),
        ),
      this.refreshMs,
    );
    this.#timer.unref();
  }

  /**
   * Reads the databases again (`force`: even if their digest did not change) and applies the result when
   * it changed. A periodic call during a run shares it; a forced one runs again after it.
   */
  async refresh(force: boolean): Promise<void> {
    if (this.#running !== undefined) {
      // A forced read must see the tables after the caller's write: wait, then read again.
      if (force) {
        await this.#running;
        return this.refresh(true);
      }
      return this.#running;
    }
    this.#running = (async () => {
      try {
        let changed = false;
        for (const s of this.sources) changed = (await this.#read(s, force)) || changed;
        const current = this.#current;
        if (changed && current !== undefined && !this.#closed) {
          const config = current();
          const next = await this.effective(config);
          // A configuration applied meanwhile has been merged already; this one would be older.
          if (current() === config) this.#apply?.(next);
        }
      } finally {
        this.#running = undefined;
      }
    })();
    return this.#running;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#running?.catch(() => undefined);
    await Promise.all(this.sources.map((s) => s.db.close()));
  }

  #hostLists(): (readonly DatabaseHost[])[] {
    return this.sources.map((s) => s.hosts);
  }

  /** Whether the source's hosts changed. Errors are logged (rate-limited) and keep the last hosts. */
  async #read(s: HostSource, force: boolean): Promise<boolean> {
    const now = Date.now();
    try {
      if (!s.db.verified) await s.db.verify();
      const digest = await s.db.digest();
      if (!force && digest === s.digest) {
        this.#recovered(s, now);
        return false;
      }
      const load = await s.db.load(this.maxHosts);
      s.digest = digest;
      this.#recovered(s, now);
      if (load.truncated)
        this.#logger.warn(
          { hostsDatabase: s.path, maxHosts: this.maxHosts },
          `${s.path}: more than ${this.maxHosts} hosts; only the first ${this.maxHosts} by host_id are served`,
        );
      if (load.errors.length > 0)
        this.#logger.warn(
          { hostsDatabase: s.path, unreadable: load.errors.length },
          `${s.path}: ${load.errors.length} unreadable host row(s) left out: ${firstReasons(load.errors)}`,
        );
      const changed = JSON.stringify(load.hosts) !== JSON.stringify(s.hosts);
      s.hosts = load.hosts;
      return changed;
    } catch (error) {
      if (s.digest === undefined && s.hosts.length === 0 && this.#current === undefined) throw error;
      const detail = error instanceof Error ? error.message : String(error);
      if (s.failing === undefined) {
        s.failing = { since: now, count: 1, loggedAt: now };
        this.#logger.error(
          { hostsDatabase: s.path, err: error },
          `${s.path}: cannot read hosts (${detail}); serving the ${s.hosts.length} read before`,
        );
      } else {
        s.failing.count++;
        if (now - s.failing.loggedAt >= FAILURE_LOG_MS) {
          s.failing.loggedAt = now;
          this.#logger.error(
            { hostsDatabase: s.path, failures: s.failing.count },
            `${s.path}: still cannot read hosts after ${s.failing.count} attempts (${detail})`,
          );
        }
      }
      return false;
    }
  }

  #recovered(s: HostSource, now: number): void {
    if (s.failing === undefined) return;
    this.#logger.warn(
      { hostsDatabase: s.path, failures: s.failing.count },
      `${s.path}: hosts readable again after ${Math.round((now - s.failing.since) / 1000)} s and ${s.failing.count} failed attempts`,
    );
    s.failing = undefined;
  }
}
