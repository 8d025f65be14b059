/**
 * Failed logins per source address: after `maxFailures` within `windowMs`, the address is refused (HTTP
 * 429, credentials not even looked at) until the window that began with its first failure ends. The table
 * is bounded: when full, expired entries go first, then the oldest.
 */
export interface AuthThrottleSettings {
  /** Failed attempts allowed per source address and window (default 10). */
  readonly maxFailures: number;
  /** The window, in ms (default 60 s). */
  readonly windowMs: number;
}

export const DEFAULT_AUTH_THROTTLE: AuthThrottleSettings = { maxFailures: 10, windowMs: 60_000 };

/** How many source addresses are tracked at most. */
const MAX_TRACKED = 4096;

interface Entry {
  failures: number;
  since: number;
}

export class FailureThrottle {
  readonly #settings: AuthThrottleSettings;
  readonly #clock: () => number;
  readonly #entries = new Map<string, Entry>();

  constructor(settings: AuthThrottleSettings, clock: () => number) {
    this.#settings = settings;
    this.#clock = clock;
  }

  /** Milliseconds until `source` may try again, 0 when it may now. */
  blockedFor(source: string): number {
    const entry = this.#live(source);
    if (entry === undefined || entry.failures < this.#settings.maxFailures) return 0;
    return entry.since + this.#settings.windowMs - this.#clock();
  }

  failed(source: string): void {
    const entry = this.#live(source);
    if (entry !== undefined) {
      entry.failures++;
      return;
    }
    if (this.#entries.size >= MAX_TRACKED) this.#evict();
    this.#entries.set(source, { failures: 1, since: this.#clock() });
  }

  #live(source: string): Entry | undefined {
    const entry = this.#entries.get(source);
    if (entry === undefined) return undefined;
    if (this.#clock() - entry.since < this.#settings.windowMs) return entry;
    this.#entries.delete(source);
    return undefined;
  }

  #evict(): void {
    const now = this.#clock();
    for (const [source, entry] of this.#entries) {
      if (now - entry.since >= this.#settings.windowMs) this.#entries.delete(source);
    }
    if (this.#entries.size < MAX_TRACKED) return;
    const oldest = this.#entries.keys().next();
    if (oldest.done !== true) this.#entries.delete(oldest.value);
  }
}
