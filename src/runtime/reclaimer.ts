import type { Logger } from 'pino';
import type { Lease, LeaseStore } from '../leases/index.ts';
import type { LeaseWrite } from '../server/index.ts';
import type { DhcpServerEngine } from '../server/index.ts';
import type { StoreHealthMonitor } from './store-health.ts';

/** Runs of the expiry timer are at least this far apart, however soon the next deadline is. */
export const MIN_RECLAIM_GAP_MS = 1000;
/**
 * Leases reclaimed between two returns to the event loop. The engine's part of a slice is synchronous, so the
 * slice bounds how long a DORA can wait behind a reclaim; the slice's store writes go out together. The SQLite
 * writer queues them behind the writes clients wait on and commits at most 32 of them a transaction
 * (`GroupCommitOptions.isBackground`), so an ACK's write never waits behind a slice.
 */
export const RECLAIM_SLICE = 64;

/** Reclaimed leases removed between two returns to the event loop when the flush timer runs. */
export const FLUSH_SLICE = 256;

/** A timer the reclaimer arms; tests drive them in virtual time. */
export interface ReclaimerTimer {
  cancel(): void;
}
export type ArmTimer = (run: () => void, ms: number) => ReclaimerTimer;

/** `setTimeout`, unref'd: a pending expiry or flush never keeps the process alive. */
const realTimer: ArmTimer = (run, ms) => {
  const handle = setTimeout(run, ms);
  handle.unref();
  return { cancel: () => clearTimeout(handle) };
};

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
 *
 * Reclaimed leases stay (state `expired-reclaimed`, so a returning client gets its address back) until the
 * flush timer, every `flush-reclaimed-timer-wait-time` seconds, removes those that expired more than
 * `hold-reclaimed-time` seconds ago, in slices of FLUSH_SLICE. With `flush-reclaimed-timer-wait-time` 0 the
 * expiry timer removes leases instead of keeping them, as Kea's does.
 */
export class Reclaimer {
  readonly #engine: DhcpServerEngine;
  readonly #store: LeaseStore;
  readonly #clock: () => number;
  readonly #logger: Logger;
  readonly #health: StoreHealthMonitor | undefined;
  readonly #onReclaimed: ((lease: Lease, removed: boolean) => void) | undefined;
  readonly #yield: () => Promise<void>;
  readonly #arm: ArmTimer;
  #timer: ReclaimerTimer | undefined;
  #flushTimer: ReclaimerTimer | undefined;
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
    /** How the expiry and flush timers are armed; default an unref'd `setTimeout`. */
    armTimer?: ArmTimer;
  }) {
    this.#engine = o.engine;
    this.#store = o.store;
    this.#clock = o.clock;
    this.#logger = o.logger;
    this.#health = o.storeHealth;
    this.#onReclaimed = o.onReclaimed;
    this.#yield = o.yieldToEventLoop ?? (() => new Promise<void>((resolve) => setImmediate(resolve)));
    this.#arm = o.armTimer ?? realTimer;
  }

  touch(): void {
    if (this.#stopped) return;
    this.#armFlush();
    const deadline = this.#engine.nextDeadline();
    if (deadline === null) return;
    const at = Math.max(deadline, this.#lastRun + MIN_RECLAIM_GAP_MS);
    if (at >= this.#armedFor) return;
    this.#timer?.cancel();
    this.#armedFor = at;
    // Timers are capped at 2^31-1 ms; a later deadline is re-armed when this one fires.
    const delay = Math.min(Math.max(0, at - this.#clock()), 0x7fffffff);
    this.#timer = this.#arm(() => {
      this.#armedFor = Infinity;
      void this.#serialized(() => this.#timerRun());
    }, delay);
  }

  /** Arms the flush timer when it is enabled and not armed (the configuration may have changed since). */
  #armFlush(): void {
    if (this.#stopped || this.#flushTimer !== undefined) return;
    const wait = this.#engine.currentConfig.expiredLeasesProcessing.flushReclaimedTimerWaitTime;
    if (wait <= 0) return;
    this.#flushTimer = this.#arm(() => {
      void this.#serialized(() => this.#flush())
        .catch((err: unknown) => this.#logger.error({ err }, 'removing reclaimed leases failed'))
        .finally(() => {
          this.#flushTimer = undefined;
          this.#armFlush();
        });
    }, wait * 1000);
  }

  /**
   * Removes the reclaimed leases that expired more than `hold-reclaimed-time` ago (Kea's
   * `deleteExpiredReclaimedLeases4`), in slices; resolves with how many. The store announces each removal,
   * so the engine's index follows.
   */
  async #flush(): Promise<number> {
    const p = this.#engine.currentConfig.expiredLeasesProcessing;
    const expiredBefore = this.#clock() - p.holdReclaimedTime * 1000;
    let removed = 0;
    for (;;) {
      let slice: number;
      try {
        slice = (await this.#store.removeReclaimed(expiredBefore, FLUSH_SLICE)).length;
        this.#health?.succeeded();
      } catch (err) {
        if (this.#health === undefined) this.#logger.error({ err }, 'removing reclaimed leases failed');
        else this.#health.failed(err);
        break;
      }
      removed += slice;
      if (slice < FLUSH_SLICE || this.#stopped) break;
      await this.#yield();
    }
    if (removed > 0)
      this.#logger.info(
        { removed, holdReclaimedTime: p.holdReclaimedTime },
        `${removed} reclaimed leases removed, expired over ${p.holdReclaimedTime} s ago`,
      );
    return removed;
  }

  /** Reclaims everything due now (Kea `leases-reclaim`: no per-run bound); runs are serialized. */
  run(remove: boolean): Promise<void> {
    return this.#serialized(async () => {
      await this.#once(remove, UNBOUNDED);
    });
  }

  #serialized<T>(body: () => Promise<T>): Promise<T> {
    const next = this.#running.then(body);
    this.#running = next.then(
      () => undefined,
      () => undefined,
    );
    return next;
  }

  async #timerRun(): Promise<void> {
    const p = this.#engine.currentConfig.expiredLeasesProcessing;
    const bounds = {
      leases: p.maxReclaimLeases > 0 ? p.maxReclaimLeases : Infinity,
      ms: p.maxReclaimTime > 0 ? p.maxReclaimTime : Infinity,
    };
    // Kea: with the flush timer off, the expiry timer removes leases rather than keeping them reclaimed.
    const stillDue = await this.#once(p.flushReclaimedTimerWaitTime === 0, bounds);
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

  /** A slice's store writes, all submitted before any is awaited, so the store batches them. */
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
    this.#timer?.cancel();
    this.#flushTimer?.cancel();
  }

  /** Resolves when no run is in progress. */
  idle(): Promise<void> {
    return this.#running;
  }
}
