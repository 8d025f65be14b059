// A failing lease store (full disk, database down) is logged once per interval with a count, not once per
// request, and status-get says since when it fails and when it recovered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCommandRegistry } from '../../src/control/commands/index.ts';
import { LeaseStoreIoError } from '../../src/leases/errors.ts';
import type { Lease } from '../../src/leases/lease.ts';
import { MemoryLeaseStore } from '../../src/leases/memory.ts';
import type { CommitOptions, CommitResult } from '../../src/leases/store.ts';
import { MessageType } from '../../src/protocol/index.ts';
import { StoreHealthMonitor, StoreWarnings } from '../../src/runtime/store-health.ts';
import { discoverOffer, messageTypeOf, request, virtualLab } from '../runtime/helpers.ts';
import { captureLogs, type LogRecord } from './log-capture.ts';

/** Fails every claim while `down`, like a full disk; counts the attempts. */
class SwitchableStore extends MemoryLeaseStore {
  down = false;
  failedClaims = 0;
  override async commit(lease: Lease, options?: CommitOptions): Promise<CommitResult> {
    if (this.down) {
      this.failedClaims++;
      throw new LeaseStoreIoError('lease database /x/leases4.sqlite: write failed: database or disk is full');
    }
    return super.commit(lease, options);
  }
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(condition(), what);
}

test('a failing store logs one line per interval with counts, and status-get tells since when and the recovery', async () => {
  const { logger, records } = captureLogs();
  let now = Date.parse('2026-12-07T01:00:00.000Z');
  const store = new SwitchableStore({ clock: () => now });
  const lab = await virtualLab({ store, logger, clock: () => now });
  const errors = (): LogRecord[] => records.filter((r) => r.level >= 50);
  const statusGet = async (): Promise<Record<string, unknown>> => {
    const answer = await createCommandRegistry().dispatch(
      { command: 'status-get' },
      { target: lab.server.target, via: 'internal', agent: false, now: () => now },
    );
    return (answer.arguments as Record<string, Record<string, unknown>>)['lease-store']!;
  };
  try {
    const offer = await discoverOffer(lab);
    const address = offer.yiaddr;
    assert.deepEqual(await statusGet(), { state: 'ok' });

    store.down = true;
    const failingSince = new Date(now).toISOString();
    for (let xid = 1; xid <= 100; xid++) {
      await lab.send(request(MessageType.REQUEST, { requested: address, serverId: '198.18.0.1', xid }));
      await until(() => store.failedClaims === xid, `REQUEST ${xid} reached the store`);
    }
    assert.equal(await lab.reply(100), undefined, 'no ACK while the store fails');
    assert.equal(errors().length, 1, 'one line for 100 failures within the interval');
    assert.match(errors()[0]!.msg, /lease store failing: .*disk is full/);
    const failing = await statusGet();
    assert.equal(failing['state'], 'failing');
    assert.equal(failing['failing-since'], failingSince);
    assert.equal(failing['failed-writes'], 100);
    assert.match(String(failing['last-error']), /disk is full/);

    store.down = false;
    now += 5000;
    await lab.send(request(MessageType.REQUEST, { requested: address, serverId: '198.18.0.1', xid: 102 }));
    const ack = await lab.reply();
    assert.equal(ack && messageTypeOf(ack), MessageType.ACK, 'served again without a restart');
    const recovered = records.filter((r) => /recovered/.test(r.msg));
    assert.equal(recovered.length, 1);
    assert.match(recovered[0]!.msg, /lease store recovered after 5 s .*100 writes failed/);
    assert.deepEqual(await statusGet(), {
      state: 'ok',
      'last-outage': { from: failingSince, to: new Date(now).toISOString(), 'failed-writes': 100 },
    });
    // The failures counted since the first line are written before the recovery.
    assert.equal(errors().length, 2);
    assert.match(
      errors()[1]!.msg,
      new RegExp(`failing since ${failingSince}: 99 more writes failed \\(100 in all\\)`),
    );
  } finally {
    await lab.close();
  }
});

