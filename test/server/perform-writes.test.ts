/**
 * `performWrites` for a commit of one claim (a DORA's REQUEST) takes a shorter path than for several
 * writes: both must answer the same way for every store answer, and a store that throws must reject the
 * commit rather than throw at the caller (the commit loop only handles rejections).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CommitResult, Lease } from '../../src/leases/index.ts';
import { makeLease } from '../leases/fixtures.ts';
import { performWrites, type LeaseWriter, type LeaseWrite } from '../../src/server/index.ts';

const NOW = Date.UTC(2026, 0, 1);
const lease: Lease = Object.freeze(
  makeLease({ address: '198.18.0.10', hwAddress: '02:00:00:00:00:01', clientId: null, cltt: NOW }),
);
const holder: Lease = { ...lease, hwAddress: '02:00:00:00:00:99' };
const claim: LeaseWrite = { op: 'claim', lease, matchClientId: true };

/** A store whose commit answers `answer` (or throws it, or rejects with it) and records what it was asked. */
function storeAnswering(answer: () => Promise<CommitResult>): LeaseWriter & { calls: number } {
  const store = {
    calls: 0,
    commit: (l: Lease, options?: { readonly mode?: string; readonly now?: number }) => {
      store.calls++;
      assert.equal(l, lease);
      assert.equal(options?.mode, 'claim');
      assert.equal(options?.now, NOW);
      return answer();
    },
    markDeclined: () => Promise.reject(new Error('not expected')),
    reclaim: () => Promise.reject(new Error('not expected')),
  };
  return store as unknown as LeaseWriter & { calls: number };
}

const ANSWERS: [string, CommitResult, Lease | null | undefined][] = [
  ['written', { ok: true, kind: 'added', lease, previous: null }, undefined],
  ['held by another client', { ok: false, reason: 'conflict', holder }, holder],
  ['refused without a holder', { ok: false, reason: 'missing' }, null],
];

for (const [what, result, outcome] of ANSWERS) {
  test(`one claim and the same claim among several writes resolve alike: ${what}`, async () => {
    const store = storeAnswering(() => Promise.resolve(result));
    assert.equal(await performWrites(store, [claim], NOW), outcome);
    // Two claims of which the first is refused stop there; accepted, both are written.
    assert.equal(await performWrites(store, [claim, claim], NOW), outcome);
    assert.equal(store.calls, outcome === undefined ? 3 : 2);
  });
}

test('a store that throws or rejects rejects the commit, never throws at the caller', async () => {
  const boom = new Error('disk gone');
  for (const writes of [[claim], [claim, claim]]) {
    const throwing = storeAnswering(() => {
      throw boom;
    });
    let returned: Promise<unknown> | undefined;
    assert.doesNotThrow(() => (returned = performWrites(throwing, writes, NOW)));
    await assert.rejects(returned!, boom);
    await assert.rejects(
      performWrites(
        storeAnswering(() => Promise.reject(boom)),
        writes,
        NOW,
      ),
      boom,
    );
  }
});
