import { channel } from 'node:diagnostics_channel';
import { ListenerSet } from '../listener-set.ts';
import type { LeaseChange, LeaseChangeListener } from './store.ts';

/** Published with `{ error, change }` when a change listener throws. */
export const listenerErrorChannel = channel('leasekeeper:leases:listener-error');

/** The listener set behind `LeaseStore.onChange`: one throwing listener never stops the others or the store. */
export class ChangeHub {
  readonly #listeners = new ListenerSet<[LeaseChange]>((error, change) => {
    if (listenerErrorChannel.hasSubscribers) listenerErrorChannel.publish({ error, change });
  });

  get size(): number {
    return this.#listeners.size;
  }

  subscribe(listener: LeaseChangeListener): () => void {
    return this.#listeners.add(listener);
  }

  emit(change: LeaseChange): void {
    this.#listeners.emit(change);
  }
}
