// One batch's transaction inserts its new rows in multi-row statements (`BatchRows`): every read of the batch
// still sees its earlier writes, every operation keeps its own answer and change, and a batch that fails leaves
// nothing behind for the next one. A renewal that changes only the times and state writes only those; any other
// column that differs from the stored row, by as much as a letter's case, is written.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ipv4ToNumber } from '../../src/leases/address.ts';
import { LeaseCorruptError, LeaseStoreIoError } from '../../src/leases/errors.ts';
import type { Lease } from '../../src/leases/lease.ts';
import { leaseToRow, rowToLease } from '../../src/leases/row.ts';
import { type BatchResult, SqliteWriteBatch } from '../../src/leases/sqlite-batch.ts';
import { INSERT_CHUNK_ROWS } from '../../src/leases/sqlite-batch-rows.ts';
import { openConnection, prepare, type Db, type WriteOp } from '../../src/leases/sqlite-sql.ts';
import type { CommitMode } from '../../src/leases/store.ts';
import { makeLease, T0 } from './fixtures.ts';
import { tempDir } from './tmp.ts';

const commit = (lease: Lease, mode: CommitMode = 'upsert'): WriteOp => ({
  op: 'commit',
  key: ipv4ToNumber(lease.address),
  lease,
  mode,
  now: T0,
  matchClientId: true,
});

const at = (i: number, patch: Partial<Lease> = {}): Lease =>
  makeLease({
    address: `10.1.${i >> 8}.${i & 255}`,
    hwAddress: `02:00:00:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`,
    clientId: null,
    ...patch,
  });

/** The value of an operation that succeeded. */
function valueOf(result: BatchResult | undefined): unknown {
  assert.ok(result?.ok, `the operation failed: ${result?.ok === false ? result.error.message : 'no result'}`);
  return result.value;
}

