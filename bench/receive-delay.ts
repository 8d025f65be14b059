/**
 * How well the linux transport's receiveDelayMs (kernel receive timestamp to read) tracks the time a frame
 * really waited: ROUNDS times, a frame sent to an idle server (fresh), then one sent while the event loop is
 * held for HOLD_MS (stale). Prints the distribution of both. Two namespaces joined by a veth, 198.18.0.0/24.
 * Run as root: `npx tsx bench/receive-delay.ts` (optionally ROUNDS=20 HOLD_MS=300).
 * The test suite only checks the bound causality guarantees (test/transport/linux-batch.test.ts).
 */
import { record, until, withTransportPair } from '../test/transport/linux-helpers.ts';

const ROUNDS = Number(process.env['ROUNDS'] ?? 20);
const HOLD_MS = Number(process.env['HOLD_MS'] ?? 300);

function summary(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): string =>
    (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0).toFixed(2);
  return `min ${at(0)}  median ${at(0.5)}  p90 ${at(0.9)}  max ${at(1)} ms`;
}

await withTransportPair(
  'brd',
  async ({ server, client }) => {
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
  },
  { clientAddress: '198.18.0.2/24' },
);
