// The WebSocket API's `clients` list, built in slices that yield to the event loop (clients-list.ts,
// lease-batches.ts): the same bytes as one JSON.stringify, from the engine's index or the store alike, a
// bounded number of leases per slice, one build shared by concurrent callers, and no change left unpushed.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import WebSocket from 'ws';
import { ipv4ToInt } from '../../src/config/ipv4.ts';
import type { Lease } from '../../src/leases/lease.ts';
import { MemoryLeaseStore } from '../../src/leases/memory.ts';
import { SqliteLeaseStore } from '../../src/leases/sqlite.ts';
import { LeaseIndex } from '../../src/server/lease-index.ts';
import { toClientJson } from '../../src/control/websocket/clients.ts';
import {
  BuildAbandoned,
  buildClientsMessage,
  ClientsList,
  LEASES_PER_SLICE,
} from '../../src/control/websocket/clients-list.ts';
import { indexBatches, sortAddresses, storeBatches } from '../../src/control/websocket/lease-batches.ts';
import { API_NAME, type ClientJson } from '../../src/control/websocket/protocol.ts';
import { T0 } from '../leases/fixtures.ts';
import { tempDir } from '../leases/tmp.ts';
import { TestClient, lease as seedLease, startWsServer } from '../web/ws-harness.ts';

const render = (l: Lease): ClientJson => toClientJson(l, T0 + 1_000, '198.18.0.1');
const atOnce = (leases: readonly Lease[]): string =>
  JSON.stringify({ name: API_NAME, event: 'clients', body: leases.map(render) });
const noPause = async (): Promise<void> => undefined;

/** Addresses on both sides of 128.0.0.0 (the index keys them as signed numbers). */
const address = fc.oneof(
  fc.integer({ min: 1, max: 60 }).map((i) => `198.18.0.${i}`),
  fc.integer({ min: 1, max: 20 }).map((i) => `10.0.0.${i}`),
  fc.integer({ min: 1, max: 20 }).map((i) => `223.0.0.${i}`),
);
const mac = fc
  .uint8Array({ minLength: 6, maxLength: 6 })
  .map((b) => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':'));

/** Hostnames and classes that JSON must escape (quotes, backslashes, control characters, non-ASCII). */
const text = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('host"a', 'b\\c', 'ü\u0001é', '\u2028'));

const leaseArb: fc.Arbitrary<Lease> = fc
  .record({
    address,
    hwAddress: mac,
    subnetId: fc.integer({ min: 1, max: 3 }),
    validLifetime: fc.constantFrom(0, 60, 3600),
    age: fc.integer({ min: 0, max: 7_200_000 }),
    hostname: fc.option(text, { nil: null }),
    state: fc.constantFrom<Lease['state']>('default', 'declined', 'expired-reclaimed'),
    classes: fc.option(fc.array(text, { maxLength: 3 }), { nil: null }),
  })
  .map((r) => {
    const cltt = T0 - r.age;
    return {
      address: r.address,
      hwAddress: r.hwAddress,
      clientId: null,
      subnetId: r.subnetId,
      validLifetime: r.validLifetime,
      cltt,
      expiresAt: cltt + r.validLifetime * 1000,
      hostname: r.hostname,
      state: r.state,
      userContext: r.classes === null ? null : { ISC: { 'client-classes': r.classes } },
    };
  });

/** In address order, the last write to an address winning: what a store holds after these writes. */
function held(leases: readonly Lease[]): Lease[] {
  const byAddr = new Map<number, Lease>();
  for (const l of leases) byAddr.set(ipv4ToInt(l.address) >>> 0, l);
  return [...byAddr.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]);
}

async function* inBatches(leases: readonly Lease[], size: number): AsyncGenerator<Lease[]> {
  for (let at = 0; at < leases.length; at += size) yield leases.slice(at, at + size);
}

