// A failing lease store (full disk, database down) is logged once per interval with a count, not once per
// request, and status-get says since when it fails and when it recovered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { createCommandRegistry } from '../../src/control/commands/index.ts';
import { LeaseStoreIoError } from '../../src/leases/errors.ts';
import type { Lease } from '../../src/leases/lease.ts';
import { MemoryLeaseStore } from '../../src/leases/memory.ts';
import type { CommitOptions, CommitResult } from '../../src/leases/store.ts';
import { MessageType } from '../../src/protocol/index.ts';
import { STORE_FAILURE_LOG_INTERVAL_MS } from '../../src/runtime/store-health.ts';
import { messageTypeOf, request, virtualLab } from '../runtime/helpers.ts';

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

interface LogRecord {
  readonly level: number;
  readonly msg: string;
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(condition(), what);
}

test('a failing store logs one line per interval with counts, and status-get tells since when and the recovery', async () => {
  const records: LogRecord[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void records.push(JSON.parse(line)) });
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
    await lab.send(request(MessageType.DISCOVER));
    const offer = await lab.reply();
    assert.equal(offer && messageTypeOf(offer), MessageType.OFFER);
    const address = offer!.yiaddr;
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

    now += STORE_FAILURE_LOG_INTERVAL_MS;
    await lab.send(request(MessageType.REQUEST, { requested: address, serverId: '198.18.0.1', xid: 101 }));
    await until(() => store.failedClaims === 101, 'REQUEST 101 reached the store');
    assert.equal(errors().length, 2, 'a second line once the interval passed');
    assert.match(
      errors()[1]!.msg,
      new RegExp(`failing since ${failingSince}: 100 more writes failed .*101 in all`),
    );

    store.down = false;
    now += 5000;
    await lab.send(request(MessageType.REQUEST, { requested: address, serverId: '198.18.0.1', xid: 102 }));
    const ack = await lab.reply();
    assert.equal(ack && messageTypeOf(ack), MessageType.ACK, 'served again without a restart');
    const recovered = records.filter((r) => /recovered/.test(r.msg));
    assert.equal(recovered.length, 1);
    assert.match(recovered[0]!.msg, /lease store recovered after 15 s .*101 writes failed/);
    assert.deepEqual(await statusGet(), {
      state: 'ok',
      'last-outage': { from: failingSince, to: new Date(now).toISOString(), 'failed-writes': 101 },
    });
    assert.equal(errors().length, 2);
  } finally {
    await lab.close();
  }
});
