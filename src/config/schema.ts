import { z } from 'zod';
import {
  compatibilitySchema,
  controlSocketSchema,
  dhcpQueueControlSchema,
  leaseDatabaseSchema,
  hostsDatabaseSchema,
  loggerSchema,
  multiThreadingSchema,
  sanityChecksSchema,
} from './schema-sections.ts';
import { d2Schema, ddnsBehaviourKeys, dhcpDdnsSchema } from './ddns.ts';
import { OPTION_TYPES } from './option-types.ts';
import { builtinHook, unknownHookMessage } from './hooks.ts';

/**
 * The subset of Kea's `Dhcp4` JSON that leasekeeper understands. Objects are strict: a key we do not
 * support is an error naming its JSON path, never silently ignored. Semantic checks (ranges, overlaps,
 * option values) happen in compile.ts, where the whole config is visible.
 */

const seconds = z.number().int().min(0).max(0xffffffff);
const userContext = z.record(z.string(), z.unknown());
const common = { 'user-context': userContext.optional(), comment: z.string().optional() };

export const optionDataSchema = z.strictObject({
  name: z.string().min(1).optional(),
  code: z.number().int().min(1).max(254).optional(),
  space: z.string().min(1).max(64).optional(),
  data: z.string().optional(),
  'csv-format': z.boolean().optional(),
  'always-send': z.boolean().optional(),
  'never-send': z.boolean().optional(),
  ...common,
});

/** Kea's host identifier types, in Kea's default `host-reservation-identifiers` order. */
export const HOST_IDENTIFIERS = ['hw-address', 'duid', 'circuit-id', 'client-id', 'flex-id'] as const;
export type HostIdentifierType = (typeof HOST_IDENTIFIERS)[number];
/** Kea's class lists on subnets, pools and reservations: names, at most a few dozen. */
const classNames = z.array(z.string().min(1).max(128)).max(64);

/** Where a subnet or pool is limited to classes and which classes it evaluates after allocation. */
const classGates = {
  // Kea 2.2 writes "" for no class (its all-keys.json does).
  'client-class': z.string().max(128).optional(),
  // Newer Kea: a list (any one matching admits the client).
  'client-classes': classNames.optional(),
  // Kea 2.2's name, and newer Kea's.
  'require-client-classes': classNames.optional(),
  'evaluate-additional-classes': classNames.optional(),
};

/** Kea's `option-def`: a custom option, or a sub-option of an option space. */
export const optionDefSchema = z.strictObject({
  name: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9_][-A-Za-z0-9_.]*$/, 'an option name is letters, digits, "-", "_" and "."'),
  code: z.number().int().min(1).max(254),
  type: z.enum(OPTION_TYPES),
  array: z.boolean().optional(),
  'record-types': z.string().max(256).optional(),
  space: z.string().min(1).max(64).optional(),
  encapsulate: z.string().max(64).optional(),
  ...common,
});

export const reservationSchema = z.strictObject({
  'hw-address': z.string().optional(),
  'client-classes': classNames.optional(),
  'client-id': z.string().optional(),
  duid: z.string().optional(),
  'circuit-id': z.string().optional(),
  'flex-id': z.string().optional(),
  'ip-address': z.string().optional(),
  hostname: z.string().optional(),
  'option-data': z.array(optionDataSchema).optional(),
  'next-server': z.string().optional(),
  'server-hostname': z.string().max(63).optional(),
  'boot-file-name': z.string().optional(),
  ...common,
});

export const poolSchema = z.strictObject({
  pool: z.string(),
  'pool-id': z.number().int().min(0).max(0xffffffff).optional(),
  'option-data': z.array(optionDataSchema).optional(),
  ...classGates,
  ...common,
});

const lifetimes = {
  'valid-lifetime': seconds.optional(),
  'min-valid-lifetime': seconds.optional(),
  'max-valid-lifetime': seconds.optional(),
  'renew-timer': seconds.optional(),
  'rebind-timer': seconds.optional(),
  'calculate-tee-times': z.boolean().optional(),
  't1-percent': z.number().gt(0).lt(1).optional(),
  't2-percent': z.number().gt(0).lt(1).optional(),
};

/**
 * Kea's reservation flags (global, shared network and subnet, each level over the one above), and the
 * `reservation-mode` they replaced (Kea 2.2 still reads it: disabled, out-of-pool, global, all).
 */
