import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ListenerSet } from '../../src/listener-set.ts';

test('a throwing listener goes to the error hook and the others still run, in order', () => {
  const failures: unknown[] = [];
  const set = new ListenerSet<[number]>((err, n) => failures.push([(err as Error).message, n]));
  const seen: string[] = [];
  set.add((n) => seen.push(`a${n}`));
  set.add(() => {
    throw new TypeError('boom');
  });
  set.add((n) => seen.push(`c${n}`));
  set.emit(1);
  assert.deepEqual(seen, ['a1', 'c1']);
  assert.deepEqual(failures, [['boom', 1]]);
});

test('the same function added twice is removed one handle at a time; delete removes every entry', () => {
  const set = new ListenerSet<[string]>(() => undefined);
  const calls: string[] = [];
  const fn = (s: string): void => void calls.push(s);
  const first = set.add(fn);
  set.add(fn);
  set.emit('x');
  first();
  set.emit('y');
  assert.deepEqual(calls, ['x', 'x', 'y']);
  set.once(fn);
  set.delete(fn);
  set.emit('z');
  assert.deepEqual(calls, ['x', 'x', 'y'], 'delete finds the once entry by the function passed');
  assert.equal(set.size, 0);
});

test('once runs for the next emit only; a listener added during an emit waits for the next one', () => {
  const set = new ListenerSet<[number, number]>(() => undefined);
  const calls: string[] = [];
  set.once((a, b) => calls.push(`once ${a + b}`));
  set.add(() => {
    set.add(() => calls.push('late'));
  });
  set.emit(1, 2);
  set.emit(3, 4);
  assert.deepEqual(calls, ['once 3', 'late']);
});

test('an error hook that throws stops the emit, as EventEmitter does for the transports', () => {
  const set = new ListenerSet<[]>((err) => {
    throw err;
  });
  let after = false;
  set.add(() => {
    throw new RangeError('stop');
  });
  set.add(() => (after = true));
  assert.throws(() => set.emit(), RangeError);
  assert.equal(after, false);
});
