import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LeaseFileError } from '../../src/client/errors.ts';
import { parseLeaseFile, serializeLeaseFile, usableLease } from '../../src/client/lease-file.ts';
import { readLeaseFile, writeLeaseFile } from '../../src/runtime/client/lease-file.ts';
import { FakeServer, MAC, Sim, makeClient } from './harness.ts';

function boundLease() {
  const sim = new Sim(makeClient(), [new FakeServer({ leaseTime: 600 })]);
  sim.start();
  sim.runFor(100);
  return { lease: sim.client.lease!, now: sim.now };
}

describe('lease file', () => {
  it('round-trips a lease through JSON', () => {
    const { lease, now } = boundLease();
    const text = serializeLeaseFile({ interface: 'eth0', hwAddress: MAC.toUpperCase(), savedAt: now, lease });
    const file = parseLeaseFile(text);
    assert.deepEqual(file.lease, lease);
    assert.equal(file.version, 1);
    assert.equal(file.hwAddress, MAC);
  });

  it('is reused only on the same interface and MAC, and only before it expires', () => {
    const { lease, now } = boundLease();
    const file = parseLeaseFile(
      serializeLeaseFile({ interface: 'eth0', hwAddress: MAC, savedAt: now, lease }),
    );
    assert.deepEqual(usableLease(file, 'eth0', MAC, now), lease);
    assert.equal(usableLease(file, 'eth1', MAC, now), null);
    assert.equal(usableLease(file, 'eth0', '02:00:00:00:00:99', now), null);
    assert.equal(usableLease(file, 'eth0', MAC, lease.expiresAt!), null);
  });

  it('rejects files that are not JSON or not a lease, with ERR_CLIENT_LEASE_FILE', () => {
    assert.throws(() => parseLeaseFile('{'), { name: 'LeaseFileError', code: 'ERR_CLIENT_LEASE_FILE' });
    const { lease, now } = boundLease();
    const bad = JSON.parse(
      serializeLeaseFile({ interface: 'eth0', hwAddress: MAC, savedAt: now, lease }),
    ) as {
      lease: { address: string };
    };
    bad.lease.address = '300.1.1.1';
    assert.throws(
      () => parseLeaseFile(JSON.stringify(bad)),
      (e: unknown) => e instanceof LeaseFileError && /lease\.address/.test(e.message),
    );
    assert.throws(() => parseLeaseFile('{"version":2}'), LeaseFileError);
  });

  it('writes atomically and reads back; a missing file reads as null', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lk-client-'));
    try {
      const path = join(dir, 'eth0.lease.json');
      assert.equal(await readLeaseFile(path), null);
      const { lease, now } = boundLease();
      await writeLeaseFile(path, { interface: 'eth0', hwAddress: MAC, savedAt: now, lease });
      const back = await readLeaseFile(path);
      assert.deepEqual(back?.lease, lease);
      assert.match(await readFile(path, 'utf8'), /"version": 1/);
      await writeFile(path, 'garbage');
      await assert.rejects(readLeaseFile(path), { code: 'ERR_CLIENT_LEASE_FILE' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('feeds INIT-REBOOT after a restart', () => {
    const { lease, now } = boundLease();
    const file = parseLeaseFile(
      serializeLeaseFile({ interface: 'eth0', hwAddress: MAC, savedAt: now, lease }),
    );
    const sim = new Sim(makeClient(), [new FakeServer({ leaseTime: 600 })]);
    sim.now = now + 1_000;
    sim.start({ previousLease: usableLease(file, 'eth0', MAC, sim.now) });
    sim.runFor(100);
    assert.deepEqual(sim.client.stateName, 'BOUND');
    assert.deepEqual(sim.states().slice(0, 2), ['INIT-REBOOT', 'REBOOTING']);
  });
});
