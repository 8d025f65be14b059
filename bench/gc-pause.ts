/**
 * What a garbage collection holds the main thread for with a large lease table in the heap: N leases
 * (default 1,000,000, as bench:leases-memory makes them) loaded into an engine, then DORAs of new clients
 * through the engine and the codec, 600 per event-loop turn (DORAS, default 240,000: enough for the old
 * generation to need a mark-compact), and every main-thread collection after the load from node's `gc`
 * performance entries: count, median and longest scavenge, and each mark-compact.
 *
 *   node [GC FLAGS] --import tsx bench/gc-pause.ts [N]
 *
 * Run it with and without a flag, alternated: `--single-threaded-gc`, for one, runs a mark-compact's
 * evacuation and sweeping on the main thread alone (docs/scaling.md, "The daemon's GC (round 8)").
 */
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { compileConfig } from '../src/config/compile.ts';
import type { Lease } from '../src/leases/lease.ts';
import { MessageType, createMessage, decodeMessage, encodeMessage } from '../src/protocol/index.ts';
import { DhcpServerEngine, encodeReply, type ArrivalMeta } from '../src/server/index.ts';
import { syntheticLease } from './synthetic-lease.ts';

const N = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 1_000_000);
const DORAS = Number(process.env['DORAS'] ?? 240_000);
const PER_TURN = 600;
const NOW = Date.now();

const engine = new DhcpServerEngine(
  compileConfig({
    Dhcp4: { subnet4: [{ id: 1, subnet: '10.0.0.0/8', pools: [{ pool: '10.0.0.1 - 10.255.255.254' }] }] },
  }),
);
function* leases(): Generator<Lease> {
  for (let i = 0; i < N; i++)
    yield syntheticLease(i, NOW - (i % 1800) * 1000, {
      hostname: i % 3 === 0 ? `host-${i}` : null,
      userContext: i % 10 === 0 ? { 'circuit-id': `port-${i % 48}` } : null,
    });
}
engine.loadLeases(leases());

const meta: ArrivalMeta = {
  interface: 'eth0',
  interfaceAddresses: [{ address: '10.0.0.1', prefixLength: 8 }],
  sourceAddress: '0.0.0.0',
  sourcePort: 68,
};

/** Client `i`'s DISCOVER or REQUEST; its MAC outside the loaded leases' (02:cc:...). */
function packet(type: number, i: number, offered?: ReturnType<typeof decodeMessage>): Buffer {
  const chaddr = Uint8Array.from([2, 0xcc, (i >>> 24) & 255, (i >> 16) & 255, (i >> 8) & 255, i & 255]);
  const m = createMessage({ xid: i, chaddr });
  m.options.set('dhcp-message-type', type);
  m.options.set('dhcp-parameter-request-list', [1, 3, 6, 15, 51, 54]);
  if (offered !== undefined) {
    m.options.set('dhcp-server-identifier', offered.options.get('dhcp-server-identifier') ?? '');
    m.options.set('dhcp-requested-address', offered.yiaddr);
  }
  return encodeMessage(m);
}

/** One message through the engine, its commit applied and settled at once; the reply's bytes. */
function answer(bytes: Buffer): Buffer | undefined {
  let out = engine.handle(decodeMessage(bytes), meta, Date.now());
  while (out.commit) {
    for (const w of out.commit.writes)
      if (w.op === 'claim') engine.applyLeaseChange({ kind: 'updated', lease: w.lease });
    out = engine.commitSucceeded(out.commit.token, Date.now());
  }
  const reply = out.replies[0];
  return reply ? encodeReply(reply) : undefined;
}

const scavenges: number[] = [];
const markCompacts: number[] = [];
const observer = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = (e as { detail?: { kind?: number } }).detail?.kind;
    if (kind === constants.NODE_PERFORMANCE_GC_MINOR) scavenges.push(e.duration);
    else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) markCompacts.push(e.duration);
  }
});
observer.observe({ entryTypes: ['gc'] });

let served = 0;
await new Promise<void>((resolve) => {
  const turn = (): void => {
    for (const end = Math.min(served + PER_TURN, DORAS); served < end; served++) {
      const offer = answer(packet(MessageType.DISCOVER, served));
      if (offer !== undefined) answer(packet(MessageType.REQUEST, served, decodeMessage(offer)));
    }
    if (served < DORAS) setImmediate(turn);
    else resolve();
  };
  turn();
});
// gc entries arrive asynchronously
await new Promise((resolve) => setTimeout(resolve, 100));
observer.disconnect();

scavenges.sort((a, b) => a - b);
const ms = (v: number | undefined): string => (v ?? 0).toFixed(1);
console.log(
  `${N} leases, ${DORAS} DORAs after the load (node ${process.execArgv.join(' ') || 'without flags'}): ` +
    `${scavenges.length} scavenges, median ${ms(scavenges[scavenges.length >> 1])} ms, longest ${ms(scavenges.at(-1))} ms; ` +
    `${markCompacts.length} mark-compacts: ${markCompacts.map((d) => `${ms(d)} ms`).join(', ') || 'none'}`,
);
