import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileConfig } from '../../src/config/compile.ts';
import { intToIpv4, ipv4ToInt } from '../../src/config/ipv4.ts';
import type { Lease } from '../../src/leases/lease.ts';
import { AddressBook } from '../../src/server/address-book.ts';
import { Statistics } from '../../src/server/stats.ts';

/**
 * Two small subnets (one with a per-MAC lease limit, so its counts are kept, and a reservation) and one of
 * the server's own addresses (excluded): leases land inside and outside the pools, on excluded and reserved
 * addresses and on addresses that already hold a lease.
 */
const config = compileConfig({
  Dhcp4: {
    'valid-lifetime': 3600,
    subnet4: [
      { id: 1, subnet: '198.18.0.0/27', pools: [{ pool: '198.18.0.2 - 198.18.0.29' }] },
      {
        id: 2,
        subnet: '198.18.0.32/27',
        pools: [{ pool: '198.18.0.34 - 198.18.0.61' }],
        'user-context': { limits: { 'leases-per-hw-address': 2 } },
        reservations: [{ 'hw-address': '02:00:00:00:00:01', 'ip-address': '198.18.0.40' }],
      },
    ],
  },
});
const BASE = ipv4ToInt('198.18.0.0');
const NOW = Date.UTC(2026, 0, 1);
const OWN = '198.18.0.5';
const HW = ['02:00:00:00:00:01', '02:00:00:00:00:02', '02:00:00:00:00:03', ''];

const leaseArb: fc.Arbitrary<Lease> = fc
  .record({
    offset: fc.nat({ max: 70 }),
    hw: fc.constantFrom(...HW),
    clientId: fc.boolean(),
    subnetId: fc.constantFrom(1, 2, 3),
    expiresIn: fc.integer({ min: -3_600_000, max: 3_600_000 }),
    hostname: fc.option(fc.constantFrom('a', 'b')),
    state: fc.constantFrom('default' as const, 'declined' as const, 'expired-reclaimed' as const),
  })
  .map((r) => ({
    address: intToIpv4(BASE + r.offset),
    hwAddress: r.hw,
    clientId: r.clientId && r.hw !== '' ? `01:${r.hw}` : null,
    subnetId: r.subnetId,
    validLifetime: 3600,
    cltt: NOW + r.expiresIn - 3_600_000,
    expiresAt: NOW + r.expiresIn,
    hostname: r.hostname,
    state: r.state,
    userContext: null,
  }));

/** Everything a loaded book answers: its leases, gauges, per-MAC counts, deadlines and free addresses. */
function observe(book: AddressBook, stats: Statistics): unknown {
  const leases = [...book.index.values()].sort((a, b) => ipv4ToInt(a.address) - ipv4ToInt(b.address));
  const counts = [1, 2, 3].flatMap((s) => HW.map((hw) => book.leasesOfHwAddress(s, hw)));
  const snapshot = stats.snapshot([1, 2, 3]);
  const deadlines = book.deadlines.popDue(Number.MAX_SAFE_INTEGER);
  // the reserved client: the allocator must not offer the reservation's address to anyone
  const claimant = { id: { hwAddress: HW[0]!, clientId: null }, now: NOW, classes: null };
  const free = config.subnets.map((s) => {
    const got: (number | undefined)[] = [];
    for (let i = 0; i < 64; i++) got.push(book.allocate(s, claimant));
    return got;
  });
  return { leases, counts, snapshot, deadlines, free };
}

test('the start-up load builds the same book as a setLease per lease, duplicates and odd leases included', () => {
  fc.assert(
    fc.property(fc.array(leaseArb, { maxLength: 60 }), (leases) => {
      const statsA = new Statistics();
      const bySetLease = new AddressBook(config, statsA);
      bySetLease.learnAddress(OWN);
      for (const l of leases) bySetLease.setLease(ipv4ToInt(l.address), l);
      const statsB = new Statistics();
      const byLoad = new AddressBook(config, statsB);
      byLoad.learnAddress(OWN);
      for (const l of leases) byLoad.loadLease(ipv4ToInt(l.address), l);
      assert.deepEqual(observe(byLoad, statsB), observe(bySetLease, statsA));
    }),
    { numRuns: 300 },
  );
});
