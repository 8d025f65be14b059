import assert from 'node:assert/strict';
import { test } from 'node:test';
import { summariseGcTrace } from '../../bench/gc-trace.ts';

const scavenge = (isolate: string, ms: number, promoted: number, survived: number, pause = 6.0): string =>
  `[4242:${isolate}:0]  ${ms} ms: pause=${pause} mutator=263.8 gc=s reduce_memory=0 scavenge=6.01 ` +
  `allocated=57259120 promoted=${promoted} quarantined_size=0 new_space_survived=${survived} nodes_promoted=1 ` +
  `promotion_ratio=0.0% new_space_capacity=67108864`;
const markCompact = (isolate: string, ms: number): string =>
  `[4242:${isolate}:0]  ${ms} ms: pause=7.2 mutator=20.1 gc=mc reduce_memory=0 promoted=1636832 new_space_survived=0`;

const MAIN = '0x325ea000';
const WORKER = '0x7f00c0000b70';

test('sums only the first isolate to trace (the main thread), not a worker', () => {
  const text = [
    'listening on eth0',
    scavenge(MAIN, 100, 1000, 50, 2.5),
    scavenge(WORKER, 120, 7, 3, 40.1),
    markCompact(WORKER, 130),
    scavenge(MAIN, 300, 2000, 70, 3.25),
    markCompact(MAIN, 310),
  ].join('\n');
  assert.deepEqual(summariseGcTrace(text), {
    scavenges: 2,
    markCompacts: 1,
    promotedBytes: 3000,
    survivedBytes: 120,
    longestScavengeMs: 3.25,
    longestMarkCompactMs: 7.2,
  });
});

test('counts only the collections from the given offset on, the main isolate still told by the first line', () => {
  const head = [scavenge(MAIN, 100, 1000, 50), scavenge(WORKER, 120, 7, 3)].join('\n') + '\n';
  const trial = [scavenge(WORKER, 200, 9, 4), scavenge(MAIN, 300, 2000, 70), markCompact(MAIN, 310)].join(
    '\n',
  );
  assert.deepEqual(summariseGcTrace(head + trial, head.length), {
    scavenges: 1,
    markCompacts: 1,
    promotedBytes: 2000,
    survivedBytes: 70,
    longestScavengeMs: 6,
    longestMarkCompactMs: 7.2,
  });
});

test('a log line naming gc=s is no trace; a trace line cut short counts without its figures', () => {
  const text = ['WARN gc=s promoted=99', `[4242:${MAIN}:0]  100 ms: pause=6.0 gc=s promo`].join('\n');
  assert.deepEqual(summariseGcTrace(text), {
    scavenges: 1,
    markCompacts: 0,
    promotedBytes: 0,
    survivedBytes: 0,
    longestScavengeMs: 6,
    longestMarkCompactMs: 0,
  });
});
