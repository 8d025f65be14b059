// The lookups by client answered from the engine's index (lease-scan.ts) equal the SQLite store's answers for
// every query, after random writes, overwrites and removals mirrored into the index through the store's
// change callbacks (as the running server mirrors them).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { ipv4ToInt } from '../../src/config/ipv4.ts';
import type { Lease } from '../../src/leases/lease.ts';
import { SqliteLeaseStore } from '../../src/leases/sqlite.ts';
import { LeaseIndex } from '../../src/server/lease-index.ts';
import { leasesByClientId, leasesByHostname, leasesByHwAddress } from '../../src/server/lease-scan.ts';
import { T0 } from './fixtures.ts';
import { tempDir } from '../leases/tmp.ts';

const colonHex = (min: number, max: number): fc.Arbitrary<string> =>
  fc
    .uint8Array({ minLength: min, maxLength: max })
    .map((b) => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':'));

interface Client {
  readonly hwAddress: string;
  readonly clientId: string | null;
}

/**
 * Every identity form: Ethernet, other lengths, client ids of every shape; a hardware address beyond 16 octets
 * or a client id beyond 20 does not fit the index's columns, so that lease is kept whole.
 */
const client: fc.Arbitrary<Client> = fc
  .record({
    hwAddress: fc.oneof(colonHex(6, 6), colonHex(6, 6), colonHex(1, 16), colonHex(17, 20), fc.constant('')),
    clientId: fc.oneof(
      fc.constant<'same' | null>('same'),
      fc.constant(null),
      colonHex(6, 6).map((mac) => `01:${mac}`),
      colonHex(2, 20),
      colonHex(21, 30),
    ),
  })
  .map(({ hwAddress, clientId }) => ({
    hwAddress,
    clientId: clientId === 'same' ? (hwAddress === '' ? null : `01:${hwAddress}`) : clientId,
  }));

/** Hostnames the NOCASE collation folds together or keeps apart: ASCII case, non-ASCII letters, a NUL. */
const HOSTNAMES = [
  'host-a',
  'HOST-A',
  'Host-A.example',
  'host-a.EXAMPLE',
  'hôst',
  'HÔST',
  'hÔst',
  'a\0b',
  'a\0c',
  'a\0é',
  'a\0xx',
  '',
];
const hostname = fc.option(fc.constantFrom(...HOSTNAMES), { nil: null });

/** Low addresses and ones above 127.255.255.255 (unsigned order, and `addr | 0` keys, both tested). */
const address = fc.oneof(
  fc.integer({ min: 1, max: 40 }).map((i) => `10.1.0.${i}`),
  fc.integer({ min: 1, max: 10 }).map((i) => `200.0.0.${i}`),
);

type Step =
  { readonly op: 'write'; readonly lease: Lease } | { readonly op: 'remove'; readonly address: string };

const steps = (clients: readonly Client[]): fc.Arbitrary<Step[]> =>
  fc.array(
    fc.oneof(
      { weight: 4, arbitrary: writeStep(clients) },
      { weight: 1, arbitrary: address.map((a): Step => ({ op: 'remove', address: a })) },
    ),
    { minLength: 1, maxLength: 60 },
  );

const writeStep = (clients: readonly Client[]): fc.Arbitrary<Step> =>
  fc
    .record({
      address,
      who: fc.integer({ min: 0, max: clients.length - 1 }),
      upperCase: fc.boolean(),
      subnetId: fc.integer({ min: 1, max: 3 }),
      hostname,
      state: fc.constantFrom<Lease['state']>('default', 'declined', 'expired-reclaimed'),
    })
    .map(({ address: a, who, upperCase, subnetId, hostname: name, state }) => {
      const c = clients[who]!;
      const cltt = T0;
      const lease: Lease = {
        address: a,
        hwAddress: upperCase ? c.hwAddress.toUpperCase() : c.hwAddress,
        clientId: c.clientId,
        subnetId,
        validLifetime: 3600,
        cltt,
        expiresAt: cltt + 3_600_000,
        hostname: name,
        state,
        userContext: null,
      };
      return { op: 'write', lease };
    });

const scenario = fc
  .array(client, { minLength: 1, maxLength: 6 })
  .chain((clients) => fc.record({ clients: fc.constant(clients), steps: steps(clients) }));

test('the index scan answers every lookup by client exactly as the SQLite store does', async () => {
  const tmp = tempDir();
  let run = 0;
  try {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ clients, steps: todo }) => {
        const store = await SqliteLeaseStore.open({
          path: join(tmp.dir, `leases-${run++}.db`),
          writer: 'inline',
        });
        const index = new LeaseIndex();
        store.onChange((c) => {
          if (c.kind === 'removed') index.delete(ipv4ToInt(c.lease.address));
          else index.put(c.lease);
        });
        try {
          for (const step of todo) {
            if (step.op === 'write') await store.commit(step.lease, { mode: 'upsert', now: T0 });
            else await store.remove(step.address);
          }
          for (const subnetId of [undefined, 1, 2, 3, 99]) {
            for (const c of clients) {
              for (const hw of [c.hwAddress, c.hwAddress.toUpperCase()])
                assert.deepEqual(
                  leasesByHwAddress(index, hw, subnetId),
                  await store.getByHwAddress(hw, subnetId),
                  `hw ${hw} subnet ${subnetId}`,
                );
              if (c.clientId !== null)
                assert.deepEqual(
                  leasesByClientId(index, c.clientId.toUpperCase(), subnetId),
                  await store.getByClientId(c.clientId.toUpperCase(), subnetId),
                  `client id ${c.clientId} subnet ${subnetId}`,
                );
            }
            for (const absent of ['02:00:00:00:00:00', 'not hex', '01:02'])
              assert.deepEqual(
                leasesByClientId(index, absent, subnetId),
                await store.getByClientId(absent, subnetId),
              );
          }
          for (const name of [...HOSTNAMES, 'HOST-a', 'absent'])
            assert.deepEqual(
              leasesByHostname(index, name),
              await store.getByHostname(name),
              `hostname ${name}`,
            );
        } finally {
          await store.close();
        }
      }),
      { numRuns: 150 },
    );
  } finally {
    tmp.remove();
  }
});