describe('sqlite: a batch inserts its new rows together', () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: Db;
  let batch: SqliteWriteBatch;
  const stored = (): Lease[] =>
    (db.prepare('SELECT * FROM lease4 ORDER BY address').all() as unknown[]).map((row) => rowToLease(row));

  beforeEach(() => {
    tmp = tempDir();
    const path = join(tmp.dir, 'leases.db');
    openConnection({ path }, true).close();
    db = openConnection({ path }, false);
    batch = new SqliteWriteBatch(db, prepare(db), path);
  });
  afterEach(() => {
    batch.close();
    db.close();
    tmp.remove();
  });

  it('a later operation on an address the batch inserted sees that row, and reports it as replaced', () => {
    const first = at(1);
    const renewed = at(1, { cltt: T0 + 1000, expiresAt: T0 + 3_601_000 });
    const other = at(1, { hwAddress: '02:00:00:00:99:99' });
    const results = batch.run(
      [
        commit(first),
        commit(first, 'insert'),
        commit(renewed),
        commit(other, 'claim'),
        { op: 'decline', key: ipv4ToNumber(first.address), probationSeconds: 60, now: T0 + 2000 },
      ],
      false,
    );
    assert.deepEqual(valueOf(results[0]), { ok: true, kind: 'added', lease: first, previous: null });
    assert.deepEqual(valueOf(results[1]), { ok: false, reason: 'exists', holder: first });
    assert.deepEqual(valueOf(results[2]), { ok: true, kind: 'updated', lease: renewed, previous: first });
    assert.deepEqual(valueOf(results[3]), { ok: false, reason: 'conflict', holder: renewed });
    const declined = valueOf(results[4]) as Lease;
    assert.equal(declined.state, 'declined');
    assert.ok(results[4]?.ok);
    assert.deepEqual(results[4].changes, [
      { kind: 'updated', lease: declined, previous: renewed, origin: 'local' },
    ]);
    assert.deepEqual(stored(), [declined]);
  });

  it(`new leases across several ${INSERT_CHUNK_ROWS}-row statements, between updates, are all stored`, () => {
    const before = at(1000);
    batch.run([commit(before)], false);
    const count = 2 * INSERT_CHUNK_ROWS + 5;
    const ops: WriteOp[] = [];
    const expected = new Map<string, Lease>([[before.address, before]]);
    for (let i = 0; i < count; i++) {
      const lease = at(i, { hostname: `host-${i}`, userContext: { i } });
      ops.push(commit(lease));
      expected.set(lease.address, lease);
      if (i % INSERT_CHUNK_ROWS === 7) {
        const renewed = at(1000, { cltt: T0 + i, expiresAt: T0 + i + 3_600_000 });
        ops.push(commit(renewed));
        expected.set(renewed.address, renewed);
      }
    }
    const results = batch.run(ops, false);
    assert.equal(results.length, ops.length);
    results.forEach((result, i) => {
      const op = ops[i] as Extract<WriteOp, { op: 'commit' }>;
      const kind = op.lease.address === before.address ? 'updated' : 'added';
      assert.equal((valueOf(result) as { kind: string }).kind, kind, `operation ${i}`);
    });
    const byAddress = (a: Lease, b: Lease): number => ipv4ToNumber(a.address) - ipv4ToNumber(b.address);
    assert.deepEqual(stored(), [...expected.values()].sort(byAddress));
  });

  it('a removal, a wipe and a flush of reclaimed leases see the rows the batch inserted before them', () => {
    const removed = at(1);
    const reclaimed = at(2, { state: 'expired-reclaimed', cltt: T0 - 7_200_000, expiresAt: T0 - 3_600_000 });
    const wiped = at(3, { subnetId: 7 });
    const kept = at(4);
    const results = batch.run(
      [
        commit(removed),
        { op: 'remove', key: ipv4ToNumber(removed.address) },
        commit(reclaimed),
        { op: 'removeReclaimed', expiredBefore: T0, limit: 10 },
        commit(wiped),
        { op: 'wipe', subnets: '[7]' },
        commit(kept),
      ],
      true,
    );
    assert.deepEqual(valueOf(results[1]), removed);
    assert.deepEqual(valueOf(results[3]), [reclaimed]);
    assert.equal(valueOf(results[5]), 1);
    assert.ok(results[5]?.ok);
    assert.deepEqual(results[5].changes, [
      { kind: 'removed', lease: wiped, previous: wiped, origin: 'local' },
    ]);
    assert.deepEqual(stored(), [kept]);
  });

  it('a corrupt row fails only its own operation; the new leases around it are stored', () => {
    const corrupt = at(5);
    db.prepare(
      `INSERT INTO lease4 (address, hw_address, subnet_id, valid_lifetime, cltt, expires_at, state)
       VALUES (?, 'not a mac', 1, 3600, ?, ?, 0)`,
    ).run(ipv4ToNumber(corrupt.address), T0, T0 + 3_600_000);
    const results = batch.run([commit(at(4)), commit(corrupt), commit(at(6))], false);
    assert.equal(results[1]?.ok, false);
    assert.ok(!results[1]!.ok && results[1]!.error instanceof LeaseCorruptError);
    assert.ok(results[0]?.ok && results[2]?.ok);
    db.prepare('DELETE FROM lease4 WHERE address = ?').run(ipv4ToNumber(corrupt.address));
    assert.deepEqual(stored(), [at(4), at(6)]);
  });

  it('a batch that fails with new leases still waiting stores none of them, nor does the next batch', () => {
    batch.run([commit(at(1))], false);
    // A value of the wrong type for the STRICT table (the main thread validates leases before they get here):
    // the UPDATE fails, a driver error, which rolls the whole batch back.
    const invalid = { ...at(1), subnetId: 'one' } as unknown as Lease;
    assert.throws(() => batch.run([commit(at(2)), commit(invalid)], false), LeaseStoreIoError);
    batch.run([commit(at(3))], false);
    assert.deepEqual(stored(), [at(1), at(3)]);
  });

  it('a renewal writes every column that differs from the stored row, and the times alone when nothing else does', () => {
    const stored = at(9, { clientId: '01:02:00:00:00:00:09', hostname: 'pc-9', userContext: { port: 1 } });
    const raw = (lease: Lease): unknown =>
      db.prepare('SELECT * FROM lease4 WHERE address = ?').get(ipv4ToNumber(lease.address));
    batch.run([commit(stored)], false);
    let cltt = T0;
    const changes: Partial<Lease>[] = [
      {},
      { hwAddress: '02:00:00:00:00:0a' },
      { clientId: null },
      { clientId: '01:02:00:00:00:00:0b' },
      { hostname: 'PC-9' },
      { hostname: null },
      { userContext: { port: 2 } },
      { userContext: null },
      { fqdnFwd: true },
      { fqdnFwd: true, fqdnRev: true },
      {},
      { state: 'declined' },
      { validLifetime: 60 },
      { subnetId: 2 },
    ];
    let current = stored;
    for (const change of changes) {
      cltt += 1000;
      const next = {
        ...current,
        ...change,
        cltt,
        expiresAt: cltt + (change.validLifetime ?? current.validLifetime) * 1000,
      };
      const [result] = batch.run([commit(next)], false);
      assert.deepEqual(valueOf(result), { ok: true, kind: 'updated', lease: next, previous: current });
      assert.deepEqual(raw(next), leaseToRow(next, ipv4ToNumber(next.address)), JSON.stringify(change));
      current = next;
    }
    // A row another program wrote with capitals: the renewal stores the lease's own text.
    db.prepare('UPDATE lease4 SET hw_address = upper(hw_address) WHERE address = ?').run(
      ipv4ToNumber(stored.address),
    );
    const renewed = { ...current, cltt: cltt + 1000, expiresAt: cltt + 1000 + current.validLifetime * 1000 };
    assert.ok(batch.run([commit(renewed)], false)[0]?.ok);
    assert.deepEqual(raw(renewed), leaseToRow(renewed, ipv4ToNumber(renewed.address)));
  });
});
