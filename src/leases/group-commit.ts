/** One queued write: what to do, and the caller's promise to settle once its batch is durable. */
export interface Queued<Op> {
  readonly op: Op;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

export interface GroupCommitOptions<Op> {
  /**
   * Commits one batch in one transaction and settles every entry of it, each only once the transaction is
   * durable. Returns a promise when the commit completes later (the batch stays in flight until it settles).
   */
  readonly commit: (batch: readonly Queued<Op>[]) => Promise<void> | void;
  /** At most this many writes in one batch; a queue that reaches it starts a batch at once. Default: no bound. */
  readonly maxBatch?: number;
  /** One batch in flight at a time: the next one collects meanwhile and starts when it is done. */
  readonly oneAtATime?: boolean;
  /**
   * With `oneAtATime`: while writes keep arriving, a batch starts no sooner than this long after the previous one
   * started, so one transaction (and one fsync) carries more of them. A write that finds nothing in flight goes
   * at the next turn of the event loop all the same.
   */
  readonly minIntervalMs?: number;
  /**
   * With `minIntervalMs`: the hold grows with the load, this many ms per write of the previous batch, up to
   * `minIntervalMs` (light load: a write waits about one commit, not the interval). Default: always the interval.
   */
  readonly holdPerWriteMs?: number;
  /**
   * With `oneAtATime`: however long the hold, a batch starts at most this long after the oldest write it carries
   * arrived (once the batch before it is done). Bounds what the hold adds to each write's wait. Default: no bound.
   */
  readonly maxWaitMs?: number;
  /**
   * Whether the process is saturated now (its CPU is the limit, not the disk), asked as each hold is set. While it
   * answers true the bound is `saturatedMaxWaitMs` instead of `maxWaitMs`: fewer, larger transactions cost less
   * CPU per write, which is then what the server runs short of. Default: never saturated.
   */
  readonly saturated?: () => boolean;
  /** With `saturated`: the bound while saturated (never below `maxWaitMs`). Default: `maxWaitMs`. */
  readonly saturatedMaxWaitMs?: number;
  /**
   * Writes nobody waits on (reclaiming expired leases): queued apart and added to a batch after every
   * waiting write, at most `backgroundPerBatch` of them a batch, so a write submitted while thousands of these
   * are queued commits in the next batch, not behind them. Default: none.
   */
  readonly isBackground?: (op: Op) => boolean;
  /** With `isBackground`: at most this many background writes in one batch (default 32). */
  readonly backgroundPerBatch?: number;
  /** The clock the hold is measured with, in ms (tests: a fake one). Default `performance.now`. */
  readonly now?: () => number;
  /** Runs `run` after `ms`; returns how to cancel it (tests: fake timers). Default `setTimeout`. */
  readonly after?: (run: () => void, ms: number) => () => void;
}

/** Background writes in one batch, unless told otherwise: small enough that the batch stays quick. */
export const DEFAULT_BACKGROUND_PER_BATCH = 32;

const realAfter = (run: () => void, ms: number): (() => void) => {
  const timer = setTimeout(run, ms);
  return () => clearTimeout(timer);
};

/** Writes of one lane in arrival order, and when the oldest of them arrived. */
class Lane<Op> {
  entries: Queued<Op>[] = [];
  oldestAt = Infinity;

  push(entry: Queued<Op>, now: number): void {
    if (this.entries.length === 0) this.oldestAt = now;
    this.entries.push(entry);
  }

