// The in-process updater's queue: which lease changes become DNS changes, retries with backoff while DNS is
// unreachable, the bound on its length, and a restart that keeps pending removals (in the lease database).
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { compileBehaviour, compileDdns } from '../../src/config/ddns.ts';
import { changesFor } from '../../src/ddns/index.ts';
import {
  DdnsService,
  DnsUnreachableError,
  SqliteQueueStorage,
  sidecarFile,
  type DdnsQueueStorage,
} from '../../src/runtime/ddns/index.ts';
import { SqliteLeaseStore } from '../../src/leases/index.ts';
import type { UpdateSender } from '../../src/ddns/transaction.ts';
import type { Lease } from '../../src/leases/lease.ts';
import { createLogger } from '../../src/runtime/logger.ts';
import { makeLease } from '../leases/fixtures.ts';
import { tempDir } from '../leases/tmp.ts';

const silent = createLogger({ level: 'silent' });
const fail = { add: (p: string, m: string) => assert.fail(`${p}: ${m}`) };
const behaviour = compileBehaviour([{ 'ddns-qualifying-suffix': 'example.com' }], 'Dhcp4', fail);

function ddns(maxQueueSize = 1024) {
  return compileDdns({ 'enable-updates': true, 'max-queue-size': maxQueueSize }, {}, fail);
}

const named = (address: string, hostname: string, patch: Partial<Lease> = {}): Lease =>
  makeLease({ address, hostname, fqdnFwd: true, fqdnRev: true, ...patch });

/** A sender that records every UPDATE and answers NOERROR, or throws while `down`. */
function recorder() {
  const calls: string[] = [];
  const state = { down: false };
  const send: UpdateSender = async (direction, name, _pre, updates) => {
    if (state.down) throw new DnsUnreachableError('down');
    calls.push(`${direction} ${name} ${updates.length}`);
    return 0;
  };
  return { calls, state, send };
}

test('lease changes that become DNS changes (Kea: new, renamed, released, expired, deleted)', () => {
  const a = named('10.0.0.1', 'a.example.com');
  assert.deepEqual(
    changesFor({ kind: 'added', lease: a, previous: null }).map((c) => c.kind),
    ['add'],
  );
  assert.deepEqual(
    changesFor({ kind: 'updated', lease: { ...a, cltt: a.cltt + 1 }, previous: a }),
    [],
    'a plain renewal',
  );
  const renamed = changesFor({ kind: 'updated', lease: { ...a, hostname: 'b.example.com' }, previous: a });
  assert.deepEqual(
    renamed.map((c) => `${c.kind} ${c.lease.hostname}`),
    ['remove a.example.com', 'add b.example.com'],
  );
  const released = { ...a, hostname: null, state: 'expired-reclaimed' as const };
  assert.deepEqual(
    changesFor({ kind: 'updated', lease: released, previous: a }).map((c) => `${c.kind} ${c.lease.hostname}`),
    ['remove a.example.com'],
  );
  assert.deepEqual(
    changesFor({ kind: 'removed', lease: a, previous: null }).map((c) => c.kind),
    ['remove'],
  );
  const unnamed = makeLease({ address: '10.0.0.2', hostname: 'x' });
  assert.deepEqual(
    changesFor({ kind: 'added', lease: unnamed, previous: null }),
    [],
    'no fqdn flags: no update',
  );
});

test('DNS unreachable: the change stays queued and is retried with backoff until it succeeds', async () => {
  let now = 1_000_000;
  const r = recorder();
  r.state.down = true;
  const svc = new DdnsService({
    ddns: () => ddns(),
    behaviour: () => behaviour,
    logger: silent,
    clock: () => now,
    send: r.send,
  });
  svc.onLeaseChange({ kind: 'added', lease: named('10.0.0.1', 'a.example.com'), previous: null });
  await svc.flush();
  assert.equal(svc.pending, 1);
  now += 500;
  await svc.flush();
  assert.equal(svc.statistics()['ncr-queue-length'], 1, 'not due before the backoff');
  r.state.down = false;
  now += 1_000;
  await svc.flush();
  assert.equal(svc.pending, 0);
  assert.deepEqual(r.calls, ['forward a.example.com 2', 'reverse 1.0.0.10.in-addr.arpa 4']);
  await svc.stop();
});

/** A lease file with the current schema, as the server's store leaves it. */
async function leaseFile(dir: string): Promise<string> {
  const path = join(dir, 'leases.sqlite');
  await (await SqliteLeaseStore.open({ path })).close();
  return path;
}

