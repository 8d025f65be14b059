import { z } from 'zod';

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
  space: z
    .literal('dhcp4', { error: 'only the dhcp4 option space is supported (no vendor spaces)' })
    .optional(),
  data: z.string().optional(),
  'csv-format': z.boolean().optional(),
  'always-send': z.boolean().optional(),
  'never-send': z.boolean().optional(),
  ...common,
});

export const reservationSchema = z.strictObject({
  'hw-address': z.string().optional(),
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
  /** Only clients of this class get new addresses from the pool (`HA_<server-name>` in load balancing). */
  'client-class': z.string().min(1).max(255).optional(),
  'option-data': z.array(optionDataSchema).optional(),
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
  ...lifetimes,
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

/**
 * Hook libraries leasekeeper has built in (their commands, and the HA service whose `parameters` are read);
 * any other hook is refused.
 */
export const BUILTIN_HOOKS = ['libdhcp_lease_cmds.so', 'libdhcp_stat_cmds.so', 'libdhcp_ha.so'] as const;

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
  'option-data': z.array(optionDataSchema).optional(),
  reservations: z.array(reservationSchema).optional(),
  'reservations-global': z.boolean().optional(),
  'reservations-in-subnet': z.boolean().optional(),
  'lease-database': leaseDatabaseSchema.optional(),
  'decline-probation-period': seconds.optional(),
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
        library: z.string().refine((l) => BUILTIN_HOOKS.some((h) => l.endsWith(`/${h}`) || l === h), {
          message: `only ${BUILTIN_HOOKS.slice(0, -1).join(', ')} and ${BUILTIN_HOOKS.at(-1)!} are accepted: leasekeeper has them built in`,
        }),
      }),
    )
    .optional(),
  'host-reservation-identifiers': z.array(z.enum(['hw-address', 'client-id'])).optional(),
  'multi-threading': z.looseObject({}).optional(),
  'sanity-checks': z.looseObject({}).optional(),
  'dhcp-ddns': z.looseObject({ 'enable-updates': z.literal(false).optional() }).optional(),
  ...lifetimes,
  ...common,
});

export const rootSchema = z.strictObject({ Dhcp4: dhcp4Schema });

export type OptionDataJson = z.infer<typeof optionDataSchema>;
export type ReservationJson = z.infer<typeof reservationSchema>;
export type PoolJson = z.infer<typeof poolSchema>;
export type SubnetJson = z.infer<typeof subnetSchema>;
export type Dhcp4Json = z.infer<typeof dhcp4Schema>;
export type KeaConfigJson = z.infer<typeof rootSchema>;
