import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  benchGroup,
  parseTimehist,
  schedLine,
  summariseWaits,
  type SchedRow,
} from '../../bench/sched-waits.ts';

// `perf sched timehist` as perf 6.x prints it: three header lines, then one row per stretch on a CPU.
const TIMEHIST = [
  '           time    cpu  task name                       wait time  sch delay   run time',
  '                        [tid/pid]                          (msec)     (msec)     (msec)',
  '--------------- ------  ------------------------------  ---------  ---------  ---------',
  '   64050.206124 [0000]  <idle>                              0.000      0.000      0.098 ',
  '   64051.129761 [0001]  npm run bench:p[30522]              0.008      0.000      1.186 ',
  '   64051.767075 [0000]  WorkerThread[30572/30564]           0.000      0.022      1.681 ',
  '   64053.894235 [0001]  WorkerThread[30572/30564]           5.546      4.764      0.288 ',
  '   64054.895212 [0000]  V8Worker[30569/30564]              12.237     12.165      1.283 ',
  '   64054.896824 [0000]  perfdhcp[30585]                     9.290      9.240      0.996 ',
  '   64054.895827 [0000]  perfdhcp[30590/30585]              13.563     13.356      0.614 ',
  '   64058.306080 [0001]  MainThread[30564]                   9.933      4.862      0.111 ',
].join('\n');

test('parses every row with its ids, keeps names with spaces, and skips headers and idle', () => {
  const rows = parseTimehist(TIMEHIST);
  assert.equal(rows.length, 7);
  assert.deepEqual(rows[0], {
    endS: 64051.129761,
    cpu: 1,
    comm: 'npm run bench:p',
    tid: 30522,
    pid: 30522,
    waitMs: 0.008,
    schDelayMs: 0,
    runMs: 1.186,
  });
  assert.deepEqual(
    rows.map((r) => [r.comm, r.tid, r.pid]),
    [
      ['npm run bench:p', 30522, 30522],
      ['WorkerThread', 30572, 30564],
      ['WorkerThread', 30572, 30564],
      ['V8Worker', 30569, 30564],
      ['perfdhcp', 30585, 30585],
      ['perfdhcp', 30590, 30585],
      ['MainThread', 30564, 30564],
    ],
  );
});

test("the bench's groups: the server's threads by name, perfdhcp's together, nothing else", () => {
  const summaries = summariseWaits(parseTimehist(TIMEHIST), benchGroup(30564));
  assert.deepEqual(summaries, [
    { group: 'server WorkerThread', wakeUps: 2, p99Ms: 4.764, maxMs: 4.764, over2Ms: 1, over5Ms: 0 },
    { group: 'server V8Worker', wakeUps: 1, p99Ms: 12.165, maxMs: 12.165, over2Ms: 1, over5Ms: 1 },
    { group: 'perfdhcp', wakeUps: 2, p99Ms: 13.356, maxMs: 13.356, over2Ms: 2, over5Ms: 2 },
    { group: 'server MainThread', wakeUps: 1, p99Ms: 4.862, maxMs: 4.862, over2Ms: 1, over5Ms: 0 },
  ]);
  assert.match(
    schedLine(summaries),
    /^scheduler waits for a core \(perf sched\): server WorkerThread 2 wake-ups, p99 4\.76 max 4\.8 ms, 1 over 2 ms, 0 over 5; /,
  );
  assert.equal(schedLine([]), 'scheduler waits for a core (perf sched): none recorded');
});

const NAME = fc.stringMatching(/^[A-Za-z][A-Za-z0-9 :._-]{0,14}[A-Za-z0-9]$/);
const MS = fc.integer({ min: 0, max: 99_999_999 }).map((n) => n / 1000);

const ROW = fc
  .record({
    endS: fc.integer({ min: 0, max: 9_999_999_999_999 }).map((n) => n / 1e6),
    cpu: fc.integer({ min: 0, max: 255 }),
    comm: NAME,
    tid: fc.integer({ min: 1, max: 4_194_304 }),
    pid: fc.integer({ min: 1, max: 4_194_304 }),
    waitMs: MS,
    schDelayMs: MS,
    runMs: MS,
  })
  .map((r): SchedRow => ({ ...r }));

/** A row as perf prints it: `name[tid]` for a process's first thread, `name[tid/pid]` for the others. */
function format(r: SchedRow): string {
  const task = `${r.comm}[${r.tid === r.pid ? r.tid : `${r.tid}/${r.pid}`}]`;
  return (
    `${r.endS.toFixed(6).padStart(15)} [${String(r.cpu).padStart(4, '0')}]  ${task.padEnd(30)}  ` +
    `${r.waitMs.toFixed(3).padStart(9)}  ${r.schDelayMs.toFixed(3).padStart(9)}  ${r.runMs.toFixed(3).padStart(9)} `
  );
}

test('property: every printed row parses back to itself', () => {
  fc.assert(
    fc.property(fc.array(ROW, { maxLength: 40 }), (rows) => {
      assert.deepEqual(parseTimehist(['header', ...rows.map(format), ''].join('\n')), rows);
    }),
  );
});

test('property: each group counts its own waits, its maximum is its longest and p99 is one of them', () => {
  fc.assert(
    fc.property(fc.array(ROW, { maxLength: 200 }), (rows) => {
      const groupOf = (r: SchedRow): string | undefined => (r.cpu % 3 === 0 ? undefined : `cpu${r.cpu % 3}`);
      const summaries = summariseWaits(rows, groupOf);
      for (const s of summaries) {
        const mine = rows.filter((r) => groupOf(r) === s.group).map((r) => r.schDelayMs);
        assert.equal(s.wakeUps, mine.length);
        assert.equal(s.maxMs, Math.max(...mine));
        assert.ok(mine.includes(s.p99Ms) && s.p99Ms <= s.maxMs);
        assert.equal(s.over2Ms, mine.filter((d) => d > 2).length);
        assert.equal(s.over5Ms, mine.filter((d) => d > 5).length);
      }
      assert.equal(
        summaries.reduce((n, s) => n + s.wakeUps, 0),
        rows.filter((r) => groupOf(r) !== undefined).length,
      );
    }),
  );
});