test("a restart keeps pending changes, removals included (the lease file's ddns_queue table)", async () => {
  const tmp = tempDir();
  try {
    const path = await leaseFile(tmp.dir);
    const r = recorder();
    r.state.down = true;
    const service = async () => {
      const svc = new DdnsService({
        ddns: () => ddns(),
        behaviour: () => behaviour,
        logger: silent,
        storage: (await SqliteQueueStorage.open(path)).storage,
        send: r.send,
      });
      await svc.start();
      return svc;
    };
    const first = await service();
    const a = named('10.0.0.1', 'a.example.com');
    first.onLeaseChange({ kind: 'removed', lease: a, previous: null });
    await first.flush();
    await first.stop();
    r.state.down = false;
    const second = await service();
    assert.equal(second.pending, 1, 'the removal came back from the lease file');
    await second.flush();
    assert.equal(second.pending, 0);
    assert.deepEqual(r.calls.slice(0, 1), ['forward a.example.com 1']);
    await second.stop();
    const third = await service();
    assert.equal(third.pending, 0, 'done changes are not replayed');
    await third.stop();
  } finally {
    tmp.remove();
  }
});

test('the queue file of earlier versions is moved into the lease file once, then removed', async () => {
  const tmp = tempDir();
  try {
    const path = await leaseFile(tmp.dir);
    const change = (fqdn: string, address: string) => ({
      change: {
        kind: 'remove',
        fqdn,
        address,
        dhcid: 'AAEB',
        ttl: 300,
        forward: true,
        reverse: true,
        mode: 'check-with-dhcid',
      },
      attempts: 3,
    });
    const bad = { change: { kind: 'remove', fqdn: 'x', address: 'not an address' }, attempts: 0 };
    writeFileSync(
      sidecarFile(path),
      JSON.stringify({
        version: 1,
        queue: [change('a.example.com', '10.0.0.1'), bad, change('b.example.com', '10.0.0.2')],
      }),
    );
    const opened = await SqliteQueueStorage.open(path);
    assert.match(opened.notes.join('\n'), /2 pending name change\(s\) moved/);
    assert.match(opened.warnings.join('\n'), /1 invalid entries/);
    assert.equal(existsSync(sidecarFile(path)), false, 'the file is gone');
    const r = recorder();
    const svc = new DdnsService({
      ddns: () => ddns(),
      behaviour: () => behaviour,
      logger: silent,
      storage: opened.storage,
      send: r.send,
    });
    await svc.start();
    assert.equal(svc.pending, 2);
    await svc.flush();
    const forwardNames = [
      ...new Set(r.calls.filter((c) => c.startsWith('forward')).map((c) => c.split(' ')[1])),
    ];
    assert.deepEqual(forwardNames, ['a.example.com', 'b.example.com'], 'both removals ran, in their order');
    await svc.stop();
    const again = await SqliteQueueStorage.open(path);
    assert.deepEqual(again.notes, [], 'nothing left to migrate');
    assert.deepEqual(await again.storage.take(10), [], 'the moved changes ran and left the table');
    await again.storage.close();
  } finally {
    tmp.remove();
  }
});

test('queue writes: one transaction per turn, a change done before its turn is never written, a failed write is retried', async () => {
  const writes: { added: string[]; done: string[] }[] = [];
  let failNext = false;
  const storage: DdnsQueueStorage = {
    where: 'test storage',
    take: async () => [],
    write: async (added, done) => {
      if (failNext) {
        failNext = false;
        throw new Error('database away');
      }
      writes.push({ added: added.map((e) => e.change.fqdn), done: [...done] });
    },
    close: async () => undefined,
  };
  const r = recorder();
  r.state.down = true;
  let now = 1_000_000;
  const svc = new DdnsService({
    ddns: () => ddns(),
    behaviour: () => behaviour,
    logger: silent,
    clock: () => now,
    storage,
    send: r.send,
  });
  await svc.start();
  svc.onLeaseChange({ kind: 'removed', lease: named('10.0.0.1', 'a.example.com'), previous: null });
  svc.onLeaseChange({ kind: 'removed', lease: named('10.0.0.2', 'b.example.com'), previous: null });
  assert.equal(writes.length, 0, 'nothing is written while the lease change is being handled');
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(writes, [{ added: ['a.example.com', 'b.example.com'], done: [] }]);
  failNext = true;
  r.state.down = false;
  now += 600_000; // past any backoff the first tries (DNS down) set
  await svc.flush();
  assert.equal(svc.pending, 0);
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(writes.length, 1, 'the write of the deletions failed');
  await svc.stop();
  assert.deepEqual(writes.at(-1)?.done.length, 2, 'the deletions failed once and were written at stop');
  const quick = new DdnsService({
    ddns: () => ddns(),
    behaviour: () => behaviour,
    logger: silent,
    storage,
    send: r.send,
  });
  writes.length = 0;
  quick.onLeaseChange({ kind: 'removed', lease: named('10.0.0.3', 'c.example.com'), previous: null });
  await quick.flush();
  await quick.stop();
  assert.deepEqual(writes, [], 'queued and done in one turn: no row written');
});

