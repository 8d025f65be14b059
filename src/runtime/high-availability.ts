import type { Logger } from 'pino';
import type { HaConfig } from '../config/high-availability.ts';
import { parseLease } from '../control/commands/lease-input.ts';
import { CommandRegistry } from '../control/registry.ts';
import type { ControlTarget } from '../control/target.ts';
import { HaService } from '../ha/service.ts';
import type { PeerSender } from '../ha/partner-client.ts';
import type { LeaseStore } from '../leases/store.ts';
import type { DhcpMessage } from '../protocol/index.ts';
import type { ArrivalMeta, LeaseWrite } from '../server/types.ts';

export interface HaWiring {
  readonly service: HaService;
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
    admit: (msg, meta) => {
      const d = service.scope(msg);
      if (!d.serve) return null;
      return { ...meta, classes: meta.classes === undefined ? d.classes : [...meta.classes, ...d.classes] };
    },
    afterCommit: (writes) => service.replicate(writes),
  };
}
