/**
 * DORA exchanges per second through the server engine and the codec, with an in-memory commit:
 * decode(DISCOVER) -> engine -> encode(OFFER), decode(REQUEST) -> engine -> commit -> encode(ACK).
 * Only the server side is timed (building the client's packets is not). Run: npx tsx bench/engine.ts
 */
import { Session } from 'node:inspector/promises';
import { PerformanceObserver, constants, performance } from 'node:perf_hooks';
import { availableParallelism, loadavg } from 'node:os';
import { compileConfig } from '../src/config/compile.ts';
import type { CompiledConfig } from '../src/config/index.ts';
import { intToIpv4 } from '../src/config/ipv4.ts';
import type { Lease } from '../src/leases/lease.ts';
import { MessageType, createMessage, decodeMessage, encodeMessage } from '../src/protocol/index.ts';
import { DhcpServerEngine, encodeReply, type ArrivalMeta, type EngineOutput } from '../src/server/index.ts';
import { PoolBitmap } from '../src/server/pool-bitmap.ts';

const NOW = Date.UTC(2026, 0, 1);

function clientPacket(
  type: number,
  i: number,
  extra: (m: ReturnType<typeof createMessage>) => void = () => {},
): Buffer {
  const chaddr = Uint8Array.from([0x02, 0xbe, 0x00, (i >> 16) & 255, (i >> 8) & 255, i & 255]);
  const m = createMessage({ xid: i, chaddr });
  m.options.set('dhcp-message-type', type);
  m.options.set('dhcp-parameter-request-list', [1, 3, 6, 15, 51, 54]);
  extra(m);
  return encodeMessage(m);
}

function serve(
  engine: DhcpServerEngine,
  bytes: Buffer,
  meta: ArrivalMeta,
  store: Map<string, Lease>,
): Buffer | undefined {
  let out: EngineOutput = engine.handle(decodeMessage(bytes), meta, NOW);
  while (out.commit) {
    for (const w of out.commit.writes) {
      if (w.op !== 'claim') continue;
      store.set(w.lease.address, w.lease);
      // As the server wires it: the store's change callback echoes each write before its commit settles.
      engine.applyLeaseChange({ kind: 'updated', lease: w.lease });
    }
    out = engine.commitSucceeded(out.commit.token, NOW);
  }
  const r = out.replies[0];
  return r ? encodeReply(r) : undefined;
}

interface Scenario {
  name: string;
  config: unknown;
  /** Options the clients add to both of their packets (the classification rows' vendor strings). */
  clientOptions?: (i: number, m: ReturnType<typeof createMessage>) => void;
  meta: ArrivalMeta;
  preload: Lease[];
  clients: number;
}

function run(s: Scenario, rounds: number): { rate: number; exchanges: number } {
  let ns = 0n;
  let exchanges = 0;
  const config = compileConfig(s.config);
  for (let round = 0; round < rounds; round++) {
    const engine = servingEngine(config);
    engine.loadLeases(s.preload);
    const store = new Map<string, Lease>();
    const own = s.clientOptions ?? ((): void => {});
    const discovers = Array.from({ length: s.clients }, (_, i) =>
      clientPacket(MessageType.DISCOVER, i, (m) => own(i, m)),
    );
    for (let i = 0; i < s.clients; i++) {
      let t = process.hrtime.bigint();
      const offerBytes = serve(engine, discovers[i] as Buffer, s.meta, store);
      ns += process.hrtime.bigint() - t;
      if (!offerBytes) throw new Error(`no offer for client ${i}`);
      const offer = decodeMessage(offerBytes);
      const request = clientPacket(MessageType.REQUEST, i, (m) => {
        own(i, m);
        m.options.set('dhcp-server-identifier', offer.options.get('dhcp-server-identifier') ?? '');
        m.options.set('dhcp-requested-address', offer.yiaddr);
      });
      t = process.hrtime.bigint();
      const ack = serve(engine, request, s.meta, store);
      ns += process.hrtime.bigint() - t;
      if (!ack || decodeMessage(ack).options.get('dhcp-message-type') !== MessageType.ACK)
        throw new Error('no ACK');
      exchanges++;
    }
  }
  return { rate: exchanges / (Number(ns) / 1e9), exchanges };
}

