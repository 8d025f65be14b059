import { ChurnMap } from './churn-map.ts';
import { admits, type PacketClasses } from '../classify/index.ts';
import type { CompiledConfig, CompiledSubnet } from '../config/index.ts';
import { cidrContains, ipv4ToInt, isIpv4 } from '../config/index.ts';
import { withoutDnsFlags, type Lease } from '../leases/index.ts';
import { Allocator } from './allocator.ts';
import { DeadlineHeap, type DeadlineMap } from './heap.ts';
import { ClientMap, hwAddressOf, hwKey, owns, subnetMap, type ClientIdentity } from './identity.ts';
import type { DhcpMessage } from '../protocol/index.ts';
import { subnetTable, type IdentityTable } from './number-table.ts';
import { LeaseIndex } from './lease-index.ts';
import { configExclusions, poolContaining, reservationMatches, Reservations } from './policy.ts';
import { GLOBAL, SUBNET, type Statistics } from './stats.ts';
import type { LeaseWrite } from './types.ts';

/**
 * The offer maps renew after at least two insertions per offer they hold (`ChurnMap`): a trial that loses
 * exchanges holds thousands of offers, each for its lifetime, and copying them all every 1,024 insertions cost
 * several copies a DORA. Two keeps the copies under one an insertion.
 */
const OFFER_INSERTIONS_PER_LIVE = 2;

export interface Offer {
  readonly addr: number;
  readonly subnetId: number;
  readonly hwAddress: string;
  readonly clientId: string | null;
  readonly expiresAt: number;
}

/**
 * Who holds which address: the leases (mirroring the store), the offers in flight, the allocator's pool
 * bitmaps and the deadlines of both, kept in step by `setLease`, `holdOffer` and `dropOffer`. It answers
 * "may this client have this address now?" and "give me a free one"; the DHCP rules live in the engine.
 */
/** Whether the pool holding `addr` admits the client's classes (an address outside the pools: yes). */
function poolAdmits(subnet: CompiledSubnet, addr: number, classes: PacketClasses): boolean {
  const pool = poolContaining(subnet, addr);
  return pool === undefined || admits(pool, classes);
}

/** The classes the subnet's pools must admit, or null when none of its pools is limited to classes. */
function poolGate(subnet: CompiledSubnet, classes: PacketClasses | null): PacketClasses | null {
  return subnet.poolsUseClasses ? classes : null;
}

/** Who asks for an address, when, and with which classes (null: the configuration looks at none). */
export interface Claimant {
  readonly id: ClientIdentity;
  readonly now: number;
  readonly classes: PacketClasses | null;
}

export class AddressBook {
  readonly index = new LeaseIndex();
  /** Offers' deadlines under `addr * 2`, leases' under `addr * 2 + 1`. */
  readonly deadlines = new DeadlineHeap<number>(new AddressDeadlines(this.index));
  /** Offers by `addr | 0` (small integers, not boxed numbers). */
  private readonly offers = new ChurnMap<number, Offer>(OFFER_INSERTIONS_PER_LIVE);
  private readonly offerByClient = new ClientMap();
  /**
   * Per subnet, the offers no client has confirmed yet (not the holds of commits in flight), oldest
   * first: a full pool takes the oldest back for a new client instead of refusing it.
   */
  private readonly unconfirmed = new Map<number, Map<number, Offer>>();
  /** Who lost an offer that way, by `addr | 0`: their REQUEST for it still wins over a later DISCOVER. */
  private readonly displaced = new Map<number, Pick<Offer, 'hwAddress' | 'clientId'>>();
  /**
   * Per subnet, how many leases (state default, until reclaimed) each hardware address holds: only for the
   * subnets with a `leases-per-hw-address` limit, the one reader (a million leases would otherwise keep a
   * table entry each for nothing).
   */
  private readonly hwLeases = new Map<number, IdentityTable>();
  private countedSubnets = new Set<number>();
  private readonly localAddresses = new Set<number>();
  private readonly learnedText = new Set<string>();
  private readonly stats: Statistics;
  private allocator!: Allocator;
  /** By `addr | 0`. */
  private excluded = new Set<number>();
  reservations!: Reservations;

  constructor(config: CompiledConfig, stats: Statistics) {
    this.stats = stats;
    this.rebuild(config);
  }

