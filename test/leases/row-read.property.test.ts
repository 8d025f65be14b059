// A stored row reads back as the lease `normalizeLease` makes of its fields: the read path's shorter checks
// (`normalizeReadLease`: the address text built from the row's uint32 is not parsed again) give the same
// lease, with the same keys in the same order, and reject every malformed row with the same message.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ipv4ToNumber, numberToIpv4 } from '../../src/leases/address.ts';
import { LeaseCorruptError } from '../../src/leases/errors.ts';
import type { Lease } from '../../src/leases/lease.ts';
import { LEASE_STATE_CODES } from '../../src/leases/lease.ts';
import { leaseToRow, rowToLease } from '../../src/leases/row.ts';
import { normalizeLease, stateFromCode } from '../../src/leases/validate.ts';

const octets = (min: number, max: number): fc.Arbitrary<string> =>
  fc
    .array(fc.integer({ min: 0, max: 255 }), { minLength: min, maxLength: max })
    .map((bytes) => bytes.map((b) => b.toString(16).padStart(2, '0')).join(':'));

/** Colon hex as a store holds it, or as another program might have written it: upper case, odd, not hex. */
const hexText = (min: number, max: number): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 4, arbitrary: octets(min, max) },
    octets(min, max).map((s) => s.toUpperCase()),
    octets(min, max).map((s) => `${s}:`),
    fc.constantFrom('', 'zz:00', 'aa-bb-cc-dd-ee-ff', 'AA:bB:cc:dd:ee:ff', '\u212a0:00'),
    fc.string({ maxLength: 12 }),
    fc.constantFrom(null, 7),
  );

const uint32ish: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 0xffffffff }) },
  fc.constantFrom(-1, 0x100000000, 1.5, Number.NaN, '5', null),
);

const time: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 2 ** 45 }) },
  fc.constantFrom(2 ** 53, 0.5, '1', null),
);

/** A row as `leaseToRow` writes it, each field now and then replaced by what a damaged file may hold. */
const row: fc.Arbitrary<Record<string, unknown>> = fc.record({
  address: fc.integer({ min: 0, max: 0xffffffff }),
  hw_address: hexText(0, 20),
  client_id: fc.oneof(hexText(2, 30), fc.constant(null)),
  subnet_id: uint32ish,
  valid_lifetime: uint32ish,
  cltt: time,
  expires_at: time,
  hostname: fc.oneof(
    { weight: 3, arbitrary: fc.option(fc.string({ maxLength: 40 }), { nil: null }) },
    fc.constantFrom('x'.repeat(256), 3),
  ),
  state: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...Object.values(LEASE_STATE_CODES)) },
    fc.constantFrom(-1, 99, 'default'),
  ),
  user_context: fc.oneof(
    { weight: 3, arbitrary: fc.constant(null) },
    fc.jsonValue({ maxDepth: 2 }).map((value) => JSON.stringify({ value })),
    fc.constantFrom('{"a":-0}', '{"a":1e400}', '{"__proto__":{"x":1}}', '[1]', '{', 5),
  ),
  fqdn_fwd: fc.constantFrom(0, 1),
  fqdn_rev: fc.constantFrom(0, 1),
});

/** What the read path did before it had its own checks: every field through `normalizeLease`. */
function referenceRead(raw: Record<string, unknown>): Lease {
  const key = numberToIpv4(raw['address'] as number);
  const state = typeof raw['state'] === 'number' ? stateFromCode(raw['state']) : null;
  if (state === null) throw new LeaseCorruptError(key, `unknown state ${String(raw['state'])}`);
  let userContext: Record<string, unknown> | null = null;
  if (raw['user_context'] !== null) {
    const parsed: unknown =
      typeof raw['user_context'] === 'string' ? JSON.parse(raw['user_context']) : undefined;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new Error('bad context');
    userContext = parsed as Record<string, unknown>;
  }
  return normalizeLease({
    address: key,
    hwAddress: raw['hw_address'] as string,
    clientId: raw['client_id'] as string | null,
    subnetId: raw['subnet_id'] as number,
    validLifetime: raw['valid_lifetime'] as number,
    cltt: raw['cltt'] as number,
    expiresAt: raw['expires_at'] as number,
    hostname: raw['hostname'] as string | null,
    ...(raw['fqdn_fwd'] === 1 ? { fqdnFwd: true } : {}),
    ...(raw['fqdn_rev'] === 1 ? { fqdnRev: true } : {}),
    state,
    userContext,
  });
}

function outcome(read: () => Lease): { lease: Lease; json: string } | { error: string } {
  try {
    const lease = read();
    return { lease, json: JSON.stringify(lease) };
  } catch (err) {
    return { error: err instanceof Error ? err.message.replace(/^corrupt lease row [^:]*: /, '') : 'thrown' };
  }
}

describe('rowToLease: the read path checks what a row can get wrong, as normalizeLease does', () => {
  it('gives the same lease (same keys, same order) or the same error as every field through normalizeLease', () => {
    fc.assert(
      fc.property(row, (raw) => {
        const fast = outcome(() => rowToLease(raw));
        const reference = outcome(() => referenceRead(raw));
        if ('error' in reference) {
          assert.ok('error' in fast, `accepted a row normalizeLease refuses: ${reference.error}`);
          // The user context's own wording differs from JSON.parse's; the other checks' must not.
          if (!reference.error.includes('JSON') && reference.error !== 'bad context') {
            assert.equal(fast.error, reference.error);
          }
        } else {
          assert.ok(
            'lease' in fast,
            `refused a row normalizeLease accepts: ${'error' in fast ? fast.error : ''}`,
          );
          assert.deepStrictEqual(fast.lease, reference.lease);
          assert.equal(fast.json, reference.json);
          assert.ok(Object.isFrozen(fast.lease));
          // Independent of normalizeLease: the identities lower-cased, nothing else changed.
          assert.equal(fast.lease.hwAddress, String(raw['hw_address']).toLowerCase());
          assert.equal(
            fast.lease.clientId,
            raw['client_id'] === null ? null : String(raw['client_id']).toLowerCase(),
          );
          assert.equal(fast.lease.address, numberToIpv4(raw['address'] as number));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('reads every row the store writes back as the lease written', () => {
    const lease = fc.record({
      hwAddress: octets(0, 20),
      clientId: fc.option(octets(2, 40), { nil: null }),
      subnetId: fc.integer({ min: 0, max: 0xffffffff }),
      validLifetime: fc.integer({ min: 0, max: 0xffffffff }),
      cltt: fc.integer({ min: 0, max: 2 ** 45 }),
      expiresAt: fc.integer({ min: 0, max: 2 ** 45 }),
      hostname: fc.option(fc.string({ maxLength: 100 }), { nil: null }),
      state: fc.constantFrom(...(Object.keys(LEASE_STATE_CODES) as Lease['state'][])),
      userContext: fc.option(fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 })), {
        nil: null,
      }),
      fqdnFwd: fc.boolean(),
      fqdnRev: fc.boolean(),
      address: fc.integer({ min: 0, max: 0xffffffff }).map(numberToIpv4),
    });
    fc.assert(
      fc.property(lease, (input) => {
        const written = normalizeLease(input);
        const read = rowToLease(leaseToRow(written, ipv4ToNumber(written.address)));
        assert.deepStrictEqual(read, written);
        assert.equal(JSON.stringify(read), JSON.stringify(written));
      }),
      { numRuns: 1000 },
    );
  });
});
