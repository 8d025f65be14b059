import type { HaConfig } from './high-availability.ts';
import type { CompiledDdns, D2Json, DdnsBehaviour } from './ddns.ts';
import type { CompiledHooks } from './hooks.ts';
import type { ClientLimits, RateLimit } from './limits.ts';
import type { CompiledBool, CompiledString } from '../classify/index.ts';
import type { OptionDefs } from './option-defs.ts';
import type { Dhcp4Json, HostIdentifierType } from './schema.ts';
import { LeasekeeperError } from '../errors.ts';

/**
 * The compiled configuration the server engine runs on. Every field is readonly and the whole tree is
 * frozen, so `config-set` swaps one object for another atomically. Addresses are unsigned 32-bit integers.
 */
export interface CompiledConfig {
  /** The validated Kea `Dhcp4` object as given (after defaults were NOT applied), for `config-get`. */
  readonly source: Readonly<Dhcp4Json>;
  readonly interfaces: readonly string[];
  readonly socketType: 'raw' | 'udp';
  readonly authoritative: boolean;
  readonly matchClientId: boolean;
  readonly lifetimes: Lifetimes;
  /** Seconds a DECLINEd address stays unusable (Kea's `decline-probation-period`, default 86400). */
  readonly declineProbationPeriod: number;
  /**
   * Seconds an offered address stays held for its client (Kea 2.6's `offer-lifetime`; default 10 here, 0:
   * not held). A full pool hands the oldest unconfirmed offer to a new client instead of refusing it.
   */
  readonly offerLifetime: number;
  /** `Dhcp4.user-context.limits`: the default of every subnet's `limits`. */
  readonly limits: ClientLimits;
  readonly options: OptionSet;
  readonly subnets: readonly CompiledSubnet[];
  /** Kea's `reservations` at the top level, consulted when `reservations-global` is true. */
  readonly globalReservations: readonly CompiledReservation[];
  readonly reservationsGlobal: boolean;
  readonly reservationsInSubnet: boolean;
  /** Kea's `shared-networks`, each with the ids of its subnets in configuration order. */
  readonly sharedNetworks: readonly CompiledSharedNetwork[];
  /** Kea's `host-reservation-identifiers`: which identifiers find a reservation, in this order. */
  readonly hostIdentifiers: readonly HostIdentifierType[];
  /** The flex_id hook's `identifier-expression`, when `libdhcp_flex_id.so` is configured. */
  readonly flexIdExpression: CompiledString | undefined;
  /** Keys accepted that change nothing here, one line each, for the start-up log and `serve --test`. */
  readonly warnings: readonly string[];
  readonly leaseDatabase: LeaseDatabaseConfig;
  /** Kea's `hosts-database` / `hosts-databases`, in the order Kea consults them (after the configuration's). */
  readonly hostsDatabases: readonly HostsDatabaseConfig[];
  readonly serverTag: string;
  readonly nextServer: number | undefined;
  readonly bootFileName: string | undefined;
  /** Kea's `server-hostname`: the sname field of replies. */
  readonly serverHostname: string | undefined;
  /** RFC 6842 echo of option 61 (Kea's `echo-client-id`, default true). */
  readonly echoClientId: boolean;
  readonly expiredLeasesProcessing: ExpiredLeasesProcessing;
  /** The `libdhcp_ha.so` hook's relationship, when configured (docs/high-availability.md). */
  readonly highAvailability?: HaConfig;
  /** Global `ddns-*` behaviour (for clients outside any subnet, e.g. INFORM). */
  readonly ddnsBehaviour: DdnsBehaviour;
  /** `dhcp-ddns` and the `DhcpDdns` section: where updates go. */
  readonly ddns: CompiledDdns;
  /** The `DhcpDdns` section as given, for `config-get`. */
  readonly d2Source: Readonly<D2Json> | undefined;
  /** Kea's `client-classes`, in the order given (which is the order they are evaluated in). */
  readonly clientClasses: readonly CompiledClientClass[];
  readonly classesByName: ReadonlyMap<string, CompiledClientClass>;
  /** Some class sets a `rate-limit`: only then do requests look their classes up for one. */
  readonly classesRateLimited: boolean;
  /**
   * Whether any part of the configuration looks at classes (defined classes, subnets, pools or
   * reservations naming classes): when false, requests are not classified at all.
   */
  readonly classifies: boolean;
  /**
   * Whether the configuration defines or names classes itself (not only built-ins read by flex
   * options): leases and log lines carry a request's classes only then. Kea 2.2 keeps no classes in a
   * lease at all; leasekeeper keeps them where a configuration uses classes, for `lease4-get` and the
   * dashboard.
   */
  readonly recordsClasses: boolean;
  /** Kea's option definitions in force: built-in vendor spaces and the global `option-def`s. */
  readonly optionDefs: OptionDefs;
  /** The built-in hook libraries' settings (`hooks-libraries`). */
  readonly hooks: CompiledHooks;
}

