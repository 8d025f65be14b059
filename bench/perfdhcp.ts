/**
 * perfdhcp against leasekeeper and Kea 2.2 in the same namespace topology, in one run: for each server the
 * offered rate climbs (5 s per step, a fresh server and lease file per step) until perfdhcp loses more than
 * 1% of the 4-way exchanges twice in a row; the highest rate under 1% is what the server sustains.
 *
 *   load (eth0 198.18.0.2/16, perfdhcp acting as a relay) -- srv (eth0 198.18.0.1/16, the server)
 *
 * leasekeeper: SQLite lease file, every ACK after a durable commit (synchronous=FULL), logging at warn.
 * Kea: memfile with persist true, multi-threading on (2 threads), logging at WARN (LAB.md).
 * Run as root: `npm run bench:perfdhcp` (optionally RATES=1000,2000 SECONDS=5 SERVERS=leasekeeper,kea).
 */
import { readFileSync } from 'node:fs';
import { createLab, type Netns } from '../test/lab/netns.ts';
import { startKea } from '../test/lab/peers.ts';
import { startLeasekeeper } from '../test/interop/harness.ts';

const RATES = (process.env['RATES'] ?? '1000,2000,3000,4000,5000,6000,7000,8000,10000,12000,15000,20000')
  .split(',')
  .map(Number);
const SECONDS = Number(process.env['SECONDS'] ?? 5);
const SERVERS = (process.env['SERVERS'] ?? 'leasekeeper,kea').split(',');
const CLIENTS = 50_000;
const SUBNET = '198.18.0.0/16';
const POOL = '198.18.1.0 - 198.18.255.254';

interface Step {
  rate: number;
  /** Server CPU (user + system) per completed DORA, microseconds: robust to other load on the machine. */
  cpuPerDoraUs: number;
  doraPerSecond: number;
  dropPercent: number;
  discoverSent: number;
  ackReceived: number;
}

/** utime + stime of a process, in ms (clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

function parsePerfdhcp(out: string, rate: number, cpu: number): Step {
  const section = (name: string): string => out.split(`***Statistics for: ${name}***`)[1] ?? '';
  const num = (text: string, label: string): number =>
    Number(new RegExp(`${label}: ([\\d.]+)`).exec(text)?.[1] ?? 0);
  const discoverSent = num(section('DISCOVER-OFFER'), 'sent packets');
  const ackReceived = num(section('REQUEST-ACK'), 'received packets');
  return {
    rate,
    cpuPerDoraUs: ackReceived === 0 ? NaN : Math.round((cpu * 1000) / ackReceived),
    doraPerSecond: Math.round(ackReceived / SECONDS),
    dropPercent: discoverSent === 0 ? 100 : Math.max(0, 100 * (1 - ackReceived / discoverSent)),
    discoverSent,
    ackReceived,
  };
}

type Started = { pid: number; stop: () => Promise<unknown> };

async function startOne(server: string, srv: Netns, step: number): Promise<Started> {
  if (server === 'kea') {
    const kea = await startKea(srv, 'eth0', {
      subnet: SUBNET,
      pool: POOL,
      validLifetime: 3600,
      extraDhcp4: {
        // Leases and packets at WARN (INFO logs every lease); the dhcp4 logger at INFO so the start-up
        // message the helper waits for is printed.
        loggers: [
          { name: 'kea-dhcp4', output_options: [{ output: 'stdout' }], severity: 'WARN' },
          { name: 'kea-dhcp4.dhcp4', output_options: [{ output: 'stdout' }], severity: 'INFO' },
        ],
        'multi-threading': { 'enable-multi-threading': true, 'thread-pool-size': 2, 'packet-queue-size': 64 },
      },
    });
    return { pid: kea.proc.pid, stop: () => kea.stop() };
  }
  const lk = await startLeasekeeper(srv, {
    name: `lk${step}`,
    logLevel: 'warn',
    dhcp4: {
      'valid-lifetime': 3600,
      subnet4: [{ id: 1, subnet: SUBNET, pools: [{ pool: POOL }] }],
    },
    ...(process.env['PROFILE']
      ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${process.env['PROFILE']}`] }
      : {}),
  });
  return { pid: lk.proc.pid, stop: () => lk.stop() };
}

async function ramp(server: string): Promise<Step[]> {
  const lab = await createLab('bp');
  const steps: Step[] = [];
  try {
    const srv = await lab.namespace('srv');
    const load = await lab.namespace('load');
    await lab.veth(srv, 'eth0', load, 'eth0');
    await srv.addAddress('eth0', '198.18.0.1/16');
    await load.addAddress('eth0', '198.18.0.2/16');
    let failures = 0;
    for (const [i, rate] of RATES.entries()) {
      const s = await startOne(server, srv, i);
      try {
        const args = [
          '-4',
          '-r',
          String(rate),
          '-R',
          String(CLIENTS),
          '-p',
          String(SECONDS),
          // wait 1 s after the period for late answers: only exchanges that never complete count as lost
          '-W',
          '1000000',
          '-l',
          'eth0',
          '198.18.0.1',
        ];
        const before = cpuMs(s.pid);
        const r = await load.run('perfdhcp', args, { timeoutMs: (SECONDS + 30) * 1000 });
        const step = parsePerfdhcp(r.stdout, rate, cpuMs(s.pid) - before);
        steps.push(step);
        console.log(
          `${server.padEnd(11)} offered ${String(rate).padStart(6)}/s: ${String(step.doraPerSecond).padStart(6)} DORA/s, ` +
            `${step.dropPercent.toFixed(2)}% lost, server CPU ${step.cpuPerDoraUs} us/DORA`,
        );
        failures = step.dropPercent < 1 ? 0 : failures + 1;
      } finally {
        await s.stop();
      }
      if (failures >= 2) break;
    }
  } finally {
    await lab.close();
  }
  return steps;
}

function best(steps: readonly Step[]): Step | undefined {
  return steps.filter((s) => s.dropPercent < 1).sort((a, b) => b.doraPerSecond - a.doraPerSecond)[0];
}

const results = new Map<string, Step[]>();
for (const server of SERVERS) results.set(server, await ramp(server));

console.log(`\nhighest rate with < 1% of 4-way exchanges lost (${SECONDS} s per step, ${CLIENTS} clients):`);
console.log('server        DORA/s   lost %   offered/s   CPU us/DORA');
for (const [server, steps] of results) {
  const b = best(steps);
  console.log(
    `${server.padEnd(12)} ${String(b?.doraPerSecond ?? 0).padStart(7)}   ${(b?.dropPercent ?? 100).toFixed(2).padStart(6)}   ${String(b?.rate ?? 0).padStart(9)}   ${String(b?.cpuPerDoraUs ?? '-').padStart(11)}`,
  );
}
const lk = best(results.get('leasekeeper') ?? []);
const kea = best(results.get('kea') ?? []);
if (lk && kea) console.log(`leasekeeper / Kea: ${(lk.doraPerSecond / kea.doraPerSecond).toFixed(2)}x`);
