import { readFileSync } from 'node:fs';
import type pg from 'pg';
import { LeaseStoreError } from './errors.ts';
import type { LeaseStoreSpec } from './open.ts';

/** The `postgresql` member of `LeaseStoreSpec`: what `openLeaseStore` takes. */
export type PostgresStoreSpec = Extract<LeaseStoreSpec, { readonly type: 'postgresql' }>;

/** A Kea `lease-database` entry of type postgresql that cannot be used. Nothing was opened. */
export class KeaLeaseDatabaseError extends LeaseStoreError {
  /** The JSON path of the offending entry, e.g. `Dhcp4.lease-database.port`. */
  readonly path: string;
  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super('ERR_LEASE_DATABASE_CONFIG', `${path}: ${message}`, options);
    this.name = 'KeaLeaseDatabaseError';
    this.path = path;
  }
}

export interface KeaPostgresOptions {
  /** Where the entry sits in the configuration, for error paths. Default `Dhcp4.lease-database`. */
  readonly path?: string;
  /** Reads the TLS files (`trust-anchor`, `cert-file`, `key-file`). Default: `fs.readFileSync`. */
  readonly readFile?: (file: string) => Buffer;
}

export interface KeaPostgresChoice {
  readonly spec: PostgresStoreSpec;
  /** Where the leases go, for the start-up log (never the password). */
  readonly note: string;
  /** Kea parameters that are valid but have no effect here (memfile/MySQL-only ones, reconnect policy). */
  readonly ignored: readonly string[];
}

/** Kea's default `connect-timeout` for PostgreSQL, in seconds (PGSQL_DEFAULT_CONNECTION_TIMEOUT). */
const DEFAULT_CONNECT_TIMEOUT = 5;

const MAPPED = new Set([
  'type',
  'name',
  'host',
  'port',
  'user',
  'password',
  'connect-timeout',
  'trust-anchor',
  'cert-file',
  'key-file',
  'key-password',
  'cipher-list',
  'user-context',
]);

/**
 * Parameters Kea's grammar accepts in `lease-database` that this store does not use: memfile- or
 * MySQL-only ones, and Kea's reconnect policy (node-postgres reconnects per query, the LISTEN connection by
 * itself). Accepted so that a Kea configuration loads unchanged.
 */
const IGNORED = new Set([
  'persist',
  'lfc-interval',
  'readonly',
  'read-timeout',
  'write-timeout',
  'tcp-user-timeout',
  'max-reconnect-tries',
  'reconnect-wait-time',
  'on-fail',
  'retry-on-startup',
  'max-row-errors',
  'comment',
]);

/**
 * Turns Kea's `lease-database` for PostgreSQL into the options of `PostgresLeaseStore.open`. As in Kea,
 * `name` is required, `host` defaults to `localhost` and `connect-timeout` to 5 s; as in libpq, a `host`
 * starting with `/` is the directory of the server's UNIX socket. Throws `KeaLeaseDatabaseError` for a
 * missing, mistyped or unknown parameter, and for TLS files that cannot be read.
 */
