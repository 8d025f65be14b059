/**
 * perfdhcp DORA/s at under 1% loss on one PostgreSQL cluster, side by side in one run:
 *   - leasekeeper alone on PostgreSQL,
 *   - Kea 2.2 alone with its `postgresql` lease database (schema from `kea-admin db-init pgsql`),
 *   - two leasekeepers active-active on the same database (mode active-active of the HA hook).
 * Topology: srv1, srv2 and load on one bridge; perfdhcp (in load, 198.18.0.9/16) relays to the broadcast
 * address, so every server hears every query. Every configuration climbs the same rates (SECONDS per step,
 * the lease table emptied and the servers restarted per step) until a step loses 1% or more twice in a
 * row; the highest rate under 1% counts. Logging at warn (leasekeeper) and WARN (Kea).
 * Run as root: `npx tsx bench/ha-postgres.ts` (optionally RATES=500,1000 SECONDS=5 CONFIGS=lk,kea,lk2;
 * lk1 is one server in active-active mode alone: the cost of the claims without a second server).
 */
import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { LEASE_TABLE } from '../src/leases/postgres-names.ts';
import { startLeasekeeper } from '../test/interop/harness.ts';
import { activeActiveHooks } from '../test/ha/helpers.ts';
import { createLab, type Netns } from '../test/lab/netns.ts';
import { startKea } from '../test/lab/peers.ts';
import { startTempCluster } from '../test/leases/pg-cluster.ts';

const RATES = (process.env['RATES'] ?? '250,500,750,1000,1500,2000,2500,3000,4000,5000,6000')
  .split(',')
  .map(Number);
const SECONDS = Number(process.env['SECONDS'] ?? 5);
const CONFIGS = (process.env['CONFIGS'] ?? 'lk,kea,lk2').split(',');
const CLIENTS = 50_000;
const SUBNET = '198.18.0.0/16';
const POOL = '198.18.1.0 - 198.18.255.254';
const LABEL: Record<string, string> = {
  lk: 'leasekeeper, PostgreSQL',
  kea: 'Kea 2.2, PostgreSQL',
  lk2: '2 leasekeepers active-active',
  lk1: '1 leasekeeper active-active',
};

interface Step {
  readonly rate: number;
  readonly doraPerSecond: number;
  readonly lostPercent: number;
}

type Stop = () => Promise<unknown>;

const cluster = await startTempCluster();
process.on('exit', () => cluster.stopSync());
const socket = cluster.connection('postgres').host!;
const lkDb = await cluster.createDatabase('lk_bench');
const keaDb = await cluster.createDatabase('kea_bench');
// Kea's own schema, as its documentation says to create it.
execFileSync('kea-admin', ['db-init', 'pgsql', '-h', socket, '-u', 'postgres', '-n', keaDb], {
  stdio: 'pipe',
});