/** CPU time of this process in ns: unlike wall time, it does not count while other work has the cores. */
function cpuNs(): bigint {
  const u = process.cpuUsage();
  return BigInt(u.user + u.system) * 1000n;
}

/**
 * An engine as `serve` runs it at its default log level (warn) with no exchange listener: neither the
 * exchanges' events nor their log lines are built. DESCRIBE=1 builds both, as at log level info.
 */
function servingEngine(config: CompiledConfig): DhcpServerEngine {
  const engine = new DhcpServerEngine(config);
  const describe = process.env.DESCRIBE === '1';
  engine.describeExchangesWhen(() => describe);
  engine.recordExchangesWhen(() => describe);
  return engine;
}

const compiledConfigs = new Map<Scenario, CompiledConfig>();

/**
 * A scenario's configuration compiled once, as a server compiles its configuration once: what is worked
 * out per configuration (the classes' trie, the option layer lists) then carries over from round to round.
 */
function compiled(s: Scenario): CompiledConfig {
  let c = compiledConfigs.get(s);
  if (c === undefined) {
    c = compileConfig(s.config);
    compiledConfigs.set(s, c);
  }
  return c;
}

/**
 * CPU time of one round for the classification A/B: every client's DISCOVER, then every REQUEST, each
 * phase timed as a block (process CPU time has too coarse a clock for single packets). Building the
 * clients' packets is not timed.
 */
function cpuRate(s: Scenario): number {
  let cpu = 0n;
  const engine = servingEngine(compiled(s));
  engine.loadLeases(s.preload);
  const store = new Map<string, Lease>();
  const own = s.clientOptions ?? ((): void => {});
  const discovers = Array.from({ length: s.clients }, (_, i) =>
    clientPacket(MessageType.DISCOVER, i, (m) => own(i, m)),
  );
  let c = cpuNs();
  const offers = discovers.map((d) => serve(engine, d, s.meta, store));
  cpu += cpuNs() - c;
  const requests = offers.map((offerBytes, i) => {
    if (!offerBytes) throw new Error(`no offer for client ${i}`);
    const offer = decodeMessage(offerBytes);
    return clientPacket(MessageType.REQUEST, i, (m) => {
      own(i, m);
      m.options.set('dhcp-server-identifier', offer.options.get('dhcp-server-identifier') ?? '');
      m.options.set('dhcp-requested-address', offer.yiaddr);
    });
  });
  c = cpuNs();
  const acks = requests.map((r) => serve(engine, r, s.meta, store));
  cpu += cpuNs() - c;
  if (acks.some((a) => !a || decodeMessage(a).options.get('dhcp-message-type') !== MessageType.ACK))
    throw new Error('no ACK');
  return s.clients / (Number(cpu) / 1e9);
}

const meta24: ArrivalMeta = {
  interface: 'eth0',
  interfaceAddresses: [{ address: '198.18.0.1', prefixLength: 24 }],
  sourceAddress: '0.0.0.0',
  sourcePort: 68,
};
const meta16: ArrivalMeta = {
  ...meta24,
  interfaceAddresses: [{ address: '198.18.255.254', prefixLength: 16 }],
};

/** perfdhcp's packets: relayed from 198.18.0.2, the relay's address on the /16. */
const relayMeta16: ArrivalMeta = { ...meta16, sourceAddress: '198.18.0.2', sourcePort: 67 };
function relayed(_i: number, m: ReturnType<typeof createMessage>): void {
  m.giaddr = '198.18.0.2';
  m.hops = 1;
}

const base = ((198 << 24) | (18 << 16)) >>> 0;
const preload: Lease[] = Array.from({ length: 60_000 }, (_, k) => {
  const i = k + 1;
  return {
    address: intToIpv4(base + i),
    hwAddress: `02:aa:00:${((i >> 16) & 255).toString(16).padStart(2, '0')}:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`,
    clientId: null,
    subnetId: 1,
    validLifetime: 86400,
    cltt: NOW,
    expiresAt: NOW + 86_400_000,
    hostname: null,
    state: 'default',
    userContext: null,
  };
});

const subnet24 = {
  id: 1,
  subnet: '198.18.0.0/24',
  pools: [{ pool: '198.18.0.2 - 198.18.0.254' }],
  'option-data': [{ name: 'routers', data: '198.18.0.1' }],
};