const reservationModes = {
  'reservation-mode': z.enum(['disabled', 'out-of-pool', 'global', 'all']).optional(),
  'reservations-global': z.boolean().optional(),
  'reservations-in-subnet': z.boolean().optional(),
  'reservations-out-of-pool': z.boolean().optional(),
};

/** Keys of newer Kea that sites copy into subnets and shared networks (src/config/ignored-keys.ts says why). */
const newerScopeKeys = {
  allocator: z.enum(['iterative', 'random', 'flq']).optional(),
  'store-extended-info': z.boolean().optional(),
  'cache-threshold': z.number().gt(0).lt(1).optional(),
  'cache-max-age': seconds.optional(),
};

/** Kea 2.2's `relay`: `ip-address` (one, the older form) or `ip-addresses`. */
const relaySchema = z.strictObject({
  'ip-addresses': z.array(z.string()).optional(),
  'ip-address': z.string().optional(),
});

/** The keys of the link a subnet or a shared network stands for (in a subnet, they win over its network's). */
const linkKeys = {
  relay: relaySchema.optional(),
  interface: z.string().min(1).optional(),
  authoritative: z.boolean().optional(),
  'rapid-commit': z.boolean().optional(),
  'match-client-id': z.boolean().optional(),
  'next-server': z.string().optional(),
  'server-hostname': z.string().max(63).optional(),
  'boot-file-name': z.string().optional(),
};

export const subnetSchema = z.strictObject({
  id: z.number().int().min(0).max(0xfffffffe).optional(),
  subnet: z.string(),
  pools: z.array(poolSchema).optional(),
  'option-data': z.array(optionDataSchema).optional(),
  reservations: z.array(reservationSchema).optional(),
  ...linkKeys,
  ...ddnsBehaviourKeys,
  'offer-lifetime': seconds.optional(),
  ...reservationModes,
  ...newerScopeKeys,
  ...classGates,
  ...lifetimes,
  ...common,
});

/** Kea's `shared-networks`: subnets on one link, sharing the keys set here (a subnet's own keys win). */
export const sharedNetworkSchema = z.strictObject({
  name: z.string().min(1).max(128),
  subnet4: z.array(subnetSchema).optional(),
  'option-data': z.array(optionDataSchema).optional(),
  ...linkKeys,
  'offer-lifetime': seconds.optional(),
  ...ddnsBehaviourKeys,
  ...reservationModes,
  ...newerScopeKeys,
  'client-class': z.string().max(128).optional(),
  'client-classes': z.array(z.string().min(1).max(128)).max(64).optional(),
  'evaluate-additional-classes': z.array(z.string().min(1).max(128)).max(64).optional(),
  'require-client-classes': z.array(z.string().min(1).max(128)).max(64).optional(),
  ...lifetimes,
  ...common,
});

/** Kea's `client-classes` entries (ARM "Configuring Classes"). */
export const clientClassSchema = z.strictObject({
  name: z.string().min(1).max(128),
  test: z.string().max(4096).optional(),
  'option-data': z.array(optionDataSchema).optional(),
  'next-server': z.string().optional(),
  'server-hostname': z.string().max(63).optional(),
  'boot-file-name': z.string().max(127).optional(),
  'valid-lifetime': seconds.optional(),
  'min-valid-lifetime': seconds.optional(),
  'max-valid-lifetime': seconds.optional(),
  // Kea 2.2's name, and newer Kea's.
  'only-if-required': z.boolean().optional(),
  'only-in-additional-list': z.boolean().optional(),
  'option-def': z.array(optionDefSchema).max(256).optional(),
  ...common,
});

export { leaseDatabaseSchema };
const controlSocket = controlSocketSchema;

/** Kea's reclamation settings; the runtime drives `engine.reclaim` with them. */
export const expiredLeasesSchema = z.strictObject({
  'reclaim-timer-wait-time': seconds.optional(),
  'flush-reclaimed-timer-wait-time': seconds.optional(),
  'hold-reclaimed-time': seconds.optional(),
  'max-reclaim-leases': z.number().int().min(0).optional(),
  'max-reclaim-time': z.number().int().min(0).optional(),
  'unwarned-reclaim-cycles': z.number().int().min(0).optional(),
});

