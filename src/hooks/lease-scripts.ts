/** Wires `libdhcp_run_script.so` to the runtime: the configured script, following configuration changes. */
import type { Logger } from 'pino';
import type { RunScriptSettings } from '../config/hooks.ts';
import type { Lease } from '../leases/lease.ts';
import type { LeaseEvent } from '../server/types.ts';
import { eventEnv, expireEnv } from './run-script-env.ts';
import { ScriptRunner, type ScriptRunnerOptions } from './run-script.ts';

export class LeaseScripts {
  readonly #logger: Logger;
  readonly #options: Omit<ScriptRunnerOptions, 'script' | 'logger'>;
  #runner: ScriptRunner | undefined;

  constructor(logger: Logger, options: Omit<ScriptRunnerOptions, 'script' | 'logger'> = {}) {
    this.#logger = logger;
    this.#options = options;
  }

  /** The script of the configuration in force (none: events are ignored). */
  configure(settings: RunScriptSettings | undefined): void {
    if (this.#runner?.script === settings?.name) return;
    this.#runner?.stop();
    this.#runner =
      settings === undefined
        ? undefined
        : new ScriptRunner({ ...this.#options, script: settings.name, logger: this.#logger });
    if (settings !== undefined)
      this.#logger.info({ script: settings.name }, `run_script: ${settings.name} on lease events`);
  }

  get active(): boolean {
    return this.#runner !== undefined;
  }

  leaseEvent(e: LeaseEvent): void {
    this.#runner?.run(e.hook, eventEnv(e));
  }

  leaseExpired(lease: Lease, removed: boolean): void {
    this.#runner?.run('lease4_expire', expireEnv(lease, removed));
  }

  idle(): Promise<void> {
    return this.#runner?.idle() ?? Promise.resolve();
  }

  stop(): void {
    this.#runner?.stop();
    this.#runner = undefined;
  }
}
