import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getHeapSpaceStatistics } from 'node:v8';
import { releaseYoungGeneration } from '../../src/runtime/young-generation.ts';

const newSpace = (): number => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!.space_size;

test('after a churn that grew the young generation, releasing it cuts it back and leaves no gc exposed', () => {
  const hadGc = typeof (globalThis as { gc?: unknown }).gc;
  const initial = newSpace();
  // Objects that outlive scavenges in bulk (a window of 200,000 kept alive while 3,000,000 stream through)
  // make V8 double its semi-spaces, as a large lease load does.
  let window: { i: number; text: string }[] = [];
  for (let i = 0; i < 3_000_000; i++) {
    window.push({ i, text: `row-${i}` });
    if (window.length > 200_000) window = [];
  }
  window = [];
  const grown = newSpace();
  assert.ok(grown > initial, `the churn grew the young generation (${initial} -> ${grown})`);
  const released = releaseYoungGeneration();
  assert.ok(released !== null);
  assert.ok(released.after < released.before, `${released.before} -> ${released.after}`);
  assert.ok(newSpace() <= initial);
  assert.equal(typeof (globalThis as { gc?: unknown }).gc, hadGc);
});
