// A stopped PostgreSQL under a running server: no ACK while it is down, one log line for the outage (not one
// per request), status-get says since when, and service resumes when it is back, without a restart.
import assert from 'node:assert/strict';
import { requiring } from '../lab/needs.ts';
import type { LeaseStoreHealth } from '../../src/leases/health.ts';
import { PostgresLeaseStore } from '../../src/leases/postgres.ts';
import { STORE_FAILURE_LOG_INTERVAL_MS } from '../../src/runtime/store-health.ts';
import { until } from '../transport/linux-helpers.ts';
import { MessageType } from '../../src/protocol/index.ts';
import {
  CLIENT_MAC,
  discoverOffer,
  messageTypeOf,
  request,
  virtualLab,
  type VirtualLab,
} from '../runtime/helpers.ts';
import { assertOutageLogged, captureLogs } from './log-capture.ts';
import { type TempCluster, useTempCluster } from './pg-cluster.ts';

const { after, before, it } = requiring('root', 'postgresql');

let cluster: TempCluster | undefined;
useTempCluster({ before, after }, (started) => (cluster = started));

it('no ACK while PostgreSQL is stopped, one log line for the outage, served again once it is back', async () => {
  const { logger, records } = captureLogs();
  const now = Date.now();
  const database = await cluster!.createDatabase('outage');
  let lab: VirtualLab | undefined;
  try {
    const store = await PostgresLeaseStore.open({ connection: cluster!.connection(database), listen: false });
    lab = await virtualLab({ store, logger, clock: () => now });
    const offer = await discoverOffer(lab);
    const ask = (xid: number): Promise<void> =>
      lab!.send(request(MessageType.REQUEST, { requested: offer.yiaddr, serverId: '198.18.0.1', xid }));

    cluster!.halt();
    const outageBegan = performance.now();
    for (let xid = 1; xid <= 30; xid++) {
      await ask(xid);
      assert.equal(await lab.reply(300), undefined, `no ACK for REQUEST ${xid} while PostgreSQL is down`);
    }
    assertOutageLogged(records, performance.now() - outageBegan);
    const health = lab.server.target.status().leaseStore;
    assert.equal(health?.state, 'failing');
    assert.equal(health?.failingSince, new Date(now).toISOString());

    cluster!.restart();
    let ack;
    // The pool reconnects on the next query; bounded retries as a client would make.
    for (let xid = 100; xid < 110 && ack === undefined; xid++) {
      await ask(xid);
      ack = await lab.reply(2000);
    }
    assert.equal(ack && messageTypeOf(ack), MessageType.ACK, 'served again without a restart');
    assert.equal((await lab.store.get(offer.yiaddr))?.hwAddress, CLIENT_MAC);
    assert.equal(lab.server.target.status().leaseStore?.state, 'ok');
    assert.equal(records.filter((r) => /lease store recovered/.test(r.msg)).length, 1);
  } finally {
    await lab?.close().catch(() => undefined);
  }
});

it("an idle server's lease store health recovers without traffic once PostgreSQL is back", async () => {
  const { logger, records } = captureLogs();
  const database = await cluster!.createDatabase('idle_outage');
  let lab: VirtualLab | undefined;
  try {
    const store = await PostgresLeaseStore.open({ connection: cluster!.connection(database), listen: false });
    lab = await virtualLab({ store, logger });
    const offer = await discoverOffer(lab);
    cluster!.halt();
    await lab.send(request(MessageType.REQUEST, { requested: offer.yiaddr, serverId: '198.18.0.1', xid: 1 }));
    const health = (): string | undefined => lab!.server.target.status().leaseStore?.state;
    await until(() => health() === 'failing', 10_000, 'the failed write');
    cluster!.restart();
    // No request from here on: only the probe can tell.
    await until(() => health() === 'ok', 40_000, 'the store health back to ok');
    assert.match(records.filter((r) => /lease store recovered/.test(r.msg))[0]!.msg, /a probe read answered/);
  } finally {
    await lab?.close().catch(() => undefined);
  }
});

it('a lost LISTEN connection is logged once per interval with a count and shown in status-get until it is back', async () => {
  const { logger, records } = captureLogs();
  const database = await cluster!.createDatabase('listen_outage');
  let lab: VirtualLab | undefined;
  try {
    const store = await PostgresLeaseStore.open({ connection: cluster!.connection(database) });
    lab = await virtualLab({ store, logger });
    const listen = (): LeaseStoreHealth['listen'] => lab!.server.target.status().leaseStore?.listen;
    assert.equal(listen(), undefined);

    cluster!.halt();
    const outageBegan = performance.now();
    // The listener retries every second: three failed reconnections at least.
    await until(() => (listen()?.failures ?? 0) >= 4, 20_000, 'failed LISTEN reconnections');
    assert.equal(listen()?.state, 'reconnecting');
    const lines = records.filter((r) => /LISTEN connection/.test(r.msg));
    assert.match(lines[0]!.msg, /LISTEN connection to PostgreSQL lost/);
    // Not a line per attempt: at most one per interval after the first.
    const elapsed = performance.now() - outageBegan;
    assert.ok(
      lines.length <= 1 + Math.ceil(elapsed / STORE_FAILURE_LOG_INTERVAL_MS),
      lines.map((l) => l.msg).join('\n'),
    );

    cluster!.restart();
    await until(() => listen()?.state === 'ok', 20_000, 'the LISTEN connection back');
    assert.equal(records.filter((r) => /LISTEN connection back after \d+ failure/.test(r.msg)).length, 1);
  } finally {
    await lab?.close().catch(() => undefined);
  }
});
