/**
 * A min-heap of deadlines keyed by string, with lazy deletion: `set` replaces a key's deadline (the old
 * entry becomes stale and is skipped when it surfaces), `delete` forgets it. O(log n) per change.
 */
export class DeadlineHeap {
  private readonly at: number[] = [];
  private readonly keys: string[] = [];
  private readonly current = new Map<string, number>();

  get size(): number {
    return this.current.size;
  }

  set(key: string, deadline: number): void {
    if (this.current.get(key) === deadline) return;
    this.current.set(key, deadline);
    this.at.push(deadline);
    this.keys.push(key);
    this.up(this.at.length - 1);
  }

  delete(key: string): void {
    this.current.delete(key);
  }

  clear(): void {
    this.at.length = 0;
    this.keys.length = 0;
    this.current.clear();
  }

  /** The earliest live deadline, or undefined. */
  peek(): { key: string; deadline: number } | undefined {
    this.dropStale();
    const key = this.keys[0];
    const deadline = this.at[0];
    return key === undefined || deadline === undefined ? undefined : { key, deadline };
  }

  /** Removes and returns the live keys whose deadline is at or before `now` (at most `max`), earliest first. */
  popDue(now: number, max = Infinity): string[] {
    const out: string[] = [];
    for (let top = this.peek(); top && top.deadline <= now && out.length < max; top = this.peek()) {
      this.current.delete(top.key);
      this.pop();
      out.push(top.key);
    }
    return out;
  }

  private dropStale(): void {
    while (this.keys.length > 0) {
      const key = this.keys[0] as string;
      if (this.current.get(key) === this.at[0]) return;
      this.pop();
    }
  }

  private pop(): void {
    const lastAt = this.at.pop() as number;
    const lastKey = this.keys.pop() as string;
    if (this.at.length === 0) return;
    this.at[0] = lastAt;
    this.keys[0] = lastKey;
    this.down(0);
  }

  /** Sift up with a hole instead of swaps: no temporaries on the hot path. */
  private up(i: number): void {
    const at = this.at[i] as number;
    const key = this.keys[i] as string;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if ((this.at[p] as number) <= at) break;
      this.at[i] = this.at[p] as number;
      this.keys[i] = this.keys[p] as string;
      i = p;
    }
    this.at[i] = at;
    this.keys[i] = key;
  }

  private down(i: number): void {
    const n = this.at.length;
    const at = this.at[i] as number;
    const key = this.keys[i] as string;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const m = r < n && (this.at[r] as number) < (this.at[l] as number) ? r : l;
      if ((this.at[m] as number) >= at) break;
      this.at[i] = this.at[m] as number;
      this.keys[i] = this.keys[m] as string;
      i = m;
    }
    this.at[i] = at;
    this.keys[i] = key;
  }
}