test('the sliced clients message is byte for byte the JSON.stringify of the whole list, for any slice size', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(leaseArb, { maxLength: 40 }),
      fc.integer({ min: 1, max: 9 }),
      async (ls, size) => {
        const leases = held(ls);
        let steps = 0;
        const built = await buildClientsMessage(inBatches(leases, size), render, async () => {
          steps++;
        });
        assert.equal(built.toString('utf8'), atOnce(leases));
        assert.equal(steps, Math.ceil(leases.length / size), 'a step after every batch');
      },
    ),
    { numRuns: 200 },
  );
});

test('sortAddresses orders any unsigned addresses numerically, in steps', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 300 }), async (xs) => {
      const sorted = await sortAddresses(Uint32Array.from(xs), noPause);
      assert.deepEqual(
        [...sorted],
        [...xs].sort((a, b) => a - b),
      );
    }),
  );
});

type Write =
  { readonly op: 'write'; readonly lease: Lease } | { readonly op: 'remove'; readonly address: string };
const writes = fc.array(
  fc.oneof(
    { weight: 4, arbitrary: leaseArb.map((lease): Write => ({ op: 'write', lease })) },
    { weight: 1, arbitrary: address.map((a): Write => ({ op: 'remove', address: a })) },
  ),
  { maxLength: 60 },
);

test('the list read from the engine index equals the list read from the store, paged (SQLite) or whole (memory)', async () => {
  const tmp = tempDir();
  let run = 0;
  try {
    await fc.assert(
      fc.asyncProperty(writes, fc.integer({ min: 1, max: 7 }), async (todo, size) => {
        const sqlite = await SqliteLeaseStore.open({
          path: join(tmp.dir, `l-${run++}.db`),
          writer: 'inline',
        });
        const memory = new MemoryLeaseStore();
        // mirrored through the change callbacks, as the running server mirrors its store
        const index = new LeaseIndex();
        sqlite.onChange((c) => {
          if (c.kind === 'removed') index.delete(ipv4ToInt(c.lease.address));
          else index.put(c.lease);
        });
        try {
          for (const w of todo) {
            for (const store of [sqlite, memory]) {
              if (w.op === 'write') await store.commit(w.lease, { mode: 'upsert', now: T0 });
              else await store.remove(w.address);
            }
          }
          const expected = atOnce(await sqlite.getAll());
          const fromIndex = await buildClientsMessage(indexBatches(index, size, noPause), render, noPause);
          const fromSqlite = await buildClientsMessage(storeBatches(sqlite, size), render, noPause);
          const fromMemory = await buildClientsMessage(storeBatches(memory, size), render, noPause);
          assert.equal(fromIndex.toString(), expected);
          assert.equal(fromSqlite.toString(), expected);
          assert.equal(fromMemory.toString(), expected);
        } finally {
          await sqlite.close();
          await memory.close();
        }
      }),
      { numRuns: 60 },
    );
  } finally {
    tmp.remove();
  }
});

/** An index of `n` bound leases in 198.18.0.0/15. */
function indexOf(n: number): LeaseIndex {
  const index = new LeaseIndex();
  for (let i = 0; i < n; i++) {
    const addr = (ipv4ToInt('198.18.0.0') >>> 0) + 1 + i;
    const a = [addr >>> 24, (addr >>> 16) & 255, (addr >>> 8) & 255, addr & 255].join('.');
    const hw = [
      '02',
      '00',
      ...[24, 16, 8, 0].map((s) => ((i >>> s) & 255).toString(16).padStart(2, '0')),
    ].join(':');
    index.put({ ...seedLease(a, hw), cltt: T0, expiresAt: T0 + 3_600_000, validLifetime: 3600 });
  }
  return index;
}

