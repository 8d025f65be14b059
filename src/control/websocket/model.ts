import { parseConfig } from '../../config/index.ts';
import type { CompiledConfig } from '../../config/index.ts';
import type { Lease, LeaseStore } from '../../leases/index.ts';
import type { JsonObject } from '../json.ts';
import type { ControlTarget } from '../target.ts';
import { toClientJson } from './clients.ts';
import { indexBatches, storeBatches, type IndexedLeases, type Step } from './lease-batches.ts';
import { applyOptions, fieldErrorsOfConfig } from './options-apply.ts';
import { readOptions, serverIdentifier, type ServerAddress } from './options-read.ts';
import { validateOptions } from './options-validate.ts';
import {
  OPTIONS_FAILED_VALIDATION,
  OPTIONS_SET,
  STOP_DHCP_SERVER_FIRST,
  type ClientJson,
  type FieldError,
  type OptionsJson,
  type OptionsOutcome,
} from './protocol.ts';

export interface ModelParts {
  readonly target: ControlTarget;
  readonly store: Pick<LeaseStore, 'getAll' | 'getPage' | 'backend'>;
  /** The engine's index when it holds every lease of the store: the list is read from it, not the store. */
  readonly index?: IndexedLeases;
  readonly serverAddresses: () => readonly ServerAddress[];
  readonly clock: () => number;
}

export interface SetOutcome {
  readonly body: OptionsOutcome;
  readonly errors?: readonly FieldError[];
}

/**
 * The seed's view of a running server, computed from the ControlTarget (the same object the Kea commands
 * use, so the two APIs never disagree) and the lease store.
 */
export class ApiModel {
  readonly #p: ModelParts;
  #configText: string | undefined;
  #config: CompiledConfig | undefined;
  /** Mutations (start, stop, options) run one at a time, whichever socket sent them. */
  #mutations: Promise<unknown> = Promise.resolve();

  constructor(parts: ModelParts) {
    this.#p = parts;
  }

  running(): boolean {
    return this.#p.target.dhcp.enabled();
  }

  /** The running configuration, compiled; recompiled only when its JSON changed. */
  async #compiled(): Promise<{ json: JsonObject; config: CompiledConfig | undefined }> {
    const json = await this.#p.target.config.get();
    const text = JSON.stringify(json);
    if (text !== this.#configText) {
      const r = parseConfig(json);
      this.#config = r.ok ? r.config : undefined;
      this.#configText = text;
    }
    return { json, config: this.#config };
  }

  async options(): Promise<OptionsJson> {
    const { config } = await this.#compiled();
    return config === undefined ? EMPTY_OPTIONS : readOptions(config, this.#p.serverAddresses());
  }

  /** The leases in address order, `size` at a time, from the index when there is one, else the store. */
  leaseBatches(size: number, step: Step): AsyncIterable<Lease[]> {
    const index = this.#p.index;
    return index === undefined ? storeBatches(this.#p.store, size) : indexBatches(index, size, step);
  }

  /** Renders a lease as a `clients` entry with the configuration and the time of this call. */
  async renderer(): Promise<(lease: Lease) => ClientJson> {
    const { config } = await this.#compiled();
    const now = this.#p.clock();
    const addresses = this.#p.serverAddresses();
    const servers = new Map<number, string>();
    const serverOf = (subnetId: number): string => {
      let s = servers.get(subnetId);
      if (s === undefined) {
        s =
          config === undefined
            ? (addresses[0]?.address ?? '')
            : serverIdentifier(
                config,
                config.subnets.find((x) => x.id === subnetId),
                addresses,
              );
        servers.set(subnetId, s);
      }
      return s;
    };
    return (lease) => toClientJson(lease, now, serverOf(lease.subnetId));
  }

  start(): Promise<void> {
    return this.#mutate(() => this.#p.target.dhcp.enable());
  }

  stop(): Promise<void> {
    return this.#mutate(() => this.#p.target.dhcp.disable(undefined));
  }

  /** The seed's `options` (set): refused while serving, validated field by field, applied through config.set. */
  setOptions(body: unknown): Promise<SetOutcome> {
    return this.#mutate(async (): Promise<SetOutcome> => {
      if (this.running()) return { body: STOP_DHCP_SERVER_FIRST };
      const v = validateOptions(body);
      if (!v.ok) return { body: OPTIONS_FAILED_VALIDATION, errors: v.errors };
      const { json } = await this.#compiled();
      const outcome = await this.#p.target.config.set(applyOptions(json, v.input, v.prefixLength));
      if (!outcome.ok) return { body: OPTIONS_FAILED_VALIDATION, errors: fieldErrorsOfConfig(outcome.error) };
      return { body: OPTIONS_SET };
    });
  }

  #mutate<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#mutations.then(work, work);
    this.#mutations = run.catch(() => undefined);
    return run;
  }
}

/** What `getOptions` answers when the configuration cannot be read (it always can in a running server). */
const EMPTY_OPTIONS: OptionsJson = {
  range: [],
  netmask: '',
  router: [],
  dns: [],
  server: '',
  leaseTime: 0,
  renewalTime: 0,
  rebindingTime: 0,
  hostname: '',
  domainName: '',
};
