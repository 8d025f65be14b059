// `server.leases` reads the engine's compact index: it must hold what a map built from the store holds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryLeaseStore, type DhcpLease } from '../../src/index.ts';
import { EngineLeaseMap } from '../../src/library/lease-map.ts';
import { leaseView } from '../../src/library/lease-view.ts';
import type { Lease } from '../../src/leases/lease.ts';
import { SEED, lan, next } from './helpers.ts';

const HOUR = 3_600_000;

async function filledStore(now: number): Promise<MemoryLeaseStore> {
  const store = new MemoryLeaseStore();
  for (let i = 2; i < 90; i++) {
    await store.commit({
      address: `192.168.1.${i}`,
      hwAddress: `02:00:00:00:01:${i.toString(16).padStart(2, '0')}`,
      clientId: i % 2 === 0 ? `01:02:00:00:00:01:${i.toString(16).padStart(2, '0')}` : null,
      subnetId: 1,
      validLifetime: 3600,
      cltt: i % 5 === 0 ? now - 2 * HOUR : now,
      expiresAt: i % 5 === 0 ? now - HOUR : now + HOUR,
      hostname: i % 3 === 0 ? `host-${i}` : null,
      state: 'default',
      userContext: i % 7 === 0 ? { note: `n${i}` } : null,
    });
  }
  await store.markDeclined('192.168.1.4', 3600, { now });
  await store.reclaim('192.168.1.5', { remove: false, now });
  return store;
}

/** What `server.leases` held when it was its own map: every live store lease, by address. */
async function fromStore(store: MemoryLeaseStore): Promise<Map<string, DhcpLease>> {
  const m = new Map<string, DhcpLease>();
  for (const l of await store.getAll()) {
    const v = leaseView(l);
    if (v !== null) m.set(l.address, v);
  }
  return m;
}

function assertSame(actual: ReadonlyMap<string, DhcpLease>, expected: Map<string, DhcpLease>): void {
  assert.equal(actual.size, expected.size);
  const sorted = (m: Iterable<[string, DhcpLease]>): [string, DhcpLease][] =>
    [...m].sort(([a], [b]) => a.localeCompare(b));
  assert.deepEqual(sorted(actual), sorted(expected));
  for (const [ip, v] of expected) {
    assert.deepEqual(actual.get(ip), v);
    assert.equal(actual.has(ip), true);
  }
  assert.equal(actual.has('192.168.1.5'), expected.has('192.168.1.5'));
  assert.equal(actual.get('192.168.1.250'), undefined);
  let n = 0;
  actual.forEach((v, k) => {
    assert.equal(v.ip, k);
    n++;
  });
  assert.equal(n, expected.size);
}

test('server.leases holds what the store holds, through store changes, without a copy of its own', async () => {
  const now = Date.now();
  const store = await filledStore(now);
  const l = lan();
  const server = await l.serve({ ...SEED, store });
  try {
    assertSame(server.leases, await fromStore(store));
    assert.equal(server.leases.has('192.168.1.5'), false, 'a reclaimed lease is not in the map');
    assert.equal(server.leases.get('192.168.1.4')?.state, 'declined');

    await store.reclaim('192.168.1.10', { remove: false, now }); // expired an hour ago
    await store.reclaim('192.168.1.15', { remove: true, now });
    await store.remove('192.168.1.3');
    await store.markDeclined('192.168.1.6', 3600, { now });
    await store.commit({
      address: '192.168.1.5',
      hwAddress: '02:00:00:00:02:05',
      clientId: null,
      subnetId: 1,
      validLifetime: 3600,
      cltt: now,
      expiresAt: now + HOUR,
      hostname: 'back',
      state: 'default',
      userContext: null,
    });
    assertSame(server.leases, await fromStore(store));

    // A listener of `bound` already finds the lease in the map.
    const client = await l.client('02:00:00:00:00:99');
    const seen = next(server, 'bound').then((e) => server.leases.get(e.ip));
    try {
      const lease = await client.bound();
      assert.equal((await seen)?.mac, '02:00:00:00:00:99');
      assert.equal(server.leases.get(lease.address)?.state, 'bound');
    } finally {
      await client.stop();
    }
    assertSame(server.leases, await fromStore(store));
  } finally {
    await server.stop();
  }
});

test('server.leases counts its size when first asked, then follows the changes', () => {
  const now = Date.now();
  const at = new Map<string, Lease>();
  const put = (ip: string, state: Lease['state']): Lease => {
    const l: Lease = {
      address: ip,
      hwAddress: '02:00:00:00:00:01',
      clientId: null,
      subnetId: 1,
      validLifetime: 3600,
      cltt: now,
      expiresAt: now + HOUR,
      hostname: null,
      state,
      userContext: null,
    };
    at.set(ip, l);
    return l;
  };
  const map = new EngineLeaseMap({ lease: (ip) => at.get(ip), leases: () => at.values() });
  put('192.168.1.2', 'default');
  // changes before anyone asked are not counted twice
  map.apply({ kind: 'added', lease: put('192.168.1.3', 'declined'), previous: null });
  put('192.168.1.4', 'expired-reclaimed');
  assert.equal(map.size, 2);
  const before = at.get('192.168.1.2')!;
  map.apply({ kind: 'updated', lease: put('192.168.1.2', 'expired-reclaimed'), previous: before });
  assert.equal(map.size, 1);
  map.apply({ kind: 'added', lease: put('192.168.1.5', 'default'), previous: null });
  const removed = at.get('192.168.1.3')!;
  at.delete('192.168.1.3');
  map.apply({ kind: 'removed', lease: removed, previous: removed });
  assert.equal(map.size, 1);
  assert.deepEqual([...map.keys()], ['192.168.1.5']);
});
