/**
 * Active-active with its PostgreSQL database stopped under a running server: no OFFER (nothing can be
 * claimed) and no ACK, the HA service's failures logged once per interval, status-get's HA entry says
 * `database-unavailable`; the database back, the server offers and acknowledges again without a restart.
 */
import assert from 'node:assert/strict';
import { compileConfig } from '../../src/config/index.ts';
import { postgresFromKea } from '../../src/leases/kea-postgres.ts';
import { openLeaseStore } from '../../src/leases/open.ts';
import { MessageType } from '../../src/protocol/index.ts';
import { requiring } from '../lab/needs.ts';
import { captureLogs } from '../leases/log-capture.ts';
import { keaLeaseDatabase, type TempCluster, useTempCluster } from '../leases/pg-cluster.ts';
import { messageTypeOf, request, virtualLab, type VirtualLab } from '../runtime/helpers.ts';
import { until } from './helpers.ts';

const { after, before, it } = requiring('root', 'postgresql');

let cluster: TempCluster | undefined;
useTempCluster({ before, after }, (started) => (cluster = started));

function haState(lab: VirtualLab): string | undefined {
  const ha = lab.server.target.ha?.status() as { 'ha-servers': { local: { state: string } } } | undefined;
  return ha?.['ha-servers'].local.state;
}

it('no OFFER nor ACK while the database is down, one HA line per interval, back without a restart', async () => {
  const { logger, records } = captureLogs();
  const database = await cluster!.createDatabase('aa_outage');
  const config = compileConfig({
    Dhcp4: {
      'interfaces-config': { interfaces: ['eth0'] },
      'lease-database': { ...keaLeaseDatabase(cluster!, database), 'connect-timeout': 1 },
      'hooks-libraries': [
        {
          library: 'libdhcp_ha.so',
          parameters: {
            'high-availability': [
              {
                'this-server-name': 'lk1',
                mode: 'active-active',
                'heartbeat-delay': 100,
                'max-response-delay': 1000,
              },
            ],
          },
        },
      ],
      subnet4: [{ id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.100 - 198.18.0.199' }] }],
    },
  });
  let lab: VirtualLab | undefined;
  try {
    const store = await openLeaseStore(postgresFromKea(config.leaseDatabase).spec);
    lab = await virtualLab({ config, store, logger });
    assert.equal(haState(lab), 'active-active');

    cluster!.halt();
    const began = Date.now();
    await until(
      'status-get says the database is unavailable',
      () => haState(lab!) === 'database-unavailable',
    );
    for (let xid = 1; xid <= 20; xid++) {
      await lab.send(request(MessageType.DISCOVER, { xid }));
      assert.equal(await lab.reply(200), undefined, `no OFFER for DISCOVER ${xid} while PostgreSQL is down`);
    }
    await lab.send(
      request(MessageType.REQUEST, { requested: '198.18.0.100', serverId: '198.18.0.1', xid: 50 }),
    );
    assert.equal(await lab.reply(500), undefined, 'no ACK while PostgreSQL is down');
    const haLines = records.filter((r) => /HA: the lease database is unavailable/.test(r.msg)).length;
    const intervals = Math.ceil((Date.now() - began) / 10_000);
    assert.ok(haLines >= 1 && haLines <= intervals + 1, `${haLines} HA lines in ${intervals} interval(s)`);

    cluster!.restart();
    await until('status-get says active-active again', () => haState(lab!) === 'active-active');
    let offer;
    for (let xid = 100; xid < 110 && offer === undefined; xid++) {
      await lab.send(request(MessageType.DISCOVER, { xid }));
      offer = await lab.reply(2000);
    }
    assert.equal(offer && messageTypeOf(offer), MessageType.OFFER, 'offers again');
    await lab.send(
      request(MessageType.REQUEST, { requested: offer!.yiaddr, serverId: '198.18.0.1', xid: 200 }),
    );
    const ack = await lab.reply(2000);
    assert.equal(ack && messageTypeOf(ack), MessageType.ACK, 'acknowledges again');
  } finally {
    await lab?.close().catch(() => undefined);
  }
});
