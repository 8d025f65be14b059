import assert from 'node:assert/strict';
import { test } from 'node:test';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import {
  SATURATION_CHANNEL,
  SaturationByLoad,
  type SaturationTrace,
} from '../../src/runtime/saturation-by-load.ts';

/** A saturation signal on the default marks, fed one load a window from `samples`. */
function fed(samples: readonly number[]): SaturationByLoad {
  let i = 0;
  return new SaturationByLoad({ sample: () => samples[i++ % samples.length]! });
}

test('a busy core with bursts (a server with time to spare) is never saturated', () => {
  // Windows of a steady rate between the marks with a burst of three busy ones every second.
  const signal = fed([0.9, 0.95, 0.9, 0.5, 0.45, 0.55, 0.5, 0.45, 0.5, 0.55]);
  for (let i = 0; i < 1000; i++) {
    signal.tick();
    assert.equal(signal.saturated, false, `window ${i}`);
  }
});

test('saturated after a second of a full core, back once the load falls, and each change is published', () => {
  const seen: SaturationTrace[] = [];
  const listen = (m: unknown): void => void seen.push(m as SaturationTrace);
  subscribe(SATURATION_CHANNEL, listen);
  try {
    const loads = [...Array<number>(10).fill(0.95), ...Array<number>(5).fill(0.3)];
    const signal = fed(loads);
    for (let i = 0; i < 9; i++) signal.tick();
    assert.equal(signal.saturated, false, 'nine windows are not yet a second');
    signal.tick();
    assert.equal(signal.saturated, true);
    for (let i = 0; i < 4; i++) signal.tick();
    assert.equal(signal.saturated, true, 'four quiet windows do not end it');
    signal.tick();
    assert.equal(signal.saturated, false);
    assert.deepEqual(seen, [
      { saturated: true, load: 0.95 },
      { saturated: false, load: 0.3 },
    ]);
  } finally {
    unsubscribe(SATURATION_CHANNEL, listen);
  }
});

test('start samples on a timer that does not keep the process alive, and stop ends it', () => {
  const signal = new SaturationByLoad({ sample: () => 1, windowMs: 60_000 });
  signal.start();
  signal.start();
  signal.stop();
  signal.stop();
  assert.equal(signal.saturated, false);
});
