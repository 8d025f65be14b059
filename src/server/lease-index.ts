import type { Lease } from '../leases/index.ts';
import { ipv4ToInt } from '../config/index.ts';
import { ClientMap, owns, type ClientIdentity } from './identity.ts';

/**
 * The engine's copy of the store's leases: by address, and by client within a subnet (for lease affinity).
 * It mirrors the store; it decides nothing.
 */
export class LeaseIndex {
  /** By `addr | 0`: small integers as keys, where addresses above 127.255.255.255 would be boxed numbers. */
  private readonly byAddr = new Map<number, Lease>();
  private readonly byClient = new ClientMap();

  get size(): number {
    return this.byAddr.size;
  }

  get(addr: number): Lease | undefined {
    return this.byAddr.get(addr | 0);
  }

  values(): IterableIterator<Lease> {
    return this.byAddr.values();
  }

  /**
   * Stores the lease, replacing any at its address (`addr`, its number; `prev`, the lease there, for a
   * caller that has just looked); returns the replaced one.
   */
  put(
    lease: Lease,
    addr: number = ipv4ToInt(lease.address),
    prev: Lease | undefined = this.byAddr.get(addr | 0),
  ): Lease | undefined {
    if (prev) this.unindex(prev, addr);
    this.byAddr.set(addr | 0, lease);
    this.byClient.set(lease.subnetId, lease.hwAddress, lease.clientId, addr);
    return prev;
  }

  delete(addr: number): Lease | undefined {
    const prev = this.byAddr.get(addr | 0);
    if (!prev) return undefined;
    this.unindex(prev, addr);
    this.byAddr.delete(addr | 0);
    return prev;
  }

  clear(): void {
    this.byAddr.clear();
    this.byClient.clear();
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
    const lease = addr === undefined ? undefined : this.byAddr.get(addr | 0);
    return lease && lease.state !== 'declined' && owns(lease, id, matchClientId) ? lease : undefined;
  }

  private unindex(lease: Lease, addr: number): void {
    this.byClient.deleteIf(lease.subnetId, lease.hwAddress, lease.clientId, addr);
  }
}
