import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileConfig } from '../../src/config/compile.ts';
import type { Lease } from '../../src/leases/lease.ts';
import { MemoryLeaseStore } from '../../src/leases/memory.ts';
import { applyLeaseChecks } from '../../src/server/lease-sanity.ts';
import { intToIpv4 } from '../../src/config/ipv4.ts';

const now = Date.UTC(2026, 0, 1);

function lease(address: string, subnetId: number, n: number): Lease {
  return {
    address,
    hwAddress: `02:00:00:00:00:${n.toString(16).padStart(2, '0')}`,
    clientId: null,
    subnetId,
    validLifetime: 3600,
    cltt: now,
    expiresAt: now + 3_600_000,
    hostname: null,
    state: 'default',
    userContext: null,
  };
}

/** One good lease, one with the wrong subnet id (fixable), one in no configured subnet (unfixable). */
async function run(mode: string | undefined) {
  const config = compileConfig({
    Dhcp4: {
      ...(mode === undefined ? {} : { 'sanity-checks': { 'lease-checks': mode } }),
      subnet4: [
        { id: 1, subnet: '198.18.0.0/24' },
        { id: 2, subnet: '198.18.1.0/24' },
      ],
    },
  });
  const store = new MemoryLeaseStore();
  for (const l of [lease('198.18.0.10', 1, 1), lease('198.18.1.10', 1, 2), lease('198.18.9.10', 9, 3)])
    assert.ok((await store.commit(l, { now })).ok);
  const warnings: string[] = [];
  const loaded = await applyLeaseChecks(config, await store.getAll(), store, (_f, t) => warnings.push(t));
  const stored = (await store.getAll()).map((l) => `${l.address}@${l.subnetId}`).sort();
  return { loaded: loaded.map((l) => `${l.address}@${l.subnetId}`).sort(), stored, warnings };
}

test('lease-checks warn (the default) loads inconsistent leases as they are, with one warning line', async () => {
  const r = await run(undefined);
  assert.deepEqual(r.loaded, ['198.18.0.10@1', '198.18.1.10@1', '198.18.9.10@9']);
  assert.equal(r.warnings.length, 1);
  assert.match(r.warnings[0] ?? '', /lease-checks warn\): 2 loaded lease/);
});

test('fix corrects the subnet id in the store and keeps what it cannot fix', async () => {
  const r = await run('fix');
  assert.deepEqual(r.loaded, ['198.18.0.10@1', '198.18.1.10@2', '198.18.9.10@9']);
  assert.deepEqual(r.stored, r.loaded);
});

test('fix-del corrects what it can and deletes the rest; del deletes every inconsistent lease', async () => {
  const fixDel = await run('fix-del');
  assert.deepEqual(fixDel.loaded, ['198.18.0.10@1', '198.18.1.10@2']);
  assert.deepEqual(fixDel.stored, fixDel.loaded);
  const del = await run('del');
  assert.deepEqual(del.loaded, ['198.18.0.10@1']);
  assert.deepEqual(del.stored, ['198.18.0.10@1']);
});

test('none checks nothing', async () => {
  const r = await run('none');
  assert.equal(r.loaded.length, 3);
  assert.deepEqual(r.warnings, []);
});

test('fix finds the subnet of every lease among many subnets of any size, declared in any order', async () => {
  // 198.18.0.0/15 cut into subnets of sizes /22 to /28, declared shuffled; ids by position in address order
  const subnets: { id: number; subnet: string; start: number; size: number }[] = [];
  let at = 0xc6120000;
  for (let i = 0; at < 0xc6140000 - 1024; i++) {
    const prefix = 22 + (i % 7);
    const size = 2 ** (32 - prefix);
    at = Math.ceil(at / size) * size;
    subnets.push({ id: i + 1, subnet: `${intToIpv4(at)}/${prefix}`, start: at, size });
    at += size * (1 + (i % 2)); // every other one leaves a gap the size of itself
  }
  const shuffled = [...subnets].sort((a, b) => ((a.id * 7919) % 101) - ((b.id * 7919) % 101));
  const config = compileConfig({
    Dhcp4: {
      'sanity-checks': { 'lease-checks': 'fix' },
      subnet4: shuffled.map((s) => ({ id: s.id, subnet: s.subnet })),
    },
  });
  const leases: Lease[] = [];
  const expected: string[] = [];
  subnets.forEach((s, i) => {
    for (const offset of [0, s.size - 1, s.size >> 1]) {
      const address = intToIpv4(s.start + offset);
      leases.push(lease(address, 999_999, i % 256)); // every subnet id wrong
      expected.push(`${address}@${s.id}`);
    }
    const gap = intToIpv4(s.start + s.size); // in the gap after every other subnet: in no subnet
    if (i % 2 === 1 && !subnets.some((o) => o.start === s.start + s.size)) {
      leases.push(lease(gap, 999_999, 0));
      expected.push(`${gap}@999999`);
    }
  });
  const store = new MemoryLeaseStore();
  for (const l of leases) assert.ok((await store.commit(l, { now })).ok);
  const loaded = await applyLeaseChecks(config, leases, store, () => undefined);
  assert.deepEqual(loaded.map((l) => `${l.address}@${l.subnetId}`).sort(), expected.sort());
});
