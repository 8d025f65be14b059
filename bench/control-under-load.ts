/**
 * What control traffic costs DHCP: perfdhcp runs against `leasekeeper serve`, alternating a plain run with a
 * run during which config-set (every 600 ms, changing lifetimes and options) goes to the control socket. Prints
 * each run's DISCOVERs sent, ACKs received and lost exchanges. test/interop/control-under-load.test.ts checks
 * what does not depend on the machine (every config-set answered, no ACKed lease lost); this measures the rest.
 *
 *   load (eth0 198.18.0.2/16, perfdhcp acting as a relay) -- srv (eth0 198.18.0.1/16, leasekeeper serve)
 *
 * Run as root: `npx tsx bench/control-under-load.ts` (optionally RATE=200 SECONDS=5 TRIALS=3).
 */
import { createLab } from '../test/lab/netns.ts';
import { runPerfdhcp, startLeasekeeper } from '../test/interop/harness.ts';

const RATE = Number(process.env['RATE'] ?? 200);
const SECONDS = Number(process.env['SECONDS'] ?? 5);
const TRIALS = Number(process.env['TRIALS'] ?? 3);
const SERVER_IP = '198.18.0.1';
const DHCP4 = {
  'valid-lifetime': 3600,
  subnet4: [{ id: 1, subnet: '198.18.0.0/16', pools: [{ pool: '198.18.1.0 - 198.18.255.254' }] }],
};

interface Run {
  readonly sent: number;
  readonly acks: number;
  readonly lost: number;
}

const lab = await createLab('bcl');
try {
  const srv = await lab.namespace('srv');
  const load = await lab.namespace('load');
  await lab.veth(srv, 'eth0', load, 'eth0');
  await srv.addAddress('eth0', `${SERVER_IP}/16`);
  await load.addAddress('eth0', '198.18.0.2/16');
  const server = await startLeasekeeper(srv, { dhcp4: DHCP4, logLevel: 'warn' });
  let runs = 0;

  const perfdhcp = async (): Promise<Run> => {
    runs += 1;
    const base = `02:${runs.toString(16).padStart(2, '0')}:00:00:00:00`;
    const r = await runPerfdhcp(load, { rate: RATE, maxRate: 1000, seconds: SECONDS, macBase: base });
    const section = (name: string): string => r.stdout.split(`***Statistics for: ${name}***`)[1] ?? '';
    const num = (text: string, label: string): number =>
      Number(new RegExp(`${label}: (\\d+)`).exec(text)?.[1] ?? NaN);
    const sent = num(section('DISCOVER-OFFER'), 'sent packets');
    const acks = num(section('REQUEST-ACK'), 'received packets');
    return { sent, acks, lost: sent - acks };
  };

  const withConfigSets = async (): Promise<{ run: Run; answered: number; calls: number }> => {
    const original = (await server.ctl('config-get')).arguments?.['Dhcp4'] as Record<string, unknown>;
    let running = true;
    const run = perfdhcp().finally(() => (running = false));
    let calls = 0;
    let answered = 0;
    while (running && calls < 100) {
      await new Promise((r) => setTimeout(r, 600));
      calls += 1;
      const a = await server.ctl('config-set', {
        Dhcp4: {
          ...original,
          'valid-lifetime': 3600 + calls,
          'option-data': [{ name: 'domain-name', data: `v${calls}.lab.example` }],
        },
      });
      if (a.result === 0) answered += 1;
    }
    return { run: await run, answered, calls };
  };

  console.log(`perfdhcp -r ${RATE} for ${SECONDS} s, ${TRIALS} trials`);
  for (let t = 0; t < TRIALS; t++) {
    const plain = await perfdhcp();
    console.log(`  plain:       sent ${plain.sent}, ACKs ${plain.acks}, lost ${plain.lost}`);
    const loaded = await withConfigSets();
    console.log(
      `  config-set:  sent ${loaded.run.sent}, ACKs ${loaded.run.acks}, lost ${loaded.run.lost} (${loaded.answered}/${loaded.calls} config-sets answered)`,
    );
  }
  await server.stop();
} finally {
  await lab.close();
}
