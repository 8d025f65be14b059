import { z } from 'zod';

/**
 * Kea's maps beside the DHCP logic (databases, loggers, sockets, threading, checks), each strict: a key
 * Kea does not define is refused with its path. Keys Kea defines that change nothing here are accepted
 * and named once at start (src/config/ignored-keys.ts).
 */

const seconds = z.number().int().min(0).max(0xffffffff);
const common = {
  'user-context': z.record(z.string(), z.unknown()).optional(),
  comment: z.string().optional(),
};

/** Kea's database types, with what to use instead of the ones not supported here. */
const databaseType = z.enum(['memfile', 'sqlite', 'postgresql'], {
  error: (issue) =>
    issue.input === 'mysql'
      ? 'MySQL is not supported: use "postgresql" (several servers sharing one database) or "memfile"/"sqlite" (one server, a local file)'
      : `unknown database type ${JSON.stringify(issue.input)} (memfile, sqlite, postgresql)`,
});

/** Kea's TLS files, of a database connection and of a control socket alike. */
const tlsFiles = {
  'trust-anchor': z.string().optional(),
  'cert-file': z.string().optional(),
  'key-file': z.string().optional(),
};

/** Kea's `lease-database` / `hosts-database` keys (Kea 2.2 and the TLS and timeout keys of later Kea). */
const databaseKeys = {
  name: z.string().optional(),
  persist: z.boolean().optional(),
  host: z.string().optional(),
  port: z.number().int().min(1).max(65535).optional(),
  user: z.string().optional(),
  password: z.string().optional(),
  'lfc-interval': seconds.optional(),
  'connect-timeout': seconds.optional(),
  'read-timeout': seconds.optional(),
  'write-timeout': seconds.optional(),
  'tcp-user-timeout': seconds.optional(),
  'max-reconnect-tries': z.number().int().min(0).optional(),
  'reconnect-wait-time': z.number().int().min(0).optional(),
  'on-fail': z.enum(['stop-retry-exit', 'serve-retry-exit', 'serve-retry-continue']).optional(),
  'retry-on-startup': z.boolean().optional(),
  'max-row-errors': z.number().int().min(0).optional(),
  readonly: z.boolean().optional(),
  ...tlsFiles,
  'key-password': z.string().optional(),
  'cipher-list': z.string().optional(),
  ...common,
};

export const leaseDatabaseSchema = z.strictObject({ type: databaseType, ...databaseKeys });

/** Kea's `hosts-database` / `hosts-databases` entries: only PostgreSQL, on Kea's own `hosts` schema. */
export const hostsDatabaseSchema = z.strictObject({
  type: z.literal('postgresql', {
    error: (issue) =>
      issue.input === 'mysql'
        ? "MySQL is not supported: host reservations are read from PostgreSQL (Kea's hosts schema) or the configuration"
        : `host databases are of type "postgresql" here, got ${JSON.stringify(issue.input)}`,
  }),
  ...databaseKeys,
  name: z.string().min(1),
});

const loggerOutput = z.strictObject({
  output: z.string(),
  maxsize: z.number().int().min(0).optional(),
  maxver: z.number().int().min(0).optional(),
  flush: z.boolean().optional(),
  pattern: z.string().optional(),
  ...common,
});

/** Kea's `loggers` entries; src/runtime/log-settings.ts gives them their meaning. */
export const loggerSchema = z.strictObject({
  name: z.string(),
  severity: z.string().optional(),
  debuglevel: z.number().int().optional(),
  'output-options': z.array(loggerOutput).optional(),
  output_options: z.array(loggerOutput).optional(),
  ...common,
});

const authClient = z.strictObject({
  user: z.string().optional(),
  password: z.string().optional(),
  'user-file': z.string().optional(),
  'password-file': z.string().optional(),
  ...common,
});

/** `control-socket` (Kea 2.2) and the entries of `control-sockets` (Kea 2.7+); src/control/settings.ts reads them. */
export const controlSocketSchema = z.strictObject({
  'socket-type': z.string(),
  'socket-name': z.string().optional(),
  'socket-address': z.string().optional(),
  'socket-port': z.number().int().optional(),
  authentication: z
    .strictObject({
      type: z.string(),
      realm: z.string().optional(),
      directory: z.string().optional(),
      clients: z.array(authClient).optional(),
      ...common,
    })
    .optional(),
  'http-host-allowlist': z.array(z.string()).optional(),
  'max-connections': z.number().int().optional(),
  'auth-max-failures': z.number().int().optional(),
  'auth-failure-window': z.number().int().optional(),
  'insecure-control': z.boolean().optional(),
  ...tlsFiles,
  'cert-required': z.boolean().optional(),
  ...common,
});

/**
 * Kea's `multi-threading`. leasekeeper answers from one event loop whatever it says (requests are handled
 * concurrently while their lease writes are in flight), so the keys are accepted and named at start.
 */
export const multiThreadingSchema = z.strictObject({
  'enable-multi-threading': z.boolean().optional(),
  'thread-pool-size': z.number().int().min(0).max(65535).optional(),
  'packet-queue-size': z.number().int().min(0).max(65535).optional(),
  ...common,
});

/** Kea's `sanity-checks`: what to do with a loaded lease whose subnet id does not match its address. */
export const LEASE_CHECKS = ['none', 'warn', 'fix', 'fix-del', 'del'] as const;
export type LeaseChecks = (typeof LEASE_CHECKS)[number];

export const sanityChecksSchema = z.strictObject({
  'lease-checks': z
    .enum(LEASE_CHECKS, { error: `must be one of ${LEASE_CHECKS.join(', ')} (Kea's lease-checks)` })
    .optional(),
  'extended-info-checks': z.enum(['none', 'fix', 'strict', 'pedantic']).optional(),
  ...common,
});

/** Kea's `dhcp-queue-control` (its packet queue between the socket and the worker threads). */
export const dhcpQueueControlSchema = z.strictObject({
  'enable-queue': z.boolean(),
  'queue-type': z.string().optional(),
  capacity: z.number().int().min(1).optional(),
  ...common,
});

/** Kea's `compatibility` map (2.2: lenient-option-parsing; later Kea added more). */
export const compatibilitySchema = z.strictObject({
  'lenient-option-parsing': z.boolean().optional(),
  'ignore-dhcp-server-identifier': z.boolean().optional(),
  'ignore-rai-link-selection': z.boolean().optional(),
  'exclude-first-last-24': z.boolean().optional(),
  ...common,
});
