/** A small typed event emitter: listeners keyed by event name, each called with that event's payload. */
export type Listener<T> = (payload: T) => void;

/** The typed `on`/`off`/`once` of the server and client handles. */
export interface TypedEvents<E> {
  /** Calls `listener` for every `event`; returns the handle for chaining. */
  on<K extends keyof E>(event: K, listener: Listener<E[K]>): this;
  /** Removes a listener added with `on` or `once`. */
  off<K extends keyof E>(event: K, listener: Listener<E[K]>): this;
  /** Calls `listener` for the next `event` only. */
  once<K extends keyof E>(event: K, listener: Listener<E[K]>): this;
}

/**
 * The implementation behind {@link TypedEvents}. A throwing listener does not stop the others; its error
 * goes to `onListenerError`.
 */
export class Emitter<E> {
  readonly #listeners = new Map<keyof E, Set<Listener<never>>>();
  readonly #onError: (err: unknown) => void;

  constructor(onListenerError: (err: unknown) => void) {
    this.#onError = onListenerError;
  }

  on<K extends keyof E>(event: K, listener: Listener<E[K]>): void {
    let set = this.#listeners.get(event);
    if (set === undefined) this.#listeners.set(event, (set = new Set()));
    set.add(listener as Listener<never>);
  }

  off<K extends keyof E>(event: K, listener: Listener<E[K]>): void {
    const set = this.#listeners.get(event);
    if (set === undefined) return;
    for (const l of set) {
      if (l === listener || (l as { inner?: unknown }).inner === listener) set.delete(l);
    }
  }

  once<K extends keyof E>(event: K, listener: Listener<E[K]>): void {
    const wrapper = Object.assign(
      (payload: E[K]) => {
        this.off(event, wrapper);
        listener(payload);
      },
      { inner: listener },
    );
    this.on(event, wrapper);
  }

  emit<K extends keyof E>(event: K, payload: E[K]): void {
    const set = this.#listeners.get(event);
    if (set === undefined) return;
    for (const l of [...set]) {
      try {
        (l as Listener<E[K]>)(payload);
      } catch (err) {
        this.#onError(err);
      }
    }
  }

  clear(): void {
    this.#listeners.clear();
  }
}
