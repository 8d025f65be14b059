import type { Lease, LeaseState } from '../leases/index.ts';
import { ipv4ToInt } from '../config/index.ts';
import { CompactLeases, freshLeaseKeys, leaseKeys, type LeaseColumns } from './compact-leases.ts';
import { AddressSlots } from './address-slots.ts';
import { ClientMap, owns, type ClientIdentity } from './identity.ts';

/**
 * The engine's copy of the store's leases: by address, and by client within a subnet (for lease affinity).
 * It mirrors the store; it decides nothing. The leases themselves are kept compact (`CompactLeases`): `get`
 * builds a fresh, equal lease object each time, so callers compare leases by value, never by identity.
 */
export class LeaseIndex {
  /** Slots by address: a dense table, where a `Map`'s probe was a cache miss on every look-up. */
  private readonly byAddr = new AddressSlots();
  private readonly leases = new CompactLeases();
  private readonly byClient = new ClientMap();

  get size(): number {
    return this.byAddr.size;
  }

  get(addr: number): Lease | undefined {
    const slot = this.byAddr.get(addr);
    return slot === undefined ? undefined : this.leases.get(slot);
  }

  /** The state of the lease at `addr` (undefined: none), without building the lease. */
  stateOf(addr: number): LeaseState | undefined {
    const slot = this.byAddr.get(addr);
    return slot === undefined ? undefined : this.leases.stateOf(slot);
  }

  *values(): IterableIterator<Lease> {
    for (const slot of this.byAddr.values()) yield this.leases.get(slot);
  }

  /**
   * Stores the lease, replacing any at its address (`addr`, its number; `prev`, the lease there, for a
   * caller that has just looked); returns the replaced one.
   */
  put(
    lease: Lease,
    addr: number = ipv4ToInt(lease.address),
    prev: Lease | undefined = this.get(addr),
  ): Lease | undefined {
    const slot = this.byAddr.get(addr);
    if (prev) this.unindex(prev, addr);
    const ids = leaseKeys(lease);
    if (slot === undefined) this.byAddr.set(addr, this.leases.add(lease, addr, ids));
    else this.leases.set(slot, lease, addr, ids);
    this.byClient.setKeys(lease.subnetId, ids.hw, ids.clientId, addr);
    return prev;
  }

  /**
   * `put` and `setDeadline` at once for an address that holds no lease (the start-up load): fewer lookups,
   * no replaced lease to unindex. False when there is a lease at `addr` (nothing is stored then).
   */
  putNew(lease: Lease, addr: number, deadline: number): boolean {
    if (this.byAddr.has(addr)) return false;
    const ids = freshLeaseKeys(lease);
    const slot = this.leases.add(lease, addr, ids);
    this.byAddr.set(addr, slot);
    this.leases.setDeadline(slot, deadline);
    this.byClient.setKeys(lease.subnetId, ids.hw, ids.clientId, addr);
    return true;
  }

  delete(addr: number): Lease | undefined {
    const slot = this.byAddr.get(addr);
    if (slot === undefined) return undefined;
    const prev = this.leases.get(slot);
    this.unindex(prev, addr);
    this.byAddr.delete(addr);
    this.leases.free(slot);
    return prev;
  }

  clear(): void {
    this.byAddr.clear();
    this.leases.clear();
    this.byClient.clear();
  }

  /** The deadline set for the lease at `addr` (see `setDeadline`), or undefined. */
  deadlineOf(addr: number): number | undefined {
    const slot = this.byAddr.get(addr);
    if (slot === undefined) return undefined;
    const d = this.leases.deadline(slot);
    return Number.isNaN(d) ? undefined : d;
  }

  /**
   * Sets the reclaimer's deadline for the lease at `addr` (NaN: clears it); false when there is no lease
   * there. It stays when the lease is replaced and goes when the lease is deleted.
   */
  setDeadline(addr: number, deadline: number): boolean {
    const slot = this.byAddr.get(addr);
    if (slot === undefined) return false;
    this.leases.setDeadline(slot, deadline);
    return true;
  }

  /** How many leases have a deadline set. */
  get deadlines(): number {
    return this.leases.deadlines;
  }

  /** The client's lease in the subnet (any state but declined), by client id first, then hardware address. */
  findByClient(subnetId: number, id: ClientIdentity, matchClientId: boolean): Lease | undefined {
    if (matchClientId && id.clientId !== null) {
      const lease = this.usable(this.byClient.byId(subnetId, id.clientId), id, matchClientId);
      if (lease !== undefined) return lease;
    }
    return this.usable(this.byClient.byHw(subnetId, id.hwAddress), id, matchClientId);
  }

  private usable(addr: number | undefined, id: ClientIdentity, matchClientId: boolean): Lease | undefined {
    const lease = addr === undefined ? undefined : this.get(addr);
    return lease && lease.state !== 'declined' && owns(lease, id, matchClientId) ? lease : undefined;
  }

  private unindex(lease: Lease, addr: number): void {
    this.byClient.deleteIf(lease.subnetId, lease.hwAddress, lease.clientId, addr);
  }

  /** The leases' columns, for scans over every lease (lease-scan.ts); the index stays their only writer. */
  get columns(): LeaseColumns {
    return this.leases;
  }

  /** The slot of the lease at `addr`, or undefined: a column scan's check that a candidate slot is live. */
  slotOf(addr: number): number | undefined {
    return this.byAddr.get(addr);
  }

  /** The addresses of the leases (as `addr | 0`), in address order: a sliced walk over every lease (the WebSocket API's list). */
  addresses(): IterableIterator<number> {
    return this.byAddr.keys();
  }
}
