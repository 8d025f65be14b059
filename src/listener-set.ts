/**
 * The one listener set: what the transports, the lease stores, the client runtime and the library's handles
 * notify. Listeners run in the order added, over a snapshot (one added or removed during an emit takes
 * effect at the next); a throwing listener goes to `onListenerError` and never stops the others, unless
 * that hook throws itself.
 */
/** A listener of events whose arguments are `A` (`[change]`, `[data, meta]`). */
export type Listener<A extends readonly unknown[]> = (...args: A) => void;

interface Entry<A extends readonly unknown[]> {
  readonly fn: Listener<A>;
  /** What the caller passed, when `fn` wraps it (`once`): `delete` finds it by this. */
  readonly original: Listener<A>;
}

export class ListenerSet<A extends readonly unknown[]> {
  readonly #entries = new Set<Entry<A>>();
  readonly #onListenerError: (err: unknown, ...args: A) => void;

  constructor(onListenerError: (err: unknown, ...args: A) => void) {
    this.#onListenerError = onListenerError;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Adds `listener` (the same function may be added twice); the returned function removes this one. */
  add(listener: Listener<A>): () => void {
    const entry: Entry<A> = { fn: listener, original: listener };
    this.#entries.add(entry);
    return () => {
      this.#entries.delete(entry);
    };
  }

  /** Adds `listener` for the next emit only. */
  once(listener: Listener<A>): () => void {
    const entry: Entry<A> = {
      fn: (...args) => {
        this.#entries.delete(entry);
        listener(...args);
      },
      original: listener,
    };
    this.#entries.add(entry);
    return () => {
      this.#entries.delete(entry);
    };
  }

  /** Removes every entry of `listener`, whether added with `add` or `once`. */
  delete(listener: Listener<A>): void {
    for (const entry of this.#entries) if (entry.original === listener) this.#entries.delete(entry);
  }

  emit(...args: A): void {
    for (const entry of [...this.#entries]) {
      try {
        entry.fn(...args);
      } catch (err) {
        this.#onListenerError(err, ...args);
      }
    }
  }

  clear(): void {
    this.#entries.clear();
  }
}
