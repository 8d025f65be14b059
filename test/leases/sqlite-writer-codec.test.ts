// The writer thread's commits and reports as bytes: every lease shape crosses unchanged, and the thread (or the main
// thread, for a report) refuses anything else whole, with a LeaseStoreIoError, never a crash or a half-read batch.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LeaseStoreIoError } from '../../src/leases/errors.ts';
import type { Lease } from '../../src/leases/lease.ts';
import {
  allCommits,
  type CommitOp,
  decodeCommits,
  decodePosted,
  type PostedReport,
  WriterEncoder,
} from '../../src/leases/sqlite-writer-codec.ts';
import { batchOps, compactReport, reportResults } from '../../src/leases/sqlite-writer-protocol.ts';
import { makeLease } from './fixtures.ts';

const MODES = ['claim', 'insert', 'update', 'upsert'] as const;
const STATES = ['default', 'declined', 'expired-reclaimed'] as const;

/** The `i`th of a run of leases that together take every optional field, flag and state, UTF-8 included. */
function leaseOf(i: number): Lease {
  const hex = (i & 255).toString(16).padStart(2, '0');
  return makeLease({
    address: `10.0.${i >> 8}.${i & 255}`,
    hwAddress: `02:00:00:00:01:${hex}`,
    clientId: i % 3 === 0 ? null : `01:02:00:00:00:01:${hex}`,
    subnetId: i * 7919,
    validLifetime: i % 5 === 0 ? 0xffffffff : 3600 + i,
    cltt: 1_767_225_600_000 + i * 1.5,
    expiresAt: 1_767_229_200_000 + i,
    hostname: i % 4 === 0 ? null : i % 4 === 1 ? `host-${i}` : `hôte-${i}-数`,
    state: STATES[i % 3]!,
    userContext: i % 2 === 0 ? null : { circuitId: `eth0/${i}`, nested: { list: [1, 'ü', null, true] } },
    ...(i % 6 === 1 ? { fqdnFwd: true } : {}),
    ...(i % 7 === 2 ? { fqdnRev: true } : {}),
  });
}

function commitOf(i: number): CommitOp {
  return {
    op: 'commit',
    key: (0x0a000000 + i) >>> 0,
    lease: leaseOf(i),
    mode: MODES[i % 4]!,
    now: 1_767_225_600_000 + i * 0.25,
    matchClientId: i % 2 === 0,
  };
}

const commits = Array.from({ length: 60 }, (_, i) => commitOf(i));
const reports: PostedReport[] = commits.map((c, i) => ({
  ok: true,
  wrote: i % 2 === 0 ? 'added' : 'updated',
  previous: i % 3 === 0 ? null : c.lease,
}));

function refused(run: () => unknown): void {
  assert.throws(run, (error: unknown) => error instanceof LeaseStoreIoError);
}

describe('sqlite writer codec', () => {
  it('a batch of commits crosses unchanged, every field, flag, mode and state', () => {
    const encoder = new WriterEncoder();
    assert.deepEqual(decodeCommits(encoder.encodeCommits(commits)), commits);
    // The encoder is reused: a smaller batch after a larger one carries nothing of it.
    assert.deepEqual(decodeCommits(encoder.encodeCommits(commits.slice(0, 2))), commits.slice(0, 2));
    assert.deepEqual(decodeCommits(encoder.encodeCommits([])), []);
  });

  it('a long user context grows the encoder and crosses whole', () => {
    const big = commitOf(1);
    const op: CommitOp = { ...big, lease: { ...big.lease, userContext: { blob: 'x'.repeat(100_000) } } };
    assert.deepEqual(decodeCommits(new WriterEncoder().encodeCommits([op, commitOf(2)])), [op, commitOf(2)]);
  });

  it('reports cross unchanged, each previous lease frozen', () => {
    const decoded = decodePosted(new WriterEncoder().encodePosted(reports));
    assert.deepEqual(decoded, reports);
    for (const r of decoded) if (r.previous !== null) assert.ok(Object.isFrozen(r.previous));
  });

  it('every truncation and every trailing byte is refused whole', () => {
    const bytes = new WriterEncoder().encodeCommits(commits.slice(0, 6));
    for (let n = 0; n < bytes.length; n++) refused(() => decodeCommits(bytes.slice(0, n)));
    refused(() => decodeCommits(`${bytes}\u0000`));
    const report = new WriterEncoder().encodePosted(reports.slice(0, 6));
    for (let n = 0; n < report.length; n++) refused(() => decodePosted(report.slice(0, n)));
  });

  it('any single byte changed is refused or read as another well-formed batch, never a crash', () => {
    const bytes = new WriterEncoder().encodeCommits(commits.slice(0, 6));
    for (let at = 0; at < bytes.length; at++) {
      for (const value of [0, 1, 0x7f, 0x80, 0xff]) {
        const changed = bytes.slice(0, at) + String.fromCharCode(value) + bytes.slice(at + 1);
        let ops: CommitOp[];
        try {
          ops = decodeCommits(changed);
        } catch (error) {
          assert.ok(error instanceof LeaseStoreIoError, `byte ${at} = ${value}: ${String(error)}`);
          continue;
        }
        for (const op of ops) {
          assert.ok(MODES.includes(op.mode));
          assert.ok(STATES.includes(op.lease.state));
          assert.ok(Number.isFinite(op.now) && Number.isFinite(op.lease.cltt));
          assert.ok(Number.isInteger(op.key) && op.key >= 0 && op.key <= 0xffffffff);
        }
      }
    }
  });

  it('what is not the encoder output is refused: another type, a version, a count, a wide character', () => {
    const bytes = new WriterEncoder().encodeCommits(commits.slice(0, 2));
    for (const value of [undefined, null, 42, {}, [], new ArrayBuffer(8)])
      refused(() => decodeCommits(value));
    refused(() => decodeCommits(`\u0002${bytes.slice(1)}`));
    refused(() => decodeCommits(`${bytes.slice(0, 4)}\u00ff\u00ff\u00ff\u007f${bytes.slice(8)}`));
    refused(() => decodeCommits(`${bytes.slice(0, 20)}\u0100${bytes.slice(21)}`));
    refused(() => decodePosted(`${bytes.slice(0, 4)}\u0001\u0000\u0000\u0000\u0004`));
  });

  it('the protocol sends bytes only for an all-commit batch and an all-written report', () => {
    const encoder = new WriterEncoder();
    assert.ok(allCommits(commits));
    assert.ok(!allCommits([...commits, { op: 'remove', key: 1 }]));
    assert.deepEqual(
      batchOps({ type: 'batch', id: 1, commits: encoder.encodeCommits(commits), wantRemoved: false }),
      commits,
    );
    refused(() => batchOps({ type: 'batch', id: 1, commits: 'junk', wantRemoved: false }));
    const committed = { type: 'committed', id: 1, results: reports, txMs: 1 } as const;
    const compact = compactReport(committed, encoder);
    assert.ok(compact.type === 'committed' && compact.posted !== undefined && compact.results.length === 0);
    assert.deepEqual(reportResults(compact), reports);
    // A refusal among the answers keeps the structured form.
    const mixed = {
      ...committed,
      results: [...reports, { ok: true, value: { ok: false, reason: 'missing' }, changes: [] }],
    } as const;
    assert.equal(compactReport(mixed, encoder), mixed);
  });
});