/** Ten client classes of the kinds sites write: vendor strings, PXE architectures, relays, MAC prefixes. */
const tenClasses = [
  { name: 'pxe', test: "substring(option[60].hex,0,9) == 'PXEClient'", 'boot-file-name': 'pxe.0' },
  { name: 'efi64', test: "member('pxe') and option[93].hex == 0x0007", 'boot-file-name': 'efi.efi' },
  { name: 'phones', test: "substring(option[60].hex,0,6) == 'Aastra'", 'valid-lifetime': 600 },
  { name: 'docsis', test: 'vendor-class[4491].exists or vendor[4491].exists' },
  { name: 'relayed', test: 'relay4[1].exists and pkt4.giaddr == 198.18.1.1' },
  { name: 'vmware', test: "hexstring(substring(pkt4.mac,0,3), ':') == '00:50:56'" },
  { name: 'lab-names', test: "split(option[host-name].text, '-', 1) == 'lab'" },
  {
    name: 'asks-dns',
    test: 'option[55].exists and pkt4.htype == 1',
    'option-data': [{ name: 'domain-name-servers', data: '198.18.0.53' }],
  },
  { name: 'ethernet', test: "pkt4.hlen == 6 and not (pkt.iface == 'lo')" },
  { name: 'windows', test: "lcase(substring(option[60].hex,0,4)) == 'msft'" },
];

const config16 = {
  Dhcp4: {
    subnet4: [
      {
        id: 1,
        subnet: '198.18.0.0/16',
        pools: [{ pool: '198.18.0.0/16' }],
        'option-data': [{ name: 'routers', data: '198.18.255.254' }],
      },
    ],
  },
};

const allScenarios: Scenario[] = [
  {
    name: 'empty /24 (253 free)',
    config: { Dhcp4: { subnet4: [subnet24] } },
    meta: meta24,
    preload: [],
    clients: 250,
  },
  {
    name: 'empty /24, 10 classes',
    config: { Dhcp4: { 'client-classes': tenClasses, subnet4: [subnet24] } },
    meta: meta24,
    preload: [],
    clients: 250,
  },
  {
    name: '/16 with 60,000 leases',
    config: config16,
    meta: meta16,
    preload,
    clients: 5_000,
  },
  {
    // ONLY=relayed: the same through a relay, as perfdhcp's requests come (the /16 scenario's are direct).
    name: 'relayed, 60,000 leases',
    config: config16,
    clientOptions: relayed,
    meta: relayMeta16,
    preload,
    clients: 5_000,
  },
];

// ONLY=<text> runs just the scenarios whose name has it (for profiling one).
const only = process.env.ONLY;
const scenarios = allScenarios.filter((s) => only === undefined || s.name.includes(only));

/** A node of V8's sampling heap profile: bytes allocated by a function, per caller. */
interface SampleNode {
  callFrame: { functionName: string };
  selfSize: number;
  children: SampleNode[];
}

/**
 * ALLOC=1: bytes allocated per DORA while serving (not while building the clients' packets), by V8's
 * sampling heap profiler keeping every sample, also those a scavenge has collected, and the call sites
 * that allocate the most. Allocation is what the scavenges, on V8's helper threads, cost per DORA.
 */
async function allocationReport(s: Scenario): Promise<void> {
  for (let i = 0; i < 3; i++) cpuRate(s);
  const session = new Session();
  session.connect();
  const bySite = new Map<string, number>();
  const walk = (n: SampleNode, caller: string): void => {
    const site = `${n.callFrame.functionName || '(anonymous)'} <- ${caller}`;
    bySite.set(site, (bySite.get(site) ?? 0) + n.selfSize);
    for (const c of n.children) walk(c, n.callFrame.functionName || '(anonymous)');
  };
  await servedRound(s, async (work) => {
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: 128,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
    work();
    const { profile } = await session.post('HeapProfiler.stopSampling');
    walk(profile.head as SampleNode, '');
  });
  session.disconnect();
  const perDora = (bytes: number): string => `${Math.round(bytes / s.clients)}`.padStart(6);
  const total = [...bySite.values()].reduce((a, b) => a + b, 0);
  console.log(`${s.name}: ${perDora(total)} bytes allocated per DORA, the most by:`);
  for (const [site, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.TOP ?? 15)))
    console.log(`  ${perDora(bytes)}  ${site}`);
  console.log(`  scavenges per 10,000 DORAs: ${(await scavengesPer10k(s, 30)).toFixed(2)} (30 rounds)`);
}

