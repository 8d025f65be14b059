import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Lease } from '../../src/leases/lease.ts';
import { MemoryLeaseStore } from '../../src/leases/memory.ts';
import { StatisticsManager } from '../../src/control/statistics.ts';
import { trackLeaseStatistics } from '../../src/control/lease-statistics.ts';

test('StatisticsManager keeps Kea-style samples, newest first, bounded', () => {
  let now = 1000;
  const stats = new StatisticsManager({ clock: () => now, maxSamples: 3 });
  stats.set('pkt4-received', 0);
  for (let i = 0; i < 5; i++) {
    now += 1;
    stats.add('pkt4-received', 1);
  }
  assert.deepEqual(stats.get('pkt4-received'), [
    { value: 5, at: 1005 },
    { value: 4, at: 1004 },
    { value: 3, at: 1003 },
  ]);
  assert.equal(stats.reset('pkt4-received'), true);
  assert.deepEqual(stats.get('pkt4-received'), [{ value: 0, at: 1005 }]);
  assert.equal(stats.reset('nope'), false);
  assert.equal(stats.remove('pkt4-received'), true);
  assert.equal(stats.get('pkt4-received'), undefined);
  assert.throws(() => new StatisticsManager({ maxSamples: 0 }), RangeError);
});

function lease(address: string, hw: string, state: Lease['state'] = 'default'): Lease {
  const cltt = Date.UTC(2026, 10, 23);
  return {
    address,
    hwAddress: hw,
    clientId: null,
    subnetId: 1,
    validLifetime: 3600,
    cltt,
    expiresAt: cltt + 3600_000,
    hostname: null,
    state,
    userContext: null,
  };
}

test('lease statistics follow the store: assigned, declined, cumulative', async () => {
  const store = new MemoryLeaseStore({ clock: () => Date.UTC(2026, 10, 23) });
  await store.commit(lease('198.18.0.100', 'aa:bb:cc:dd:ee:00'));
  const stats = new StatisticsManager();
  const stop = await trackLeaseStatistics(store, stats, [
    { id: 1, totalAddresses: 101, validLifetime: 3600 },
  ]);
  assert.equal(stats.value('subnet[1].total-addresses'), 101);
  assert.equal(stats.value('subnet[1].assigned-addresses'), 1);

  await store.commit(lease('198.18.0.101', 'aa:bb:cc:dd:ee:01'));
  await store.commit(lease('198.18.0.101', 'aa:bb:cc:dd:ee:01')); // a renewal: not a new assignment
  assert.equal(stats.value('subnet[1].assigned-addresses'), 2);
  assert.equal(stats.value('subnet[1].cumulative-assigned-addresses'), 1);
  assert.equal(stats.value('cumulative-assigned-addresses'), 1);

  await store.markDeclined('198.18.0.101', 86400);
  assert.equal(stats.value('subnet[1].assigned-addresses'), 2, 'Kea counts declined leases as assigned');
  assert.equal(stats.value('subnet[1].declined-addresses'), 1);
  assert.equal(stats.value('declined-addresses'), 1);

  await store.remove('198.18.0.101');
  await store.remove('198.18.0.100');
  assert.equal(stats.value('subnet[1].assigned-addresses'), 0);
  assert.equal(stats.value('subnet[1].declined-addresses'), 0);

  stop();
  await store.commit(lease('198.18.0.102', 'aa:bb:cc:dd:ee:02'));
  assert.equal(stats.value('subnet[1].assigned-addresses'), 0, 'no longer tracking');
});
