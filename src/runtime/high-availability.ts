import type { Logger } from 'pino';
import type { HaConfig } from '../config/high-availability.ts';
import { parseLease } from '../control/commands/lease-input.ts';
import { CommandRegistry } from '../control/registry.ts';
import { failure } from '../control/answer.ts';
import type { ControlTarget, HaControl } from '../control/target.ts';
import { ActiveActive } from '../ha/active-active.ts';
import { PostgresLeaseStore } from '../leases/postgres.ts';
import { RuntimeError } from './errors.ts';
import { HaService } from '../ha/service.ts';
import type { PeerSender } from '../ha/partner-client.ts';
import type { LeaseStore } from '../leases/store.ts';
import type { DhcpMessage } from '../protocol/index.ts';
import type { ArrivalMeta, LeaseWrite } from '../server/types.ts';

export interface HaWiring {
  readonly service: HaService;
  /** The `ha-*` commands and status-get's HA section. */
  readonly control: HaControl;
  /** The pipeline's `admit`: drop what another server answers, tag the rest with its scope class. */
  admit(msg: DhcpMessage, meta: ArrivalMeta): ArrivalMeta | null;
  /** The pipeline's `afterCommit`: lease updates to the peers before the reply. */
  afterCommit(writes: readonly LeaseWrite[]): Promise<boolean> | null;
}

/** Builds the HA service of `libdhcp_ha.so`'s configuration; `target()` is read lazily (it exists later). */
export function wireHighAvailability(options: {
  readonly config: HaConfig;
  readonly store: LeaseStore;
  readonly target: () => ControlTarget;
  readonly logger: Logger;
  readonly clock: () => number;
  readonly send?: PeerSender;
}): HaWiring {
  const scratch = new CommandRegistry();
  const service = new HaService({
    config: options.config,
    store: options.store,
    logger: options.logger,
    clock: options.clock,
    ...(options.send === undefined ? {} : { send: options.send }),
    parseLease: (json) =>
      parseLease(json, {
        target: options.target(),
        registry: scratch,
        via: 'internal',
        agent: false,
        now: options.clock,
      }),
  });
  return {
    service,
    control: service,
    admit: (msg, meta) => {
      const d = service.scope(msg);
      if (!d.serve) return null;
      return { ...meta, classes: meta.classes === undefined ? d.classes : [...meta.classes, ...d.classes] };
    },
    afterCommit: (writes) => service.replicate(writes),
  };
}

export interface ActiveActiveWiring {
  readonly service: ActiveActive;
  readonly control: HaControl;
  admit(msg: DhcpMessage, meta: ArrivalMeta): ArrivalMeta | null;
  beforeOffer: ActiveActive['claimOffer'];
}

/** Active-active HA over the PostgreSQL lease store (its coordination tables are created if missing). */
export async function wireActiveActive(options: {
  readonly config: HaConfig;
  readonly store: LeaseStore;
  readonly subnetOf: (address: string) => number | undefined;
  /** Where the engine starts allocating in each pool (the servers' ranks spread them apart). */
  readonly seekAllocation: (fraction: number) => void;
  readonly logger: Logger;
  readonly clock: () => number;
}): Promise<ActiveActiveWiring> {
  if (!(options.store instanceof PostgresLeaseStore)) {
    throw new RuntimeError(
      'ERR_SERVER_LEASE_DATABASE',
      `active-active needs the postgresql lease-database, not ${options.store.backend}`,
    );
  }
  const coordination = options.store.coordination();
  await coordination.ensure();
  const service = new ActiveActive({
    config: options.config,
    coordination,
    logger: options.logger,
    clock: options.clock,
    subnetOf: options.subnetOf,
    onSplit: options.seekAllocation,
  });
  const notHere = (name: string) => () =>
    failure(`'${name}' is a command of Kea's HA modes; this server runs active-active`);
  const control: HaControl = {
    heartbeat: notHere('ha-heartbeat'),
    reset: notHere('ha-reset'),
    setScopes: notHere('ha-scopes'),
    continue: notHere('ha-continue'),
    maintenanceNotify: notHere('ha-maintenance-notify'),
    maintenanceStart: async () => notHere('ha-maintenance-start')(),
    maintenanceCancel: async () => notHere('ha-maintenance-cancel')(),
    sync: async () => notHere('ha-sync')(),
    syncCompleteNotify: notHere('ha-sync-complete-notify'),
    disableByPartner: () => undefined,
    enableByPartner: () => undefined,
    status: () => service.status(),
  };
  return {
    service,
    control,
    admit: (msg, meta) => (service.scope(msg).serve ? meta : null),
    beforeOffer: (offer) => service.claimOffer(offer),
  };
}