  /** Leases (state default, not yet reclaimed) of this hardware address in the subnet. */
  leasesOfHwAddress(subnetId: number, hwAddress: string): number {
    return this.hwLeases.get(subnetId)?.get(hwKey(hwAddress)) ?? 0;
  }

  /** Where in each pool allocation starts (0..1), kept across rebuilds; see `seekAllocation`. */
  private allocationStart = 0;

  /** Servers allocating from one shared pool (active-active HA) start at different fractions of it. */
  seekAllocation(fraction: number): void {
    this.allocationStart = fraction;
    this.allocator.seek(fraction);
  }

  /** Rebuilds exclusions, reservations and the allocator from a config, keeping leases and offers. */
  rebuild(config: CompiledConfig): void {
    const excluded = configExclusions(config);
    for (const a of this.localAddresses) excluded.add(a);
    this.excluded = new Set<number>();
    for (const a of excluded) this.excluded.add(a | 0);
    this.reservations = new Reservations(config);
    this.allocator = new Allocator(config, [...excluded, ...this.reservations.byAddress.keys()]);
    this.allocator.seek(this.allocationStart);
    for (const o of [...this.offers.values()])
      if (!config.subnets.some((s) => s.id === o.subnetId && cidrContains(s, o.addr))) this.dropOffer(o.addr);
    for (const l of this.index.values()) this.refreshTaken(ipv4ToInt(l.address));
    for (const o of this.offers.values()) this.refreshTaken(o.addr);
    this.countHwLeasesFor(config);
  }

  /** Counts the leases per hardware address afresh when the set of subnets with a limit changed. */
  private countHwLeasesFor(config: CompiledConfig): void {
    const counted = new Set(
      config.subnets.filter((s) => s.limits.leasesPerHwAddress !== undefined).map((s) => s.id),
    );
    if (counted.size === this.countedSubnets.size && [...counted].every((id) => this.countedSubnets.has(id)))
      return;
    this.countedSubnets = counted;
    this.hwLeases.clear();
    if (counted.size > 0) for (const l of this.index.values()) this.countHwLease(l, 1);
  }

  /** One of our own addresses: never handed out. */
  learnAddress(address: string): void {
    // Every request names the interface's addresses again: a string seen before needs no parsing.
    if (this.learnedText.has(address)) return;
    this.learnedText.add(address);
    if (!isIpv4(address)) return;
    const n = ipv4ToInt(address);
    if (this.localAddresses.has(n)) return;
    this.localAddresses.add(n);
    this.excluded.add(n | 0);
    this.allocator.excludeForever(n);
  }

  totalAddresses(subnetId: number): number {
    return this.allocator.total(subnetId);
  }

  /** Whether `addr` may be leased to this client now. */
  usableBy(
    addr: number,
    subnet: CompiledSubnet,
    id: ClientIdentity,
    now: number,
    classes: PacketClasses | null = null,
  ): boolean {
    if (!cidrContains(subnet, addr) || this.excluded.has(addr | 0)) return false;
    const r = this.reservations.at(addr);
    if (r) {
      // An address reserved for X is never given to Y.
      if (!reservationMatches(r, id)) return false;
    } else if (!this.allocator.inPool(subnet.id, addr)) return false;
    // A pool limited to classes (Kea's pool `client-class`) is not this client's unless reserved to it.
    else {
      const gate = poolGate(subnet, classes);
      if (gate !== null && !poolAdmits(subnet, addr, gate)) return false;
    }
    const lease = this.index.get(addr);
    if (lease && lease.expiresAt > now) {
      if (lease.state === 'declined') return false;
      if (lease.state === 'default' && !owns(lease, id, subnet.matchClientId)) return false;
    }
    const offer = this.offers.get(addr | 0);
    if (offer && offer.expiresAt > now && !owns(offer, id, subnet.matchClientId)) return false;
    return true;
  }

  /**
   * A free pool address of the subnet, taken (the caller holds it with an offer). Expired offers keep
   * their bits until `reclaim`; a pool that looks exhausted drops them first.
   */
  allocate(subnet: CompiledSubnet, client: Claimant): number | undefined {
    const { id, now, classes } = client;
    const gate = poolGate(subnet, classes);
    const pools = gate === null ? undefined : (i: number): boolean => admits(subnet.pools[i]!, gate);
    let swept = false;
    for (let tries = 0; tries < 64; tries++) {
      let addr = this.allocator.allocate(subnet.id, pools);
      if (addr === undefined && !swept) {
        swept = true;
        // Oldest first: the expired ones are at the front (every offer gets the same lifetime).
        for (const o of this.unconfirmed.get(subnet.id)?.values() ?? []) {
          if (o.expiresAt > now) break;
          this.dropOffer(o.addr);
        }
        addr = this.allocator.allocate(subnet.id, pools);
      }
      if (addr === undefined) return undefined;
      if (this.usableBy(addr, subnet, id, now, classes)) return addr;
      // Held by something the bitmap cannot tell free (an expired, unreclaimed lease): it stays taken.
    }
    return undefined;
  }

