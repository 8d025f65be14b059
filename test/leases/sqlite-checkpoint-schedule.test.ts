import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CheckpointSchedule,
  type CheckpointScheduleOptions,
} from '../../src/leases/sqlite-checkpoint-schedule.ts';
import type { CheckpointReport } from '../../src/leases/sqlite-checkpoint.ts';

/** A schedule whose background and inline checkpoints only record that they were asked for. */
function scheduled(
  options: CheckpointScheduleOptions & { threadDown?: boolean; inlineFails?: boolean } = {},
) {
  const events: string[] = [];
  const warnings: string[] = [];
  let walFrames = 0;
  const schedule = new CheckpointSchedule(
    () => {
      events.push('writer checkpoints');
      if (options.inlineFails === true) throw new Error('disk I/O error');
      return report(walFrames);
    },
    {
      start: () => {
        events.push('thread asked');
        return options.threadDown !== true;
      },
      waitIdle: () => {
        events.push('writer waits');
        return false;
      },
    },
    { targetFrames: 100, warn: (message) => warnings.push(message), warnIntervalMs: 60_000, ...options },
  );
  return {
    schedule,
    events,
    warnings,
    /** `writes` committed, the WAL then `frames` long (4 frames a write unless said). */
    commit: (writes: number, frames?: number) => {
      walFrames = frames ?? walFrames + 4 * writes;
      schedule.committed(writes);
    },
    wal: () => walFrames,
  };
}

const report = (frames: number, busy = false): CheckpointReport => ({
  walFrames: frames,
  checkpointedFrames: busy ? 0 : frames,
  busy,
  ms: 1,
});

test('a due checkpoint is asked of the thread, and the writer goes on without checkpointing', () => {
  const s = scheduled();
  s.commit(20);
  assert.deepEqual(s.events, []);
  s.commit(5);
  assert.deepEqual(s.events, ['thread asked']);
  // Writes go on while it runs: none is held, none asks again.
  for (let i = 0; i < 30; i++) s.commit(5);
  assert.deepEqual(s.events, ['thread asked']);
  assert.equal(s.schedule.running, true);
});

test('a checkpoint that no write overtook lets the WAL start over; the writer copies nothing', () => {
  const s = scheduled();
  s.commit(25);
  s.schedule.finished({ ok: true, report: report(100) });
  assert.deepEqual(s.schedule.takeReport(), report(100));
  // The WAL started over: it takes another target's worth (learnt: 4 frames a write) to be due, and far more
  // than the restart bound before the writer would copy anything.
  s.commit(24, 96);
  assert.deepEqual(s.events, ['thread asked']);
  s.commit(1, 100);
  assert.deepEqual(s.events, ['thread asked', 'thread asked']);
  assert.equal(s.schedule.counts.finishedByWriter, 0);
});

test('once the WAL passed the restart bound, the thread tries again after each batch; the writer copies only after three overtaken', () => {
  const s = scheduled();
  s.commit(25);
  s.commit(20); // during the first
  s.schedule.finished({ ok: true, report: report(100) });
  assert.deepEqual(s.events, ['thread asked'], 'below twice the target: the next checkpoint copies them');
  s.commit(10); // 220 frames since the WAL started: due again
  s.commit(5); // during the second
  s.schedule.finished({ ok: true, report: report(220) });
  assert.equal(s.events.length, 2, 'past twice the target: the thread again, once the next batch committed');
  for (let round = 1; round <= 3; round++) {
    s.commit(1);
    assert.equal(s.events.length, 2 + round, `catch-up ${round} asked right after a batch`);
    s.commit(1); // overtakes it
    s.schedule.finished({ ok: true, report: report(s.wal() - 4) });
  }
  assert.deepEqual(s.events.slice(2), ['thread asked', 'thread asked', 'thread asked', 'writer checkpoints']);
  assert.equal(s.schedule.takeReport()?.inWriter, true, 'the trace shows the hold in the writer');
  assert.equal(s.schedule.counts.finishedByWriter, 1);
  // The WAL started over: the next checkpoint is due a target later, on the thread again.
  s.commit(24, 96);
  assert.equal(s.events.length, 6);
  s.commit(1, 100);
  assert.deepEqual(s.events.slice(6), ['thread asked']);
});

test('a catch-up checkpoint on the thread that no batch overtook lets the WAL start over without the writer', () => {
  const s = scheduled();
  s.commit(25);
  s.commit(30); // during the first: 220 frames
  s.schedule.finished({ ok: true, report: report(100) });
  s.commit(1);
  assert.deepEqual(s.events, ['thread asked', 'thread asked']);
  s.schedule.finished({ ok: true, report: report(224) });
  assert.equal(s.schedule.counts.finishedByWriter, 0);
  // Started over: the next is due a target later.
  s.commit(24, 96);
  assert.equal(s.events.length, 2);
});

test('past the hard bound with the checkpoint still running, the writer waits (bounded), checkpoints itself and says so once', () => {
  const s = scheduled({ hardFrames: 400 });
  s.commit(25);
  for (let i = 0; i < 18; i++) s.commit(5); // 460 frames
  assert.deepEqual(s.events, ['thread asked', 'writer waits', 'writer checkpoints']);
  assert.equal(s.schedule.counts.fallbacks, 1);
  for (let i = 0; i < 100; i++) s.commit(5, s.wal() + 20);
  assert.ok(s.schedule.counts.fallbacks > 1);
  // Logged once per interval: the first at once, the others counted into the next line.
  assert.equal(s.warnings.length, 1);
  assert.match(s.warnings[0]!, /the writer checkpoints the WAL itself/);
  s.schedule.flush();
  assert.equal(s.warnings.length, 2);
  assert.match(s.warnings[1]!, /\(\d+ times since the last warning\)/);
});

test('a failed checkpoint is counted and logged; the writer checkpoints itself when the thread is not running', () => {
  const s = scheduled();
  s.commit(25);
  s.schedule.finished({ ok: false, detail: 'database or disk is full' });
  assert.equal(s.schedule.counts.failures, 1);
  assert.match(s.warnings[0]!, /database or disk is full/);
  const down = scheduled({ threadDown: true, inlineFails: true });
  down.commit(25);
  assert.deepEqual(down.events, ['thread asked', 'writer checkpoints']);
  assert.equal(down.schedule.counts.failures, 1, 'its own checkpoint failed too: counted, never thrown');
});
