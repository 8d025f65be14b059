import assert from 'node:assert/strict';
import { test } from 'node:test';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import {
  DEFAULT_LOAD_MARKS,
  LoadHysteresis,
  RING_SWITCH_CHANNEL,
  RingByLoad,
  loadOf,
  type LoadMarks,
  type RingSwitchTrace,
} from '../../src/runtime/ring-by-load.ts';

const marks: LoadMarks = { high: 0.6, low: 0.35, windowsAbove: 2, windowsBelow: 3 };

/** A policy fed from `samples`, recording every setReceiveRing call. */
function driven(samples: number[]): { policy: RingByLoad; calls: (boolean | null)[] } {
  const calls: (boolean | null)[] = [];
  let i = 0;
  const policy = new RingByLoad(
    { setReceiveRing: (on) => calls.push(on) },
    { marks, sample: () => samples[i++] ?? 0 },
  );
  return { policy, calls };
}

test('the ring engages on a busy average and leaves on a quiet one', () => {
  const h = new LoadHysteresis(marks);
  assert.equal(h.observe(0.9), false, 'one window is not an average of two');
  assert.equal(h.observe(0.9), true);
  // averages between the marks keep the ring
  for (const u of [0.5, 0.4, 0.59, 0.36, 0.2]) assert.equal(h.observe(u), true);
  assert.equal(h.observe(0.2), false);
});

test('an input oscillating across both marks never flaps', () => {
  const h = new LoadHysteresis(marks);
  for (let i = 0; i < 1000; i++) assert.equal(h.observe(i % 2 === 0 ? 0.9 : 0.2), false);
  h.observe(0.9);
  assert.equal(h.observe(0.9), true);
  for (let i = 0; i < 1000; i++) assert.equal(h.observe(i % 2 === 0 ? 0.2 : 0.9), true);
  // a full swing every window: at most one switch, however long it lasts
  let switches = 0;
  let was = h.ringOn;
  for (let i = 0; i < 1000; i++) {
    const now = h.observe(i % 2 === 0 ? 0 : 1);
    if (now !== was) switches++;
    was = now;
  }
  assert.ok(switches <= 1, `${switches} switches`);
});

test('the default marks keep a steady load in the band on recvmmsg despite bursts, and engage on saturation', () => {
  const h = new LoadHysteresis(DEFAULT_LOAD_MARKS);
  // A steady rate between the marks, with a burst of three busy windows every second (a collection, a
  // checkpoint, a writer transaction): no switch however long it lasts.
  const second = [0.9, 0.95, 0.9, 0.5, 0.45, 0.55, 0.5, 0.45, 0.5, 0.55];
  for (let i = 0; i < 1000; i++) assert.equal(h.observe(second[i % second.length]!), false, `window ${i}`);
  // A saturated core engages the ring within a second.
  let windows = 0;
  while (!h.observe(1) && windows < DEFAULT_LOAD_MARKS.windowsAbove) windows++;
  assert.equal(h.ringOn, true);
  // ...and keeps it through the same bursty band.
  for (let i = 0; i < 1000; i++) assert.equal(h.observe(second[i % second.length]!), true, `window ${i}`);
});

test("the process's CPU time counts over the CPUs it may use: a second CPU's threads do not make one loop busy", () => {
  // Pinned to one CPU: the writer thread and V8's compilers share the loop's core, so their time is its load.
  assert.equal(loadOf(0.4, 0.85, 1), 0.85);
  // Free on two: the same threads ran beside a loop 0.4 busy (start-up), which is 0.4 busy.
  assert.equal(loadOf(0.4, 0.7, 2), 0.4);
  assert.equal(loadOf(0.4, 1.6, 2), 0.8, 'two CPUs both busy are busy');
  assert.equal(loadOf(0.75, 0.9, 2), 0.75, 'a busy loop is busy however many CPUs');
  assert.equal(loadOf(0.2, 3, 1), 1, 'capped at 1');
  assert.equal(loadOf(0.2, 0.5, 0), 0.5, 'an affinity that reads 0 counts as one CPU');
  // Fed to the default marks, start-up on two CPUs (the process at 1.0-1.4 CPUs, the loop 0.3-0.5) keeps
  // recvmmsg, where the process's share alone engaged the ring.
  const alone = new LoadHysteresis(DEFAULT_LOAD_MARKS);
  const divided = new LoadHysteresis(DEFAULT_LOAD_MARKS);
  for (let i = 0; i < 20; i++) {
    const loop = 0.3 + 0.2 * (i % 2);
    const cpu = 1 + 0.4 * (i % 2);
    alone.observe(Math.min(1, Math.max(loop, cpu)));
    divided.observe(loadOf(loop, cpu, 2));
  }
  assert.equal(alone.ringOn, true);
  assert.equal(divided.ringOn, false);
});

test('a switch starts the averages afresh', () => {
  const h = new LoadHysteresis(marks);
  assert.equal(h.observe(0.7), false);
  assert.equal(h.observe(0.4), false);
  assert.equal(h.observe(0.7), false);
  assert.equal(h.observe(0.7), true);
  // the two busy windows before the switch do not count towards leaving it
  assert.equal(h.observe(0), true);
  assert.equal(h.observe(0), true);
  assert.equal(h.observe(0), false);
});

test('samples that are not numbers are ignored', () => {
  const h = new LoadHysteresis(marks);
  h.observe(0.9);
  assert.equal(h.observe(Number.NaN), false);
  assert.equal(h.observe(0.9), true);
});

test('marks that cannot give hysteresis are refused', () => {
  assert.throws(() => new LoadHysteresis({ ...marks, low: 0.6 }), RangeError);
  assert.throws(() => new LoadHysteresis({ ...marks, high: 1.5 }), RangeError);
  assert.throws(() => new LoadHysteresis({ ...marks, windowsAbove: 0 }), RangeError);
});

test('the transport is forced to recvmmsg at start, switched only on changes, and handed back when stopped', () => {
  const { policy, calls } = driven([0.9, 0.9, 0.9, 0.1, 0.1, 0.1, 0.1]);
  policy.start();
  assert.deepEqual(calls, [false]);
  for (let i = 0; i < 7; i++) policy.tick();
  assert.deepEqual(calls, [false, true, false]);
  policy.stop();
  assert.deepEqual(calls, [false, true, false, null]);
  policy.tick();
  policy.stop();
  assert.deepEqual(calls, [false, true, false, null], 'nothing after stop');
});

test('each switch is published on the diagnostics channel with the load that decided it', () => {
  const seen: RingSwitchTrace[] = [];
  const listen = (m: unknown): void => void seen.push(m as RingSwitchTrace);
  subscribe(RING_SWITCH_CHANNEL, listen);
  try {
    const { policy } = driven([0.7, 0.8, 0.5, 0.1, 0.2, 0.3]);
    for (let i = 0; i < 6; i++) policy.tick();
    assert.deepEqual(seen, [
      { ring: true, load: 0.8 },
      { ring: false, load: 0.2 },
    ]);
  } finally {
    unsubscribe(RING_SWITCH_CHANNEL, listen);
  }
});
