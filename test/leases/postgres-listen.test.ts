import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { changesFromNotification } from '../../src/leases/postgres-listen.ts';
import { leaseToRow } from '../../src/leases/row.ts';
import { makeLease } from './fixtures.ts';

const lease = makeLease({ address: '10.0.0.1', userContext: { a: 1 } });
const row = leaseToRow(lease, (10 << 24) + 1);

describe('PostgreSQL notifications', () => {
  it('reads one-row and batch announcements, skipping our own', () => {
    const single = JSON.stringify({ op: 'INSERT', sender: 'other', new: row, old: null });
    assert.deepEqual(changesFromNotification(single, 'me'), [
      { kind: 'added', lease, previous: null, origin: 'remote' },
    ]);
    assert.deepEqual(changesFromNotification(single, 'other'), []);
    const batch = JSON.stringify({
      sender: 'other',
      changes: [
        { op: 'UPDATE', new: row, old: row },
        { op: 'DELETE', new: null, old: row },
      ],
    });
    assert.deepEqual(
      changesFromNotification(batch, 'me').map((c) => [c.kind, c.lease.address, c.previous?.address]),
      [
        ['updated', '10.0.0.1', '10.0.0.1'],
        ['removed', '10.0.0.1', '10.0.0.1'],
      ],
    );
  });

  it('gives a row announced without its (oversized) user context a null one', () => {
    const { user_context: _dropped, ...slim } = row;
    const [change] = changesFromNotification(
      JSON.stringify({ op: 'INSERT', sender: 'x', new: slim, old: null }),
      'me',
    );
    assert.deepEqual(change?.lease, { ...lease, userContext: null });
  });

  it('skips an unreadable row, reports it, and keeps the rest of the batch', () => {
    const bad: unknown[] = [];
    const payload = JSON.stringify({
      sender: 'other',
      changes: [
        { op: 'INSERT', new: { ...row, state: 42 }, old: null },
        { op: 'INSERT', new: row, old: null },
      ],
    });
    const changes = changesFromNotification(payload, 'me', (e) => bad.push(e));
    assert.equal(changes.length, 1);
    assert.equal(bad.length, 1);
    assert.equal((bad[0] as { code?: string }).code, 'ERR_LEASE_STORE_CORRUPT');
    assert.throws(() => changesFromNotification('{not json', 'me'), SyntaxError);
  });
});
