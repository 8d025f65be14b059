import type { HostIdentifierType } from '../config/index.ts';
import type { LeaseStoreHealth } from '../leases/index.ts';
import type { LeaseStore } from '../leases/index.ts';
import type { Answer } from './answer.ts';
import type { JsonObject } from './json.ts';

/**
 * What the control commands need from the running server. The runtime implements it over the engine, the
 * config loader and the lease store; tests implement it with a fake. Nothing here knows about sockets.
 */
export interface ControlTarget {
  readonly config: ConfigAccess;
  readonly dhcp: DhcpSwitch;
  readonly statistics: StatisticsAccess;
  readonly leases: ControlLeaseStore;
  readonly reservations: ReservationAccess;
  readonly subnets: SubnetAccess;
  /** Reclaims expired leases now; `remove` deletes them instead of keeping them as expired-reclaimed. */
  reclaim(remove: boolean): Promise<void>;
  /**
   * Starts an orderly shutdown. Called before the answer is written: the implementation must not stop the
   * process synchronously, but close the listeners gracefully so that the "Shutting down." answer still goes out.
   */
  shutdown(exitValue: number | undefined): void;
  version(): VersionInfo;
  status(): ServerStatus;
  /** The HA service, when `libdhcp_ha.so` is configured: the `ha-*` commands and status-get's HA section. */
  readonly ha?: HaControl;
}

/** The `ha-*` commands' view of the HA service (src/ha/service.ts), answering in Kea's shapes. */
export interface HaControl {
  heartbeat(): Answer;
  reset(): Answer;
  setScopes(scopes: readonly string[]): Answer;
  continue(): Answer;
  maintenanceNotify(cancel: boolean): Answer;
  maintenanceStart(): Promise<Answer>;
  maintenanceCancel(): Promise<Answer>;
  sync(serverName: string, maxPeriod: number): Promise<Answer>;
  syncCompleteNotify(): Answer;
  /** `dhcp-disable` / `dhcp-enable` with origin `ha-partner`. */
  disableByPartner(maxPeriod: number | undefined): void;
  enableByPartner(): void;
  /** One relationship of status-get's `high-availability` list. */
  status(): JsonObject;
}

/** The outcome of checking or applying a configuration: Kea answers `text` either way. */
export type ConfigOutcome = { readonly ok: true } | { readonly ok: false; readonly error: string };

export interface ConfigAccess {
  /** The running configuration in Kea's shape: `{"Dhcp4": {...}}`. */
  get(): Promise<JsonObject>;
  /** Checks a full `{"Dhcp4": ...}` configuration without applying it. */
  test(config: JsonObject): Promise<ConfigOutcome>;
  /** Checks and applies a full configuration atomically. */
  set(config: JsonObject): Promise<ConfigOutcome>;
  /**
   * Writes the running configuration; `filename` undefined means the file it was loaded from. The runtime
   * confines it to that file's directory (ConfigFilePolicy) and throws ConfigFileRefusedError otherwise.
   */
  write(filename: string | undefined): Promise<{ readonly filename: string; readonly size: number }>;
  /** Loads the configuration file again and applies it. */
  reload(): Promise<ConfigOutcome>;
}

export interface DhcpSwitch {
  enable(): Promise<void>;
  /** Stops answering DHCP; `maxPeriod` seconds later the server re-enables itself. */
  disable(maxPeriod: number | undefined): Promise<void>;
  enabled(): boolean;
}

/** One recorded value of a statistic; `at` is milliseconds since the epoch. */
export interface StatSample {
  readonly value: number;
  readonly at: number;
}

export interface StatisticsAccess {
  /** Samples newest first, as Kea lists them; undefined when no such statistic exists. */
  get(name: string): readonly StatSample[] | undefined;
  names(): readonly string[];
  /** Resets to the neutral value (0); false when no such statistic exists. */
  reset(name: string): boolean;
  resetAll(): void;
  remove(name: string): boolean;
  removeAll(): void;
}

/**
 * The part of the project's LeaseStore the lease commands use; the runtime passes its store straight in.
 */
export type ControlLeaseStore = Pick<
  LeaseStore,
  | 'commit'
  | 'get'
  | 'getAll'
  | 'getPage'
  | 'getByHwAddress'
  | 'getByClientId'
  | 'getByHostname'
  | 'remove'
  | 'wipe'
  | 'stats'
>;

/** A host reservation in Kea's JSON shape (`hw-address`, `ip-address`, `hostname`, `option-data`, ...). */
export type ReservationJson = JsonObject;

/** How Kea identifies a host: by one identifier or by its reserved address. */
export type HostSelector =
  | { readonly kind: 'identifier'; readonly type: HostIdentifierType; readonly value: string }
  | { readonly kind: 'address'; readonly address: string };

