/**
 * Repeated events logged once per interval with a count, instead of one line each (a slowloris run or a
 * password guesser would otherwise write tens of thousands of lines). The first event of a quiet period is
 * reported at once (count 1); the ones that follow within `intervalMs` are counted and reported together
 * when the interval ends, with the detail of the last one.
 */
export interface RateLimitedLogOptions<Detail> {
  /** Default 5000 ms, as the overload warning. */
  readonly intervalMs?: number;
  /** Writes one line: `count` events since the previous line, `detail` of the last of them. */
  readonly emit: (count: number, detail: Detail) => void;
}

export const DEFAULT_LOG_INTERVAL_MS = 5000;

export class RateLimitedLog<Detail> {
  readonly #intervalMs: number;
  readonly #emit: (count: number, detail: Detail) => void;
  #pending = 0;
  #last: Detail | undefined;
  #timer: NodeJS.Timeout | undefined;
  #total = 0;

  constructor(options: RateLimitedLogOptions<Detail>) {
    this.#intervalMs = options.intervalMs ?? DEFAULT_LOG_INTERVAL_MS;
    this.#emit = options.emit;
  }

  /** Every event counted since this object was made. */
  get total(): number {
    return this.#total;
  }

  hit(detail: Detail): void {
    this.#total++;
    if (this.#timer === undefined) {
      this.#emit(1, detail);
      this.#arm();
      return;
    }
    this.#pending++;
    this.#last = detail;
  }

  /** Reports what is pending now and stops the timer (on close). */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#report();
  }

  #arm(): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#report()) this.#arm();
    }, this.#intervalMs);
    this.#timer.unref();
  }

  #report(): boolean {
    if (this.#pending === 0 || this.#last === undefined) return false;
    const [count, detail] = [this.#pending, this.#last];
    this.#pending = 0;
    this.#last = undefined;
    this.#emit(count, detail);
    return true;
  }
}
