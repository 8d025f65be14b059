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
  #queue: Queued<Op>[] = [];
  readonly #inFlight = new Set<readonly Queued<Op>[]>();
  #scheduled: NodeJS.Immediate | null = null;
  /** The next batch, held until `minIntervalMs` after the previous one started. */
  #held: NodeJS.Timeout | null = null;
  #startedAt = -Infinity;
  #lastBatchSize = 0;
  #draining = false;
  #failure: { readonly error: unknown } | null = null;
  #idle: (() => void)[] = [];

  constructor(options: GroupCommitOptions<Op>) {
    this.#commit = options.commit;
    this.#maxBatch = Math.max(1, options.maxBatch ?? Infinity);
    this.#oneAtATime = options.oneAtATime ?? false;
    this.#minIntervalMs = Math.max(0, options.minIntervalMs ?? 0);
    this.#holdPerWriteMs = Math.max(0, options.holdPerWriteMs ?? Infinity);
  }

  /** Size of the last batch started (benchmarks and tests). */
  get lastBatchSize(): number {
    return this.#lastBatchSize;
  }

  /** Resolves with the write's value once its batch is durable; rejects when it or its batch failed. */
  submit<T>(op: Op): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.#failure !== null) {
        reject(this.#failure.error);
        return;
      }
      this.#queue.push({ op, resolve: resolve as (value: unknown) => void, reject });
      if (this.#busy() || this.#held !== null) return;
      if (this.#queue.length >= this.#maxBatch) this.flush();
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
      clearTimeout(this.#held);
      this.#held = null;
    }
    while (this.#failure === null && this.#queue.length > 0 && !this.#busy()) {
      const batch = this.#queue.length <= this.#maxBatch ? this.#queue : this.#queue.slice(0, this.#maxBatch);
      this.#queue = batch === this.#queue ? [] : this.#queue.slice(this.#maxBatch);
      this.#start(batch);
    }
    this.#wakeIfIdle();
  }

  /** Commits everything submitted so far, never waiting out `minIntervalMs`; resolves once none is in flight. */
  async drain(): Promise<void> {
    this.#draining = true;
    this.flush();
    while (this.#failure === null && (this.#queue.length > 0 || this.#inFlight.size > 0)) {
      await new Promise<void>((resolve) => this.#idle.push(resolve));
    }
  }

  /** The storage is gone: rejects every write queued or in flight with `error`, and every later one. */
  fail(error: unknown): void {
    if (this.#failure !== null) return;
    this.#failure = { error };
    if (this.#scheduled !== null) clearImmediate(this.#scheduled);
    if (this.#held !== null) clearTimeout(this.#held);
    const pending = [...[...this.#inFlight].flat(), ...this.#queue];
    this.#inFlight.clear();
    this.#queue = [];
    for (const entry of pending) entry.reject(error);
    this.#wake();
  }

  #busy(): boolean {
    return this.#oneAtATime && this.#inFlight.size > 0;
  }

  #start(batch: readonly Queued<Op>[]): void {
    this.#lastBatchSize = batch.length;
    this.#startedAt = performance.now();
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

  /** A batch finished: with one at a time, the next goes now, or once `minIntervalMs` has passed. */
  #next(): void {
    if (this.#oneAtATime && this.#queue.length > 0 && this.#held === null) {
      const hold = Math.min(this.#minIntervalMs, this.#lastBatchSize * this.#holdPerWriteMs);
      const wait = this.#startedAt + hold - performance.now();
      if (wait > 0 && !this.#draining) this.#held = setTimeout(() => this.flush(), wait);
      else this.flush();
    }
    this.#wakeIfIdle();
  }

  #wakeIfIdle(): void {
    if (this.#queue.length === 0 && this.#inFlight.size === 0) this.#wake();
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
