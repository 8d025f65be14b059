// The receive queue an overloaded server sheds from: the order it handles and drops datagrams in, its time
// bound from the measured service rate, its count bound, and stale-reply suppression. The clock is injected:
// every "time" below is a number handed to the queue, nothing waits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMessage, encodeMessage, MessageType } from '../../src/protocol/index.ts';
import { ReceiveQueue, type ShedReason } from '../../src/runtime/receive-queue.ts';

function packet(type: number | undefined, xid: number): Buffer {
  const m = createMessage({ xid });
  if (type !== undefined) m.options.set('dhcp-message-type', type);
  return encodeMessage(m);
}

const { DISCOVER, REQUEST, RELEASE, DECLINE, INFORM } = MessageType;

/** A queue whose datagrams are labelled by name; records what was handled and what was shed, in order. */
function queue(limits: { discoverMs?: number; staleMs?: number; maxDatagrams?: number } = {}) {
  const shed: { reason: ShedReason; waitedMs: number }[] = [];
  const q = new ReceiveQueue<string>({
    discoverMs: limits.discoverMs ?? 500,
    staleMs: limits.staleMs ?? 4000,
    maxDatagrams: limits.maxDatagrams ?? 1000,
    shed: (reason, waitedMs) => shed.push({ reason, waitedMs }),
  });
  const handled: string[] = [];
  const push = (type: number | undefined, name: string, now: number, waitedMs?: number): void =>
    q.push(packet(type, handled.length + shed.length), name, waitedMs, now);
  const turn = (now: number, budget = 1000): number => q.turn(now, budget, (_b, name) => handled.push(name));
  return { q, push, turn, handled, shed };
}

/**
 * A queue that has measured `serviceMs` per datagram: backlogged turns of one datagram each, `serviceMs`
 * apart, for one 100 ms window.
 */
function measured(serviceMs: number, limits: { discoverMs?: number; staleMs?: number } = {}) {
  const t = queue(limits);
  const turns = Math.ceil(100 / serviceMs);
  for (let i = 0; i <= turns; i++) t.push(REQUEST, 'warm', 0);
  for (let i = 0; i <= turns; i++) t.turn(i * serviceMs, 1);
  assert.equal(t.q.serviceMs, serviceMs);
  t.handled.length = 0;
  return t;
}

test('shedding order: what finishes an exchange is handled before any DISCOVER, each kind oldest first', () => {
  const { push, turn, handled, shed } = queue();
  push(DISCOVER, 'discover-1', 0);
  push(REQUEST, 'request-1', 0);
  push(DISCOVER, 'discover-2', 0);
  push(RELEASE, 'release', 0);
  push(INFORM, 'inform', 0);
  push(DECLINE, 'decline', 0);
  push(REQUEST, 'request-2', 0);
  assert.equal(turn(1, 5), 2, 'a turn handles its budget, the rest waits for the next');
  assert.deepEqual(handled, ['request-1', 'release', 'inform', 'decline', 'request-2']);
  assert.equal(turn(2), 0);
  assert.deepEqual(handled.slice(5), ['discover-1', 'discover-2']);
  assert.deepEqual(shed, []);
});

test('shedding order: a DISCOVER that waited past its limit is dropped at the head, counting the wait in the kernel', () => {
  const { push, turn, handled, shed } = queue({ discoverMs: 500 });
  push(DISCOVER, 'kernel-wait', 100, 450);
  push(DISCOVER, 'queue-wait', 100, 0);
  push(REQUEST, 'request', 100, 450);
  turn(151);
  assert.deepEqual(handled, ['request', 'queue-wait'], 'the REQUEST is kept; 50 ms in the queue is fine');
  assert.deepEqual(shed, [{ reason: 'shed-discover', waitedMs: 501 }]);
});

test('the backlog bound: with a measured service time, the oldest DISCOVERs go once the newest would wait past the limit', () => {
  const { q, push, turn, handled, shed } = measured(10, { discoverMs: 100 });
  // 10 ms each: the newest of n queued datagrams waits n * 10 ms; 10 fit in 100 ms.
  for (let i = 1; i <= 15; i++) push(DISCOVER, `discover-${i}`, 1000);
  assert.equal(q.length, 10);
  assert.deepEqual(
    shed.map((s) => s.reason),
    Array(5).fill('backlog'),
  );
  turn(1000);
  assert.deepEqual(
    handled,
    [6, 7, 8, 9, 10, 11, 12, 13, 14, 15].map((i) => `discover-${i}`),
    'the newest kept',
  );
});

test('the backlog bound: queued REQUESTs count ahead of a DISCOVER and are never shed for it', () => {
  const { q, push, turn, handled, shed } = measured(10, { discoverMs: 100 });
  for (let i = 1; i <= 12; i++) push(REQUEST, `request-${i}`, 1000);
  push(DISCOVER, 'discover', 1000);
  assert.deepEqual(
    shed,
    [{ reason: 'backlog', waitedMs: 0 }],
    'the DISCOVER itself: 120 ms of REQUESTs ahead',
  );
  assert.equal(q.length, 12);
  turn(1000);
  assert.equal(handled.length, 12);
});

