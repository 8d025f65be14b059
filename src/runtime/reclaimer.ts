import type { Logger } from 'pino';
import type { Lease } from '../leases/lease.ts';
import type { LeaseStore } from '../leases/store.ts';
import type { DhcpServerEngine } from '../server/engine.ts';
import type { StoreHealthMonitor } from './store-health.ts';

/** Runs of the expiry timer are at least this far apart, however soon the next deadline is. */
export const MIN_RECLAIM_GAP_MS = 1000;

/**
 * The expiry timer: runs `engine.reclaim` at `engine.nextDeadline()` (at most once per
 * MIN_RECLAIM_GAP_MS) and makes its writes durable. `touch()` after anything that may move the deadline.
 */
export class Reclaimer {
  readonly #engine: DhcpServerEngine;
  readonly #store: LeaseStore;
  readonly #clock: () => number;
  readonly #logger: Logger;
  readonly #health: StoreHealthMonitor | undefined;
  readonly #onReclaimed: ((lease: Lease, removed: boolean) => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #armedFor = Infinity;
  #lastRun = -Infinity;
  #running: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(o: {
    engine: DhcpServerEngine;
    store: LeaseStore;
    clock: () => number;
    logger: Logger;
    /** Store failures go there (logged once per interval) instead of one line per lease. */
    storeHealth?: StoreHealthMonitor;
    /** Each lease the store reclaimed, as it was before (Kea's `lease4_expire`). */
    onReclaimed?: (lease: Lease, removed: boolean) => void;
  }) {
    this.#engine = o.engine;
    this.#store = o.store;
    this.#clock = o.clock;
    this.#logger = o.logger;
    this.#health = o.storeHealth;
    this.#onReclaimed = o.onReclaimed;
  }

  touch(): void {
    if (this.#stopped) return;
    const deadline = this.#engine.nextDeadline();
    if (deadline === null) return;
    const at = Math.max(deadline, this.#lastRun + MIN_RECLAIM_GAP_MS);
    if (at >= this.#armedFor) return;
    clearTimeout(this.#timer);
    this.#armedFor = at;
    // Timers are capped at 2^31-1 ms; a later deadline is re-armed when this one fires.
    const delay = Math.min(Math.max(0, at - this.#clock()), 0x7fffffff);
    this.#timer = setTimeout(() => {
      this.#armedFor = Infinity;
      void this.run(false);
    }, delay);
    this.#timer.unref();
  }

  /** Reclaims what is due now (Kea `leases-reclaim`); runs are serialized. */
  run(remove: boolean): Promise<void> {
    const next = this.#running.then(() => this.#once(remove));
    this.#running = next.catch(() => undefined);
    return next;
  }

  async #once(remove: boolean): Promise<void> {
    const now = this.#clock();
    this.#lastRun = now;
    // Kea's max-reclaim-leases bounds one run; what is left is due again MIN_RECLAIM_GAP_MS later.
    const max = this.#engine.currentConfig.expiredLeasesProcessing.maxReclaimLeases;
    const writes = this.#engine.reclaim(now, max > 0 ? { remove, limit: max } : { remove });
    for (const w of writes) {
      if (w.op !== 'reclaim') continue;
      try {
        const reclaimed = await this.#store.reclaim(w.address, { remove: w.remove, now });
        this.#health?.succeeded();
        if (reclaimed !== null) this.#onReclaimed?.(reclaimed, w.remove);
        if (reclaimed === null) {
          // The store declined: another server renewed the lease meanwhile. The engine already freed the
          // address in its index, so tell it what the store holds (docs/server.md, reclaimDue).
          const current = await this.#store.get(w.address);
          if (current) this.#engine.applyLeaseChange({ kind: 'updated', lease: current });
        }
      } catch (err) {
        if (this.#health === undefined)
          this.#logger.error({ err, address: w.address }, 'reclaiming a lease failed');
        else this.#health.failed(err);
      }
    }
    if (writes.length > 0)
      this.#logger.info({ reclaimed: writes.length }, `${writes.length} expired leases reclaimed`);
    this.touch();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  /** Resolves when no run is in progress. */
  idle(): Promise<void> {
    return this.#running;
  }
}
