import type pg from 'pg';
import { pgDriver } from './pg-driver.ts';
import { LeaseStoreError } from './errors.ts';

/**
 * libpq's `host=a,b target_session_attrs=read-write`, which node-postgres lacks: of several hosts (names,
 * addresses or UNIX socket directories), connections go to the first that accepts writes. After a
 * primary/standby failover the store asks again (`retarget`), so a promoted standby is followed without a
 * restart. With one host it is only that host.
 */
export class WritableHost {
  readonly hosts: readonly string[];
  #current = 0;
  #probing: Promise<void> | null = null;
  readonly #probeConfig: pg.ClientConfig;

  constructor(hosts: readonly string[], config: pg.ClientConfig) {
    this.hosts = hosts;
    this.#probeConfig = { ...config, connectionTimeoutMillis: config.connectionTimeoutMillis ?? 5000 };
  }

  static parse(host: string | undefined): string[] {
    return (host ?? '')
      .split(',')
      .map((h) => h.trim())
      .filter((h) => h !== '');
  }

  get current(): string {
    return this.hosts[this.#current]!;
  }

  /**
   * A config whose `host` is read when each connection is made (pg copies it at `new Client`); `inPlace`
   * changes the object given (pg.Pool's own copy of its options).
   */
  follow<T extends object>(config: T, inPlace = false): T {
    const out = inPlace ? config : { ...config };
    Object.defineProperty(out, 'host', { get: () => this.current, enumerable: true, configurable: true });
    return out;
  }

  /** Finds the writable host; one probe at a time, callers during a probe share it. Rejects when none is. */
  retarget(): Promise<void> {
    if (this.hosts.length < 2) return Promise.resolve();
    this.#probing ??= this.#probe().finally(() => (this.#probing = null));
    return this.#probing;
  }

  async #probe(): Promise<void> {
    const errors: string[] = [];
    for (let k = 0; k < this.hosts.length; k++) {
      const i = (this.#current + k) % this.hosts.length;
      const client = new (pgDriver().Client)({ ...this.#probeConfig, host: this.hosts[i] });
      client.on('error', () => undefined);
      try {
        await client.connect();
        const { rows } = await client.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby');
        if (rows[0]?.standby === false) {
          this.#current = i;
          return;
        }
        errors.push(`${this.hosts[i]!}: read-only (a standby)`);
      } catch (error) {
        errors.push(`${this.hosts[i]!}: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        await client.end().catch(() => undefined);
      }
    }
    throw new LeaseStoreError(
      'ERR_LEASE_STORE_NO_WRITABLE_HOST',
      `no writable PostgreSQL host among ${this.hosts.join(', ')} (${errors.join('; ')})`,
    );
  }
}

/** SQLSTATEs and node errors after which the writable host may have moved. */
export function suggestsFailover(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    // read_only_sql_transaction, admin_shutdown, crash_shutdown, cannot_connect_now, connection_* (08xxx).
    if (code === '25006' || code === '57P01' || code === '57P02' || code === '57P03' || code.startsWith('08'))
      return true;
    if (code === 'ECONNREFUSED' || code === 'ENOENT' || code === 'ECONNRESET' || code === 'EPIPE')
      return true;
  }
  const message = error instanceof Error ? error.message : '';
  return /Connection terminated|connection timeout|not queryable/i.test(message);
}
