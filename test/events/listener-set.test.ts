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

test('a listener removed during an emit still runs in it, and not in the next', () => {
  const set = new ListenerSet<[number]>(() => undefined);
  const calls: string[] = [];
  const late = (n: number): void => void calls.push(`late ${n}`);
  let removeOnce: () => void = () => undefined;
  set.add((n) => {
    calls.push(`first ${n}`);
    set.delete(late);
    removeOnce();
  });
  set.add(late);
  removeOnce = set.once((n) => calls.push(`once ${n}`));
  set.add((n) => calls.push(`last ${n}`));
  set.emit(1);
  set.emit(2);
  assert.deepEqual(calls, ['first 1', 'late 1', 'once 1', 'last 1', 'first 2', 'last 2']);
  assert.equal(set.size, 2);
});

test('a listener removing itself during an emit does not make the next one skipped', () => {
  const set = new ListenerSet<[]>(() => undefined);
  const calls: string[] = [];
  const remove = set.add(() => {
    calls.push('a');
    remove();
  });
  set.add(() => calls.push('b'));
  set.once(() => calls.push('c'));
  set.add(() => calls.push('d'));
  set.emit();
  set.emit();
  assert.deepEqual(calls, ['a', 'b', 'c', 'd', 'b', 'd']);
});

test('a once listener added during an emit runs at the next emit only', () => {
  const set = new ListenerSet<[string]>(() => undefined);
  const calls: string[] = [];
  set.add((s) => {
    calls.push(`outer ${s}`);
    if (s === 'x') set.once((t) => calls.push(`once ${t}`));
  });
  set.emit('x');
  set.emit('y');
  set.emit('z');
  assert.deepEqual(calls, ['outer x', 'outer y', 'once y', 'outer z']);
});

test('a throwing listener during an emit that changes the set leaves the rest of the snapshot to run', () => {
  const failures: string[] = [];
  const set = new ListenerSet<[number]>((err) => failures.push((err as Error).message));
  const calls: string[] = [];
  set.add(() => {
    set.add(() => calls.push('added'));
    throw new Error('first');
  });
  set.add((n) => calls.push(`second ${n}`));
  set.emit(1);
  assert.deepEqual(calls, ['second 1']);
  assert.deepEqual(failures, ['first']);
});

test('a listener gets exactly the arguments emitted, however many', () => {
  const one = new ListenerSet<[number]>(() => undefined);
  const two = new ListenerSet<[number, string]>(() => undefined);
  const none = new ListenerSet<[]>(() => undefined);
  const seen: unknown[][] = [];
  const record = (...args: unknown[]): void => void seen.push(args);
  one.add(record);
  one.once(record);
  two.add(record);
  none.add(record);
  one.emit(1);
  two.emit(2, 'b');
  none.emit();
  assert.deepEqual(seen, [[1], [1], [2, 'b'], []]);
  const hooked: unknown[][] = [];
  const failing = new ListenerSet<[number, string]>((...args) => void hooked.push(args.slice(1)));
  failing.add(() => {
    throw new Error('x');
  });
  failing.emit(3, 'c');
  assert.deepEqual(hooked, [[3, 'c']], 'the error hook gets the arguments too');
});

test('a once listener runs once when an earlier listener or its own handler emits again', () => {
  const set = new ListenerSet<[number]>(() => undefined);
  const calls: string[] = [];
  set.add((n) => {
    calls.push(`outer ${n}`);
    if (n === 1) set.emit(2);
  });
  set.once((n) => {
    calls.push(`once ${n}`);
    if (n === 2) set.emit(3);
  });
  set.emit(1);
  set.emit(4);
  assert.deepEqual(calls, ['outer 1', 'outer 2', 'once 2', 'outer 3', 'outer 4']);
  assert.equal(set.size, 1);
});
