import type { LeaseChange, LeaseStore } from '../leases/index.ts';

/**
 * Subscribes to a store's changes before its leases are loaded and holds them until the runtime can apply them,
 * so another server's change announced during the load (or while the rest starts) is not lost. A page read
 * before such a change would otherwise win; replayed after the load, the changes end at the newest state.
 * Only the last change per address is kept: the engine applies a change as the address's whole state, and the
 * hold stays bounded by the addresses in the store. Only other servers' changes are held.
 */
export class HeldChanges {
  #held: Map<string, LeaseChange> | null = new Map();
  #apply: (change: LeaseChange) => void = () => undefined;
  readonly unsubscribe: () => void;

  constructor(store: Pick<LeaseStore, 'onChange'>) {
    this.unsubscribe = store.onChange((change) => {
      if (this.#held === null) return this.#apply(change);
      // Re-inserted so replay follows the order of each address's last change.
      this.#held.delete(change.lease.address);
      // Our own (the load's lease-check fixes) are already in the engine as loaded, and newer than what was held.
      if (change.origin === 'remote') this.#held.set(change.lease.address, change);
    });
  }

  /** Applies what was held, in order, then every change as it comes. */
  release(apply: (change: LeaseChange) => void): void {
    const held = this.#held ?? new Map<string, LeaseChange>();
    this.#held = null;
    this.#apply = apply;
    for (const change of held.values()) apply(change);
  }
}
