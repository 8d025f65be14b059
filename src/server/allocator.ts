import type { CompiledConfig, CompiledSubnet } from '../config/types.ts';
import { PoolBitmap } from './pool-bitmap.ts';

/**
 * The in-memory "which pool addresses are taken" index of every subnet. It knows nothing about clients:
 * the engine takes an address when it offers or leases it and releases it when the lease ends. Addresses
 * that are never handed out dynamically (network, broadcast, routers, the server's own, reserved ones) are
 * taken for good when the allocator is built.
 */
export class Allocator {
  private readonly pools = new Map<number, PoolBitmap[]>();
  /** Every bitmap, sorted by start, for finding the pool of an address by binary search. */
  private readonly sorted: PoolBitmap[] = [];
  /** By `addr | 0` (small integers, not boxed numbers). */
  private readonly permanent = new Set<number>();

  constructor(config: CompiledConfig, excluded: Iterable<number>) {
    for (const s of config.subnets) {
      const list = s.pools.map((p) => new PoolBitmap(p.start, p.end));
      this.pools.set(s.id, list);
      this.sorted.push(...list);
    }
    this.sorted.sort((a, b) => a.start - b.start);
    for (const a of excluded) this.excludeForever(a);
  }

  /** Every pool's cursor to `fraction` of it (see PoolBitmap.seek). */
  seek(fraction: number): void {
    for (const p of this.sorted) p.seek(fraction);
  }

  excludeForever(addr: number): void {
    this.permanent.add(addr | 0);
    this.poolOf(addr)?.take(addr);
  }

  isExcluded(addr: number): boolean {
    return this.permanent.has(addr | 0);
  }

  poolOf(addr: number): PoolBitmap | undefined {
    let lo = 0;
    let hi = this.sorted.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const p = this.sorted[mid] as PoolBitmap;
      if (addr < p.start) hi = mid - 1;
      else if (addr > p.end) lo = mid + 1;
      else return p;
    }
    return undefined;
  }

  inPool(subnetId: number, addr: number): boolean {
    const list = this.pools.get(subnetId);
    if (list === undefined) return false;
    for (const p of list) if (p.contains(addr)) return true;
    return false;
  }

  isTaken(addr: number): boolean {
    return this.poolOf(addr)?.isTaken(addr) ?? false;
  }

  take(addr: number): void {
    this.poolOf(addr)?.take(addr);
  }

  release(addr: number): void {
    if (!this.permanent.has(addr | 0)) this.poolOf(addr)?.release(addr);
  }

  /**
   * Takes and returns a free address of the subnet's pools, in pool order, skipping the pools (by index
   * in the subnet's `pools`) that `admit` refuses; undefined when all are taken.
   */
  allocate(subnetId: number, admit?: (poolIndex: number) => boolean): number | undefined {
    const list = this.pools.get(subnetId);
    if (list === undefined) return undefined;
    for (let i = 0; i < list.length; i++) {
      if (admit !== undefined && !admit(i)) continue;
      const p = list[i]!;
      const a = p.next();
      if (a !== undefined) {
        p.take(a);
        return a;
      }
    }
    return undefined;
  }

  /** Pool addresses of the subnet (Kea's `total-addresses`). */
  total(subnetId: number): number {
    return (this.pools.get(subnetId) ?? []).reduce((n, p) => n + p.size, 0);
  }

  free(subnetId: number): number {
    return (this.pools.get(subnetId) ?? []).reduce((n, p) => n + p.free, 0);
  }
}

/** Addresses of a subnet that no client may get: network and broadcast (except /31 and /32, RFC 3021). */
export function structuralExclusions(s: CompiledSubnet): number[] {
  return s.prefixLength >= 31 ? [] : [s.network, s.broadcast];
}
