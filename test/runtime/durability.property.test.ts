// The runtime pipeline end to end (startServer over a virtual network): whatever the order in which
// concurrent clients' lease writes finish, no ACK leaves the server's transport before its lease is durable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MemoryLeaseStore } from '../../src/leases/memory.ts';
import type { CommitOptions, CommitResult } from '../../src/leases/store.ts';
import type { Lease } from '../../src/leases/lease.ts';
import {
  BROADCAST_FLAG,
  MessageType,
  createMessage,
  decodeMessage,
  messageTypeOf,
  parseMac,
  type DhcpMessage,
} from '../../src/protocol/index.ts';
import type { OutboundDatagram, Transport } from '../../src/transport/types.ts';
import { encodeReply } from '../../src/server/encode.ts';
import { virtualLab } from './helpers.ts';

/**
 * A memory store whose writes take a while: each commit waits the next delay of `delays` (in event-loop
 * turns) before it is made, so concurrent exchanges finish their writes in an order the test chooses. `durable`
 * is what a crash would keep.
 */
class SlowStore extends MemoryLeaseStore {
  readonly durable = new Map<string, Lease>();
  #next = 0;
  private readonly delays: readonly number[];
  constructor(delays: readonly number[]) {
    super();
    this.delays = delays;
  }
  override async commit(lease: Lease, options?: CommitOptions): Promise<CommitResult> {
    const turns = this.delays[this.#next++ % this.delays.length] ?? 0;
    for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
    const result = await super.commit(lease, options);
    if (result.ok) this.durable.set(result.lease.address, result.lease);
    return result;
  }
}

/** The server's transport, checking every ACK as it is handed to the network and reporting replies by xid. */
function watched(
  store: SlowStore,
  onReply: (m: DhcpMessage) => void,
  violations: string[],
): (t: Transport) => Transport {
  return (t) =>
    new Proxy(t, {
      get(target, prop, receiver) {
        if (prop !== 'send') return Reflect.get(target, prop, receiver) as unknown;
        return (d: OutboundDatagram) => {
          const m = decodeMessage(d.data);
          const time = m.options.get('dhcp-lease-time');
          if (messageTypeOf(m) === MessageType.ACK && time !== undefined) {
            const lease = store.durable.get(m.yiaddr);
            const mac = [...m.chaddr.subarray(0, 6)].map((b) => b.toString(16).padStart(2, '0')).join(':');
            if (!lease || lease.state !== 'default' || lease.hwAddress !== mac)
              violations.push(`ACK ${m.yiaddr} to ${mac} sent before its lease was durable`);
          }
          onReply(m);
          return target.send(d);
        };
      },
    });
}

const MACS = Array.from({ length: 6 }, (_, i) => `02:00:00:00:01:0${i}`);

function clientMessage(
  type: number,
  client: number,
  xid: number,
  opts: { requested?: string; ciaddr?: string },
): Uint8Array {
  const m = createMessage({
    xid,
    flags: BROADCAST_FLAG,
    chaddr: parseMac(MACS[client]!),
    ciaddr: opts.ciaddr ?? '0.0.0.0',
  });
  m.options.set('dhcp-message-type', type);
  if (opts.requested) {
    m.options.set('dhcp-requested-address', opts.requested);
    m.options.set('dhcp-server-identifier', '198.18.0.1');
  }
  return encodeReply({
    message: m,
    maxSize: 1500,
    interface: 'eth0',
    destination: { kind: 'broadcast', address: '255.255.255.255', port: 68 },
  });
}

type Action = { kind: 'dora' | 'renew' | 'release'; client: number };
const action: fc.Arbitrary<Action> = fc.record({
  kind: fc.constantFrom('dora', 'dora', 'renew', 'release'),
  client: fc.nat(MACS.length - 1),
});

test('pipeline: under any interleaving of concurrent clients and write delays, no ACK leaves before its lease is durable', async () => {
  await fc.assert(
    fc.asyncProperty(
      // Each burst runs its clients' exchanges at once; one client acts at most once per burst.
      fc.array(fc.uniqueArray(action, { minLength: 1, maxLength: 6, selector: (a) => a.client }), {
        minLength: 1,
        maxLength: 4,
      }),
      fc.array(fc.nat(4), { minLength: 1, maxLength: 8 }),
      async (bursts, delays) => {
        const store = new SlowStore(delays);
        const violations: string[] = [];
        const waiting = new Map<number, (m: DhcpMessage) => void>();
        const onReply = (m: DhcpMessage): void => {
          waiting.get(m.xid)?.(m);
          waiting.delete(m.xid);
        };
        const lab = await virtualLab({
          store,
          wrapTransport: watched(store, onReply, violations),
          warmUp: false,
        });
        let xid = 1;
        /**
         * Sends a request and resolves with the server's reply to it, or undefined if none came (only the ACKs
         * that were sent are judged, so a slow machine cannot fail this test).
         */
        const ask = (bytes: Uint8Array, id: number): Promise<DhcpMessage | undefined> => {
          const reply = new Promise<DhcpMessage | undefined>((resolve) => {
            const timer = setTimeout(() => {
              waiting.delete(id);
              resolve(undefined);
            }, 10_000);
            waiting.set(id, (m) => {
              clearTimeout(timer);
              resolve(m);
            });
          });
          return lab.sendRaw(bytes).then(() => reply);
        };
        const leased = new Map<number, string>();
        const run = async (a: Action): Promise<void> => {
          const id = xid++;
          const held = leased.get(a.client);
          if (a.kind === 'release') {
            if (held) await lab.sendRaw(clientMessage(MessageType.RELEASE, a.client, id, { ciaddr: held }));
            leased.delete(a.client);
            return;
          }
          if (a.kind === 'renew' && held) {
            const ack = await ask(clientMessage(MessageType.REQUEST, a.client, id, { ciaddr: held }), id);
            if (ack && messageTypeOf(ack) !== MessageType.ACK) leased.delete(a.client);
            return;
          }
          const offer = await ask(clientMessage(MessageType.DISCOVER, a.client, id, {}), id);
          if (!offer || messageTypeOf(offer) !== MessageType.OFFER) return;
          const ack = await ask(
            clientMessage(MessageType.REQUEST, a.client, id, { requested: offer.yiaddr }),
            id,
          );
          if (ack && messageTypeOf(ack) === MessageType.ACK) leased.set(a.client, ack.yiaddr);
        };
        try {
          for (const burst of bursts) await Promise.all(burst.map(run));
        } finally {
          await lab.close();
        }
        assert.deepEqual(violations, []);
      },
    ),
    { numRuns: 40, includeErrorInReport: true },
  );
});