/** Keys of Kea 2.4-3.x that sites copy (src/config/ignored-keys.ts says which change nothing here). */
const newerGlobalKeys = {
  ...newerScopeKeys,
  'dhcp-queue-control': dhcpQueueControlSchema.optional(),
  'statistic-default-sample-count': z.number().int().min(0).optional(),
  'statistic-default-sample-age': z.number().int().min(0).optional(),
  'parked-packet-limit': z.number().int().min(0).optional(),
  'stash-agent-options': z.boolean().optional(),
  compatibility: compatibilitySchema.optional(),
};

export const dhcp4Schema = z.strictObject({
  'interfaces-config': z
    .strictObject({
      interfaces: z.array(z.string()),
      'dhcp-socket-type': z.enum(['raw', 'udp']).optional(),
      're-detect': z.boolean().optional(),
      'outbound-interface': z.enum(['same-as-inbound', 'use-routing']).optional(),
      'service-sockets-require-all': z.boolean().optional(),
      'service-sockets-retry-wait-time': z.number().int().min(0).optional(),
      'service-sockets-max-retries': z.number().int().min(0).optional(),
      ...common,
    })
    .optional(),
  subnet4: z.array(subnetSchema).optional(),
  'shared-networks': z.array(sharedNetworkSchema).optional(),
  'client-classes': z.array(clientClassSchema).max(1024).optional(),
  'option-def': z.array(optionDefSchema).max(1024).optional(),
  'option-data': z.array(optionDataSchema).optional(),
  reservations: z.array(reservationSchema).optional(),
  ...reservationModes,
  'early-global-reservations-lookup': z.boolean().optional(),
  'reservations-lookup-first': z.boolean().optional(),
  'ip-reservations-unique': z
    .boolean()
    .refine((v) => v, {
      message:
        'false is not supported: one address is reserved for at most one host here (the default, true)',
    })
    .optional(),
  'lease-database': leaseDatabaseSchema.optional(),
  'hosts-database': hostsDatabaseSchema.optional(),
  'hosts-databases': z.array(hostsDatabaseSchema).max(8).optional(),
  'decline-probation-period': seconds.optional(),
  'offer-lifetime': seconds.optional(),
  'control-socket': controlSocket.optional(),
  'control-sockets': z.array(controlSocket).optional(),
  loggers: z.array(loggerSchema).optional(),
  authoritative: z.boolean().optional(),
  'rapid-commit': z.boolean().optional(),
  'match-client-id': z.boolean().optional(),
  'server-tag': z.string().optional(),
  'next-server': z.string().optional(),
  'server-hostname': z.string().max(63).optional(),
  'boot-file-name': z.string().optional(),
  'echo-client-id': z.boolean().optional(),
  'expired-leases-processing': expiredLeasesSchema.optional(),
  'hooks-libraries': z
    .array(
      z.looseObject({
        library: z.string().superRefine((l, ctx) => {
          if (builtinHook(l) === undefined) ctx.addIssue({ code: 'custom', message: unknownHookMessage(l) });
        }),
        parameters: z.looseObject({}).optional(),
      }),
    )
    .max(32)
    .optional(),
  'host-reservation-identifiers': z.array(z.enum(HOST_IDENTIFIERS)).min(1).optional(),
  'multi-threading': multiThreadingSchema.optional(),
  'sanity-checks': sanityChecksSchema.optional(),
  'dhcp-ddns': dhcpDdnsSchema.optional(),
  ...newerGlobalKeys,
  ...ddnsBehaviourKeys,
  ...lifetimes,
  ...common,
});

/** `DhcpDdns` (Kea D2's section) may sit beside `Dhcp4`: leasekeeper does D2's work in-process. */
export const rootSchema = z.strictObject({
  Dhcp4: dhcp4Schema,
  DhcpDdns: d2Schema.optional(),
  Logging: z
    .never({
      error: "Kea 1.x's top-level Logging section is gone: move its loggers list into Dhcp4 as Dhcp4.loggers",
    })
    .optional(),
});

export type OptionDataJson = z.infer<typeof optionDataSchema>;
export type ReservationJson = z.infer<typeof reservationSchema>;
export type PoolJson = z.infer<typeof poolSchema>;
export type SubnetJson = z.infer<typeof subnetSchema>;
export type SharedNetworkJson = z.infer<typeof sharedNetworkSchema>;
export type OptionDefJson = z.infer<typeof optionDefSchema>;
export type ClientClassJson = z.infer<typeof clientClassSchema>;
export type Dhcp4Json = z.infer<typeof dhcp4Schema>;
export type KeaConfigJson = z.infer<typeof rootSchema>;