  /** Takes the first `count` entries; what stays keeps the oldest arrival time (it is at least that old). */
  take(count: number): Queued<Op>[] {
    if (count >= this.entries.length) {
      const all = this.entries;
      this.entries = [];
      this.oldestAt = Infinity;
      return all;
    }
    return this.entries.splice(0, count);
  }
}

/**
 * Group commit, the one primitive behind every store's batched writes: writes submitted in one turn of the event
 * loop form one batch, committed at the next `setImmediate` in one transaction, so one durable sync covers them
 * all. The store's `commit` callback decides what a batch is and settles each write's promise after its commit.
 */
export class GroupCommit<Op> {
  readonly #commit: (batch: readonly Queued<Op>[]) => Promise<void> | void;
  readonly #maxBatch: number;
  readonly #oneAtATime: boolean;
  readonly #minIntervalMs: number;
  readonly #holdPerWriteMs: number;
  readonly #maxWaitMs: number;
  readonly #saturated: (() => boolean) | undefined;
  readonly #saturatedMaxWaitMs: number;
  readonly #isBackground: ((op: Op) => boolean) | undefined;
  readonly #backgroundPerBatch: number;
  readonly #now: () => number;
  readonly #after: (run: () => void, ms: number) => () => void;
  readonly #waiting = new Lane<Op>();
  readonly #background = new Lane<Op>();
  readonly #inFlight = new Set<readonly Queued<Op>[]>();
  #scheduled: NodeJS.Immediate | null = null;
  /** Cancels the hold: the next batch, held until `minIntervalMs` after the previous one started. */
  #held: (() => void) | null = null;
  #startedAt = -Infinity;
  #lastBatchSize = 0;
  #lastBatchWaitMs = 0;
  #draining = false;
  #failure: { readonly error: unknown } | null = null;
  #idle: (() => void)[] = [];

  constructor(options: GroupCommitOptions<Op>) {
    this.#commit = options.commit;
    this.#maxBatch = Math.max(1, options.maxBatch ?? Infinity);
    this.#oneAtATime = options.oneAtATime ?? false;
    this.#minIntervalMs = Math.max(0, options.minIntervalMs ?? 0);
    this.#holdPerWriteMs = Math.max(0, options.holdPerWriteMs ?? Infinity);
    this.#maxWaitMs = Math.max(0, options.maxWaitMs ?? Infinity);
    this.#saturated = options.saturated;
    this.#saturatedMaxWaitMs = Math.max(this.#maxWaitMs, options.saturatedMaxWaitMs ?? 0);
    this.#isBackground = options.isBackground;
    this.#backgroundPerBatch = Math.max(1, options.backgroundPerBatch ?? DEFAULT_BACKGROUND_PER_BATCH);
    this.#now = options.now ?? (() => performance.now());
    this.#after = options.after ?? realAfter;
  }

  /** Size of the last batch started (benchmarks and tests). */
  get lastBatchSize(): number {
    return this.#lastBatchSize;
  }

  /** How long the oldest (non-background, if any) write of the last batch waited before it started, ms. */
  get lastBatchWaitMs(): number {
    return this.#lastBatchWaitMs;
  }

  /** Resolves with the write's value once its batch is durable; rejects when it or its batch failed. */
  submit<T>(op: Op): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.#failure !== null) {
        reject(this.#failure.error);
        return;
      }
      const entry = { op, resolve: resolve as (value: unknown) => void, reject };
      const background = this.#isBackground?.(op) ?? false;
      (background ? this.#background : this.#waiting).push(entry, this.#now());
      if (this.#busy() || this.#held !== null) return;
      if (this.#waiting.entries.length >= this.#maxBatch) this.flush();
      else this.#scheduled ??= setImmediate(() => this.flush());
    });
  }