/**
 * One round of a scenario's DORAs, each phase (every client's DISCOVER, then every REQUEST) run through
 * `phase`, which profiles or watches it; building the clients' packets stays outside the phases.
 */
async function servedRound(s: Scenario, phase: (work: () => void) => Promise<void> | void): Promise<void> {
  const engine = servingEngine(compiled(s));
  engine.loadLeases(s.preload);
  const store = new Map<string, Lease>();
  const discovers = Array.from({ length: s.clients }, (_, i) => clientPacket(MessageType.DISCOVER, i));
  let offers: (Buffer | undefined)[] = [];
  await phase(() => {
    offers = discovers.map((d) => serve(engine, d, s.meta, store));
  });
  const requests = offers.map((offerBytes, i) => {
    const offer = decodeMessage(offerBytes!);
    return clientPacket(MessageType.REQUEST, i, (m) => {
      m.options.set('dhcp-server-identifier', offer.options.get('dhcp-server-identifier') ?? '');
      m.options.set('dhcp-requested-address', offer.yiaddr);
    });
  });
  await phase(() => {
    for (const r of requests) serve(engine, r, s.meta, store);
  });
}

/** Scavenges (minor GCs) that started while serving, per 10,000 DORAs, over `rounds` rounds. */
async function scavengesPer10k(s: Scenario, rounds: number): Promise<number> {
  const starts: number[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries())
      if ((e as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR)
        starts.push(e.startTime);
  });
  observer.observe({ entryTypes: ['gc'] });
  const windows: [number, number][] = [];
  for (let r = 0; r < rounds; r++)
    await servedRound(s, (work) => {
      const t = performance.now();
      work();
      windows.push([t, performance.now()]);
    });
  // GC entries are delivered asynchronously.
  await new Promise((resolve) => setTimeout(resolve, 100));
  observer.disconnect();
  const during = starts.filter((t) => windows.some(([a, b]) => t >= a && t <= b)).length;
  return (during / (rounds * s.clients)) * 1e4;
}

if (process.env.ALLOC === '1') {
  for (const s of scenarios) await allocationReport(s);
  process.exit(0);
}

// CPU=1: process CPU time (this thread and V8's helpers: GC, compilers) instead of wall time, for A/Bs on a
// loaded machine; each trial is one round of every client's DISCOVER, then every REQUEST.
const byCpu = process.env.CPU === '1';
// Warm the JIT on both, then interleave trials and report the median, so order does not bias the figures.
for (const s of scenarios) run(s, 1);
const rates = new Map<string, number[]>(scenarios.map((s) => [s.name, []]));
for (let trial = 0; trial < (byCpu ? 15 : 5); trial++) {
  for (const s of scenarios)
    rates.get(s.name)?.push(byCpu ? cpuRate(s) : run(s, s.clients > 1000 ? 1 : 20).rate);
}
for (const s of scenarios) {
  const list = (rates.get(s.name) ?? []).sort((a, b) => a - b);
  const median = list[Math.floor(list.length / 2)] ?? 0;
  const perTrial = byCpu ? s.clients : s.clients * (s.clients > 1000 ? 1 : 20);
  console.log(
    `${s.name.padEnd(26)} ${Math.round(median).toLocaleString('en-US').padStart(8)} DORA/s ${byCpu ? `(${(1e6 / median).toFixed(2)} us CPU/DORA) ` : ''}(median of ${list.length} trials of ${perTrial})`,
  );
}

/** Vendor strings of the classification rows' clients (a Windows PC, a PXE EFI client, a phone...). */
const VENDORS = ['MSFT 5.0', 'PXEClient:Arch:00007:UNDI:003016', 'android-dhcp-14', 'Aastra6731i'];

/**
 * What a classification row's client sends besides the usual: option 60 (with its PXE architecture in
 * 93), and a host name, every other one `lab-...`, so that eight of the ten tests are evaluated for every
 * packet (the relay and DOCSIS ones find their options absent, as for most clients).
 */
