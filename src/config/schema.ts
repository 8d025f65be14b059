import { z } from 'zod';
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

/** Kea's class lists on subnets, pools and reservations: names, at most a few dozen. */
const classNames = z.array(z.string().min(1).max(128)).max(64);

/** Where a subnet or pool is limited to classes and which classes it evaluates after allocation. */
const classGates = {
  'client-class': z.string().min(1).max(128).optional(),
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

export const subnetSchema = z.strictObject({
  id: z.number().int().min(1).max(0xfffffffe).optional(),
  subnet: z.string(),
  pools: z.array(poolSchema).optional(),
  'option-data': z.array(optionDataSchema).optional(),
  reservations: z.array(reservationSchema).optional(),
  relay: z.strictObject({ 'ip-addresses': z.array(z.string()) }).optional(),
  interface: z.string().min(1).optional(),
  authoritative: z.boolean().optional(),
  'rapid-commit': z.boolean().optional(),
  'match-client-id': z.boolean().optional(),
  'next-server': z.string().optional(),
  'server-hostname': z.string().max(63).optional(),
  'boot-file-name': z.string().optional(),
  ...ddnsBehaviourKeys,
  'offer-lifetime': seconds.optional(),
  ...classGates,
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

export const leaseDatabaseSchema = z.looseObject({
  type: z.enum(['memfile', 'sqlite', 'postgresql']),
  name: z.string().optional(),
  persist: z.boolean().optional(),
  host: z.string().optional(),
  port: z.number().int().min(1).max(65535).optional(),
  user: z.string().optional(),
  password: z.string().optional(),
  'lfc-interval': seconds.optional(),
});

const controlSocket = z.looseObject({
  'socket-type': z.string(),
  'socket-name': z.string().optional(),
});

/** Kea's reclamation settings; the runtime drives `engine.reclaim` with them. */
export const expiredLeasesSchema = z.strictObject({
  'reclaim-timer-wait-time': seconds.optional(),
  'flush-reclaimed-timer-wait-time': seconds.optional(),
  'hold-reclaimed-time': seconds.optional(),
  'max-reclaim-leases': z.number().int().min(0).optional(),
  'max-reclaim-time': z.number().int().min(0).optional(),
  'unwarned-reclaim-cycles': z.number().int().min(0).optional(),
});

export const dhcp4Schema = z.strictObject({
  'interfaces-config': z
    .strictObject({
      interfaces: z.array(z.string()),
      'dhcp-socket-type': z.enum(['raw', 'udp']).optional(),
      're-detect': z.boolean().optional(),
      ...common,
    })
    .optional(),
  subnet4: z.array(subnetSchema).optional(),
  'client-classes': z.array(clientClassSchema).max(1024).optional(),
  'option-def': z.array(optionDefSchema).max(1024).optional(),
  'option-data': z.array(optionDataSchema).optional(),
  reservations: z.array(reservationSchema).optional(),
  'reservations-global': z.boolean().optional(),
  'reservations-in-subnet': z.boolean().optional(),
  'lease-database': leaseDatabaseSchema.optional(),
  'decline-probation-period': seconds.optional(),
  'offer-lifetime': seconds.optional(),
  'control-socket': controlSocket.optional(),
  'control-sockets': z.array(controlSocket).optional(),
  loggers: z.array(z.looseObject({ name: z.string() })).optional(),
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
  'host-reservation-identifiers': z.array(z.enum(['hw-address', 'client-id'])).optional(),
  'multi-threading': z.looseObject({}).optional(),
  'sanity-checks': z.looseObject({}).optional(),
  'dhcp-ddns': dhcpDdnsSchema.optional(),
  ...ddnsBehaviourKeys,
  ...lifetimes,
  ...common,
});

/** `DhcpDdns` (Kea D2's section) may sit beside `Dhcp4`: leasekeeper does D2's work in-process. */
export const rootSchema = z.strictObject({ Dhcp4: dhcp4Schema, DhcpDdns: d2Schema.optional() });

export type OptionDataJson = z.infer<typeof optionDataSchema>;
export type ReservationJson = z.infer<typeof reservationSchema>;
export type PoolJson = z.infer<typeof poolSchema>;
export type SubnetJson = z.infer<typeof subnetSchema>;
export type OptionDefJson = z.infer<typeof optionDefSchema>;
export type ClientClassJson = z.infer<typeof clientClassSchema>;
export type Dhcp4Json = z.infer<typeof dhcp4Schema>;
export type KeaConfigJson = z.infer<typeof rootSchema>;
