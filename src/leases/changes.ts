import { channel } from 'node:diagnostics_channel';
import type { LeaseChange, LeaseChangeListener } from './store.ts';

/** Published with `{ error, change }` when a change listener throws. */
export const listenerErrorChannel = channel('leasekeeper:leases:listener-error');

/** The listener set behind `LeaseStore.onChange`: one throwing listener never stops the others or the store. */
export class ChangeHub {
  readonly #listeners = new Set<LeaseChangeListener>();

  get size(): number {
    return this.#listeners.size;
  }

  subscribe(listener: LeaseChangeListener): () => void {
    // Wrapped so the same function may subscribe twice and unsubscribe independently.
    const entry: LeaseChangeListener = (change) => listener(change);
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  emit(change: LeaseChange): void {
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch (error) {
        if (listenerErrorChannel.hasSubscribers) listenerErrorChannel.publish({ error, change });
      }
    }
  }
}