test('the queue is bounded by max-queue-size and counts what it drops', async () => {
  const r = recorder();
  r.state.down = true;
  const svc = new DdnsService({
    ddns: () => ddns(2),
    behaviour: () => behaviour,
    logger: silent,
    send: r.send,
  });
  for (let i = 1; i <= 5; i++)
    svc.onLeaseChange({ kind: 'added', lease: named(`10.0.0.${i}`, `h${i}.example.com`), previous: null });
  assert.equal(svc.pending, 2);
  assert.equal(svc.statistics()['ncr-queue-full'], 3);
  await svc.stop();
});

test('updates disabled (dhcp-ddns.enable-updates false): nothing is queued', async () => {
  const r = recorder();
  const off = compileDdns({ 'enable-updates': false }, undefined, fail);
  const svc = new DdnsService({ ddns: () => off, behaviour: () => behaviour, logger: silent, send: r.send });
  svc.onLeaseChange({ kind: 'added', lease: named('10.0.0.1', 'a.example.com'), previous: null });
  assert.equal(svc.pending, 0);
  await svc.stop();
});

test('ddns-update-on-renew: a renewal with the same name updates again', async () => {
  const r = recorder();
  const renew = compileBehaviour([{ 'ddns-update-on-renew': true }], 'Dhcp4', fail);
  const svc = new DdnsService({ ddns: () => ddns(), behaviour: () => renew, logger: silent, send: r.send });
  const a = named('10.0.0.1', 'a.example.com');
  svc.onLeaseChange({ kind: 'updated', lease: { ...a, cltt: a.cltt + 1000 }, previous: a });
  assert.equal(svc.pending, 1);
  const plain = new DdnsService({
    ddns: () => ddns(),
    behaviour: () => behaviour,
    logger: silent,
    send: r.send,
  });
  plain.onLeaseChange({ kind: 'updated', lease: { ...a, cltt: a.cltt + 1000 }, previous: a });
  assert.equal(plain.pending, 0);
  await svc.stop();
  await plain.stop();
});

test('the lease file queue: writes in several transactions keep every row and their order; deletions remove them', async () => {
  const tmp = tempDir();
  try {
    const path = await leaseFile(tmp.dir);
    const { storage } = await SqliteQueueStorage.open(path);
    const entries = Array.from({ length: 300 }, (_, i) => ({
      key: `k-${i}`,
      queuedAt: 1000 + i,
      change: {
        kind: 'add' as const,
        fqdn: `h${i}.example.com`,
        address: `10.0.${i >> 8}.${i & 255}`,
        dhcid: 'AAEB',
        ttl: 300,
        forward: true,
        reverse: i % 2 === 0,
        mode: 'check-with-dhcid' as const,
      },
    }));
    await storage.write(entries.slice(0, 10), []);
    await storage.write(entries.slice(10), ['k-0', 'k-1']);
    const kept = await storage.take(1000);
    assert.deepEqual(kept, entries.slice(2));
    assert.equal((await storage.take(5)).length, 5, 'bounded by the limit');
    await storage.write(
      [],
      kept.map((e) => e.key),
    );
    assert.deepEqual(await storage.take(1000), []);
    await storage.close();
  } finally {
    tmp.remove();
  }
});

test('updates off at start: pending changes stay stored, untouched', async () => {
  const tmp = tempDir();
  try {
    const path = await leaseFile(tmp.dir);
    const opened = await SqliteQueueStorage.open(path);
    const r = recorder();
    r.state.down = true;
    const on = new DdnsService({
      ddns: () => ddns(),
      behaviour: () => behaviour,
      logger: silent,
      storage: opened.storage,
      send: r.send,
    });
    await on.start();
    on.onLeaseChange({ kind: 'removed', lease: named('10.0.0.1', 'a.example.com'), previous: null });
    await on.stop();
    const off = compileDdns({ 'enable-updates': false }, undefined, fail);
    const again = (await SqliteQueueStorage.open(path)).storage;
    const svc = new DdnsService({
      ddns: () => off,
      behaviour: () => behaviour,
      logger: silent,
      storage: again,
    });
    await svc.start();
    assert.equal(svc.pending, 0);
    await svc.stop();
    const check = (await SqliteQueueStorage.open(path)).storage;
    assert.equal((await check.take(10)).length, 1, 'the removal waits for a start with updates on');
    await check.close();
  } finally {
    tmp.remove();
  }
});