test('while failures go on, one line per interval with the count since the previous line', async () => {
  const { logger, records } = captureLogs();
  const health = new StoreHealthMonitor({ logger, clock: () => 0, intervalMs: 20 });
  for (let i = 0; i < 5; i++) health.failed(new Error('database or disk is full'));
  await until(() => records.length === 2, 'the interval line');
  assert.match(records[0]!.msg, /^lease store failing: database or disk is full/);
  assert.match(records[1]!.msg, /failing since 1970-01-01T00:00:00.000Z: 4 more writes failed \(5 in all\)/);
  for (let i = 0; i < 3; i++) health.failed(new Error('database or disk is full'));
  // Whether these three land in one interval or two depends on the timer: the counts add up either way.
  const reported = (): number =>
    records.slice(1).reduce((n, r) => n + Number(/: (\d+) more writes failed/.exec(r.msg)?.[1] ?? NaN), 0);
  await until(() => reported() === 7, 'the next interval lines');
  assert.match(records.at(-1)!.msg, /more writes failed \(8 in all\)/);
  const lines = records.length;
  health.succeeded();
  assert.equal(records.length, lines + 1);
  assert.match(records.at(-1)!.msg, /^lease store recovered .*8 writes failed/);
  assert.equal(health.snapshot().lastOutage?.failedWrites, 8);
});

test('LISTEN connection failures are logged once per interval with a count and shown in the health, writes unaffected', () => {
  const { logger, records } = captureLogs();
  let now = Date.parse('2026-12-07T02:00:00.000Z');
  // An interval no test outlives: what is counted stays pending until the recovery flushes it.
  const health = new StoreHealthMonitor({ logger, clock: () => now, intervalMs: 3_600_000 });
  health.listen.failed(new Error('terminating connection due to administrator command'));
  for (let i = 0; i < 30; i++) {
    now += 1000;
    health.listen.failed(new Error('connect ECONNREFUSED /run/postgresql/.s.PGSQL.5432'));
  }
  assert.equal(records.length, 1, 'one line for 31 failures within the interval');
  assert.match(records[0]!.msg, /LISTEN connection to PostgreSQL lost: terminating connection/);
  assert.deepEqual(health.snapshot(), {
    state: 'ok',
    listen: {
      state: 'reconnecting',
      failures: 31,
      lastError: 'connect ECONNREFUSED /run/postgresql/.s.PGSQL.5432',
      lastErrorAt: new Date(now).toISOString(),
    },
  });
  health.listen.reconnected({ rows: 7, ms: 12 });
  assert.equal(records.length, 3);
  assert.match(
    records[1]!.msg,
    /30 more LISTEN connection failures \(31 since it was lost\); last error: connect ECONNREFUSED/,
  );
  assert.match(records[2]!.msg, /LISTEN connection back after 31 failure\(s\); re-read 7 lease row\(s\)/);
  assert.equal(health.snapshot().listen?.state, 'ok');
  assert.equal(health.snapshot().listen?.failures, 31);
  // A second loss starts a new story: its first line says it was lost again.
  health.listen.failed(new Error('the LISTEN connection was closed'));
  assert.match(records.at(-1)!.msg, /LISTEN connection to PostgreSQL lost: the LISTEN connection was closed/);
  assert.equal(health.snapshot().listen?.failures, 32);
});

