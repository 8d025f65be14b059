/**
 * How well the linux transport's receiveDelayMs (kernel receive timestamp to read) tracks the time a frame
 * really waited: ROUNDS times, a frame sent to an idle server (fresh), then one sent while the event loop is
 * held for HOLD_MS (stale). Prints the distribution of both. Two namespaces joined by a veth, 198.18.0.0/24.
 * Run as root: `npx tsx bench/receive-delay.ts` (optionally ROUNDS=20 HOLD_MS=300).
 * The test suite only checks the bound causality guarantees (test/transport/linux-batch.test.ts).
 */
import { createLab } from '../test/lab/netns.ts';
import { carrierUp, record, until } from '../test/transport/linux-helpers.ts';
import { LinuxTransport } from '../src/transport/linux/transport.ts';

const ROUNDS = Number(process.env['ROUNDS'] ?? 20);
const HOLD_MS = Number(process.env['HOLD_MS'] ?? 300);

function summary(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): string =>
    (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0).toFixed(2);
  return `min ${at(0)}  median ${at(0.5)}  p90 ${at(0.9)}  max ${at(1)} ms`;
}

const lab = await createLab('brd');
try {
  const s = await lab.namespace('srv');
  const c = await lab.namespace('cli');
  await lab.veth(s, 'srv0', c, 'cli0');
  await s.addAddress('srv0', '198.18.0.1/24');
  await c.addAddress('cli0', '198.18.0.2/24');
  await carrierUp(s.name, 'srv0');
  await carrierUp(c.name, 'cli0');
  const server = await LinuxTransport.open({ interfaces: ['srv0'], port: 67, netns: s.name });
  const client = await LinuxTransport.open({ interfaces: ['cli0'], port: 68, netns: c.name });
  try {
    const r = record(server);
    const fresh: number[] = [];
    const stale: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const base = r.messages.length;
      await client.send({ data: Buffer.from('fresh'), ip: '255.255.255.255', port: 67 });
      await until(() => r.messages.length === base + 1, 5000, 'the fresh frame');
      await client.send({ data: Buffer.from('stale'), ip: '255.255.255.255', port: 67 });
      const busyUntil = performance.now() + HOLD_MS;
      while (performance.now() < busyUntil) {
        // hold the event loop, as an overloaded server would
      }
      await until(() => r.messages.length === base + 2, 5000, 'the stale frame');
      fresh.push(r.messages[base]?.meta.receiveDelayMs ?? -1);
      stale.push(r.messages[base + 1]?.meta.receiveDelayMs ?? -1);
    }
    console.log(`receiveDelayMs over ${ROUNDS} rounds, event loop held ${HOLD_MS} ms for the stale frame`);
    console.log(`  fresh: ${summary(fresh)}`);
    console.log(`  stale: ${summary(stale)}`);
  } finally {
    await server.close();
    await client.close();
  }
} finally {
  await lab.close();
}
