/**
 * Three `leasekeeper serve` processes active-active on one PostgreSQL database, in namespaces on one link,
 * under perfdhcp load (perfdhcp relays to the broadcast address, so every server hears every query). One
 * server is killed (SIGKILL: no goodbye) in the middle of the run. Its clients are then answered by the two
 * others; across all three servers' logs (each ACK is logged after its commit) no address was acknowledged
 * to two clients, and every client's last acknowledged lease is in the database.
 */
import assert from 'node:assert/strict';
import pg from 'pg';
import { bucketOwner } from '../../src/ha/active-active.ts';
import { loadBalanceHash } from '../../src/ha/hash.ts';
import { intToIp, parseMac } from '../../src/protocol/index.ts';
import { startLeasekeeper, type Leasekeeper } from '../interop/harness.ts';
import { createLab, type Netns } from '../lab/netns.ts';
import { requiring } from '../lab/needs.ts';
import { type TempCluster, useTempCluster } from '../leases/pg-cluster.ts';
import { activeActiveHooks } from './helpers.ts';

const { after, before, describe, it } = requiring('root', 'postgresql', 'ip', 'perfdhcp');

const NAMES = ['lk1', 'lk2', 'lk3'] as const;
const ACK_LINE = /DHCPREQUEST for (\S+) from (\S+) .*-> DHCPACK (\S+)/;

async function peers(server: Leasekeeper): Promise<number> {
  const a = await server.ctl('status-get');
  const ha = (a.arguments?.['high-availability'] as { 'ha-servers': { peers: string[] } }[] | undefined)?.[0];
  return ha?.['ha-servers'].peers.length ?? -1;
}

async function until(what: string, check: () => Promise<boolean>, limitMs = 60_000): Promise<void> {
  const giveUpAt = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > giveUpAt) assert.fail(`gave up waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('active-active trio under perfdhcp load', () => {
  let cluster: TempCluster | null = null;
  useTempCluster({ before, after }, (started) => (cluster = started));

  it(
    'serves a killed server’s clients from the others, no address twice, no ACK lost',
    { timeout: 240_000 },
    async () => {
      const database = await cluster!.createDatabase('trio');
      const socketDir = cluster!.connection(database).host!;
      const lab = await createLab('haa');
      try {
        const ns = new Map<string, Netns>();
        for (const name of [...NAMES, 'load']) ns.set(name, await lab.namespace(name));
        await lab.bridge(
          'br',
          [...ns.values()].map((n) => ({ ns: n, ifname: 'eth0' })),
        );
        for (const [i, name] of NAMES.entries())
          await ns.get(name)!.addAddress('eth0', `198.18.0.${i + 1}/16`);
        await ns.get('load')!.addAddress('eth0', '198.18.0.9/16');

        const servers = new Map<string, Leasekeeper>();
        for (const name of NAMES) {
          servers.set(
            name,
            await startLeasekeeper(ns.get(name)!, {
              name,
              leaseFile: null,
              dhcp4: {
                'valid-lifetime': 3600,
                'lease-database': { type: 'postgresql', name: database, host: socketDir, user: 'postgres' },
                'hooks-libraries': activeActiveHooks(name, 300, 1500),
                subnet4: [
                  { id: 1, subnet: '198.18.0.0/16', pools: [{ pool: '198.18.1.0 - 198.18.40.255' }] },
                ],
              },
            }),
          );
        }
        await until('every server sees the two others', async () => {
          for (const s of servers.values()) if ((await peers(s)) !== 2) return false;
          return true;
        });

        // perfdhcp relays (giaddr 198.18.0.9) to the broadcast address: 150 DORA/s from 3000 clients for 14 s.
        const load = ns
          .get('load')!
          .run(
            'perfdhcp',
            ['-4', '-r', '150', '-R', '3000', '-p', '14', '-W', '1000000', '-l', 'eth0', 'all'],
            {
              timeoutMs: 60_000,
            },
          );
        await new Promise((r) => setTimeout(r, 5000));
        const victim = servers.get('lk2')!;
        const victimLog = victim.proc.output();
        process.kill(victim.proc.pid, 'SIGKILL');
        await victim.proc.exited;
        const result = await load;
        const acks = Number(/REQUEST-ACK[\s\S]*?received packets: (\d+)/.exec(result.stdout)?.[1] ?? 0);
        assert.ok(acks > 0, `perfdhcp completed exchanges:\n${result.stdout}`);

        const logs = new Map<string, string>([
          ['lk1', servers.get('lk1')!.proc.output()],
          ['lk2', victimLog + victim.proc.output()],
          ['lk3', servers.get('lk3')!.proc.output()],
        ]);
        const holders = new Map<string, Set<string>>();
        const lastOf = new Map<string, string>();
        let takenOver = 0;
        for (const [name, text] of logs) {
          for (const line of text.split('\n')) {
            const m = ACK_LINE.exec(line);
            if (m === null) continue;
            const [, , mac, address] = m as unknown as [string, string, string, string];
            holders.set(address, (holders.get(address) ?? new Set()).add(mac));
            lastOf.set(mac, address);
            const owner = bucketOwner(loadBalanceHash(parseMac(mac)), NAMES);
            if (name !== 'lk2' && owner === 'lk2') takenOver++;
          }
        }
        if (process.env['HA_TEST_LOG'] !== undefined) console.log({ acks, clients: lastOf.size, takenOver });
        assert.ok(lastOf.size > 0, 'ACKs were logged');
        assert.ok(takenOver > 0, "the killed server's clients were answered by the others");
        for (const [address, macs] of holders)
          assert.equal(macs.size, 1, `${address} acknowledged to ${[...macs]}`);

        const sql = new pg.Client(cluster!.connection(database));
        await sql.connect();
        try {
          const { rows } = await sql.query<{ address: string; hw_address: string }>(
            'SELECT address, hw_address FROM leasekeeper_lease4 WHERE state = 0',
          );
          const inDb = new Map(rows.map((r) => [intToIp(Number(r.address)), r.hw_address]));
          for (const [mac, address] of lastOf) assert.equal(inDb.get(address), mac, `${mac}'s ${address}`);
        } finally {
          await sql.end();
        }
        for (const s of servers.values()) if (s !== victim) await s.stop();
      } finally {
        await lab.close();
      }
    },
  );
});
