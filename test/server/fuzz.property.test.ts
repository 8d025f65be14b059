import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  MessageType,
  createMessage,
  decodeMessage,
  encodeMessage,
  messageTypeOf,
  DhcpDecodeError,
  type DhcpMessage,
} from '../../src/protocol/index.ts';
import { encodeReply } from '../../src/server/index.ts';
import { identify, owns } from '../../src/server/identity.ts';
import { ETH0, Lab, stepCommits } from './harness.ts';

const ip = fc.oneof(
  fc.constant('0.0.0.0'),
  fc.integer({ min: 9, max: 21 }).map((n) => `198.18.0.${n}`),
  fc.constantFrom('198.18.0.1', '198.18.0.10', '198.18.0.255', '198.18.1.1', '10.0.0.1'),
  fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.')),
);
const rawOption = fc.oneof(
  fc.tuple(
    fc.constantFrom(1, 3, 12, 50, 51, 53, 54, 55, 57, 61, 81, 82, 118, 224),
    fc.uint8Array({ maxLength: 12 }),
  ),
  // Well-formed values that lead to leases: a pool address requested, our server id, a small client id.
  fc.tuple(
    fc.constant(50),
    fc.integer({ min: 9, max: 21 }).map((n) => Uint8Array.of(198, 18, 0, n)),
  ),
  fc.tuple(fc.constant(54), fc.constant(Uint8Array.of(198, 18, 0, 1))),
  fc.tuple(fc.constant(61), fc.constantFrom(Uint8Array.of(1, 0xaa, 0, 0, 0, 0, 1), Uint8Array.of(0xff, 7))),
);

/**
 * The oracle for one reply to `req`: it decodes, answers the request's xid and chaddr, and never offers or
 * grants an address whose unexpired lease in the store belongs to another client.
 */
async function checkReply(lab: Lab, req: DhcpMessage, bytes: Uint8Array): Promise<void> {
  assert.ok(bytes.length >= 240);
  const reply = decodeMessage(bytes);
  assert.equal(reply.xid, req.xid, 'the reply answers another xid');
  assert.deepEqual(reply.chaddr, req.chaddr, 'the reply names another chaddr');
  const type = messageTypeOf(reply);
  if ((type !== MessageType.OFFER && type !== MessageType.ACK) || reply.yiaddr === '0.0.0.0') return;
  const held = await lab.store.get(reply.yiaddr);
  if (held && held.state === 'default' && held.expiresAt > lab.now)
    assert.ok(owns(held, identify(req), true), `${reply.yiaddr} offered while ${held.hwAddress} holds it`);
}

test('the engine never throws on any request the decoder accepts, and every reply is a decodable answer to it', async () => {
  const lab = new Lab();
  await fc.assert(
    fc.asyncProperty(
      fc.record({
        op: fc.constantFrom(1, 2),
        xid: fc.nat(),
        hlen: fc.integer({ min: 0, max: 16 }),
        flags: fc.constantFrom(0, 0x8000),
        ciaddr: ip,
        giaddr: ip,
        // A few MACs often, so requests meet each other's leases; any 16 bytes sometimes.
        chaddr: fc.oneof(
          fc.constantFrom(1, 2, 3).map((n) => Uint8Array.of(0xaa, 0, 0, 0, 0, n, ...new Uint8Array(10))),
          fc.uint8Array({ minLength: 16, maxLength: 16 }),
        ),
        type: fc.oneof(fc.constantFrom(1, 3, 3), fc.integer({ min: 0, max: 10 })),
        options: fc.array(rawOption, { maxLength: 8 }),
      }),
      async (r) => {
        const m = createMessage({
          op: r.op,
          xid: r.xid,
          hlen: r.hlen,
          flags: r.flags,
          ciaddr: r.ciaddr,
          giaddr: r.giaddr,
          chaddr: r.chaddr,
        });
        for (const [code, data] of r.options) m.options.setRaw(code, data);
        m.options.setRaw(53, Uint8Array.of(r.type));
        let decoded;
        try {
          decoded = decodeMessage(encodeMessage(m, { maxSize: 1500 }));
        } catch (err) {
          if (err instanceof DhcpDecodeError) return;
          throw err;
        }
        lab.advance(1);
        await stepCommits(lab, lab.engine.handle(decoded, ETH0, lab.now), async (out) => {
          for (const reply of out.replies) await checkReply(lab, decoded, encodeReply(reply));
        });
      },
    ),
    { numRuns: 2000, includeErrorInReport: true },
  );
});
