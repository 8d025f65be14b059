import type { RateLimit } from '../config/index.ts';

interface Bucket {
  tokens: number;
  at: number;
}

/** Most clients tracked at once; past it, idle ones (full buckets) go first, then the oldest. */
const MAX_TRACKED = 65_536;

/**
 * Per-client token buckets (`rate-limit`: N packets per period, refilled evenly): a client may send a
 * burst of N, then one packet per period/N. Bounded: a flood of random MACs cannot grow it past
 * `MAX_TRACKED` clients; a bucket that would be full again carries no state worth keeping.
 */
export class ClientRateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly maxTracked: number;

  constructor(maxTracked = MAX_TRACKED) {
    this.maxTracked = maxTracked;
  }

  get tracked(): number {
    return this.buckets.size;
  }

  /** Takes one token from `key`'s bucket: false when it has none (the packet is over the limit). */
  allow(key: string, limit: RateLimit, now: number): boolean {
    const perMs = limit.packets / limit.periodMs;
    let b = this.buckets.get(key);
    if (b === undefined) {
      if (this.buckets.size >= this.maxTracked) this.evict(now, limit);
      b = { tokens: limit.packets, at: now };
      this.buckets.set(key, b);
    } else {
      b.tokens = Math.min(limit.packets, b.tokens + (now - b.at) * perMs);
      b.at = now;
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  private evict(now: number, limit: RateLimit): void {
    const perMs = limit.packets / limit.periodMs;
    for (const [k, b] of this.buckets)
      if (b.tokens + (now - b.at) * perMs >= limit.packets) this.buckets.delete(k);
    // Everyone is busy: forget the least recently added half (Map order), they start again with a full burst.
    if (this.buckets.size < this.maxTracked) return;
    let drop = this.buckets.size >> 1;
    for (const k of this.buckets.keys()) {
      if (drop-- <= 0) break;
      this.buckets.delete(k);
    }
  }
}