/** One `client-classes` entry, its test compiled once. */
export interface CompiledClientClass {
  readonly name: string;
  /** Undefined: the class is only assigned by reservations, by name, or as an additional class. */
  readonly test: CompiledBool | undefined;
  /** The test reads KNOWN/UNKNOWN (directly or through a class it names): evaluated after the host lookup. */
  readonly dependsOnKnown: boolean;
  /** Kea's `only-if-required` / `only-in-additional-list`: evaluated only when a subnet or pool asks. */
  readonly additionalOnly: boolean;
  readonly options: OptionSet;
  readonly nextServer: number | undefined;
  readonly serverHostname: string | undefined;
  readonly bootFileName: string | undefined;
  /** `valid-lifetime` and its bounds, when the class sets them. */
  readonly validLifetime: { readonly valid: number; readonly min: number; readonly max: number } | undefined;
  /** `user-context.limits.rate-limit` (Kea's limits hook on a class): per client in the class. */
  readonly rateLimit: RateLimit | undefined;
}

/** A subnet's or pool's class gate: the classes that may use it (undefined: everyone). */
export interface ClassGate {
  readonly allowedClasses: readonly string[] | undefined;
  /** Kea's `require-client-classes` / `evaluate-additional-classes`, in order. */
  readonly additionalClasses: readonly string[];
}

/** Kea's `expired-leases-processing`, with Kea's defaults; the runtime schedules reclamation by it. */
export interface ExpiredLeasesProcessing {
  /** Seconds between reclamation runs (default 10). */
  readonly reclaimTimerWaitTime: number;
  /** Seconds between removals of old expired-reclaimed leases; 0 disables removal (default 25). */
  readonly flushReclaimedTimerWaitTime: number;
  /** Seconds an expired-reclaimed lease is kept for affinity before removal (default 3600). */
  readonly holdReclaimedTime: number;
  /** At most this many leases per run; 0 = no limit (default 100). */
  readonly maxReclaimLeases: number;
  /** At most this many ms per run; 0 = no limit (default 250). */
  readonly maxReclaimTime: number;
  readonly unwarnedReclaimCycles: number;
}

export interface LeaseDatabaseConfig {
  readonly type: 'memfile' | 'sqlite' | 'postgresql';
  readonly name?: string;
  readonly persist?: boolean;
  readonly [key: string]: unknown;
}

/** One `hosts-database` entry: PostgreSQL with Kea's `hosts` schema. */
export interface HostsDatabaseConfig extends LeaseDatabaseConfig {
  readonly type: 'postgresql';
  readonly name: string;
}

export interface Lifetimes {
  readonly valid: number;
  readonly min: number;
  readonly max: number;
  readonly renewTimer: number | undefined;
  readonly rebindTimer: number | undefined;
  readonly calculateTeeTimes: boolean;
  readonly t1Percent: number;
  readonly t2Percent: number;
}

/** One `option-data` entry, already encoded to its wire bytes through the codec's option table. */
export interface CompiledOption {
  readonly code: number;
  readonly name: string;
  readonly data: Uint8Array;
  readonly alwaysSend: boolean;
  readonly neverSend: boolean;
}

