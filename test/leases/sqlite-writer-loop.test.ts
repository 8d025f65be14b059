import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CheckpointReport } from '../../src/leases/sqlite-checkpoint.ts';
import { CheckpointSchedule } from '../../src/leases/sqlite-checkpoint-schedule.ts';
import { WriterLoop } from '../../src/leases/sqlite-writer-loop.ts';
import type { FromWriter } from '../../src/leases/sqlite-writer-protocol.ts';

/** A loop whose transaction, reports and checkpoints only record what happened, in order. */
function recordingLoop(options: { due: boolean; fail?: boolean }): {
  loop: WriterLoop;
  events: string[];
  posted: FromWriter[];
} {
  const events: string[] = [];
  const posted: FromWriter[] = [];
  let inTransaction = false;
  const report: CheckpointReport = { walFrames: 300, checkpointedFrames: 300, busy: false, ms: 2 };
  const loop = new WriterLoop({
    run: (ops) => {
      inTransaction = true;
      events.push(`transaction of ${ops.length}`);
      inTransaction = false;
      if (options.fail === true) throw new Error('disk I/O error');
      return ops.map(() => ({ ok: true, value: null, changes: [] }));
    },
    toWire: (error) => ({ name: 'LeaseStoreIoError', code: 'ERR_LEASE_IO', message: String(error) }),
    post: (message) => {
      posted.push(message);
      events.push(`posted ${message.type}`);
    },
    // No checkpoint thread: the writer checkpoints itself, as when the thread is not running.
    checkpointer: new CheckpointSchedule(
      () => {
        assert.equal(inTransaction, false, 'never inside a transaction');
        events.push('checkpoint');
        return report;
      },
      null,
      { targetFrames: options.due ? 1 : 1_000_000 },
    ),
    now: () => 0,
  });
  return { loop, events, posted };
}

test("a due checkpoint runs only after the batch's outcome was posted, never before its writes are answered", () => {
  const { loop, events, posted } = recordingLoop({ due: true });
  loop.batch(1, ['a', 'b'], false);
  assert.deepEqual(events, ['transaction of 2', 'posted committed', 'checkpoint']);
  loop.batch(2, ['c'], false);
  const second = posted[1];
  assert.ok(second?.type === 'committed');
  assert.deepEqual(second.checkpoint, {
    walFrames: 300,
    checkpointedFrames: 300,
    busy: false,
    ms: 2,
    inWriter: true,
  });
  assert.ok(posted[0]?.type === 'committed' && posted[0].checkpoint === undefined);
});

test('no checkpoint when none is due, nor after a batch that failed', () => {
  const idle = recordingLoop({ due: false });
  idle.loop.batch(1, ['a'], false);
  assert.deepEqual(idle.events, ['transaction of 1', 'posted committed']);
  const failing = recordingLoop({ due: true, fail: true });
  failing.loop.batch(1, ['a'], false);
  assert.deepEqual(failing.events, ['transaction of 1', 'posted failed']);
});
