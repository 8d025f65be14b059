import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MessageType, BROADCAST_FLAG } from '../../src/protocol/index.ts';
import { Lab, msg } from './harness.ts';

const CLIENTS = ['aa:00:00:00:00:01', 'aa:00:00:00:00:02', 'aa:00:00:00:00:03', 'aa:00:00:00:00:04'];
const ADDRS = ['198.18.0.10', '198.18.0.11', '198.18.0.12', '198.18.0.99', '10.0.0.1'];

type Op =
  | {
      kind: 'discover' | 'select' | 'reboot' | 'renew' | 'release' | 'decline';
      client: number;
      addr: number;
      bcast: boolean;
    }
  | { kind: 'wait'; seconds: number }
  | { kind: 'reclaim'; remove: boolean };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constantFrom('discover', 'select', 'reboot', 'renew', 'release', 'decline') as fc.Arbitrary<
      'discover' | 'select' | 'reboot' | 'renew' | 'release' | 'decline'
    >,
    client: fc.nat(CLIENTS.length - 1),
    addr: fc.nat(ADDRS.length - 1),
    bcast: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('wait' as const), seconds: fc.integer({ min: 1, max: 200 }) }),
  fc.record({ kind: fc.constant('reclaim' as const), remove: fc.boolean() }),
);

test('safety under random traffic: never an ACK for an address another client holds, never a claim the store must refuse', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), async (ops) => {
      const lab = new Lab({
        Dhcp4: {
          'valid-lifetime': 120,
          'decline-probation-period': 60,
          subnet4: [{ id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.10 - 198.18.0.12' }] }],
        },
      });
      /** address -> [client, expiresAt] from the ACKs clients actually got. */
      const held = new Map<string, [string, number]>();
      for (const o of ops) {
        if (o.kind === 'wait') {
          lab.advance(o.seconds);
          continue;
        }
        if (o.kind === 'reclaim') {
          for (const w of lab.engine.reclaim(lab.now, { remove: o.remove }))
            if (w.op === 'reclaim') await lab.store.reclaim(w.address, { remove: w.remove, now: lab.now });
          continue;
        }
        const mac = CLIENTS[o.client] as string;
        const addr = ADDRS[o.addr] as string;
        const flags = o.bcast ? BROADCAST_FLAG : 0;
        const m =
          o.kind === 'discover'
            ? msg(MessageType.DISCOVER, mac, { flags })
            : o.kind === 'select'
              ? msg(MessageType.REQUEST, mac, {
                  flags,
                  options: { 'dhcp-server-identifier': '198.18.0.1', 'dhcp-requested-address': addr },
                })
              : o.kind === 'reboot'
                ? msg(MessageType.REQUEST, mac, { flags, options: { 'dhcp-requested-address': addr } })
                : o.kind === 'renew'
                  ? msg(MessageType.REQUEST, mac, { ciaddr: addr })
                  : o.kind === 'release'
                    ? msg(MessageType.RELEASE, mac, { ciaddr: addr })
                    : msg(MessageType.DECLINE, mac, { options: { 'dhcp-requested-address': addr } });
        const replies = await lab.send(m);
        assert.ok(replies.length <= 1);
        // One server alone never asks the store for an address someone else holds (refusals are for races).
        assert.doesNotMatch(lab.lastEvent(), /is held by another client/);
        const r = replies[0];
        if (o.kind === 'release' || o.kind === 'decline') {
          assert.equal(r, undefined, 'RELEASE and DECLINE get no reply');
          const h = held.get(addr);
          if (h && h[0] === mac && (await lab.store.get(addr))?.state !== 'default') held.delete(addr);
          continue;
        }
        if (r?.type !== MessageType.ACK) continue;
        const got = r.message.yiaddr;
        assert.ok(
          ['198.18.0.10', '198.18.0.11', '198.18.0.12'].includes(got),
          `ACK outside the pool: ${got}`,
        );
        const h = held.get(got);
        assert.ok(!h || h[0] === mac || h[1] <= lab.now, `${got} ACKed to ${mac} while ${h?.[0]} holds it`);
        const stored = await lab.store.get(got);
        assert.equal(stored?.hwAddress, mac, 'an ACK only after the store holds the lease for that client');
        // The client gives up any other address it held (one lease per client).
        for (const [a, [c]] of held) if (c === mac && a !== got) held.delete(a);
        held.set(got, [mac, lab.now + (r.message.options.get('dhcp-lease-time') ?? 0) * 1000]);
      }
    }),
    { numRuns: 150 },
  );
});