  /**
   * The full pool's last resort: takes the subnet's oldest unconfirmed offer back and returns its address
   * for this client (counted in `v4-offer-reused`). Its first client is remembered: if it still sends its
   * REQUEST, `reclaimDisplaced` gives the address back to it.
   */
  takeOldestOffer(subnet: CompiledSubnet, client: Claimant): number | undefined {
    const { id, now, classes } = client;
    const queue = this.unconfirmed.get(subnet.id);
    if (queue === undefined) return undefined;
    const gate = poolGate(subnet, classes);
    let tries = 0;
    // Walked in place, not copied: a full pool under a flood holds thousands of offers, and only the oldest
    // 64 are looked at. Dropping the offer being visited leaves the walk on the next one (Map iteration).
    for (const o of queue.values()) {
      if (tries++ >= 64) break;
      // An offer from a pool this client's classes do not admit is someone else's to keep.
      if (gate !== null && !poolAdmits(subnet, o.addr, gate)) continue;
      this.dropOffer(o.addr);
      if (o.expiresAt > now) {
        this.stats.inc(GLOBAL['v4-offer-reused']);
        this.displaced.set(o.addr | 0, { hwAddress: o.hwAddress, clientId: o.clientId });
      }
      if (this.usableBy(o.addr, subnet, id, now, classes)) return o.addr;
    }
    return undefined;
  }

  /**
   * A SELECTING REQUEST for an address whose offer was taken back and given to another client that has
   * not confirmed it: the REQUEST came first in the exchange, so it wins; the other client is NAKed if
   * it asks. True when `addr` is now usable by this client.
   */
  reclaimDisplaced(addr: number, subnet: CompiledSubnet, id: ClientIdentity, now: number): boolean {
    const loser = this.displaced.get(addr | 0);
    if (loser === undefined || !owns(loser, id, subnet.matchClientId)) return false;
    if (this.unconfirmed.get(subnet.id)?.has(addr | 0) !== true) return false;
    this.displaced.delete(addr | 0);
    this.dropOffer(addr);
    return this.usableBy(addr, subnet, id, now);
  }

  clientOffer(subnetId: number, id: ClientIdentity, now: number): Offer | undefined {
    if (id.clientId !== null) {
      const o = this.liveOffer(this.offerByClient.byId(subnetId, id.clientId), subnetId, id, now);
      if (o !== undefined) return o;
    }
    return this.liveOffer(this.offerByClient.byHw(subnetId, id.hwAddress), subnetId, id, now);
  }

  private liveOffer(
    addr: number | undefined,
    subnetId: number,
    id: ClientIdentity,
    now: number,
  ): Offer | undefined {
    const o = addr === undefined ? undefined : this.offers.get(addr | 0);
    return o && o.expiresAt > now && o.subnetId === subnetId && owns(o, id, true) ? o : undefined;
  }

