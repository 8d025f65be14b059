/**
 * What a lookup by client across subnets costs on a large server: `npx tsx bench/lookup.ts [N] [--sqlite]`
 * (N defaults to 1,000,000). A plain script, not a test.
 *
 * Fills the engine's lease index with N leases (16 subnets; every lease with a client identifier: three in
 * four `01:` + MAC, one in four type 255 with an IAID and a DUID, as systemd-networkd sends; a third with a
 * hostname) and times each lookup the control commands make (`lease4-get-by-hw-address`, `-client-id`,
 * `-hostname`, `lease4-get` by identifier in a subnet), as answered by the index scan (lease-scan.ts): the
 * wall time and the process's CPU time per query: the first run, then min / median / max of the others. `--sqlite` also writes
 * the same leases into a SQLite lease file and runs each query through the store, alternating with the scan
 * (store, scan, store, scan), for an A/B under the same load.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Lease } from '../src/leases/lease.ts';
import { SqliteLeaseStore } from '../src/leases/sqlite.ts';
import { LeaseIndex } from '../src/server/lease-index.ts';
import { leasesByClientId, leasesByHostname, leasesByHwAddress } from '../src/server/lease-scan.ts';
import { writeLeaseFile } from './lease-file.ts';
import { syntheticLease } from './synthetic-lease.ts';

const args = process.argv.slice(2);
const N = Number(args.find((a) => /^\d+$/.test(a)) ?? 1_000_000);
const WITH_SQLITE = args.includes('--sqlite');
const ROUNDS = Number(process.env['LOOKUP_ROUNDS'] ?? 15);
const NOW = Date.now();

const hex = (n: number, octets: number): string =>
  Array.from({ length: octets }, (_, k) =>
    ((n >>> (8 * (octets - 1 - k))) & 255).toString(16).padStart(2, '0'),
  ).join(':');

/** Type 255 (RFC 4361): an IAID, then a DUID-LLT of the MAC. */
const duidClientId = (i: number): string => `ff:${hex(i, 4)}:00:01:00:01:${hex(i, 4)}:02:00:00:${hex(i, 3)}`;

function lease(i: number): Lease {
  return syntheticLease(i, NOW - (i % 1800) * 1000, {
    subnetId: 1 + (i >> 16),
    ...(i % 4 === 3 ? { clientId: duidClientId(i) } : {}),
    hostname: i % 3 === 0 ? `host-${i}` : null,
  });
}

function* leases(): Generator<Lease> {
  for (let i = 0; i < N; i++) yield lease(i);
}

interface Query {
  readonly name: string;
  readonly scan: (index: LeaseIndex) => Lease[];
  readonly store: (store: SqliteLeaseStore) => Promise<Lease[]>;
}

const target = Math.min(N - 1, 777_771); // i % 4 === 3 and i % 3 === 0: a type-255 client with a hostname
const other = Math.min(N - 1, 500_000);
const sample = lease(target);
const plain = lease(other);
const queries: Query[] = [
  {
    name: 'hw-address',
    scan: (x) => leasesByHwAddress(x, plain.hwAddress),
    store: (s) => s.getByHwAddress(plain.hwAddress),
  },
  {
    name: 'client-id 01:+MAC',
    scan: (x) => leasesByClientId(x, plain.clientId!),
    store: (s) => s.getByClientId(plain.clientId!),
  },
  {
    name: 'client-id type 255',
    scan: (x) => leasesByClientId(x, sample.clientId!),
    store: (s) => s.getByClientId(sample.clientId!),
  },
  {
    name: 'hostname',
    scan: (x) => leasesByHostname(x, sample.hostname!.toUpperCase()),
    store: (s) => s.getByHostname(sample.hostname!.toUpperCase()),
  },
  {
    name: 'hw-address in subnet',
    scan: (x) => leasesByHwAddress(x, plain.hwAddress, plain.subnetId),
    store: (s) => s.getByHwAddress(plain.hwAddress, plain.subnetId),
  },
  {
    name: 'hw-address absent',
    scan: (x) => leasesByHwAddress(x, '0a:00:00:00:00:01'),
    store: (s) => s.getByHwAddress('0a:00:00:00:00:01'),
  },
];

interface Sample {
  readonly wallMs: number;
  readonly cpuMs: number;
}

async function timed(run: () => Lease[] | Promise<Lease[]>): Promise<Sample & { found: number }> {
  const cpu = process.cpuUsage();
  const t = performance.now();
  const found = (await run()).length;
  const wallMs = performance.now() - t;
  const used = process.cpuUsage(cpu);
  return { wallMs, cpuMs: (used.user + used.system) / 1000, found };
}

/** The first run (cold: the scan's code not optimized yet), then min / median / max of the others. */
function summary(samples: readonly Sample[]): string {
  const f = (x: number): string => x.toFixed(x < 10 ? 2 : 1);
  const pick = (k: keyof Sample): string => {
    const v = samples
      .slice(1)
      .map((s) => s[k])
      .sort((a, b) => a - b);
    return `${f(samples[0]![k])}; ${f(v[0]!)} / ${f(v[Math.floor(v.length / 2)]!)} / ${f(v.at(-1)!)}`;
  };
  return `wall ${pick('wallMs')} ms, cpu ${pick('cpuMs')} ms`;
}

async function main(): Promise<void> {
  const index = new LeaseIndex();
  const t0 = performance.now();
  for (const l of leases()) index.put(l);
  console.log(`${index.size} leases in the index (${Math.round(performance.now() - t0)} ms to fill)`);
  let store: SqliteLeaseStore | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'lk-lookup-bench-'));
  try {
    if (WITH_SQLITE) {
      const path = join(dir, 'leases.db');
      await writeLeaseFile(path, leases());
      store = await SqliteLeaseStore.open({ path, writer: 'inline' });
      // the file into the OS page cache, as on a server that has run a while
      await store.getByHwAddress('0a:00:00:00:00:00');
    }
    console.log(
      `load average ${loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')}; first run; then min / median / max of ${ROUNDS - 1}`,
    );
    for (const q of queries) {
      const scans: Sample[] = [];
      const reads: Sample[] = [];
      let found = -1;
      for (let r = 0; r < ROUNDS; r++) {
        if (store !== undefined) {
          const read = await timed(() => q.store(store!));
          reads.push(read);
          found = read.found;
        }
        const scan = await timed(() => q.scan(index));
        if (found >= 0 && scan.found !== found)
          throw new Error(`${q.name}: scan ${scan.found}, store ${found}`);
        scans.push(scan);
        found = scan.found;
      }
      console.log(`${q.name.padEnd(22)} ${found} found  index scan: ${summary(scans)}`);
      if (reads.length > 0) console.log(`${''.padEnd(22)}          SQLite store: ${summary(reads)}`);
    }
  } finally {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
