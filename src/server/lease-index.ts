import type { Lease } from '../leases/lease.ts';
import { ipv4ToInt } from '../config/ipv4.ts';
import { clientKeys, owns, type ClientIdentity } from './identity.ts';

/**
 * The engine's copy of the store's leases: by address, and by client within a subnet (for lease affinity).
 * It mirrors the store; it decides nothing.
 */
export class LeaseIndex {
  private readonly byAddr = new Map<number, Lease>();
  private readonly byClient = new Map<string, number>();

  get size(): number {
    return this.byAddr.size;
  }

  get(addr: number): Lease | undefined {
    return this.byAddr.get(addr);
  }

  values(): IterableIterator<Lease> {
    return this.byAddr.values();
  }

  /** Stores the lease, replacing any at its address; returns the replaced one. */
  put(lease: Lease): Lease | undefined {
    const addr = ipv4ToInt(lease.address);
    const prev = this.byAddr.get(addr);
    if (prev) this.unindex(prev, addr);
    this.byAddr.set(addr, lease);
    for (const k of clientKeys(lease.subnetId, lease.hwAddress, lease.clientId)) this.byClient.set(k, addr);
    return prev;
  }

  delete(addr: number): Lease | undefined {
    const prev = this.byAddr.get(addr);
    if (!prev) return undefined;
    this.unindex(prev, addr);
    this.byAddr.delete(addr);
    return prev;
  }

  clear(): void {
    this.byAddr.clear();
    this.byClient.clear();
  }

  /** The client's lease in the subnet (any state but declined), by client id first, then hardware address. */
  findByClient(subnetId: number, id: ClientIdentity, matchClientId: boolean): Lease | undefined {
    for (const k of clientKeys(subnetId, id.hwAddress, matchClientId ? id.clientId : null)) {
      const addr = this.byClient.get(k);
      const lease = addr === undefined ? undefined : this.byAddr.get(addr);
      if (lease && lease.state !== 'declined' && owns(lease, id, matchClientId)) return lease;
    }
    return undefined;
  }

  private unindex(lease: Lease, addr: number): void {
    for (const k of clientKeys(lease.subnetId, lease.hwAddress, lease.clientId)) {
      if (this.byClient.get(k) === addr) this.byClient.delete(k);
    }
  }
}