  /** Starts what is queued now (a synchronous `commit` has finished when this returns), bar a batch in flight. */
  flush(): void {
    if (this.#scheduled !== null) {
      clearImmediate(this.#scheduled);
      this.#scheduled = null;
    }
    if (this.#held !== null) {
      this.#held();
      this.#held = null;
    }
    while (this.#failure === null && this.#queued() > 0 && !this.#busy()) this.#start(this.#nextBatch());
    this.#wakeIfIdle();
  }

  /** Commits everything submitted so far, never waiting out `minIntervalMs`; resolves once none is in flight. */
  async drain(): Promise<void> {
    this.#draining = true;
    this.flush();
    while (this.#failure === null && (this.#queued() > 0 || this.#inFlight.size > 0)) {
      await new Promise<void>((resolve) => this.#idle.push(resolve));
    }
  }

  /** The storage is gone: rejects every write queued or in flight with `error`, and every later one. */
  fail(error: unknown): void {
    if (this.#failure !== null) return;
    this.#failure = { error };
    if (this.#scheduled !== null) clearImmediate(this.#scheduled);
    this.#held?.();
    this.#held = null;
    const pending = [
      ...[...this.#inFlight].flat(),
      ...this.#waiting.take(Infinity),
      ...this.#background.take(Infinity),
    ];
    this.#inFlight.clear();
    for (const entry of pending) entry.reject(error);
    this.#wake();
  }

  #queued(): number {
    return this.#waiting.entries.length + this.#background.entries.length;
  }

  /** Every waiting write (up to `maxBatch`), then background writes up to their share. */
  #nextBatch(): Queued<Op>[] {
    // The wait of the writes somebody waits on; background writes' only when the batch carries nothing else.
    const lane = this.#waiting.entries.length > 0 ? this.#waiting : this.#background;
    this.#lastBatchWaitMs = Math.max(0, this.#now() - lane.oldestAt);
    const batch = this.#waiting.take(this.#maxBatch);
    const room = Math.min(this.#maxBatch - batch.length, this.#backgroundPerBatch);
    if (room > 0 && this.#background.entries.length > 0) batch.push(...this.#background.take(room));
    return batch;
  }

  #busy(): boolean {
    return this.#oneAtATime && this.#inFlight.size > 0;
  }

  #start(batch: readonly Queued<Op>[]): void {
    this.#lastBatchSize = batch.length;
    this.#startedAt = this.#now();
    let running: Promise<void> | void;
    try {
      running = this.#commit(batch);
    } catch (error) {
      for (const entry of batch) entry.reject(error);
      return;
    }
    if (running === undefined) return;
    this.#inFlight.add(batch);
    const done = (): void => {
      if (!this.#inFlight.delete(batch)) return;
      this.#next();
    };
    running.then(done, (error: unknown) => {
      for (const entry of batch) entry.reject(error);
      done();
    });
  }

  /**
   * A batch finished: with one at a time, the next goes now, or once the hold has passed: `minIntervalMs` (or
   * `holdPerWriteMs` per write of the last batch) after the last one started, but never later than `maxWaitMs`
   * after its oldest write arrived (`saturatedMaxWaitMs` while `saturated`).
   */
  #next(): void {
    if (this.#oneAtATime && this.#queued() > 0 && this.#held === null) {
      const hold = Math.min(this.#minIntervalMs, this.#lastBatchSize * this.#holdPerWriteMs);
      const oldest = Math.min(this.#waiting.oldestAt, this.#background.oldestAt);
      const startAt = Math.min(this.#startedAt + hold, oldest + this.#waitBoundMs());
      const wait = startAt - this.#now();
      if (wait > 0 && !this.#draining) this.#held = this.#after(() => this.flush(), wait);
      else this.flush();
    }
    this.#wakeIfIdle();
  }

  /** What the hold may add to a write's wait now: the bound, or the longer one while saturated. */
  #waitBoundMs(): number {
    return this.#saturated?.() === true ? this.#saturatedMaxWaitMs : this.#maxWaitMs;
  }

  #wakeIfIdle(): void {
    if (this.#queued() === 0 && this.#inFlight.size === 0) this.#wake();
  }

  #wake(): void {
    const waiting = this.#idle;
    this.#idle = [];
    for (const resolve of waiting) resolve();
  }
}

/**
 * Settles a batch from the rows of one statement that name their write by its index in the batch: each write at
 * most once (the first row naming it), and each write no row named rejected with `missing()`, so no caller is
 * left waiting.
 */
export function settleByIndex<Op, Row>(
  batch: readonly Queued<Op>[],
  rows: readonly Row[],
  indexOf: (row: Row) => number,
  settle: (entry: Queued<Op>, row: Row) => void,
  missing: () => Error,
): void {
  const answered = new Set<number>();
  for (const row of rows) {
    const i = indexOf(row);
    const entry = batch[i];
    if (entry === undefined || answered.has(i)) continue;
    answered.add(i);
    settle(entry, row);
  }
  batch.forEach((entry, i) => {
    if (!answered.has(i)) entry.reject(missing());
  });
}
