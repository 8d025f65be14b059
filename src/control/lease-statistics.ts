import type { Lease } from '../leases/index.ts';
import type { LeaseChange, LeaseStore } from '../leases/index.ts';
import type { StatisticsManager } from './statistics.ts';
import type { SubnetInfo } from './target.ts';

/**
 * Keeps Kea's lease statistics up to date from the lease store's change events: per subnet
 * `total-addresses`, `assigned-addresses` (leased or declined, as Kea counts them), `declined-addresses`,
 * `cumulative-assigned-addresses`, and the global `declined-addresses` and `cumulative-assigned-addresses`.
 * Starts from the store's counts; resolves to a function that stops tracking.
 */
export async function trackLeaseStatistics(
  store: Pick<LeaseStore, 'onChange' | 'stats'>,
  stats: StatisticsManager,
  subnets: readonly SubnetInfo[],
): Promise<() => void> {
  // Subscribe first so no change is lost while the initial counts load; the counts then overwrite.
  const pending: LeaseChange[] = [];
  let ready = false;
  const unsubscribe = store.onChange((change) => {
    if (ready) apply(stats, change);
    else pending.push(change);
  });
  const counts = new Map((await store.stats()).map((c) => [c.subnetId, c.byState]));
  let declinedTotal = 0;
  for (const subnet of subnets) {
    const c = counts.get(subnet.id);
    const declined = c?.declined ?? 0;
    declinedTotal += declined;
    stats.set(`subnet[${subnet.id}].total-addresses`, subnet.totalAddresses);
    stats.set(`subnet[${subnet.id}].assigned-addresses`, (c?.default ?? 0) + declined);
    stats.set(`subnet[${subnet.id}].declined-addresses`, declined);
    if (stats.value(`subnet[${subnet.id}].cumulative-assigned-addresses`) === undefined) {
      stats.set(`subnet[${subnet.id}].cumulative-assigned-addresses`, 0);
    }
  }
  stats.set('declined-addresses', declinedTotal);
  if (stats.value('cumulative-assigned-addresses') === undefined)
    stats.set('cumulative-assigned-addresses', 0);
  // Changes that raced the initial load are taken as included in the counts; only the totals count them.
  for (const change of pending) if (isNewAssignment(change)) countAssignment(stats, change.lease.subnetId);
  ready = true;
  return unsubscribe;
}

function apply(stats: StatisticsManager, change: LeaseChange): void {
  if (change.kind === 'updated' && change.previous !== null) adjust(stats, change.previous, -1);
  adjust(stats, change.lease, change.kind === 'removed' ? -1 : 1);
  if (isNewAssignment(change)) countAssignment(stats, change.lease.subnetId);
}

function adjust(stats: StatisticsManager, lease: Lease, sign: 1 | -1): void {
  if (lease.state === 'expired-reclaimed') return;
  stats.add(`subnet[${lease.subnetId}].assigned-addresses`, sign);
  if (lease.state === 'declined') {
    stats.add(`subnet[${lease.subnetId}].declined-addresses`, sign);
    stats.add('declined-addresses', sign);
  }
}

/** A lease handed to a client that did not hold it a moment ago (not a renewal). */
function isNewAssignment(change: LeaseChange): boolean {
  if (change.kind === 'removed' || change.lease.state !== 'default') return false;
  const prev = change.previous;
  return (
    prev === null ||
    prev.state !== 'default' ||
    prev.hwAddress !== change.lease.hwAddress ||
    prev.clientId !== change.lease.clientId
  );
}

function countAssignment(stats: StatisticsManager, subnetId: number): void {
  stats.add(`subnet[${subnetId}].cumulative-assigned-addresses`, 1);
  stats.add('cumulative-assigned-addresses', 1);
}
