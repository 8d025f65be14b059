/**
 * The one listener set: what the transports, the lease stores, the client runtime and the library's handles
 * notify. Listeners run in the order added, over a snapshot (one added or removed during an emit takes
 * effect at the next); a throwing listener goes to `onListenerError` and never stops the others, unless
 * that hook throws itself.
 *
 * The snapshot costs nothing per emit: the entries are an array never changed in place (add and delete
 * replace it), so an emit walks the array it started with. An emit passes at most two arguments, as each
 * of its callers does, without a rest-args array: a listener gets exactly the arguments emitted.
 */
/** The arguments of an emit: none, one or two. */
export type EmitArgs = [] | [unknown] | [unknown, unknown];

/** A listener of events whose arguments are `A` (`[change]`, `[data, meta]`). */
export type Listener<A extends EmitArgs> = (...args: A) => void;

interface Entry<A extends EmitArgs> {
  readonly fn: Listener<A>;
  /** What the caller passed, when `fn` wraps it (`once`): `delete` finds it by this. */
  readonly original: Listener<A>;
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
    const entry: Entry<A> = { fn: listener, original: listener };
    this.#entries = [...this.#entries, entry];
    return () => this.#remove(entry);
  }

  /** Adds `listener` for the next emit only. */
  once(listener: Listener<A>): () => void {
    const entry: Entry<A> = {
      fn: (...args) => {
        this.#remove(entry);
        listener(...args);
      },
      original: listener,
    };
    this.#entries = [...this.#entries, entry];
    return () => this.#remove(entry);
  }

  /** Removes every entry of `listener`, whether added with `add` or `once`. */
  delete(listener: Listener<A>): void {
    if (this.#entries.some((e) => e.original === listener))
      this.#entries = this.#entries.filter((e) => e.original !== listener);
  }

  emit(...args: A): void;
  emit(a?: unknown, b?: unknown): void {
    // How many arguments the caller passed: `arguments.length` is read without building the object, where a
    // rest parameter would be an array per emit.
    const n = arguments.length;
    const entries = this.#entries;
    for (let i = 0; i < entries.length; i++) {
      try {
        callWith((entries[i] as Entry<A>).fn as unknown as Loose, n, a, b);
      } catch (err) {
        const args = (n === 0 ? [] : n === 1 ? [a] : [a, b]) as unknown as A;
        this.#onListenerError(err, ...args);
      }
    }
  }

  clear(): void {
    this.#entries = [];
  }

  #remove(entry: Entry<A>): void {
    if (this.#entries.includes(entry)) this.#entries = this.#entries.filter((e) => e !== entry);
  }
}