test('after a failed write an idle store is probed, backing off, until a read answers; then it is ok again', async () => {
  const { logger, records } = captureLogs();
  let probes = 0;
  const health = new StoreHealthMonitor({
    logger,
    clock: () => 0,
    probe: {
      firstMs: 1,
      maxMs: 4,
      run: async () => {
        probes++;
        if (probes < 4) throw new Error('connect ECONNREFUSED');
      },
    },
  });
  try {
    // As PostgresLeaseStore wraps node-postgres's error.
    const refused = Object.assign(new Error('connect ECONNREFUSED /run/postgresql/.s.PGSQL.5432'), {
      code: 'ECONNREFUSED',
    });
    health.failed(
      new LeaseStoreIoError(`PostgreSQL lease write failed: ${refused.message}`, { cause: refused }),
    );
    assert.equal(health.snapshot().state, 'failing');
    await until(() => health.snapshot().state === 'ok', 'recovery without a write');
    assert.equal(probes, 4, 'probed until one answered, then no more');
    assert.match(records.at(-1)!.msg, /^lease store recovered \(a probe read answered\) .*1 writes failed/);
    assert.equal(health.snapshot().lastOutage?.failedWrites, 1);
  } finally {
    health.close();
  }
});

test('a probe never ends an outage a read cannot see (full disk, I/O error) nor one whose writes failed while it ran', async () => {
  const { logger } = captureLogs();
  let probes = 0;
  let release = (): void => undefined;
  const health = new StoreHealthMonitor({
    logger,
    clock: () => 0,
    probe: {
      firstMs: 1,
      run: () => {
        probes++;
        return new Promise<void>((resolve) => (release = resolve));
      },
    },
  });
  try {
    for (const why of ['database or disk is full', 'disk I/O error']) {
      health.failed(new LeaseStoreIoError(`lease database /x/leases4.sqlite: write failed: ${why}`));
      // Fifty times the probe delay: a slow machine can only make this pass, never fail.
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(probes, 0, `no probe after "${why}"`);
      assert.equal(health.snapshot().state, 'failing');
      health.succeeded();
      assert.equal(health.snapshot().lastOutage?.failedWrites, 1, 'the outage ended on its write');
    }
    // Not full: probed; a write fails while the probe waits, so its answer is not trusted.
    health.failed(new Error('PostgreSQL lease write failed: Connection terminated unexpectedly'));
    await until(() => probes === 1, 'the probe');
    health.failed(new Error('PostgreSQL lease write failed: Connection terminated unexpectedly'));
    release();
    await until(() => probes === 2, 'the next probe');
    assert.equal(health.snapshot().state, 'failing');
  } finally {
    release();
    health.close();
  }
});

test("the store's warnings are counted in its health and shown by status-get as lease-store.warnings", async () => {
  const { logger } = captureLogs();
  let now = Date.parse('2026-12-07T03:00:00.000Z');
  const warnings = new StoreWarnings(() => now);
  const health = new StoreHealthMonitor({ logger, clock: () => now, warnings });
  assert.deepEqual(health.snapshot(), { state: 'ok' }, 'no key before the first warning');
  warnings.record({ message: 'lease database /x/leases4.sqlite: checkpoint thread stalled', count: 1 });
  now += 5000;
  warnings.record({ message: 'lease database /x/leases4.sqlite: the writer checkpointed itself', count: 12 });
  const expected = {
    count: 13,
    last: 'lease database /x/leases4.sqlite: the writer checkpointed itself',
    lastAt: new Date(now).toISOString(),
  };
  assert.deepEqual(health.snapshot(), { state: 'ok', warnings: expected });
  health.failed(new LeaseStoreIoError('lease database /x/leases4.sqlite: write failed: disk I/O error'));
  assert.deepEqual(health.snapshot().warnings, expected, 'kept while the store fails');

  const lab = await virtualLab({
    store: new MemoryLeaseStore({ clock: () => now }),
    logger,
    clock: () => now,
  });
  try {
    const real = lab.server.target;
    const target = { ...real, status: () => ({ ...real.status(), leaseStore: health.snapshot() }) };
    const answer = await createCommandRegistry().dispatch(
      { command: 'status-get' },
      { target, via: 'internal', agent: false, now: () => now },
    );
    const leaseStore = (answer.arguments as Record<string, Record<string, unknown>>)['lease-store']!;
    assert.deepEqual(leaseStore['warnings'], { count: 13, last: expected.last, 'last-at': expected.lastAt });
  } finally {
    await lab.close();
  }
});
