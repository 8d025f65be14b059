/**
 * The one listener set: what the transports, the lease stores, the client runtime and the library's handles
 * notify. Listeners run in the order added, over a snapshot (one added or removed during an emit takes
 * effect at the next); a throwing listener goes to `onListenerError` and never stops the others, unless
 * that hook throws itself.
 *
 * The snapshot costs nothing per emit: the entries are an array never changed in place (add and delete
 * replace it), so an emit walks the array it started with. A `once` entry is marked as it runs, so an emit
 * nested in another (a listener emitting the same event) cannot run it a second time from the outer emit's
 * snapshot. An emit passes at most two arguments, as each of its callers does, without a rest-args array:
 * a listener gets exactly the arguments emitted.
 */
/** The arguments of an emit: none, one or two. */
export type EmitArgs = [] | [unknown] | [unknown, unknown];

/** A listener of events whose arguments are `A` (`[change]`, `[data, meta]`). */
export type Listener<A extends EmitArgs> = (...args: A) => void;

interface Entry<A extends EmitArgs> {
  readonly fn: Listener<A>;
  /** Added with `once`: runs at most one time, whichever emit reaches it first. */
  readonly once: boolean;
  /** A `once` entry that has run (or begun to). */
  fired: boolean;
}

type Loose = (...args: unknown[]) => void;

/** Calls `fn` with the first `n` of `a` and `b`, as `fn(...args)` would with the emit's arguments. */
function callWith(fn: Loose, n: number, a: unknown, b: unknown): void {
  if (n === 0) fn();
  else if (n === 1) fn(a);
  else fn(a, b);
}

export class ListenerSet<A extends EmitArgs> {
  #entries: readonly Entry<A>[] = [];
  readonly #onListenerError: (err: unknown, ...args: A) => void;

  constructor(onListenerError: (err: unknown, ...args: A) => void) {
    this.#onListenerError = onListenerError;
  }

  get size(): number {
    return this.#entries.length;
  }

  /** Adds `listener` (the same function may be added twice); the returned function removes this one. */
  add(listener: Listener<A>): () => void {
    return this.#add({ fn: listener, once: false, fired: false });
  }

  /** Adds `listener` for the next emit only. */
  once(listener: Listener<A>): () => void {
    return this.#add({ fn: listener, once: true, fired: false });
  }

  /** Removes every entry of `listener`, whether added with `add` or `once`. */
  delete(listener: Listener<A>): void {
    if (this.#entries.some((e) => e.fn === listener))
      this.#entries = this.#entries.filter((e) => e.fn !== listener);
  }

  emit(...args: A): void;
  emit(a?: unknown, b?: unknown): void {
    // How many arguments the caller passed: `arguments.length` is read without building the object, where a
    // rest parameter would be an array per emit.
    const n = arguments.length;
    const entries = this.#entries;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i] as Entry<A>;
      if (entry.once) {
        if (entry.fired) continue;
        entry.fired = true;
        this.#remove(entry);
      }
      try {
        callWith(entry.fn as unknown as Loose, n, a, b);
      } catch (err) {
        const args = (n === 0 ? [] : n === 1 ? [a] : [a, b]) as unknown as A;
        this.#onListenerError(err, ...args);
      }
    }
  }

  clear(): void {
    this.#entries = [];
  }

  #add(entry: Entry<A>): () => void {
    this.#entries = [...this.#entries, entry];
    return () => this.#remove(entry);
  }

  #remove(entry: Entry<A>): void {
    if (this.#entries.includes(entry)) this.#entries = this.#entries.filter((e) => e !== entry);
  }
}
