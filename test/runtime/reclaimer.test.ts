import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { intToIpv4 } from '../../src/config/ipv4.ts';
import type { Lease } from '../../src/leases/lease.ts';
import { MemoryLeaseStore } from '../../src/leases/memory.ts';
import type { ReclaimOptions } from '../../src/leases/store.ts';
import type { Answer } from '../../src/control/answer.ts';
import { createCommandRegistry } from '../../src/control/commands/index.ts';
import { RECLAIM_SLICE, Reclaimer, type ArmTimer } from '../../src/runtime/reclaimer.ts';
import { FakeTarget } from '../control/fake-target.ts';
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

/** The reclaimer's timers in virtual time: armed against the lab's clock, fired by `advance`. */
class VirtualTimers {
  readonly #pending: { at: number; run: () => void; cancelled: boolean }[] = [];
  readonly lab: Lab;
  constructor(lab: Lab) {
    this.lab = lab;
  }

  readonly arm: ArmTimer = (run, ms) => {
    const timer = { at: this.lab.now + ms, run, cancelled: false };
    this.#pending.push(timer);
    return { cancel: () => void (timer.cancelled = true) };
  };

  armed(): number[] {
    return this.#pending.filter((t) => !t.cancelled).map((t) => t.at - this.lab.now);
  }

  /** Moves the lab's clock on by `seconds`, firing each timer due on the way (in order) and letting its run end. */
  async advance(seconds: number, reclaimer: Reclaimer): Promise<void> {
    const end = this.lab.now + seconds * 1000;
    for (let fired = 0; fired < 10_000; fired++) {
      const live = this.#pending.filter((t) => !t.cancelled && t.at <= end);
      const next = live.sort((a, b) => a.at - b.at)[0];
      if (next === undefined) break;
      this.#pending.splice(this.#pending.indexOf(next), 1);
      this.lab.now = Math.max(this.lab.now, next.at);
      next.run();
      await reclaimer.idle();
      await new Promise((resolve) => setImmediate(resolve));
    }
    this.lab.now = end;
  }
}

/** A lab whose leases last 60 s, with the given `expired-leases-processing`, and a reclaimer on virtual timers. */
function flushLab(processing: Record<string, number>): {
  lab: Lab;
  timers: VirtualTimers;
  reclaimer: Reclaimer;
  logs: string[];
  leaseGet: (address: string) => Promise<Answer>;
} {
  const lab = new Lab({
    Dhcp4: {
      'interfaces-config': { interfaces: ['eth0'] },
      'valid-lifetime': 60,
      'expired-leases-processing': processing,
      subnet4: [{ id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.10 - 198.18.0.20' }] }],
    },
  });
  const timers = new VirtualTimers(lab);
  const logs: string[] = [];
  const reclaimer = new Reclaimer({
    engine: lab.engine,
    store: lab.store,
    clock: () => lab.now,
    logger: pino({ level: 'info' }, { write: (line: string) => logs.push(line) }),
    armTimer: timers.arm,
  });
  const registry = createCommandRegistry();
  const target = new FakeTarget(lab.store);
  const leaseGet = (address: string): Promise<Answer> =>
    registry.dispatch(
      { command: 'lease4-get', arguments: { 'ip-address': address } },
      { target, via: 'internal', agent: false, now: () => lab.now },
    );
  return { lab, timers, reclaimer, logs, leaseGet };
}

test('reclaimed leases stay for hold-reclaimed-time, then the flush timer removes them', async () => {
  const { lab, timers, reclaimer, logs, leaseGet } = flushLab({
    'flush-reclaimed-timer-wait-time': 25,
    'hold-reclaimed-time': 600,
  });
  const address = (await lab.dora('0a:00:00:00:00:01')).message.yiaddr;
  reclaimer.touch();
  assert.ok(timers.armed().includes(25_000), 'the flush timer is armed every 25 s');

  await timers.advance(61, reclaimer);
  const reclaimed = await leaseGet(address);
  assert.equal(reclaimed.result, 0, 'reclaimed, kept for affinity');
  assert.equal((reclaimed.arguments as { state: number }).state, 2);

  // Expired at 60 s: held until 660 s; flushes at 75, 100, ..., 650 leave it.
  await timers.advance(650 - 61, reclaimer);
  assert.equal((await leaseGet(address)).result, 0, 'not removed before hold-reclaimed-time');
  assert.equal(lab.engine.lease(address)?.state, 'expired-reclaimed');

  await timers.advance(30, reclaimer);
  assert.deepEqual(await leaseGet(address), { result: 3, text: 'Lease not found.' });
  assert.equal(lab.engine.lease(address), undefined, "the engine's index follows the store");
  const flushLines = logs.filter((l) => l.includes('reclaimed leases removed'));
  assert.equal(flushLines.length, 1, 'one line per run that removed something');
  assert.match(flushLines[0] ?? '', /"removed":1/);
  reclaimer.stop();
  assert.deepEqual(timers.armed(), [], 'stop cancels both timers');
});

test('a lease claimed again while held is not flushed; hold-reclaimed-time 0 flushes at the next run', async () => {
  const { lab, timers, reclaimer, leaseGet } = flushLab({
    'flush-reclaimed-timer-wait-time': 25,
    'hold-reclaimed-time': 0,
  });
  const back = (await lab.dora('0a:00:00:00:00:01')).message.yiaddr;
  const gone = (await lab.dora('0a:00:00:00:00:02')).message.yiaddr;
  reclaimer.touch();
  await timers.advance(61, reclaimer);
  assert.equal(lab.engine.lease(back)?.state, 'expired-reclaimed');
  assert.equal((await lab.dora('0a:00:00:00:00:01')).message.yiaddr, back, 'the same address, by affinity');
  reclaimer.touch();
  await timers.advance(15, reclaimer);
  assert.equal((await leaseGet(back)).result, 0, 'leased again: stays');
  assert.equal((await leaseGet(gone)).result, 3, 'reclaimed, no hold: removed by the flush at 75 s');
  reclaimer.stop();
});

test("flush-reclaimed-timer-wait-time 0: no flush timer, and the expiry timer removes leases, as Kea's does", async () => {
  const { lab, timers, reclaimer, leaseGet } = flushLab({ 'flush-reclaimed-timer-wait-time': 0 });
  const address = (await lab.dora('0a:00:00:00:00:01')).message.yiaddr;
  reclaimer.touch();
  assert.deepEqual(timers.armed(), [60_000], 'only the expiry timer, at the expiry');
  await timers.advance(61, reclaimer);
  assert.equal(lab.engine.statistics()['reclaimed-leases'], 1);
  assert.deepEqual(await leaseGet(address), { result: 3, text: 'Lease not found.' });
  assert.deepEqual(timers.armed(), [], 'nothing left to do');
  reclaimer.stop();
});
