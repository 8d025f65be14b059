import type { Logger } from 'pino';
import type { Lease, LeaseStore } from '../leases/index.ts';
import type { LeaseWrite } from '../server/index.ts';
import type { DhcpServerEngine } from '../server/index.ts';
import type { StoreHealthMonitor } from './store-health.ts';

/** Runs of the expiry timer are at least this far apart, however soon the next deadline is. */
export const MIN_RECLAIM_GAP_MS = 1000;
/**
 * Leases reclaimed between two returns to the event loop. The engine's part of a slice is synchronous, so the
 * slice bounds how long a DORA can wait behind a reclaim; the slice's store writes go out together, so the
 * SQLite writer commits them as one transaction.
 */
export const RECLAIM_SLICE = 64;

/** Where a run stops: Kea's `max-reclaim-leases` and `max-reclaim-time` (0 or Infinity: no bound). */
interface RunBounds {
  readonly leases: number;
  readonly ms: number;
}

const UNBOUNDED: RunBounds = { leases: Infinity, ms: Infinity };

/**
 * The expiry timer: runs `engine.reclaim` at `engine.nextDeadline()` (at most once per MIN_RECLAIM_GAP_MS)
 * and makes its writes durable. `touch()` after anything that may move the deadline.
 *
 * A run works in slices of RECLAIM_SLICE leases and yields to the event loop between them, so a backlog of
 * 100,000 expired leases never holds up the exchanges being served. A timer run stops at Kea's
 * `max-reclaim-leases` or `max-reclaim-time`, whichever comes first (what is left is due again
 * MIN_RECLAIM_GAP_MS later); `run()` (the `leases-reclaim` command) reclaims everything due, as Kea's does.
 */
export class Reclaimer {
  readonly #engine: DhcpServerEngine;
  readonly #store: LeaseStore;
  readonly #clock: () => number;
  readonly #logger: Logger;
  readonly #health: StoreHealthMonitor | undefined;
  readonly #onReclaimed: ((lease: Lease, removed: boolean) => void) | undefined;
  readonly #yield: () => Promise<void>;
  #timer: NodeJS.Timeout | undefined;
  #armedFor = Infinity;
  #lastRun = -Infinity;
  #running: Promise<void> = Promise.resolve();
  #stopped = false;
  /** Timer runs in a row that stopped at a bound with leases still due (Kea's `unwarned-reclaim-cycles`). */
  #cutShort = 0;

  constructor(o: {
    engine: DhcpServerEngine;
    store: LeaseStore;
    clock: () => number;
    logger: Logger;
    /** Store failures go there (logged once per interval) instead of one line per lease. */
    storeHealth?: StoreHealthMonitor;
    /** Each lease the store reclaimed, as it was before (Kea's `lease4_expire`). */
    onReclaimed?: (lease: Lease, removed: boolean) => void;
    /** How a run gives the event loop back between slices (tests observe it); default `setImmediate`. */
    yieldToEventLoop?: () => Promise<void>;
  }) {
    this.#engine = o.engine;
    this.#store = o.store;
    this.#clock = o.clock;
    this.#logger = o.logger;
    this.#health = o.storeHealth;
    this.#onReclaimed = o.onReclaimed;
    this.#yield = o.yieldToEventLoop ?? (() => new Promise<void>((resolve) => setImmediate(resolve)));
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
      void this.#serialized(() => this.#timerRun());
    }, delay);
    this.#timer.unref();
  }

  /** Reclaims everything due now (Kea `leases-reclaim`: no per-run bound); runs are serialized. */
  run(remove: boolean): Promise<void> {
    return this.#serialized(async () => {
      await this.#once(remove, UNBOUNDED);
    });
  }

  #serialized(body: () => Promise<void>): Promise<void> {
    const next = this.#running.then(body);
    this.#running = next.catch(() => undefined);
    return next;
  }

  async #timerRun(): Promise<void> {
    const p = this.#engine.currentConfig.expiredLeasesProcessing;
    const bounds = {
      leases: p.maxReclaimLeases > 0 ? p.maxReclaimLeases : Infinity,
      ms: p.maxReclaimTime > 0 ? p.maxReclaimTime : Infinity,
    };
    const stillDue = await this.#once(false, bounds);
    this.#cutShort = stillDue ? this.#cutShort + 1 : 0;
    if (p.unwarnedReclaimCycles > 0 && this.#cutShort >= p.unwarnedReclaimCycles) {
      this.#logger.warn(
        { cycles: this.#cutShort, maxReclaimLeases: p.maxReclaimLeases, maxReclaimTime: p.maxReclaimTime },
        `expired leases still due after ${this.#cutShort} reclamation runs: max-reclaim-leases or max-reclaim-time may be too low`,
      );
      this.#cutShort = 0;
    }
  }

  /** One run, in slices; resolves true if it stopped at a bound with leases still due. */
  async #once(remove: boolean, bounds: RunBounds): Promise<boolean> {
    const started = this.#clock();
    this.#lastRun = started;
    let reclaimed = 0;
    let stillDue = false;
    for (;;) {
      const now = this.#clock();
      const limit = Math.min(RECLAIM_SLICE, bounds.leases - reclaimed);
      const writes = this.#engine.reclaim(now, { remove, limit });
      reclaimed += writes.length;
      await this.#persist(writes, now);
      if (writes.length < limit || this.#stopped) break;
      const due = this.#engine.nextDeadline();
      if (due === null || due > this.#clock()) break;
      stillDue = true;
      if (reclaimed >= bounds.leases) break;
      await this.#yield();
      if (this.#clock() - started >= bounds.ms) break;
      stillDue = false;
    }
    if (reclaimed > 0) this.#logger.info({ reclaimed }, `${reclaimed} expired leases reclaimed`);
    this.touch();
    return stillDue;
  }

  /** A slice's store writes, all submitted before any is awaited: one group commit for the slice. */
  async #persist(writes: readonly LeaseWrite[], now: number): Promise<void> {
    await Promise.all(
      writes.map(async (w) => {
        if (w.op !== 'reclaim') return;
        try {
          const reclaimed = await this.#store.reclaim(w.address, { remove: w.remove, now });
          this.#health?.succeeded();
          if (reclaimed !== null) this.#onReclaimed?.(reclaimed, w.remove);
          else {
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
      }),
    );
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
