// The in-process updater's queue: which lease changes become DNS changes, retries with backoff while DNS is
// unreachable, the bound on its length, and a restart that keeps pending removals (the queue file).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { compileBehaviour, compileDdns } from '../../src/config/ddns.ts';
import { DnsUnreachableError } from '../../src/ddns/dns-client.ts';
import { changesFor, DdnsService } from '../../src/ddns/service.ts';
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

test('a restart keeps pending changes, removals included (the queue file)', async () => {
  const tmp = tempDir();
  try {
    const stateFile = join(tmp.dir, 'leases.sqlite.ddns-queue.json');
    const r = recorder();
    r.state.down = true;
    const first = new DdnsService({
      ddns: () => ddns(),
      behaviour: () => behaviour,
      logger: silent,
      stateFile,
      send: r.send,
    });
    const a = named('10.0.0.1', 'a.example.com');
    first.onLeaseChange({ kind: 'removed', lease: a, previous: null });
    await first.flush();
    await first.stop();
    r.state.down = false;
    const second = new DdnsService({
      ddns: () => ddns(),
      behaviour: () => behaviour,
      logger: silent,
      stateFile,
      send: r.send,
    });
    assert.equal(second.pending, 1, 'the removal came back from the file');
    await second.flush();
    assert.equal(second.pending, 0);
    assert.deepEqual(r.calls.slice(0, 1), ['forward a.example.com 1']);
    await second.stop();
    const third = new DdnsService({
      ddns: () => ddns(),
      behaviour: () => behaviour,
      logger: silent,
      stateFile,
      send: r.send,
    });
    assert.equal(third.pending, 0, 'done changes are not replayed');
    await third.stop();
  } finally {
    tmp.remove();
  }
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