export type { HostIdentifierType };

export interface StoredReservation {
  /** 0 for global reservations, as in Kea. */
  readonly subnetId: number;
  readonly host: ReservationJson;
}

/**
 * Kea's host_cmds `operation-target`: the configuration (`memory`), the host databases (`database`), both
 * (`all`), or the command's default (`default`: reads use all, writes the databases when there are any).
 */
export type OperationTarget = 'memory' | 'database' | 'all' | 'default';

/** Which reservations `all` reads. `hostname` and `identifier` are hints a database applies in its query. */
export interface ReservationQuery {
  readonly target?: OperationTarget;
  readonly source?: number;
  readonly hostname?: string;
  readonly identifier?: { readonly type: HostIdentifierType; readonly value: string };
}

export interface ReservationAccess {
  /** Throws ControlConflictError when the identifier or address is already reserved in the subnet. */
  add(subnetId: number, host: ReservationJson, target?: OperationTarget): Promise<void>;
  get(
    subnetId: number,
    selector: HostSelector,
    target?: OperationTarget,
  ): Promise<ReservationJson | undefined>;
  /**
   * Every reservation, in a stable order; only the subnet's when `subnetId` is given. `source` picks one
   * source of `reservation-get-page`: 0 the configuration, 1.. each host database in order.
   */
  all(subnetId: number | undefined, where?: ReservationQuery): Promise<readonly StoredReservation[]>;
  del(subnetId: number, selector: HostSelector, target?: OperationTarget): Promise<boolean>;
  /** How many sources `reservation-get-page` walks: 1 (the configuration) plus the host databases. */
  sourceCount?(): number;
  /**
   * One page of a source, after `from` (0: from the start): a position in the configuration, a `host_id` in a
   * database, as Kea pages them. `next` is the `from` of the following page. Without it, `all` is sliced.
   */
  page?(
    subnetId: number | undefined,
    source: number,
    from: number,
    limit: number,
  ): Promise<{ readonly hosts: readonly StoredReservation[]; readonly next: number }>;
}

export interface SubnetInfo {
  readonly id: number;
  /** Addresses in the subnet's pools (Kea's `total-addresses`). */
  readonly totalAddresses: number;
  /** The subnet's default valid lifetime in seconds, for leases added without `valid-lft`. */
  readonly validLifetime: number;
}

/** A subnet as Kea's `subnet4-list` names it. */
export interface SubnetListing {
  readonly id: number;
  /** `198.18.0.0/24`. */
  readonly subnet: string;
  /** The shared network the subnet is in, if any. */
  readonly sharedNetwork: string | undefined;
}

export interface SubnetAccess {
  list(): readonly SubnetInfo[];
  /** Every subnet in configuration order, with its prefix and shared network (`subnet4-list`). */
  listing(): readonly SubnetListing[];
  /** The shared networks' names in configuration order (`network4-list`). */
  networks(): readonly string[];
  /** The subnet whose prefix contains the address, as Kea picks one for `lease4-add` without `subnet-id`. */
  forAddress(address: string): SubnetInfo | undefined;
}

export interface VersionInfo {
  /** e.g. `0.1.0`: Kea's `text` of `version-get`. */
  readonly version: string;
  /** Multi-line details: Kea's `arguments.extended`. */
  readonly extended: string;
  /** The text of `build-report`. */
  readonly buildReport: string;
}

export interface ServerStatus {
  readonly pid: number;
  /** Seconds since the process started. */
  readonly uptime: number;
  /** Seconds since the configuration was last applied. */
  readonly reload: number;
  readonly multiThreadingEnabled: boolean;
  /** Whether the DHCP sockets are open: Kea's `sockets.status`. */
  readonly sockets: 'ready' | 'retrying' | 'failed';
  readonly socketErrors?: readonly string[];
  /** Whether lease writes are failing (full disk, database down), since when, and the last outage. */
  readonly leaseStore?: LeaseStoreHealth;
  /** How each interface's packet socket reads; absent without packet sockets. */
  readonly receive?: readonly InterfaceReceive[];
}

/** One interface's receive path (status-get's `receive`; docs/transport.md, "Adaptive receive"). */
export interface InterfaceReceive {
  readonly interface: string;
  /** As opened: `adaptive` switches between the two paths by frame rate. */
  readonly mode: 'adaptive' | 'ring' | 'recvmmsg';
  /** How it reads now. */
  readonly path: 'ring' | 'recvmmsg';
  /** Switches between the paths since start. */
  readonly switches: number;
  /** Frames the kernel dropped because the ring or the queue was full, since start. */
  readonly kernelDrops: number;
  /** Whether relayed replies leave this interface as UDP GSO runs now (docs/transport.md); absent: not known. */
  readonly udpGso?: boolean;
}