export function postgresFromKea(
  db: Readonly<Record<string, unknown>>,
  options: KeaPostgresOptions = {},
): KeaPostgresChoice {
  const base = options.path ?? 'Dhcp4.lease-database';
  const fail = (key: string, message: string, cause?: unknown): never => {
    throw new KeaLeaseDatabaseError(`${base}.${key}`, message, cause === undefined ? undefined : { cause });
  };
  const text = (key: string): string | undefined => {
    const value = db[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string') return fail(key, `must be a string, got ${typeof value}`);
    if (value === '') return fail(key, 'must not be empty');
    return value;
  };
  const integer = (key: string, min: number, max: number): number | undefined => {
    const value = db[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
      return fail(key, `must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
    return value;
  };

  if (db['type'] !== 'postgresql')
    fail('type', `must be "postgresql" here, got ${JSON.stringify(db['type'])}`);
  const ignored: string[] = [];
  for (const key of Object.keys(db)) {
    if (IGNORED.has(key)) ignored.push(key);
    else if (!MAPPED.has(key)) fail(key, 'is not a lease-database parameter');
  }

  const database = text('name') ?? fail('name', 'is required for type "postgresql" (the database name)');
  const host = text('host') ?? 'localhost';
  const port = integer('port', 1, 65535);
  const user = text('user');
  // A password may legitimately be empty; only its type is checked.
  const password = db['password'];
  if (password !== undefined && typeof password !== 'string') fail('password', 'must be a string');
  const timeout = integer('connect-timeout', 1, 2_147_483) ?? DEFAULT_CONNECT_TIMEOUT;

  const connection: pg.PoolConfig = {
    host,
    database,
    connectionTimeoutMillis: timeout * 1000,
    ...(port === undefined ? {} : { port }),
    ...(user === undefined ? {} : { user }),
    ...(typeof password === 'string' ? { password } : {}),
  };

  const tls = {
    ca: text('trust-anchor'),
    cert: text('cert-file'),
    key: text('key-file'),
    passphrase: text('key-password'),
    ciphers: text('cipher-list'),
  };
  const socket = host.startsWith('/');
  if (Object.values(tls).some((v) => v !== undefined)) {
    const key = ['trust-anchor', 'cert-file', 'key-file', 'key-password', 'cipher-list'].find(
      (k) => db[k] !== undefined,
    )!;
    if (socket) fail(key, `TLS does not apply to a UNIX socket (host ${host})`);
    if ((tls.cert === undefined) !== (tls.key === undefined))
      fail(
        tls.cert === undefined ? 'cert-file' : 'key-file',
        'is missing: cert-file and key-file go together',
      );
    if (tls.passphrase !== undefined && tls.key === undefined) fail('key-password', 'needs key-file');
    const read = options.readFile ?? ((file: string) => readFileSync(file));
    const load = (param: string, file: string | undefined): Buffer | undefined => {
      if (file === undefined) return undefined;
      try {
        return read(file);
      } catch (error) {
        const detail = error instanceof Error ? error.message : String(error);
        return fail(param, `cannot read ${file}: ${detail}`, error);
      }
    };
    const ssl: NonNullable<Exclude<pg.PoolConfig['ssl'], boolean>> = {
      ...(tls.ca === undefined ? {} : { ca: load('trust-anchor', tls.ca) }),
      ...(tls.cert === undefined ? {} : { cert: load('cert-file', tls.cert) }),
      ...(tls.key === undefined ? {} : { key: load('key-file', tls.key) }),
      ...(tls.passphrase === undefined ? {} : { passphrase: tls.passphrase }),
      ...(tls.ciphers === undefined ? {} : { ciphers: tls.ciphers }),
    };
    connection.ssl = ssl;
  }

  const importKeaLeases = keaImportChoice(db['user-context'], fail);

  const where = socket ? `socket ${host}/.s.PGSQL.${port ?? 5432}` : `${host}:${port ?? 5432}`;
  const note =
    `postgresql database "${database}" at ${where}` +
    (user === undefined ? '' : ` as ${user}`) +
    (connection.ssl === undefined ? '' : ' over TLS');
  return {
    spec: { type: 'postgresql', connection, ...(importKeaLeases === undefined ? {} : { importKeaLeases }) },
    note,
    ignored,
  };
}

/**
 * `user-context.import-kea-leases`: false skips copying Kea's leases on the first start (docs/leases.md). In the
 * user context, so that Kea, which keeps a user context as it is, still loads the same configuration.
 */
function keaImportChoice(
  context: unknown,
  fail: (key: string, message: string) => never,
): boolean | undefined {
  if (context === undefined) return undefined;
  if (typeof context !== 'object' || context === null || Array.isArray(context))
    return fail('user-context', 'must be a map');
  const value = (context as Record<string, unknown>)['import-kea-leases'];
  if (value === undefined || typeof value === 'boolean') return value;
  return fail('user-context.import-kea-leases', `must be true or false, got ${JSON.stringify(value)}`);
}
