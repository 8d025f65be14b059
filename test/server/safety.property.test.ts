import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MessageType, BROADCAST_FLAG, type DhcpMessage } from '../../src/protocol/index.ts';
import { decodeMessage } from '../../src/protocol/index.ts';
import { encodeReply } from '../../src/server/index.ts';
import { ETH0, Lab, msg, stepCommits, type Opts } from './harness.ts';

/**
 * Clients chosen so that the identity rules matter (RFC 4361 §6.1, match-client-id on): two share a hardware
 * address and differ only by having a client identifier, two share a hardware address with different
 * identifiers. A client's key is its identifier when it sends one, else its hardware address: exactly who
 * owns a lease.
 */
const CLIENTS: readonly { readonly mac: string; readonly clientId: Uint8Array | null }[] = [
  { mac: 'aa:00:00:00:00:01', clientId: null },
  { mac: 'aa:00:00:00:00:02', clientId: null },
  { mac: 'aa:00:00:00:00:01', clientId: Uint8Array.of(0xff, 1, 2, 3) },
  { mac: 'aa:00:00:00:00:03', clientId: Uint8Array.of(0xff, 9, 9, 1) },
  { mac: 'aa:00:00:00:00:03', clientId: Uint8Array.of(0xff, 9, 9, 2) },
];
const keyOf = (c: (typeof CLIENTS)[number]): string =>
  c.clientId ? [...c.clientId].map((b) => b.toString(16).padStart(2, '0')).join(':') : c.mac;
const POOL = ['198.18.0.10', '198.18.0.11', '198.18.0.12'];
/** Mostly pool addresses (where leases are), plus one outside the pool and one outside the subnet. */
const ADDRS = [...POOL, '198.18.0.99', '10.0.0.1'];

type ClientOp = 'dora' | 'discover' | 'select' | 'reboot' | 'renew' | 'release' | 'decline';
type Op =
  | { kind: ClientOp; client: number; addr: number; bcast: boolean }
  | { kind: 'wait'; seconds: number }
  | { kind: 'reclaim'; remove: boolean };

const clientOp = (kinds: readonly ClientOp[], addrs: number): fc.Arbitrary<Op> =>
  fc.record({
    kind: fc.constantFrom(...kinds),
    client: fc.nat(CLIENTS.length - 1),
    addr: fc.nat(addrs - 1),
    bcast: fc.boolean(),
  });

/**
 * Leases are granted often (whole DORAs), and RELEASE/DECLINE mostly name a pool address, so "a client gives
 * back an address another client holds" comes up in most runs rather than by luck.
 */
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: clientOp(['dora'], ADDRS.length) },
  { weight: 5, arbitrary: clientOp(['release', 'decline'], POOL.length) },
  { weight: 4, arbitrary: clientOp(['discover', 'select', 'reboot', 'renew'], ADDRS.length) },
  { weight: 1, arbitrary: clientOp(['release', 'decline'], ADDRS.length) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('wait' as const), seconds: fc.integer({ min: 1, max: 200 }) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reclaim' as const), remove: fc.boolean() }) },
);

function leaseTimeOf(m: DhcpMessage): number | undefined {
  return m.options.get('dhcp-lease-time');
}

/**
 * The commit loop, with the durability rule checked at the moment each reply would leave: an ACK that grants
 * a lease is only emitted once the store holds that lease, for that client, until the time the ACK states.
 */
async function exchange(lab: Lab, m: DhcpMessage, key: string): Promise<DhcpMessage[]> {
  const sent: DhcpMessage[] = [];
  await stepCommits(lab, lab.engine.handle(m, ETH0, lab.now), async (out) => {
    for (const reply of out.replies) {
      const decoded = decodeMessage(encodeReply(reply));
      const time = leaseTimeOf(decoded);
      if (decoded.options.get('dhcp-message-type') === MessageType.ACK && time !== undefined) {
        const stored = await lab.store.get(decoded.yiaddr);
        assert.ok(stored, `ACK for ${decoded.yiaddr} left before the store held it`);
        assert.equal(stored.state, 'default', `ACK for ${decoded.yiaddr} left before its lease was durable`);
        assert.equal(
          stored.clientId ?? stored.hwAddress,
          key,
          `ACK for ${decoded.yiaddr}: stored for another client`,
        );
        assert.ok(
          stored.expiresAt >= lab.now + time * 1000,
          `ACK for ${decoded.yiaddr} outlives its stored lease`,
        );
      }
      sent.push(decoded);
    }
    lab.events.push(...out.events);
  });
  return sent;
}

