/** A small typed event emitter: listeners keyed by event name, each called with that event's payload. */
import { ListenerSet } from '../listener-set.ts';

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
 * The implementation behind {@link TypedEvents}: one ListenerSet per event. A throwing listener does not
 * stop the others; its error goes to `onListenerError`.
 */
export class Emitter<E> {
  readonly #sets = new Map<keyof E, ListenerSet<[unknown]>>();
  readonly #onError: (err: unknown) => void;

  constructor(onListenerError: (err: unknown) => void) {
    this.#onError = onListenerError;
  }

  #set<K extends keyof E>(event: K): ListenerSet<[E[K]]> {
    let set = this.#sets.get(event) as ListenerSet<[E[K]]> | undefined;
    if (set === undefined) {
      set = new ListenerSet<[E[K]]>((err) => this.#onError(err));
      this.#sets.set(event, set as ListenerSet<[unknown]>);
    }
    return set;
  }

  on<K extends keyof E>(event: K, listener: Listener<E[K]>): void {
    this.#set(event).add(listener);
  }

  off<K extends keyof E>(event: K, listener: Listener<E[K]>): void {
    (this.#sets.get(event) as ListenerSet<[E[K]]> | undefined)?.delete(listener);
  }

  once<K extends keyof E>(event: K, listener: Listener<E[K]>): void {
    this.#set(event).once(listener);
  }

  /** Whether `event` has a listener now: a payload that costs something to build is built only then. */
  listens(event: keyof E): boolean {
    return (this.#sets.get(event)?.size ?? 0) > 0;
  }

  emit<K extends keyof E>(event: K, payload: E[K]): void {
    (this.#sets.get(event) as ListenerSet<[E[K]]> | undefined)?.emit(payload);
  }

  clear(): void {
    this.#sets.clear();
  }
}