test('the backlog bound follows the service rate: twice as fast holds twice as many', () => {
  const slow = measured(10, { discoverMs: 100 });
  const fast = measured(5, { discoverMs: 100 });
  for (let i = 0; i < 100; i++) {
    slow.push(DISCOVER, 'd', 1000);
    fast.push(DISCOVER, 'd', 1000);
  }
  assert.equal(slow.q.length, 10);
  assert.equal(fast.q.length, 20);
});

test('the service time is measured only while backlogged, as wall time per datagram over 100 ms windows', () => {
  const { q, push, turn } = queue();
  push(REQUEST, 'a', 0);
  turn(0);
  push(REQUEST, 'b', 500);
  turn(500);
  assert.equal(q.serviceMs, undefined, 'an idle gap between turns says nothing about the service rate');
  for (let i = 0; i < 200; i++) push(REQUEST, 'c', 1000);
  // Turns of 2 datagrams every 3 ms, one of them preempted (40 ms): 100 ms for 42 datagrams.
  let now = 1000;
  for (let i = 0; i < 21; i++) {
    turn(now, 2);
    now += i === 5 ? 40 : 3;
  }
  assert.equal(q.serviceMs, undefined, 'no sample before a whole window');
  turn(now, 2);
  assert.equal(q.serviceMs, 100 / 42, 'the preemption is averaged over the window, not taken alone');
  const first = q.serviceMs;
  for (let i = 0; i < 26; i++) turn((now += 4), 2);
  assert.equal(q.serviceMs, first + (2 - first) / 4, 'a moving average of the windows, not the last one');
});

test('without a measured service time no DISCOVER is shed for the backlog (only by its own wait)', () => {
  const { q, push, shed } = queue({ discoverMs: 1 });
  for (let i = 0; i < 500; i++) push(DISCOVER, 'd', 0);
  assert.equal(q.length, 500);
  assert.deepEqual(shed, []);
});

test('stale-reply suppression: a request older than its retransmission time is dropped, its fresh copy answered', () => {
  const { push, turn, handled, shed } = queue({ staleMs: 4000 });
  push(REQUEST, 'stale copy', 0, 3990);
  push(REQUEST, 'fresh copy', 0, 10);
  push(INFORM, 'stale inform', 0, 4001);
  turn(20);
  assert.deepEqual(handled, ['fresh copy']);
  assert.deepEqual(
    shed.map((s) => [s.reason, s.waitedMs]),
    [
      ['stale', 4010],
      ['stale', 4021],
    ],
  );
});

test('a RELEASE or DECLINE is never dropped for its wait (RFC 2131 §4.4.4, §4.4.6: never retransmitted)', () => {
  const { push, turn, handled, shed } = queue({ discoverMs: 500, staleMs: 4000 });
  push(RELEASE, 'release', 0, 3_600_000);
  push(DECLINE, 'decline', 0, 60_000);
  turn(60_000);
  assert.deepEqual(handled, ['release', 'decline']);
  assert.deepEqual(shed, []);
});

test('the count bound: the oldest DISCOVER makes room; with none queued the arriving datagram is dropped', () => {
  const { q, push, turn, handled, shed } = queue({ maxDatagrams: 3 });
  push(DISCOVER, 'discover-1', 0);
  push(REQUEST, 'request-1', 1);
  push(DISCOVER, 'discover-2', 2);
  push(REQUEST, 'request-2', 3);
  push(RELEASE, 'release', 4);
  assert.equal(q.length, 3);
  push(REQUEST, 'request-3', 5);
  assert.deepEqual(
    shed.map((s) => [s.reason, s.waitedMs]),
    [
      ['overflow', 3],
      ['overflow', 2],
      ['overflow', 0],
    ],
  );
  turn(6);
  assert.deepEqual(handled, ['request-1', 'request-2', 'release']);
});

test('a budget of one handles one; the rest waits for the next turn', () => {
  const { push, turn, handled } = queue();
  push(REQUEST, 'a', 0);
  push(REQUEST, 'b', 0);
  assert.equal(turn(0, 1), 1);
  assert.deepEqual(handled, ['a']);
  assert.equal(turn(0, 1), 0);
  assert.deepEqual(handled, ['a', 'b']);
});

test('datagrams without a readable message type are queued with the requests, never shed as DISCOVERs', () => {
  const { push, turn, handled, shed } = queue({ discoverMs: 1 });
  push(undefined, 'bootrequest', 0, 100);
  push(DISCOVER, 'discover', 0, 100);
  turn(0);
  assert.deepEqual(handled, ['bootrequest']);
  assert.deepEqual(
    shed.map((s) => s.reason),
    ['shed-discover'],
  );
});