async function sql(database: string, text: string): Promise<void> {
  const c = new pg.Client(cluster.connection(database));
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

async function startLk(ns: Netns, name: string, ha: boolean): Promise<Stop> {
  const lk = await startLeasekeeper(ns, {
    name: `${name}-${Date.now()}`,
    leaseFile: null,
    logLevel: 'warn',
    dhcp4: {
      'valid-lifetime': 3600,
      'lease-database': { type: 'postgresql', name: lkDb, host: socket, user: 'postgres' },
      ...(ha
        ? {
            'hooks-libraries': activeActiveHooks(name, 500, 3000),
          }
        : {}),
      subnet4: [{ id: 1, subnet: SUBNET, pools: [{ pool: POOL }] }],
    },
  });
  return () => lk.stop();
}

async function start(config: string, srv: readonly Netns[]): Promise<Stop[]> {
  if (config === 'kea') {
    const kea = await startKea(srv[0]!, 'eth0', {
      subnet: SUBNET,
      pool: POOL,
      validLifetime: 3600,
      extraDhcp4: {
        'lease-database': { type: 'postgresql', name: keaDb, host: socket, user: 'postgres' },
        loggers: [
          { name: 'kea-dhcp4', output_options: [{ output: 'stdout' }], severity: 'WARN' },
          { name: 'kea-dhcp4.dhcp4', output_options: [{ output: 'stdout' }], severity: 'INFO' },
        ],
        'multi-threading': { 'enable-multi-threading': true, 'thread-pool-size': 2, 'packet-queue-size': 64 },
      },
    });
    return [() => kea.stop()];
  }
  if (config === 'lk') return [await startLk(srv[0]!, 'lk1', false)];
  if (config === 'lk1') return [await startLk(srv[0]!, 'lk1', true)];
  const stops = [await startLk(srv[0]!, 'lk1', true), await startLk(srv[1]!, 'lk2', true)];
  // Both must see each other before the load, or each would answer every bucket for a moment.
  await new Promise((r) => setTimeout(r, 1500));
  return stops;
}

async function trial(config: string, srv: readonly Netns[], load: Netns, rate: number): Promise<Step> {
  const table = config === 'kea' ? 'lease4' : LEASE_TABLE;
  await sql(
    config === 'kea' ? keaDb : lkDb,
    `DO $$ BEGIN IF to_regclass('${table}') IS NOT NULL THEN TRUNCATE ${table}; END IF; END $$`,
  );
  const stops = await start(config, srv);
  try {
    const args = ['-4', '-r', String(rate), '-R', String(CLIENTS), '-p', String(SECONDS), '-W', '1000000'];
    const r = await load.run('perfdhcp', [...args, '-l', 'eth0', 'all'], {
      timeoutMs: (SECONDS + 30) * 1000,
    });
    const section = (name: string): string => r.stdout.split(`***Statistics for: ${name}***`)[1] ?? '';
    const num = (text: string, label: string): number =>
      Number(new RegExp(`${label}: ([\\d.]+)`).exec(text)?.[1] ?? 0);
    const sent = num(section('DISCOVER-OFFER'), 'sent packets');
    const acked = num(section('REQUEST-ACK'), 'received packets');
    const step = {
      rate,
      doraPerSecond: Math.round(acked / SECONDS),
      lostPercent: sent === 0 ? 100 : Math.max(0, 100 * (1 - acked / sent)),
    };
    console.log(
      `${LABEL[config]!.padEnd(30)} offered ${String(rate).padStart(5)}/s: ${String(step.doraPerSecond).padStart(5)} DORA/s, ${step.lostPercent.toFixed(2)}% lost`,
    );
    return step;
  } finally {
    for (const stop of stops) await stop();
  }
}

const results = new Map<string, Step[]>(CONFIGS.map((c) => [c, []]));
const lab = await createLab('hpb');
try {
  const srv = [await lab.namespace('srv1'), await lab.namespace('srv2')];
  const load = await lab.namespace('load');
  await lab.bridge(
    'br',
    [...srv, load].map((ns) => ({ ns, ifname: 'eth0' })),
  );
  await srv[0]!.addAddress('eth0', '198.18.0.1/16');
  await srv[1]!.addAddress('eth0', '198.18.0.2/16');
  await load.addAddress('eth0', '198.18.0.9/16');
  const failures = new Map<string, number>(CONFIGS.map((c) => [c, 0]));
  for (const rate of RATES) {
    const climbing = CONFIGS.filter((c) => failures.get(c)! < 2);
    if (climbing.length === 0) break;
    for (const config of climbing) {
      const step = await trial(config, srv, load, rate);
      results.get(config)!.push(step);
      failures.set(config, step.lostPercent < 1 ? 0 : failures.get(config)! + 1);
    }
  }
} finally {
  await lab.close();
  await cluster.stop();
}

const best = (steps: readonly Step[]): Step | undefined =>
  steps.filter((s) => s.lostPercent < 1).sort((a, b) => b.doraPerSecond - a.doraPerSecond)[0];
console.log(`\nhighest rate with < 1% of 4-way exchanges lost (${SECONDS} s per step, ${CLIENTS} clients):`);
for (const [config, steps] of results) {
  const b = best(steps);
  console.log(`${LABEL[config]!.padEnd(30)} ${String(b?.doraPerSecond ?? 0).padStart(6)} DORA/s`);
}
const lk = best(results.get('lk') ?? [])?.doraPerSecond;
const kea = best(results.get('kea') ?? [])?.doraPerSecond;
const duo = best(results.get('lk2') ?? [])?.doraPerSecond;
if (lk !== undefined && kea !== undefined && kea > 0)
  console.log(`leasekeeper / Kea: ${(lk / kea).toFixed(2)}x`);
if (duo !== undefined && lk !== undefined && lk > 0)
  console.log(`2 leasekeepers active-active / 1 leasekeeper: ${(duo / lk).toFixed(2)}x`);
