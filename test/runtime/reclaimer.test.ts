import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { intToIpv4 } from '../../src/config/ipv4.ts';
import type { Lease } from '../../src/leases/lease.ts';
import { MemoryLeaseStore } from '../../src/leases/memory.ts';
import type { ReclaimOptions } from '../../src/leases/store.ts';
import { RECLAIM_SLICE, Reclaimer } from '../../src/runtime/reclaimer.ts';
import { Lab, T0 } from '../server/harness.ts';

const EXPIRED = 1000;
const BASE = 0xc6120000; // 198.18.0.0

/** A /16 (so the served clients find free addresses) and the given `expired-leases-processing`. */
function config(processing: Record<string, number> = {}): unknown {
  return {
    Dhcp4: {
      'interfaces-config': { interfaces: ['eth0'] },
      'valid-lifetime': 3600,
      'expired-leases-processing': processing,
      subnet4: [{ id: 1, subnet: '198.18.0.0/16', pools: [{ pool: '198.18.0.10 - 198.18.255.250' }] }],
    },
  };
}

/** Counts the reclaims submitted and not yet settled, as a group-committing writer would see them. */
class CountingStore extends MemoryLeaseStore {
  inFlight = 0;
  maxInFlight = 0;
  override async reclaim(address: string, options: ReclaimOptions): Promise<Lease | null> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await Promise.resolve();
      return await super.reclaim(address, options);
    } finally {
      this.inFlight--;
    }
  }
}

async function labWithExpired(
  processing: Record<string, number> = {},
): Promise<Lab & { store: CountingStore }> {
  const lab = new Lab(config(processing), new CountingStore()) as Lab & { store: CountingStore };
  for (let i = 0; i < EXPIRED; i++) {
    const hex = [(i >> 8) & 255, i & 255].map((b) => b.toString(16).padStart(2, '0')).join(':');
    await lab.store.commit({
      address: intToIpv4(BASE + 0x1000 + i),
      hwAddress: `02:00:00:00:${hex}`,
      clientId: null,
      subnetId: 1,
      validLifetime: 60,
      cltt: T0 - 120_000,
      expiresAt: T0 - 60_000,
      hostname: null,
      state: 'default',
      userContext: null,
    });
  }
  return lab;
}

/** The engine's `reclaim` calls: how many leases each returned. */
function recordSlices(lab: Lab, log: string[]): number[] {
  const slices: number[] = [];
  const reclaim = lab.engine.reclaim.bind(lab.engine);
  lab.engine.reclaim = (now, options) => {
    const writes = reclaim(now, options);
    slices.push(writes.length);
    log.push('slice');
    return writes;
  };
  return slices;
}

const reclaimerFor = (lab: Lab, clock: () => number, onYield: () => void = () => undefined): Reclaimer =>
  new Reclaimer({
    engine: lab.engine,
    store: lab.store,
    clock,
    logger: pino({ level: 'silent' }),
    yieldToEventLoop: () =>
      new Promise((resolve) => {
        onYield();
        setImmediate(resolve);
      }),
  });

test('leases-reclaim works through 1,000 expired leases in slices bounded by count, serving DORAs between slices', async () => {
  const lab = await labWithExpired();
  const log: string[] = [];
  const slices = recordSlices(lab, log);
  const reclaimer = reclaimerFor(lab, () => lab.now);
  // A client arriving while the reclaim runs: one DORA per turn of the event loop, bounded in count.
  let served = 0;
  const serveOne = (): void => {
    if (served >= 20) return;
    void lab.dora(`0a:00:00:00:00:${served.toString(16).padStart(2, '0')}`).then(() => {
      log.push('dora');
      served++;
      setImmediate(serveOne);
    });
  };
  setImmediate(serveOne);
  await reclaimer.run(false);

  assert.equal(
    slices.reduce((a, b) => a + b, 0),
    EXPIRED,
  );
  assert.ok(slices.length >= Math.ceil(EXPIRED / RECLAIM_SLICE), `slices: ${slices.join(',')}`);
  assert.ok(
    slices.every((n) => n <= RECLAIM_SLICE),
    `a slice over ${RECLAIM_SLICE}: ${slices.join(',')}`,
  );
  const first = log.indexOf('slice');
  const last = log.lastIndexOf('slice');
  assert.ok(
    log.slice(first, last).includes('dora'),
    `no DORA completed between the first and the last slice: ${log.join(' ')}`,
  );
  // A slice's writes are all submitted before any settles: one group commit, not one per lease.
  assert.equal(lab.store.maxInFlight, RECLAIM_SLICE);
  for (let i = 0; i < EXPIRED; i++)
    assert.equal((await lab.store.get(intToIpv4(BASE + 0x1000 + i)))?.state, 'expired-reclaimed');
  assert.equal(lab.engine.statistics()['reclaimed-leases'], EXPIRED);
});

test('a timer run stops at max-reclaim-leases; the rest stays due for the next run', async () => {
  const lab = await labWithExpired({ 'max-reclaim-leases': 300, 'max-reclaim-time': 0 });
  const slices = recordSlices(lab, []);
  const reclaimer = reclaimerFor(lab, () => lab.now);
  // The timer's own path: due now, so touch() arms it for the next turn.
  reclaimer.touch();
  await new Promise((resolve) => setTimeout(resolve, 20));
  await reclaimer.idle();
  reclaimer.stop();
  const whole = Math.floor(300 / RECLAIM_SLICE);
  assert.deepEqual(
    slices,
    [...Array<number>(whole).fill(RECLAIM_SLICE), 300 % RECLAIM_SLICE].filter((n) => n > 0),
  );
  assert.equal(lab.engine.statistics()['reclaimed-leases'], 300);
  assert.ok((lab.engine.nextDeadline() ?? Infinity) <= lab.now, 'the rest is still due');
});

test('a timer run stops at max-reclaim-time, by the clock it was given', async () => {
  const lab = await labWithExpired({ 'max-reclaim-leases': 0, 'max-reclaim-time': 250 });
  const slices = recordSlices(lab, []);
  // Each slice "takes" 100 ms of the reclaimer's clock: the third one ends the run.
  const reclaimer = reclaimerFor(
    lab,
    () => lab.now,
    () => lab.advance(0.1),
  );
  reclaimer.touch();
  await new Promise((resolve) => setTimeout(resolve, 20));
  await reclaimer.idle();
  reclaimer.stop();
  assert.deepEqual(slices, [RECLAIM_SLICE, RECLAIM_SLICE, RECLAIM_SLICE]);
  assert.equal(lab.engine.statistics()['reclaimed-leases'], 3 * RECLAIM_SLICE);
});

test('unwarned-reclaim-cycles: timer runs that keep stopping at their bound with leases still due are warned about', async () => {
  const lab = await labWithExpired({
    'max-reclaim-leases': 100,
    'max-reclaim-time': 0,
    'unwarned-reclaim-cycles': 2,
  });
  const lines: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(line) });
  const reclaimer = new Reclaimer({ engine: lab.engine, store: lab.store, clock: () => lab.now, logger });
  // Runs are at least MIN_RECLAIM_GAP_MS apart in real time: the second run comes a second after the first.
  reclaimer.touch();
  for (let i = 0; i < 150 && lab.engine.statistics()['reclaimed-leases']! < 200; i++)
    await new Promise((resolve) => setTimeout(resolve, 20));
  await reclaimer.idle();
  reclaimer.stop();
  assert.equal(lab.engine.statistics()['reclaimed-leases'], 200);
  assert.equal(lines.length, 1, lines.join(''));
  assert.match(lines[0] ?? '', /expired leases still due after 2 reclamation runs/);
});
