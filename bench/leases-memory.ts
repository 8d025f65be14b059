/**
 * What the server engine holds per lease: `node --expose-gc --import tsx bench/leases-memory.ts [N]`
 * (`npm run bench:leases-memory`; N defaults to 1,000,000). A plain script, not a test.
 *
 * Loads N leases (a /8 pool, every lease with a client identifier, a third with a hostname, a tenth with a
 * user context, the way a large site's lease file looks) into a fresh engine and prints the heap and RSS it
 * grew by, per lease, and the load time. The leases come from a generator, so what stays is the engine's
 * own copy, not the source array.
 */
import { performance } from 'node:perf_hooks';
import { compileConfig } from '../src/config/compile.ts';
import type { Lease } from '../src/leases/lease.ts';
import { DhcpServerEngine } from '../src/server/index.ts';

const N = Number(process.argv[2] ?? process.env['BENCH_LEASES'] ?? 1_000_000);
const NOW = Date.now();

function* leases(count: number): Generator<Lease> {
  for (let i = 0; i < count; i++) {
    const b = [(i >> 16) & 255, (i >> 8) & 255, i & 255];
    const hex = b.map((x) => x.toString(16).padStart(2, '0')).join(':');
    const cltt = NOW - (i % 1800) * 1000;
    yield {
      address: `10.${b[0]}.${b[1]}.${b[2]}`,
      hwAddress: `02:00:00:${hex}`,
      clientId: `01:02:00:00:${hex}`,
      subnetId: 1,
      validLifetime: 3600,
      cltt,
      expiresAt: cltt + 3_600_000,
      hostname: i % 3 === 0 ? `host-${i}` : null,
      state: 'default',
      userContext: i % 10 === 0 ? { 'circuit-id': `port-${i % 48}` } : null,
    };
  }
}

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');

function settle(): { heap: number; rss: number } {
  gc!();
  gc!();
  const m = process.memoryUsage();
  return { heap: m.heapUsed + m.arrayBuffers, rss: m.rss };
}

const config = compileConfig({
  Dhcp4: { subnet4: [{ id: 1, subnet: '10.0.0.0/8', pools: [{ pool: '10.0.0.1 - 10.255.255.254' }] }] },
});
const engine = new DhcpServerEngine(config);
const before = settle();
const start = performance.now();
engine.loadLeases(leases(N));
const loadMs = performance.now() - start;
const after = settle();
const perLease = (bytes: number): string => (bytes / N).toFixed(0);
console.log(`${N} leases loaded into the engine in ${loadMs.toFixed(0)} ms`);
console.log(
  `heap + array buffers: +${((after.heap - before.heap) / 2 ** 20).toFixed(1)} MiB, ${perLease(after.heap - before.heap)} B a lease`,
);
console.log(
  `RSS: +${((after.rss - before.rss) / 2 ** 20).toFixed(1)} MiB, ${perLease(after.rss - before.rss)} B a lease (peak included)`,
);
// keeps the engine alive until after the measurement
console.log(`the engine holds ${engine.leases().length} leases`);