  /**
   * Holds `addr` for this client for `lifetimeMs`, replacing its previous offer: an offer (`confirmed`
   * false), which a full pool may take back, or the hold of a commit in flight (`confirmed` true), which
   * it may not.
   */
  holdOffer(
    subnetId: number,
    id: ClientIdentity,
    addr: number,
    now: number,
    lifetimeMs: number,
    confirmed: boolean,
  ): void {
    let keysHere = true;
    if (id.clientId !== null) {
      const prev = this.offerByClient.byId(subnetId, id.clientId);
      if (prev !== addr) keysHere = false;
      if (prev !== undefined && prev !== addr) this.dropOffer(prev);
    }
    if (id.hwAddress !== '') {
      const prev = this.offerByClient.byHw(subnetId, id.hwAddress);
      if (prev !== addr) keysHere = false;
      if (prev !== undefined && prev !== addr) this.dropOffer(prev);
    }
    const held = this.offers.get(addr | 0);
    // The same client holding the same address again (its REQUEST after our OFFER) keeps its place: only
    // the deadline moves, and the pool bit stays taken instead of being released and taken again.
    const same =
      held !== undefined &&
      held.subnetId === subnetId &&
      held.hwAddress === id.hwAddress &&
      held.clientId === id.clientId;
    if (held !== undefined && !same) this.dropOffer(addr);
    const expiresAt = now + lifetimeMs;
    const offer: Offer = { addr, subnetId, hwAddress: id.hwAddress, clientId: id.clientId, expiresAt };
    this.offers.set(addr | 0, offer);
    // Both keys already name addr when nothing was dropped: setting them again would change nothing.
    if (!keysHere || (held !== undefined && !same))
      this.offerByClient.set(subnetId, id.hwAddress, id.clientId, addr);
    // An unchanged deadline is deleted first, so that the heap gets the entry it got before the shortcut.
    if (same && held.expiresAt === expiresAt) this.deadlines.delete(addr * 2);
    this.deadlines.set(addr * 2, expiresAt);
    // refreshTaken: the address now has an offer.
    this.setTaken(addr, true);
    // Re-inserted at the end: the queue stays in order of holding.
    const queue = subnetMap(this.unconfirmed, subnetId);
    queue.delete(addr | 0);
    if (!confirmed) queue.set(addr | 0, offer);
  }

  dropClientOffer(subnetId: number, id: ClientIdentity): void {
    if (id.clientId !== null) {
      const addr = this.offerByClient.byId(subnetId, id.clientId);
      if (addr !== undefined) this.dropOffer(addr);
    }
    const addr = this.offerByClient.byHw(subnetId, id.hwAddress);
    if (addr !== undefined) this.dropOffer(addr);
  }

  /**
   * Drops the offer a DHCPOFFER announced (at its yiaddr) while that offer is still the client's, the one
   * the reply's chaddr names: the OFFER never reached the wire, so nobody will request it.
   */
  dropOfferMadeTo(offer: DhcpMessage): void {
    if (!isIpv4(offer.yiaddr)) return;
    const addr = ipv4ToInt(offer.yiaddr);
    const held = this.offers.get(addr | 0);
    if (held !== undefined && held.hwAddress === hwAddressOf(offer)) this.dropOffer(addr);
  }

  dropOffer(addr: number): void {
    const o = this.offers.get(addr | 0);
    if (!o) return;
    this.offers.delete(addr | 0);
    this.unconfirmed.get(o.subnetId)?.delete(addr | 0);
    this.offerByClient.deleteIf(o.subnetId, o.hwAddress, o.clientId, addr);
    this.deadlines.delete(addr * 2);
    this.refreshTaken(addr);
  }

  /** The single place a lease enters or leaves: keeps allocator, deadlines and gauges in step. */
  setLease(addr: number, next: Lease | undefined): void {
    const prev = this.index.get(addr);
    if (prev) this.gauge(prev, -1);
    if (next) this.index.put(next, addr, prev);
    else this.index.delete(addr);
    if (next) this.gauge(next, 1);
    const live = next !== undefined && next.state !== 'expired-reclaimed';
    if (live) this.deadlines.set(addr * 2 + 1, next.expiresAt);
    else this.deadlines.delete(addr * 2 + 1);
    let offer = this.offers.get(addr | 0);
    if (offer && live && !owns(next, offer, true)) {
      this.dropOffer(addr);
      offer = undefined;
    }
    // refreshTaken, with what is known here: the lease at addr is `next`.
    this.setTaken(addr, this.allocator.isExcluded(addr) || offer !== undefined || live);
  }

  /**
   * `setLease` for the start-up load, where an address rarely holds a lease or an offer yet: then the lease
   * goes in with fewer lookups of the address (a million leases, docs/scaling.md); otherwise as `setLease`.
   */
  loadLease(addr: number, lease: Lease): void {
    const live = lease.state !== 'expired-reclaimed';
    if (this.offers.has(addr | 0) || !this.index.putNew(lease, addr, live ? lease.expiresAt : NaN)) {
      this.setLease(addr, lease);
      return;
    }
    this.gauge(lease, 1);
    if (live) this.deadlines.pushKnown(addr * 2 + 1, lease.expiresAt);
    this.setTaken(addr, live || this.allocator.isExcluded(addr));
  }

