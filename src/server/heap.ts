/** What the heap needs of a Map from key to live deadline. */
export interface DeadlineMap<K> {
  readonly size: number;
  get(key: K): number | undefined;
  set(key: K, deadline: number): unknown;
  delete(key: K): unknown;
  clear(): void;
}

/**
 * A min-heap of deadlines by key (a string or a number), with lazy deletion: `set` replaces a key's deadline (the old
 * entry becomes stale and is skipped when it surfaces), `delete` forgets it. O(log n) per change.
 */
export class DeadlineHeap<K = string> {
  private readonly at: number[] = [];
  private readonly keys: K[] = [];
  private readonly current: DeadlineMap<K>;

  /** `current` holds each key's live deadline: a Map unless the keys want a cheaper one. */
  constructor(current: DeadlineMap<K> = new Map<K, number>()) {
    this.current = current;
  }

  get size(): number {
    return this.current.size;
  }

  set(key: K, deadline: number): void {
    if (this.current.get(key) === deadline) return;
    this.current.set(key, deadline);
    this.pushKnown(key, deadline);
  }

  /**
   * `set` for a key whose deadline the caller has just stored in `current` itself (the start-up load, which
   * writes the lease and its deadline at once): only the heap entry is added.
   */
  pushKnown(key: K, deadline: number): void {
    this.at.push(deadline);
    this.keys.push(key);
    this.up(this.at.length - 1);
  }

  delete(key: K): void {
    this.current.delete(key);
  }

  clear(): void {
    this.at.length = 0;
    this.keys.length = 0;
    this.current.clear();
  }

  /** The earliest live deadline, or undefined. */
  peek(): { key: K; deadline: number } | undefined {
    this.dropStale();
    const key = this.keys[0];
    const deadline = this.at[0];
    return key === undefined || deadline === undefined ? undefined : { key, deadline };
  }

  /** Removes and returns the live keys whose deadline is at or before `now` (at most `max`), earliest first. */
  popDue(now: number, max = Infinity): K[] {
    const out: K[] = [];
    for (let top = this.peek(); top && top.deadline <= now && out.length < max; top = this.peek()) {
      this.current.delete(top.key);
      this.pop();
      out.push(top.key);
    }
    return out;
  }

  private dropStale(): void {
    while (this.keys.length > 0) {
      const key = this.keys[0] as K;
      if (this.current.get(key) === this.at[0]) return;
      this.pop();
    }
  }

  private pop(): void {
    const lastAt = this.at.pop() as number;
    const lastKey = this.keys.pop() as K;
    if (this.at.length === 0) return;
    this.at[0] = lastAt;
    this.keys[0] = lastKey;
    this.down(0);
  }

  /** Sift up with a hole instead of swaps: no temporaries on the hot path. */
  private up(i: number): void {
    const at = this.at[i] as number;
    const key = this.keys[i] as K;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if ((this.at[p] as number) <= at) break;
      this.at[i] = this.at[p] as number;
      this.keys[i] = this.keys[p] as K;
      i = p;
    }
    this.at[i] = at;
    this.keys[i] = key;
  }

  private down(i: number): void {
    const n = this.at.length;
    const at = this.at[i] as number;
    const key = this.keys[i] as K;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const m = r < n && (this.at[r] as number) < (this.at[l] as number) ? r : l;
      if ((this.at[m] as number) >= at) break;
      this.at[i] = this.at[m] as number;
      this.keys[i] = this.keys[m] as K;
      i = m;
    }
    this.at[i] = at;
    this.keys[i] = key;
  }
}