export type OptionSet = ReadonlyMap<number, CompiledOption>;

export interface CompiledSubnet extends ClassGate {
  /** Whether any of its pools is limited to classes or names additional classes. */
  readonly poolsUseClasses: boolean;
  readonly id: number;
  /** `a.b.c.d/len` as configured. */
  readonly prefix: string;
  readonly network: number;
  readonly prefixLength: number;
  readonly mask: number;
  readonly broadcast: number;
  readonly pools: readonly CompiledPool[];
  readonly options: OptionSet;
  readonly reservations: readonly CompiledReservation[];
  readonly relayAddresses: readonly number[];
  readonly interface: string | undefined;
  /** The name of the shared network the subnet is in (Kea's `shared-networks`). */
  readonly sharedNetwork: string | undefined;
  /** Kea's `reservations-global` / `reservations-in-subnet` as they apply to this subnet. */
  readonly reservationsGlobal: boolean;
  readonly reservationsInSubnet: boolean;
  readonly lifetimes: Lifetimes;
  readonly authoritative: boolean;
  /** RFC 4039: answer a DISCOVER carrying option 80 with a committed DHCPACK (Kea's `rapid-commit`). */
  readonly rapidCommit: boolean;
  readonly matchClientId: boolean;
  readonly nextServer: number | undefined;
  readonly bootFileName: string | undefined;
  /** Kea's `server-hostname`: the sname field of replies. */
  readonly serverHostname: string | undefined;
  /** `ddns-*` and `hostname-char-*`, subnet over global. */
  readonly ddns: DdnsBehaviour;
  /** Seconds an offer holds its address: the subnet's `offer-lifetime`, else the global one. */
  readonly offerLifetime: number;
  /** Per-client limits from `user-context.limits` (the subnet's, else the global ones). */
  readonly limits: ClientLimits;
}

export interface CompiledSharedNetwork {
  readonly name: string;
  readonly subnetIds: readonly number[];
}

export interface CompiledPool extends ClassGate {
  readonly start: number;
  readonly end: number;
  readonly options: OptionSet;
}

export interface CompiledReservation {
  /** Lower-case `aa:bb:cc:dd:ee:ff`. */
  readonly hwAddress: string | undefined;
  /** Lower-case colon hex, type byte first, as in `Lease.clientId`. */
  readonly clientId: string | undefined;
  /** Kea's `duid`: the DUID of an RFC 4361 client identifier, lower-case colon hex. */
  readonly duid: string | undefined;
  /** Kea's `circuit-id`: the relay's option 82 sub-option 1, lower-case colon hex. */
  readonly circuitId: string | undefined;
  /** Kea's `flex-id`: the bytes the flex_id hook's expression yields, lower-case colon hex. */
  readonly flexId: string | undefined;
  readonly ipAddress: number | undefined;
  readonly hostname: string | undefined;
  readonly options: OptionSet;
  readonly nextServer: number | undefined;
  readonly bootFileName: string | undefined;
  /** Kea's `server-hostname`: the sname field of replies. */
  readonly serverHostname: string | undefined;
  /** Classes the reservation assigns (Kea's `client-classes` of a host). */
  readonly clientClasses: readonly string[];
}

export interface ConfigIssue {
  /** JSON path such as `Dhcp4.subnet4[0].pools[1].pool`. */
  readonly path: string;
  readonly message: string;
}

export type ParseResult = { ok: true; config: CompiledConfig } | { ok: false; error: ConfigError };

/** Option data that does not fit its definition; the compiler turns it into a ConfigIssue at its path. */
export class OptionDataError extends LeasekeeperError {
  override name = 'OptionDataError';
  constructor(message: string) {
    super('ERR_CONFIG_OPTION_DATA', message);
  }
}

export class ConfigError extends LeasekeeperError {
  override name = 'ConfigError';
  readonly issues: readonly ConfigIssue[];
  constructor(issues: readonly ConfigIssue[]) {
    super('ERR_CONFIG_INVALID', issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
    this.issues = issues;
  }
}