  /**
   * Ends due offers and reclaims due leases (expired, or declined past probation), at most `limit`
   * leases; returns the store writes, already applied here.
   */
  reclaim(now: number, remove: boolean, limit: number): LeaseWrite[] {
    const writes: LeaseWrite[] = [];
    while (writes.length < limit) {
      const key = this.deadlines.popDue(now, 1)[0];
      if (key === undefined) break;
      const addr = Math.floor(key / 2);
      if (key % 2 === 0) {
        const o = this.offers.get(addr | 0);
        if (o && o.expiresAt <= now) this.dropOffer(addr);
        continue;
      }
      const lease = this.index.get(addr);
      if (!lease || lease.state === 'expired-reclaimed') continue;
      if (lease.expiresAt > now) {
        this.deadlines.set(key, lease.expiresAt);
        continue;
      }
      if (lease.state === 'declined') this.stats.inc(GLOBAL['reclaimed-declined-addresses']);
      this.stats.inc(GLOBAL['reclaimed-leases']);
      writes.push({ op: 'reclaim', address: lease.address, remove });
      // Kea's reclamation keeps the client identity (affinity) and drops the hostname.
      this.setLease(
        addr,
        remove
          ? undefined
          : Object.freeze({ ...withoutDnsFlags(lease), hostname: null, state: 'expired-reclaimed' as const }),
      );
    }
    return writes;
  }

  private gauge(lease: Lease, d: number): void {
    if (lease.state === 'default') {
      this.stats.incSubnet(lease.subnetId, SUBNET['assigned-addresses'], d);
      this.countHwLease(lease, d);
    } else if (lease.state === 'declined') {
      this.stats.incSubnet(lease.subnetId, SUBNET['declined-addresses'], d);
      this.stats.inc(GLOBAL['declined-addresses'], d);
    }
  }

  private countHwLease(lease: Lease, d: number): void {
    if (lease.state !== 'default' || lease.hwAddress === '' || !this.countedSubnets.has(lease.subnetId))
      return;
    const counts = subnetTable(this.hwLeases, lease.subnetId);
    const key = hwKey(lease.hwAddress);
    const n = (counts.get(key) ?? 0) + d;
    if (n > 0) counts.set(key, n);
    else counts.delete(key);
  }

  private refreshTaken(addr: number): void {
    // The state alone: building the lease from the compact index for it cost a lease object per DORA.
    const state = this.index.stateOf(addr);
    this.setTaken(
      addr,
      this.allocator.isExcluded(addr) ||
        this.offers.has(addr | 0) ||
        (state !== undefined && state !== 'expired-reclaimed'),
    );
  }

  private setTaken(addr: number, taken: boolean): void {
    if (taken) this.allocator.take(addr);
    else this.allocator.release(addr);
  }
}

/**
 * The deadlines' live values for keys `addr * 2` (offer) and `addr * 2 + 1` (lease), in one map per kind
 * keyed by `addr | 0`: small integers, where the combined key would be a boxed number.
 */
class AddressDeadlines implements DeadlineMap<number> {
  private readonly offers = new ChurnMap<number, number>(OFFER_INSERTIONS_PER_LIVE);
  /**
   * Leases' deadlines are a column of the lease index (one double a slot, gone with the lease); one set for
   * an address that holds no lease (the book never does that) would be kept here.
   */
  private readonly index: LeaseIndex;
  private readonly withoutLease = new Map<number, number>();

  constructor(index: LeaseIndex) {
    this.index = index;
  }

  get size(): number {
    return this.offers.size + this.index.deadlines + this.withoutLease.size;
  }

  get(key: number): number | undefined {
    const addr = Math.floor(key / 2);
    if (key % 2 === 0) return this.offers.get(addr | 0);
    return this.index.deadlineOf(addr) ?? this.withoutLease.get(addr | 0);
  }

  set(key: number, deadline: number): void {
    const addr = Math.floor(key / 2);
    if (key % 2 === 0) this.offers.set(addr | 0, deadline);
    else if (this.index.setDeadline(addr, deadline)) this.withoutLease.delete(addr | 0);
    else this.withoutLease.set(addr | 0, deadline);
  }

  delete(key: number): void {
    const addr = Math.floor(key / 2);
    if (key % 2 === 0) this.offers.delete(addr | 0);
    else {
      this.index.setDeadline(addr, NaN);
      this.withoutLease.delete(addr | 0);
    }
  }

  clear(): void {
    this.offers.clear();
    this.withoutLease.clear();
    for (const l of this.index.values()) this.index.setDeadline(ipv4ToInt(l.address), NaN);
  }
}