function request(
  o: Extract<Op, { client: number }>,
  type: number,
  init: Parameters<typeof msg>[2] = {},
): DhcpMessage {
  const c = CLIENTS[o.client]!;
  const options: Opts = { ...init.options, ...(c.clientId ? { 'dhcp-client-identifier': c.clientId } : {}) };
  return msg(type, c.mac, { ...init, flags: o.bcast ? BROADCAST_FLAG : 0, options });
}

test('safety under random traffic: an ACK only once durable, never for an address another client holds, and RELEASE/DECLINE only from the owner', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), async (ops) => {
      const lab = new Lab({
        Dhcp4: {
          'valid-lifetime': 120,
          'decline-probation-period': 60,
          subnet4: [{ id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.10 - 198.18.0.12' }] }],
        },
      });
      /** address -> [client key, expiresAt] from the ACKs clients actually got. */
      const held = new Map<string, [string, number]>();
      const ack = (key: string, r: DhcpMessage): void => {
        const got = r.yiaddr;
        assert.ok(POOL.includes(got), `ACK outside the pool: ${got}`);
        const h = held.get(got);
        assert.ok(!h || h[0] === key || h[1] <= lab.now, `${got} ACKed to ${key} while ${h?.[0]} holds it`);
        // The client gives up any other address it held (one lease per client).
        for (const [a, [c]] of held) if (c === key && a !== got) held.delete(a);
        held.set(got, [key, lab.now + (leaseTimeOf(r) ?? 0) * 1000]);
      };
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
        const key = keyOf(CLIENTS[o.client]!);
        const addr = ADDRS[o.addr]!;
        if (o.kind === 'release' || o.kind === 'decline') {
          const before = await lab.store.get(addr);
          const m =
            o.kind === 'release'
              ? request(o, MessageType.RELEASE, { ciaddr: addr })
              : request(o, MessageType.DECLINE, { options: { 'dhcp-requested-address': addr } });
          assert.deepEqual(await exchange(lab, m, key), [], 'RELEASE and DECLINE get no reply');
          const h = held.get(addr);
          if (h && h[1] > lab.now && h[0] !== key)
            // RFC 2131 §4.3.4, §4.3.3: only the lease's owner may give it back.
            assert.deepEqual(await lab.store.get(addr), before, `${key} gave back ${addr}, held by ${h[0]}`);
          if (h && h[0] === key && (await lab.store.get(addr))?.state !== 'default') held.delete(addr);
          continue;
        }
        const replies =
          o.kind === 'dora' || o.kind === 'discover'
            ? await exchange(lab, request(o, MessageType.DISCOVER), key)
            : o.kind === 'select'
              ? await exchange(
                  lab,
                  request(o, MessageType.REQUEST, {
                    options: { 'dhcp-server-identifier': '198.18.0.1', 'dhcp-requested-address': addr },
                  }),
                  key,
                )
              : o.kind === 'reboot'
                ? await exchange(
                    lab,
                    request(o, MessageType.REQUEST, { options: { 'dhcp-requested-address': addr } }),
                    key,
                  )
                : await exchange(lab, request(o, MessageType.REQUEST, { ciaddr: addr }), key);
        assert.ok(replies.length <= 1);
        // One server alone never asks the store for an address someone else holds (refusals are for races).
        assert.doesNotMatch(lab.lastEvent(), /is held by another client/);
        let r = replies[0];
        if (o.kind === 'dora' && r?.options.get('dhcp-message-type') === MessageType.OFFER) {
          const selected = await exchange(
            lab,
            request(o, MessageType.REQUEST, {
              options: { 'dhcp-server-identifier': '198.18.0.1', 'dhcp-requested-address': r.yiaddr },
            }),
            key,
          );
          assert.ok(selected.length <= 1);
          r = selected[0];
        }
        if (r?.options.get('dhcp-message-type') !== MessageType.ACK) continue;
        ack(key, r);
      }
    }),
    { numRuns: 300, includeErrorInReport: true },
  );
});