function classifiedClient(i: number, m: ReturnType<typeof createMessage>): void {
  const vendor = VENDORS[i % VENDORS.length]!;
  m.options.set('vendor-class-identifier', vendor);
  if (vendor.startsWith('PXEClient')) m.options.set('client-system', [7]);
  m.options.set('host-name', i % 2 === 0 ? `lab-pc-${i}` : `desk-${i}`);
}

/**
 * Classification's cost: the same 250-client run without classes, with the ten classes, and with
 * built-in classes only (a pool for UNKNOWN clients), the clients sending what the tests read; alternated
 * round by round so that all see the same machine, and compared by CPU time (wall time counts other
 * processes' turns on the cores): 20 untimed rounds each, then the medians of ROUNDS rounds: of each rate,
 * and of each round's ratio to the plain run (the figure given as the cost).
 */
if (only === undefined || only === 'classes') {
  const ROUNDS = 200;
  const plain: Scenario = { ...allScenarios[0]!, clientOptions: classifiedClient };
  const variants: Scenario[] = [
    { ...allScenarios[1]!, clientOptions: classifiedClient },
    {
      ...plain,
      name: 'built-in classes only',
      config: {
        Dhcp4: {
          subnet4: [
            { ...subnet24, pools: [{ pool: '198.18.0.2 - 198.18.0.254', 'client-class': 'UNKNOWN' }] },
          ],
        },
      },
    },
  ];
  const load = [loadavg()[0]!];
  const plainRates: number[] = [];
  const rates = variants.map(() => [] as number[]);
  const ratios = variants.map(() => [] as number[]);
  const all = [plain, ...variants];
  for (let i = 0; i < 20; i++) for (const s of all) cpuRate(s);
  for (let round = 0; round < ROUNDS; round++) {
    // Each round starts with another configuration, so none always runs first (or right after another).
    const r = new Array<number>(all.length);
    for (let k = 0; k < all.length; k++) {
      const i = (round + k) % all.length;
      r[i] = cpuRate(all[i]!);
    }
    plainRates.push(r[0]!);
    variants.forEach((_, i) => {
      rates[i]!.push(r[i + 1]!);
      ratios[i]!.push(r[i + 1]! / r[0]!);
    });
  }
  load.push(loadavg()[0]!);
  const at = (list: number[], q: number): number =>
    [...list].sort((a, b) => a - b)[Math.floor(list.length * q)]!;
  const dora = (n: number): string => `${Math.round(n).toLocaleString('en-US').padStart(8)} DORA/s`;
  const cost = (r: number): string => `${((1 - r) * 100).toFixed(1)}%`;
  console.log(
    `classification (CPU time, medians of ${ROUNDS} alternated rounds of 250 DORAs; load average ${load.map((l) => l.toFixed(1)).join(' -> ')} on ${availableParallelism()} cores):`,
  );
  console.log(`  ${'no classes'.padEnd(24)} ${dora(at(plainRates, 0.5))}`);
  variants.forEach((s, i) => {
    const list = ratios[i]!;
    console.log(
      `  ${s.name.replace('empty /24, ', '').padEnd(24)} ${dora(at(rates[i]!, 0.5))}  costs ${cost(at(list, 0.5))} of the engine's rate (interquartile ${cost(at(list, 0.75))}-${cost(at(list, 0.25))})`,
    );
  });
}

/** The allocator alone: find + take + release one address, in an empty /24 and in a /16 with 60,000 taken. */
function allocations(size: number, taken: number, ops: number): number {
  const pool = new PoolBitmap(0, size - 1);
  for (let i = 0; i < taken; i++) pool.take(i);
  const t = process.hrtime.bigint();
  for (let i = 0; i < ops; i++) {
    const a = pool.next();
    if (a === undefined) throw new Error('pool full');
    pool.take(a);
    pool.release(a);
  }
  return ops / (Number(process.hrtime.bigint() - t) / 1e9);
}
allocations(256, 0, 1e6);
allocations(65536, 60000, 1e6);
const a24 = allocations(254, 0, 5e6);
const a16 = allocations(65536, 60000, 5e6);
console.log(`allocator, empty /24        ${Math.round(a24 / 1e6)} M allocations/s`);
console.log(`allocator, /16 60,000 taken ${Math.round(a16 / 1e6)} M allocations/s`);