test('a list of 20,000 leases is built in slices of at most LEASES_PER_SLICE leases, yielding between them', async () => {
  const n = 20_000;
  const index = indexOf(n);
  let rendered = 0;
  let mostInOneSlice = 0;
  let pauses = 0;
  const list = new ClientsList({
    build: (step) =>
      buildClientsMessage(
        indexBatches(index, LEASES_PER_SLICE, step),
        (l) => {
          rendered++;
          return render(l);
        },
        step,
      ),
    wanted: () => true,
    clock: () => T0,
    maxAgeMs: 100,
    pause: async () => {
      pauses++;
      mostInOneSlice = Math.max(mostInOneSlice, rendered);
      rendered = 0;
    },
  });
  const message = JSON.parse((await list.get()).toString()) as { body: ClientJson[] };
  assert.equal(message.body.length, n);
  assert.ok(mostInOneSlice <= LEASES_PER_SLICE, `${mostInOneSlice} leases in one slice`);
  assert.ok(pauses >= Math.ceil(n / LEASES_PER_SLICE), `${pauses} pauses`);
  assert.equal(list.slices, pauses);
});

function gateOpen(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** A ClientsList over `leases` whose slices wait for `release()`, counting its builds. */
function gatedList(leases: Lease[], wanted: () => boolean = () => true) {
  let gate = gateOpen();
  const state = { builds: 0 };
  const list = new ClientsList({
    build: async (step) => {
      state.builds++;
      return buildClientsMessage(inBatches(held(leases), 1), render, step);
    },
    wanted,
    clock: () => T0,
    maxAgeMs: 100,
    pause: () => gate.promise,
  });
  const release = (): void => {
    gate.resolve();
    gate = gateOpen();
  };
  return { list, state, release };
}

async function drain(p: Promise<Buffer>, release: () => void): Promise<string> {
  let done = false;
  void p.finally(() => (done = true)).catch(() => undefined);
  while (!done) {
    release();
    await new Promise((r) => setImmediate(r));
  }
  return (await p).toString();
}

test('concurrent callers share one build; a finished list is reused until a lease changes', async () => {
  const leases = [seedLease('198.18.0.1', 'aa:bb:cc:dd:ee:01'), seedLease('198.18.0.2', 'aa:bb:cc:dd:ee:02')];
  const { list, state, release } = gatedList(leases);
  const a = list.get();
  const b = list.get();
  const [ta, tb] = [await drain(a, release), await drain(b, release)];
  assert.equal(ta, atOnce(held(leases)));
  assert.equal(tb, ta);
  assert.equal(state.builds, 1);
  assert.equal((await list.get()).toString(), ta);
  assert.equal(state.builds, 1, 'no change, no build');
});

test('a lease changed during a build is in the list of every caller that came after the change', async () => {
  const leases = [seedLease('198.18.0.1', 'aa:bb:cc:dd:ee:01'), seedLease('198.18.0.2', 'aa:bb:cc:dd:ee:02')];
  const { list, state, release } = gatedList(leases);
  const before = list.get();
  await new Promise((r) => setImmediate(r));
  // the build has read its leases and waits between slices when this lease arrives
  leases.push(seedLease('198.18.0.3', 'aa:bb:cc:dd:ee:03'));
  list.changed();
  const after = list.get();
  assert.equal(await drain(before, release), atOnce(held(leases.slice(0, 2))));
  assert.equal(await drain(after, release), atOnce(held(leases)));
  assert.equal(state.builds, 2);
});

test('a build nobody waits for any more stops at its next slice', async () => {
  let open = true;
  const leases = Array.from({ length: 50 }, (_, i) => seedLease(`198.18.1.${i + 1}`, 'aa:bb:cc:dd:ee:01'));
  const { list, release } = gatedList(leases, () => open);
  const p = list.get();
  release();
  await new Promise((r) => setImmediate(r));
  open = false;
  await assert.rejects(drain(p, release), BuildAbandoned);
  assert.ok(list.slices < 10, `${list.slices} slices run`);
});

test('a lease committed while a push is built reaches the subscribers in a later push', async () => {
  const server: { s?: Awaited<ReturnType<typeof startWsServer>> } = {};
  let pausesLeft = 1;
  const late = seedLease('192.168.1.151', 'aa:bb:cc:dd:ee:02', { cltt: Date.now() });
  const s = await startWsServer({
    pause: async () => {
      // the first slice of the first push: the lease arrives after the list was read
      if (pausesLeft-- === 1) await server.s?.store.commit(late);
    },
  });
  server.s = s;
  try {
    const sub = await TestClient.connect(s.wsUrl);
    await sub.request('running');
    await s.store.commit(seedLease('192.168.1.150', 'aa:bb:cc:dd:ee:01', { cltt: Date.now() }));
    const first = (await sub.next((m) => m.event === 'clients')).body as { address: string }[];
    assert.deepEqual(
      first.map((e) => e.address),
      ['192.168.1.150'],
    );
    const second = (await sub.next((m) => m.event === 'clients')).body as { address: string }[];
    assert.deepEqual(
      second.map((e) => e.address),
      ['192.168.1.150', '192.168.1.151'],
    );
    await sub.close();
  } finally {
    await s.close();
  }
});

test('a list is rebuilt no sooner after the last build than that build took, however often it is asked for', async () => {
  let now = T0;
  let builds = 0;
  const waits: number[] = [];
  let wake = (): void => undefined;
  const leases = [seedLease('198.18.0.1', 'aa:bb:cc:dd:ee:01')];
  const list = new ClientsList({
    build: async (step) => {
      builds++;
      // this build takes 30 ms by the list's clock
      now += 30;
      return buildClientsMessage(inBatches(leases, 1), render, step);
    },
    wanted: () => true,
    clock: () => now,
    maxAgeMs: 10,
    pause: noPause,
    sleep: (ms) => {
      waits.push(ms);
      return new Promise((resolve) => (wake = resolve));
    },
  });
  await list.get();
  now += 20;
  assert.equal(
    (await list.get()).toString(),
    atOnce(leases),
    'no change: the list is reused for as long as it took',
  );
  assert.equal(builds, 1);
  list.changed();
  const next = list.get();
  await new Promise((r) => setImmediate(r));
  assert.equal(builds, 1, 'the next build waits out the last one’s duration');
  assert.deepEqual(waits, [10]);
  wake();
  await next;
  assert.equal(builds, 2);
});

test('the clients and state answers are text frames, byte for byte JSON.stringify of their message', async () => {
  const s = await startWsServer();
  try {
    await s.store.commit(
      seedLease('192.168.1.150', 'aa:bb:cc:dd:ee:01', {
        cltt: Date.now(),
        hostname: 'höst "a"',
        userContext: { ISC: { 'client-classes': ['voip', 'UNKNOWN'] } },
      }),
    );
    await s.store.commit(seedLease('192.168.1.151', 'aa:bb:cc:dd:ee:02', { cltt: Date.now() }));
    const ws = new WebSocket(s.wsUrl);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const ask = (event: string): Promise<{ text: string; isBinary: boolean }> =>
      new Promise((resolve) => {
        ws.once('message', (data, isBinary) =>
          resolve({ text: (data as Buffer).toString('utf8'), isBinary }),
        );
        ws.send(JSON.stringify({ name: API_NAME, event }));
      });
    for (const event of ['clients', 'state', 'state', 'clients']) {
      const { text, isBinary } = await ask(event);
      assert.equal(isBinary, false);
      const m = JSON.parse(text) as {
        event: string;
        body: { running: boolean; options: unknown; clients: ClientJson[] };
      };
      const expected =
        event === 'clients'
          ? JSON.stringify({ name: API_NAME, event, body: m.body })
          : JSON.stringify({
              name: API_NAME,
              event,
              body: { running: m.body.running, options: m.body.options, clients: m.body.clients },
            });
      assert.equal(text, expected);
      const clients = event === 'clients' ? (m.body as unknown as ClientJson[]) : m.body.clients;
      assert.deepEqual(
        clients.map((c) => [c.address, c.hostname, c.classes]),
        [
          ['192.168.1.150', 'höst "a"', ['voip', 'UNKNOWN']],
          ['192.168.1.151', null, undefined],
        ],
      );
    }
    ws.close();
  } finally {
    await s.close();
  }
});
