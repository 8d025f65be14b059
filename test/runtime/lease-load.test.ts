import { test } from 'node:test';
import assert from 'node:assert/strict';
import { intToIpv4 } from '../../src/config/ipv4.ts';
import type { Lease } from '../../src/leases/lease.ts';
import { MemoryLeaseStore } from '../../src/leases/memory.ts';
import { loadStoreInPages } from '../../src/runtime/lease-load.ts';

const NOW = Date.UTC(2026, 0, 1);

async function storeWith(count: number): Promise<MemoryLeaseStore> {
  const store = new MemoryLeaseStore();
  // addresses out of numeric order in text (198.18.0.9 < 198.18.0.10), and across the 127/128 boundary
  for (let i = 0; i < count; i++) {
    const addr = (i % 2 === 0 ? 0xc6120000 : 0x7f000000) + i;
    await store.commit({
      address: intToIpv4(addr),
      hwAddress: `02:00:00:00:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`,
      clientId: null,
      subnetId: 1,
      validLifetime: 3600,
      cltt: NOW,
      expiresAt: NOW + 3_600_000,
      hostname: i % 3 === 0 ? `h${i}` : null,
      state: 'default',
      userContext: null,
    });
  }
  return store;
}

for (const [count, pageSize] of [
  [0, 10],
  [9, 10],
  [10, 10],
  [20, 10],
  [25, 10],
  [25, 1],
] as const) {
  test(`the start-up load reads ${count} leases in pages of ${pageSize}: every lease once, in address order`, async () => {
    const store = await storeWith(count);
    const loaded: Lease[] = [];
    const pages: number[] = [];
    const n = await loadStoreInPages(
      store,
      (page) => {
        pages.push(page.length);
        loaded.push(...page);
      },
      pageSize,
    );
    assert.equal(n, count);
    const all = await store.getAll();
    const byAddress = (a: Lease, b: Lease): number => a.address.localeCompare(b.address);
    assert.deepEqual([...loaded].sort(byAddress), [...all].sort(byAddress));
    assert.equal(new Set(loaded.map((l) => l.address)).size, count);
    assert.ok(pages.every((p) => p <= pageSize));
  });
}
