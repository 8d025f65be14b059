// `server.leasesOf` answers what filtering `server.leases` by the client would, from the engine's index.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DhcpLibraryError, MemoryLeaseStore, type DhcpLease } from '../../src/index.ts';
import { SEED, lan } from './helpers.ts';

const HOUR = 3_600_000;

test('server.leasesOf finds a client by MAC, client id or hostname as a filter of server.leases does', async () => {
  const now = Date.now();
  const store = new MemoryLeaseStore();
  for (let i = 2; i < 60; i++) {
    const mac = `02:00:00:00:01:${(i % 7).toString(16).padStart(2, '0')}`;
    await store.commit({
      address: `192.168.1.${i}`,
      hwAddress: mac,
      clientId:
        i % 2 === 0
          ? `01:${mac}`
          : i % 3 === 0
            ? `ff:00:00:00:${(i % 5).toString(16).padStart(2, '0')}`
            : null,
      subnetId: 1,
      validLifetime: 3600,
      cltt: now,
      expiresAt: now + HOUR,
      hostname: i % 4 === 0 ? `Host-${i % 3}` : null,
      state: 'default',
      userContext: null,
    });
  }
  await store.reclaim('192.168.1.2', { remove: false, now: now + 2 * HOUR }); // not in server.leases
  await store.markDeclined('192.168.1.3', 3600, { now });
  const l = lan();
  const server = await l.serve({ ...SEED, store });
  try {
    const all = [...server.leases.values()].sort((a, b) => a.ip.localeCompare(b.ip, 'en', { numeric: true }));
    const where = (pick: (v: DhcpLease) => boolean): DhcpLease[] => all.filter(pick);
    let nonEmpty = 0;
    for (const v of all) {
      const byMac = server.leasesOf({ mac: v.mac.toUpperCase() });
      assert.deepEqual(
        byMac,
        where((x) => x.mac === v.mac),
      );
      assert.deepEqual(server.leasesOf({ mac: v.mac, subnetId: 2 }), []);
      if (v.clientId !== null)
        assert.deepEqual(
          server.leasesOf({ clientId: v.clientId }),
          where((x) => x.clientId === v.clientId),
        );
      if (v.hostname !== null)
        assert.deepEqual(
          server.leasesOf({ hostname: v.hostname.toLowerCase() }),
          where((x) => x.hostname?.toLowerCase() === v.hostname!.toLowerCase()),
        );
      if (byMac.length > 1) nonEmpty++;
    }
    assert.ok(nonEmpty > 0, 'some clients hold several leases');
    assert.deepEqual(server.leasesOf({ mac: '02:00:00:00:09:09' }), []);
    assert.equal(server.leasesOf({ mac: '02:00:00:00:01:02' }).length, 8);
    assert.throws(
      () => server.leasesOf({ mac: 7 } as unknown as { mac: string }),
      (e: unknown) => e instanceof DhcpLibraryError && e.code === 'ERR_DHCP_OPTIONS',
    );
    assert.throws(() => server.leasesOf({} as { hostname: string }), DhcpLibraryError);
  } finally {
    await server.stop();
  }
});
