import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { describe, it, before, after } from 'node:test';
import type { Lease } from '../../src/leases/lease.ts';
import type { LeaseChange, LeaseStore } from '../../src/leases/store.ts';
import { makeLease, T0 } from './fixtures.ts';

/** Storage that store instances open: one per test, destroyed after it. */
export interface Backing {
  /** Opens a store instance on this storage. Several calls give several "servers" on one shared storage. */
  open(): Promise<LeaseStore>;
  destroy(): Promise<void>;
}

export interface ConformanceTarget {
  readonly name: string;
  /** Whether a closed and reopened instance sees the same leases. */
  readonly persistent: boolean;
  /** Whether two instances opened on one backing share leases (several servers, one pool). */
  readonly shared: boolean;
  create(): Promise<Backing>;
  /** Called once before the first test (e.g. start a database server). */
  setup?(): Promise<void>;
  teardown?(): Promise<void>;
}

/** The behaviour every LeaseStore backend must show. */
export function runConformance(target: ConformanceTarget): void {
  describe(`LeaseStore conformance: ${target.name}`, () => {
    if (target.setup !== undefined) before(target.setup);
    if (target.teardown !== undefined) after(target.teardown);

    /** Runs `body` with a fresh storage and one open store; closes and destroys both afterwards. */
    async function withStore(body: (store: LeaseStore, backing: Backing) => Promise<void>): Promise<void> {
      const backing = await target.create();
      const store = await backing.open();
      try {
        await body(store, backing);
      } finally {
        await store.close().catch(() => undefined);
        await backing.destroy();
      }
    }

    describe('commit', () => {
      it('adds a lease and returns it normalized', () =>
        withStore(async (store) => {
          const result = await store.commit(
            makeLease({
              address: '10.0.0.5',
              hwAddress: 'AA:BB:CC:00:00:01',
              clientId: '01:AA:BB:CC:00:00:01',
            }),
          );
          assert.equal(result.ok, true);
          assert.ok(result.ok);
          assert.equal(result.kind, 'added');
          assert.equal(result.previous, null);
          assert.equal(result.lease.hwAddress, 'aa:bb:cc:00:00:01');
          assert.equal(result.lease.clientId, '01:aa:bb:cc:00:00:01');
          assert.deepEqual(await store.get('10.0.0.5'), result.lease);
          assert.equal(await store.get('10.0.0.6'), null);
        }));

      it('keeps the DNS flags (fqdn-fwd, fqdn-rev), and change events carry them in previous', () =>
        withStore(async (store) => {
          const changes: LeaseChange[] = [];
          const off = store.onChange((c) => changes.push(c));
          const named = makeLease({
            address: '10.0.8.1',
            hostname: 'a.example.com',
            fqdnFwd: true,
            fqdnRev: true,
          });
          assert.ok((await store.commit(named)).ok);
          const read = await store.get('10.0.8.1');
          assert.equal(read?.fqdnFwd, true);
          assert.equal(read?.fqdnRev, true);
          const renewed = await store.commit({ ...named, hostname: null, fqdnFwd: false, fqdnRev: false });
          assert.ok(renewed.ok);
          assert.equal(renewed.previous?.fqdnFwd, true);
          assert.equal((await store.get('10.0.8.1'))?.fqdnFwd, undefined);
          for (let i = 0; i < 100 && changes.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
          off();
          assert.equal(changes.at(-1)?.previous?.fqdnRev, true);
        }));

      it('keeps every field, user context included', () =>
        withStore(async (store) => {
          const lease = makeLease({
            address: '192.168.7.200',
            hostname: 'Printer-3',
            state: 'declined',
            userContext: { 'circuit-id': '0a0b', nested: { list: [1, 'two', null], flag: true } },
            subnetId: 4294967295,
            validLifetime: 4294967295,
          });
          await store.commit(lease);
          assert.deepEqual(await store.get('192.168.7.200'), lease);
        }));

      it('rejects a malformed lease with InvalidLeaseError and writes nothing', () =>
        withStore(async (store) => {
          const bad: Partial<Record<keyof Lease, unknown>>[] = [
            { address: '10.0.0.256' },
            { address: '10.0.0' },
            { address: '010.0.0.1' },
            { hwAddress: 'aa-bb-cc-dd-ee-ff' },
            { clientId: '' },
            { clientId: '01' },
            { subnetId: -1 },
            { subnetId: 1.5 },
            { validLifetime: 2 ** 32 },
            { cltt: Number.NaN },
            { expiresAt: Number.POSITIVE_INFINITY },
            { state: 'leased' },
            { hostname: 'x'.repeat(256) },
            { userContext: [] as unknown },
            { userContext: { big: 1n } },
          ];
          for (const patch of bad) {
            const lease = { ...makeLease({ address: '10.0.0.1' }), ...patch } as Lease;
            await assert.rejects(
              store.commit(lease),
              { name: 'InvalidLeaseError', code: 'ERR_LEASE_INVALID' },
              JSON.stringify(patch, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)),
            );
          }
          assert.deepEqual(await store.getAll(), []);
        }));

      it('refuses an address held by another client and names the holder', () =>
        withStore(async (store) => {
          const holder = makeLease({
            address: '10.0.0.7',
            clientId: '01:00:00:00:00:00:01',
            hwAddress: 'aa:00:00:00:00:01',
          });
          await store.commit(holder);
          const other = makeLease({
            address: '10.0.0.7',
            clientId: '01:00:00:00:00:00:02',
            hwAddress: 'aa:00:00:00:00:02',
          });
          const result = await store.commit(other, { now: T0 + 1000 });
          assert.deepEqual(result, { ok: false, reason: 'conflict', holder });
          assert.deepEqual(await store.get('10.0.0.7'), holder);
        }));

      it('lets the same client id renew, with the previous lease reported', () =>
        withStore(async (store) => {
          const first = makeLease({
            address: '10.0.0.8',
            clientId: '01:02:03',
            hwAddress: 'aa:00:00:00:00:01',
          });
          await store.commit(first);
          // Same client id from another NIC: still the same client (RFC 2131 4.2).
          const renewed = makeLease({
            address: '10.0.0.8',
            clientId: '01:02:03',
            hwAddress: 'aa:00:00:00:00:99',
            cltt: T0 + 60_000,
          });
          const result = await store.commit(renewed, { now: T0 + 60_000 });
          assert.ok(result.ok);
          assert.equal(result.kind, 'updated');
          assert.deepEqual(result.previous, first);
          assert.deepEqual(await store.get('10.0.0.8'), renewed);
        }));

      it('matches by hardware address only when neither lease has a client id', () =>
        withStore(async (store) => {
          await store.commit(
            makeLease({ address: '10.0.0.9', clientId: null, hwAddress: 'aa:00:00:00:00:01' }),
          );
          const same = await store.commit(
            makeLease({ address: '10.0.0.9', clientId: null, hwAddress: 'aa:00:00:00:00:01' }),
          );
          assert.equal(same.ok, true);
          const withId = await store.commit(
            makeLease({
              address: '10.0.0.9',
              clientId: '01:aa:00:00:00:00:01',
              hwAddress: 'aa:00:00:00:00:01',
            }),
          );
          assert.equal(withId.ok, false);
          await store.commit(
            makeLease({ address: '10.0.0.10', clientId: '01:09', hwAddress: 'aa:00:00:00:00:02' }),
          );
          const withoutId = await store.commit(
            makeLease({ address: '10.0.0.10', clientId: null, hwAddress: 'aa:00:00:00:00:02' }),
          );
          assert.equal(withoutId.ok, false);
        }));

      it('with matchClientId false, recognises the holder by hardware address only', () =>
        withStore(async (store) => {
          await store.commit(
            makeLease({ address: '10.0.0.11', clientId: '01:01', hwAddress: 'aa:00:00:00:00:01' }),
          );
          const newId = makeLease({
            address: '10.0.0.11',
            clientId: '01:02',
            hwAddress: 'aa:00:00:00:00:01',
          });
          assert.equal((await store.commit(newId)).ok, false);
          const renewed = await store.commit(newId, { matchClientId: false });
          assert.ok(renewed.ok);
          assert.equal(renewed.previous?.clientId, '01:01');
          const sameIdOtherNic = makeLease({
            address: '10.0.0.11',
            clientId: '01:02',
            hwAddress: 'aa:00:00:00:00:02',
          });
          assert.equal((await store.commit(sameIdOtherNic, { matchClientId: false })).ok, false);
          assert.equal((await store.commit(sameIdOtherNic)).ok, true);
        }));

      it('takes over expired and reclaimed leases but not unexpired declined ones', () =>
        withStore(async (store) => {
          const expiring = makeLease({ address: '10.0.1.1', clientId: '01:01', cltt: T0, validLifetime: 60 });
          await store.commit(expiring);
          const intruder = { clientId: '01:02', hwAddress: 'bb:00:00:00:00:02' };
          const early = await store.commit(makeLease({ address: '10.0.1.1', ...intruder }), {
            now: T0 + 59_999,
          });
          assert.equal(early.ok, false);
          const atExpiry = await store.commit(makeLease({ address: '10.0.1.1', ...intruder }), {
            now: T0 + 60_000,
          });
          assert.ok(atExpiry.ok);
          assert.deepEqual(atExpiry.previous, expiring);

          await store.commit(
            makeLease({ address: '10.0.1.2', clientId: '01:01', state: 'expired-reclaimed' }),
          );
          const overReclaimed = await store.commit(makeLease({ address: '10.0.1.2', ...intruder }), {
            now: T0,
          });
          assert.equal(overReclaimed.ok, true);

          await store.commit(makeLease({ address: '10.0.1.3', clientId: '01:01' }));
          const declined = await store.markDeclined('10.0.1.3', 3600, { now: T0 });
          assert.ok(declined !== null);
          const formerOwner = await store.commit(makeLease({ address: '10.0.1.3', clientId: '01:01' }), {
            now: T0 + 1000,
          });
          assert.equal(formerOwner.ok, false);
          const afterProbation = await store.commit(makeLease({ address: '10.0.1.3', clientId: '01:01' }), {
            now: T0 + 3_600_000,
          });
          assert.equal(afterProbation.ok, true);
        }));

      it('supports the insert, update and upsert modes of the Kea lease commands', () =>
        withStore(async (store) => {
          const a = makeLease({ address: '10.0.2.1', clientId: '01:01', validLifetime: 1 });
          const b = makeLease({ address: '10.0.2.1', clientId: '01:02' });
          assert.deepEqual(await store.commit(a, { mode: 'update' }), { ok: false, reason: 'missing' });
          assert.equal((await store.commit(a, { mode: 'insert' })).ok, true);
          // insert refuses even an expired lease: lease4-add never overwrites.
          assert.deepEqual(await store.commit(b, { mode: 'insert', now: T0 + 10_000 }), {
            ok: false,
            reason: 'exists',
            holder: a,
          });
          const updated = await store.commit(b, { mode: 'update', now: T0 });
          assert.ok(updated.ok);
          assert.equal(updated.kind, 'updated');
          const upserted = await store.commit(a, { mode: 'upsert', now: T0 });
          assert.ok(upserted.ok);
          assert.deepEqual(await store.get('10.0.2.1'), a);
          const fresh = await store.commit(makeLease({ address: '10.0.2.2' }), { mode: 'upsert' });
          assert.ok(fresh.ok);
          assert.equal(fresh.kind, 'added');
        }));

      it('gives an address to exactly one of many same-tick claims, in submission order', () =>
        withStore(async (store) => {
          const claims = Array.from({ length: 20 }, (_, i) =>
            store.commit(
              makeLease({
                address: '10.0.3.1',
                clientId: `01:${hex(i)}`,
                hwAddress: `aa:00:00:00:00:${hex(i)}`,
              }),
            ),
          );
          const results = await Promise.all(claims);
          const winners = results.filter((r) => r.ok);
          assert.equal(winners.length, 1);
          assert.ok(results[0]?.ok);
          for (const loser of results.slice(1)) {
            assert.ok(!loser.ok && loser.reason === 'conflict');
            assert.equal(loser.holder.clientId, '01:00');
          }
        }));

      it('commits many same-tick leases for distinct addresses', () =>
        withStore(async (store) => {
          const leases = Array.from({ length: 500 }, (_, i) =>
            makeLease({
              address: `10.1.${i >> 8}.${i & 255}`,
              clientId: `01:${hex(i >> 8)}:${hex(i & 255)}`,
            }),
          );
          const results = await Promise.all(leases.map((l) => store.commit(l)));
          assert.ok(results.every((r) => r.ok));
          assert.equal((await store.getAll()).length, 500);
        }));
    });

    describe('lookups', () => {
      it('finds a client by client id first, else by hardware address among leases without one', () =>
        withStore(async (store) => {
          await store.commit(
            makeLease({
              address: '10.0.0.1',
              subnetId: 1,
              clientId: '01:aa',
              hwAddress: 'aa:00:00:00:00:01',
              cltt: T0,
            }),
          );
          await store.commit(
            makeLease({
              address: '10.0.0.2',
              subnetId: 1,
              clientId: null,
              hwAddress: 'aa:00:00:00:00:01',
              cltt: T0 + 5,
            }),
          );
          await store.commit(
            makeLease({
              address: '10.0.9.1',
              subnetId: 2,
              clientId: '01:aa',
              hwAddress: 'aa:00:00:00:00:01',
              cltt: T0 + 9,
            }),
          );
          const byId = await store.findByClient({
            subnetId: 1,
            clientId: '01:AA',
            hwAddress: 'aa:00:00:00:00:01',
          });
          assert.equal(byId?.address, '10.0.0.1');
          const byHw = await store.findByClient({
            subnetId: 1,
            clientId: null,
            hwAddress: 'AA:00:00:00:00:01',
          });
          assert.equal(byHw?.address, '10.0.0.2');
          // Unknown client id: falls back to the hw address lease that has no client id.
          const fallback = await store.findByClient({
            subnetId: 1,
            clientId: '01:bb',
            hwAddress: 'aa:00:00:00:00:01',
          });
          assert.equal(fallback?.address, '10.0.0.2');
          const otherSubnet = await store.findByClient({
            subnetId: 2,
            clientId: null,
            hwAddress: 'aa:00:00:00:00:01',
          });
          assert.equal(otherSubnet, null);
          assert.equal(
            await store.findByClient({ subnetId: 3, clientId: '01:aa', hwAddress: 'aa:00:00:00:00:01' }),
            null,
          );
        }));

      it('prefers the most recent cltt, then the lowest address', () =>
        withStore(async (store) => {
          await store.commit(makeLease({ address: '10.0.0.30', clientId: '01:aa', cltt: T0 }));
          await store.commit(makeLease({ address: '10.0.0.20', clientId: '01:aa', cltt: T0 + 1 }));
          await store.commit(makeLease({ address: '10.0.0.10', clientId: '01:aa', cltt: T0 }));
          const found = await store.findByClient({
            subnetId: 1,
            clientId: '01:aa',
            hwAddress: 'ff:ff:ff:ff:ff:ff',
          });
          assert.equal(found?.address, '10.0.0.20');
          await store.commit(makeLease({ address: '10.0.0.9', clientId: '01:aa', cltt: T0 + 1 }));
          const tie = await store.findByClient({
            subnetId: 1,
            clientId: '01:aa',
            hwAddress: 'ff:ff:ff:ff:ff:ff',
          });
          assert.equal(tie?.address, '10.0.0.9');
        }));

      it('lists by hardware address, client id and hostname, ordered by address', () =>
        withStore(async (store) => {
          await store.commit(
            makeLease({
              address: '10.0.0.20',
              subnetId: 1,
              hwAddress: 'aa:00:00:00:00:01',
              clientId: '01:01',
              hostname: 'Alpha',
            }),
          );
          await store.commit(
            makeLease({
              address: '10.0.0.3',
              subnetId: 2,
              hwAddress: 'aa:00:00:00:00:01',
              clientId: '01:01',
              hostname: 'alpha',
            }),
          );
          await store.commit(
            makeLease({
              address: '10.0.0.4',
              subnetId: 1,
              hwAddress: 'aa:00:00:00:00:02',
              clientId: '01:02',
              hostname: 'beta',
            }),
          );
          const addresses = (leases: Lease[]): string[] => leases.map((l) => l.address);
          assert.deepEqual(addresses(await store.getByHwAddress('AA:00:00:00:00:01')), [
            '10.0.0.3',
            '10.0.0.20',
          ]);
          assert.deepEqual(addresses(await store.getByHwAddress('aa:00:00:00:00:01', 1)), ['10.0.0.20']);
          assert.deepEqual(addresses(await store.getByClientId('01:01')), ['10.0.0.3', '10.0.0.20']);
          assert.deepEqual(addresses(await store.getByClientId('01:01', 2)), ['10.0.0.3']);
          assert.deepEqual(addresses(await store.getByClientId('01:03')), []);
          assert.deepEqual(addresses(await store.getByHostname('ALPHA')), ['10.0.0.3', '10.0.0.20']);
          assert.deepEqual(addresses(await store.getByHostname('gamma')), []);
        }));

      it('compares hostnames folding ASCII letters only, as DNS does (RFC 4343)', () =>
        withStore(async (store) => {
          const names = [
            'ÄBC.example',
            'äbc.example',
            'abc.example',
            'ABC.example',
            '\u212Aey.example',
            'key.example',
          ];
          for (const [i, hostname] of names.entries())
            await store.commit(
              makeLease({ address: `10.0.0.${i + 1}`, hwAddress: `aa:00:00:00:00:0${i + 1}`, hostname }),
            );
          const found = async (hostname: string): Promise<string[]> =>
            (await store.getByHostname(hostname)).map((l) => l.address);
          assert.deepEqual(await found('ÄBC.example'), ['10.0.0.1'], 'Ä is not ä');
          assert.deepEqual(await found('äbc.EXAMPLE'), ['10.0.0.2']);
          assert.deepEqual(await found('abc.EXAMPLE'), ['10.0.0.3', '10.0.0.4']);
          assert.deepEqual(await found('KEY.example'), ['10.0.0.6'], 'the Kelvin sign is not K');
          assert.deepEqual(await found('\u212AEY.EXAMPLE'), ['10.0.0.5']);
        }));

      it('lists all leases, optionally by subnets, ordered by address numerically', () =>
        withStore(async (store) => {
          const plan: [string, number][] = [
            ['10.0.0.100', 1],
            ['9.255.255.255', 2],
            ['10.0.0.9', 1],
            ['192.168.1.1', 3],
            ['10.0.0.10', 2],
          ];
          for (const [address, subnetId] of plan)
            await store.commit(
              makeLease({ address, subnetId, clientId: null, hwAddress: 'aa:00:00:00:00:01' }),
            );
          const all = (await store.getAll()).map((l) => l.address);
          assert.deepEqual(all, ['9.255.255.255', '10.0.0.9', '10.0.0.10', '10.0.0.100', '192.168.1.1']);
          const some = (await store.getAll({ subnetIds: [2, 3] })).map((l) => l.address);
          assert.deepEqual(some, ['9.255.255.255', '10.0.0.10', '192.168.1.1']);
          assert.deepEqual(await store.getAll({ subnetIds: [] }), []);
        }));

      it('pages by address numerically, from start or after an address', () =>
        withStore(async (store) => {
          const addresses = [
            '0.0.0.0',
            '10.0.0.2',
            '10.0.0.10',
            '10.0.0.100',
            '10.0.1.0',
            '255.255.255.255',
            '9.0.0.1',
          ];
          for (const address of addresses) await store.commit(makeLease({ address, clientId: null }));
          const walked: string[] = [];
          let from = 'start';
          for (;;) {
            const page = await store.getPage(from, 2);
            assert.ok(page.length <= 2);
            if (page.length === 0) break;
            walked.push(...page.map((l) => l.address));
            from = page[page.length - 1]?.address ?? 'start';
          }
          assert.deepEqual(walked, [
            '0.0.0.0',
            '9.0.0.1',
            '10.0.0.2',
            '10.0.0.10',
            '10.0.0.100',
            '10.0.1.0',
            '255.255.255.255',
          ]);
          assert.deepEqual(
            (await store.getPage('10.0.0.5', 1)).map((l) => l.address),
            ['10.0.0.10'],
          );
          await assert.rejects(store.getPage('nowhere', 2), { code: 'ERR_LEASE_QUERY_INVALID' });
          await assert.rejects(store.getPage('start', 0), { code: 'ERR_LEASE_QUERY_INVALID' });
        }));

      it('rejects malformed addresses in lookups', () =>
        withStore(async (store) => {
          await assert.rejects(store.get('10.0.0.300'), { code: 'ERR_LEASE_INVALID' });
          await assert.rejects(store.remove('x'), { code: 'ERR_LEASE_INVALID' });
        }));
    });

    describe('expiry and reclamation', () => {
      it('lists expired leases oldest first, leased and declined, never reclaimed ones', () =>
        withStore(async (store) => {
          await store.commit(makeLease({ address: '10.0.0.1', cltt: T0, validLifetime: 300 }));
          await store.commit(makeLease({ address: '10.0.0.2', cltt: T0, validLifetime: 100 }));
          await store.commit(
            makeLease({ address: '10.0.0.3', cltt: T0, validLifetime: 200, state: 'declined' }),
          );
          await store.commit(
            makeLease({ address: '10.0.0.4', cltt: T0, validLifetime: 50, state: 'expired-reclaimed' }),
          );
          await store.commit(makeLease({ address: '10.0.0.5', cltt: T0, validLifetime: 3600 }));
          const addresses = (leases: Lease[]): string[] => leases.map((l) => l.address);
          assert.deepEqual(addresses(await store.listExpired(T0 + 99_999)), []);
          assert.deepEqual(addresses(await store.listExpired(T0 + 100_000)), ['10.0.0.2']);
          assert.deepEqual(addresses(await store.listExpired(T0 + 300_000)), [
            '10.0.0.2',
            '10.0.0.3',
            '10.0.0.1',
          ]);
          assert.deepEqual(addresses(await store.listExpired(T0 + 300_000, 2)), ['10.0.0.2', '10.0.0.3']);
        }));

      it('reclaims only leases still expired, keeping or removing them', () =>
        withStore(async (store) => {
          const kept = makeLease({ address: '10.0.0.1', cltt: T0, validLifetime: 10, hostname: 'h1' });
          const dropped = makeLease({ address: '10.0.0.2', cltt: T0, validLifetime: 10 });
          await store.commit(kept);
          await store.commit(dropped);
          assert.equal(await store.reclaim('10.0.0.1', { remove: false, now: T0 + 9_999 }), null);
          assert.deepEqual(await store.reclaim('10.0.0.1', { remove: false, now: T0 + 10_000 }), kept);
          const reclaimed = await store.get('10.0.0.1');
          assert.equal(reclaimed?.state, 'expired-reclaimed');
          assert.equal(reclaimed?.hostname, null);
          assert.equal(reclaimed?.clientId, kept.clientId);
          assert.equal(reclaimed?.hwAddress, kept.hwAddress);
          assert.equal(await store.reclaim('10.0.0.1', { remove: false, now: T0 + 20_000 }), null);
          assert.deepEqual(await store.reclaim('10.0.0.2', { remove: true, now: T0 + 10_000 }), dropped);
          assert.equal(await store.get('10.0.0.2'), null);
          assert.equal(await store.reclaim('10.0.0.3', { remove: true, now: T0 + 10_000 }), null);
          assert.deepEqual(await store.listExpired(T0 + 20_000), []);
        }));

      it('does not reclaim a lease renewed since it was listed', () =>
        withStore(async (store) => {
          await store.commit(makeLease({ address: '10.0.0.1', cltt: T0, validLifetime: 10 }));
          const [expired] = await store.listExpired(T0 + 20_000);
          assert.equal(expired?.address, '10.0.0.1');
          await store.commit(makeLease({ address: '10.0.0.1', cltt: T0 + 20_000, validLifetime: 10 }), {
            now: T0 + 20_000,
          });
          assert.equal(await store.reclaim('10.0.0.1', { remove: true, now: T0 + 20_000 }), null);
          assert.notEqual(await store.get('10.0.0.1'), null);
        }));

      it('removes reclaimed leases that expired before a time, oldest first, in bounded slices', () =>
        withStore(async (store) => {
          const removedSeen: string[] = [];
          store.onChange((c) => {
            if (c.kind === 'removed') removedSeen.push(c.lease.address);
          });
          for (const [n, lifetime] of [
            [1, 30],
            [2, 10],
            [3, 20],
          ] as const)
            await store.commit(
              makeLease({
                address: `10.0.0.${n}`,
                cltt: T0,
                validLifetime: lifetime,
                state: 'expired-reclaimed',
              }),
            );
          await store.commit(makeLease({ address: '10.0.0.4', cltt: T0, validLifetime: 5 }));
          await store.commit(
            makeLease({ address: '10.0.0.5', cltt: T0, validLifetime: 5, state: 'declined' }),
          );
          const addresses = (leases: Lease[]): string[] => leases.map((l) => l.address);
          assert.deepEqual(
            addresses(await store.removeReclaimed(T0 + 10_000, 10)),
            [],
            'expired before, not at',
          );
          assert.deepEqual(addresses(await store.removeReclaimed(T0 + 60_000, 2)), ['10.0.0.2', '10.0.0.3']);
          assert.deepEqual(addresses(await store.removeReclaimed(T0 + 60_000, 2)), ['10.0.0.1']);
          assert.deepEqual(addresses(await store.removeReclaimed(T0 + 60_000, 2)), []);
          assert.deepEqual(removedSeen, ['10.0.0.2', '10.0.0.3', '10.0.0.1'], 'each removal announced');
          assert.notEqual(await store.get('10.0.0.4'), null, 'expired but not reclaimed: stays');
          assert.notEqual(await store.get('10.0.0.5'), null, 'declined: stays');
          await assert.rejects(store.removeReclaimed(T0, 0), { code: 'ERR_LEASE_QUERY_INVALID' });
        }));

      it('marks a lease declined the way Kea does', () =>
        withStore(async (store) => {
          await store.commit(makeLease({ address: '10.0.0.1', hostname: 'pc', userContext: { a: 1 } }));
          const declined = await store.markDeclined('10.0.0.1', 86_400, { now: T0 + 5000 });
          assert.deepEqual(declined, {
            ...makeLease({ address: '10.0.0.1', userContext: { a: 1 } }),
            hwAddress: '',
            clientId: null,
            hostname: null,
            cltt: T0 + 5000,
            validLifetime: 86_400,
            expiresAt: T0 + 5000 + 86_400_000,
            state: 'declined',
          });
          assert.deepEqual(await store.get('10.0.0.1'), declined);
          assert.equal(await store.markDeclined('10.0.0.2', 10, { now: T0 }), null);
          await assert.rejects(store.markDeclined('10.0.0.1', -1, { now: T0 }), {
            code: 'ERR_LEASE_QUERY_INVALID',
          });
        }));
    });

    describe('removal and statistics', () => {
      it('removes one lease and wipes by subnet or all', () =>
        withStore(async (store) => {
          for (let i = 1; i <= 6; i++)
            await store.commit(makeLease({ address: `10.0.0.${i}`, subnetId: (i % 3) + 1 }));
          const one = await store.remove('10.0.0.1');
          assert.equal(one?.address, '10.0.0.1');
          assert.equal(await store.remove('10.0.0.1'), null);
          assert.equal(await store.wipe({ subnetIds: [1] }), 2);
          assert.deepEqual(
            (await store.getAll()).map((l) => l.address),
            ['10.0.0.2', '10.0.0.4', '10.0.0.5'],
          );
          assert.equal(await store.wipe({ subnetIds: [7] }), 0);
          assert.equal(await store.wipe(), 3);
          assert.deepEqual(await store.getAll(), []);
        }));

      it('counts leases per subnet and state', () =>
        withStore(async (store) => {
          await store.commit(makeLease({ address: '10.0.0.1', subnetId: 2 }));
          await store.commit(makeLease({ address: '10.0.0.2', subnetId: 2, state: 'declined' }));
          await store.commit(makeLease({ address: '10.0.0.3', subnetId: 2 }));
          await store.commit(makeLease({ address: '10.0.0.4', subnetId: 1, state: 'expired-reclaimed' }));
          assert.deepEqual(await store.stats(), [
            { subnetId: 1, total: 1, byState: { default: 0, declined: 0, 'expired-reclaimed': 1 } },
            { subnetId: 2, total: 3, byState: { default: 2, declined: 1, 'expired-reclaimed': 0 } },
          ]);
          assert.deepEqual(await store.stats({ subnetIds: [2, 9] }), [
            { subnetId: 2, total: 3, byState: { default: 2, declined: 1, 'expired-reclaimed': 0 } },
          ]);
        }));
    });

    describe('change events', () => {
      it('reports added, updated and removed changes in order, none for refused writes', () =>
        withStore(async (store) => {
          const seen: LeaseChange[] = [];
          const off = store.onChange((c) => seen.push(c));
          const a = makeLease({ address: '10.0.0.1', clientId: '01:01', cltt: T0, validLifetime: 10 });
          await store.commit(a);
          const a2 = { ...a, cltt: T0 + 1 };
          await store.commit(a2);
          await store.commit(makeLease({ address: '10.0.0.1', clientId: '01:02' }), { now: T0 });
          const declined = await store.markDeclined('10.0.0.1', 60, { now: T0 + 2 });
          await store.commit(makeLease({ address: '10.0.0.2', cltt: T0, validLifetime: 1 }));
          await store.reclaim('10.0.0.2', { remove: false, now: T0 + 1000 });
          await store.remove('10.0.0.1');
          await store.wipe();
          off();
          await store.commit(makeLease({ address: '10.0.0.3' }));
          assert.deepEqual(
            seen.map((c) => [c.kind, c.lease.address, c.lease.state, c.previous?.state ?? null, c.origin]),
            [
              ['added', '10.0.0.1', 'default', null, 'local'],
              ['updated', '10.0.0.1', 'default', 'default', 'local'],
              ['updated', '10.0.0.1', 'declined', 'default', 'local'],
              ['added', '10.0.0.2', 'default', null, 'local'],
              ['updated', '10.0.0.2', 'expired-reclaimed', 'default', 'local'],
              ['removed', '10.0.0.1', 'declined', 'declined', 'local'],
              ['removed', '10.0.0.2', 'expired-reclaimed', 'expired-reclaimed', 'local'],
            ],
          );
          assert.deepEqual(seen[1]?.previous, a);
          assert.deepEqual(seen[2]?.lease, declined);
        }));

      it('fires the change before the write resolves and after it is stored', () =>
        withStore(async (store) => {
          const order: string[] = [];
          store.onChange((c) => {
            order.push(`event ${c.lease.address}`);
          });
          await store.commit(makeLease({ address: '10.0.0.1' })).then(() => order.push('resolved'));
          assert.deepEqual(order, ['event 10.0.0.1', 'resolved']);
        }));

      it('survives a throwing listener: the write succeeds, other listeners run, the error is published', () =>
        withStore(async (store) => {
          const published: unknown[] = [];
          const onError = (message: unknown): void => {
            published.push(message);
          };
          subscribe('leasekeeper:leases:listener-error', onError);
          try {
            const seen: string[] = [];
            store.onChange(() => {
              throw new Error('listener bug');
            });
            store.onChange((c) => seen.push(c.lease.address));
            const result = await store.commit(makeLease({ address: '10.0.0.1' }));
            assert.equal(result.ok, true);
            assert.deepEqual(seen, ['10.0.0.1']);
            assert.equal(published.length, 1);
            const message = published[0] as { error: Error; change: LeaseChange };
            assert.equal(message.error.message, 'listener bug');
            assert.equal(message.change.lease.address, '10.0.0.1');
            assert.notEqual(await store.get('10.0.0.1'), null);
          } finally {
            unsubscribe('leasekeeper:leases:listener-error', onError);
          }
        }));
    });

    describe('lifecycle', () => {
      it('rejects every call after close with LeaseStoreClosedError', () =>
        withStore(async (store) => {
          await store.close();
          await assert.rejects(store.get('10.0.0.1'), {
            name: 'LeaseStoreClosedError',
            code: 'ERR_LEASE_STORE_CLOSED',
          });
          await assert.rejects(store.commit(makeLease({ address: '10.0.0.1' })), {
            code: 'ERR_LEASE_STORE_CLOSED',
          });
          await assert.rejects(store.getAll(), { code: 'ERR_LEASE_STORE_CLOSED' });
        }));

      it('completes writes submitted just before close', () =>
        withStore(async (store, backing) => {
          const pending = store.commit(makeLease({ address: '10.0.0.1' }));
          await store.close();
          assert.equal((await pending).ok, true);
          if (!target.persistent) return;
          const reopened = await backing.open();
          try {
            assert.notEqual(await reopened.get('10.0.0.1'), null);
          } finally {
            await reopened.close();
          }
        }));
    });

    if (target.persistent) {
      describe('persistence', () => {
        it('gives every lease back after close and reopen', () =>
          withStore(async (store, backing) => {
            const leases = Array.from({ length: 50 }, (_, i) =>
              makeLease({
                address: `10.2.0.${i}`,
                subnetId: i % 4,
                clientId: i % 2 === 0 ? null : `01:${hex(i)}`,
                hostname: i % 3 === 0 ? `host-${i}` : null,
                userContext: i % 5 === 0 ? { i } : null,
              }),
            );
            await Promise.all(leases.map((l) => store.commit(l)));
            await store.markDeclined('10.2.0.7', 60, { now: T0 });
            const before = await store.getAll();
            await store.close();
            const reopened = await backing.open();
            try {
              assert.deepEqual(await reopened.getAll(), before);
              assert.equal((await reopened.get('10.2.0.7'))?.state, 'declined');
            } finally {
              await reopened.close();
            }
          }));
      });
    }

    if (target.shared) {
      describe('several servers on one storage', () => {
        it('gives a contested address to exactly one server', () =>
          withStore(async (first, backing) => {
            const second = await backing.open();
            try {
              for (let round = 0; round < 20; round++) {
                const address = `10.3.0.${round}`;
                const [a, b] = await Promise.all([
                  first.commit(makeLease({ address, clientId: '01:0a', hwAddress: 'aa:00:00:00:00:0a' })),
                  second.commit(makeLease({ address, clientId: '01:0b', hwAddress: 'aa:00:00:00:00:0b' })),
                ]);
                assert.equal(Number(a.ok) + Number(b.ok), 1, `round ${round}: exactly one wins`);
                const loser = a.ok ? b : a;
                const winnerId = a.ok ? '01:0a' : '01:0b';
                assert.ok(!loser.ok && loser.reason === 'conflict' && loser.holder.clientId === winnerId);
                assert.equal((await first.get(address))?.clientId, winnerId);
                assert.equal((await second.get(address))?.clientId, winnerId);
              }
            } finally {
              await second.close();
            }
          }));

        it('shows each server the leases the other committed', () =>
          withStore(async (first, backing) => {
            const second = await backing.open();
            try {
              await first.commit(makeLease({ address: '10.3.1.1', clientId: '01:0a' }));
              await second.commit(makeLease({ address: '10.3.1.2', clientId: '01:0b' }));
              assert.deepEqual(
                (await first.getAll()).map((l) => l.address),
                (await second.getAll()).map((l) => l.address),
              );
              assert.equal((await first.getAll()).length, 2);
            } finally {
              await second.close();
            }
          }));
      });
    }
  });
}

function hex(n: number): string {
  return n.toString(16).padStart(2, '0');
}
