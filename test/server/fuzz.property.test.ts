import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createMessage, decodeMessage, encodeMessage, DhcpDecodeError } from '../../src/protocol/index.ts';
import { encodeReply } from '../../src/server/index.ts';
import { ETH0, Lab } from './harness.ts';

const ip = fc.oneof(
  fc.constant('0.0.0.0'),
  fc.constantFrom('198.18.0.1', '198.18.0.10', '198.18.0.255', '198.18.1.1', '10.0.0.1'),
  fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.')),
);
const rawOption = fc.tuple(
  fc.constantFrom(1, 3, 12, 50, 51, 53, 54, 55, 57, 61, 81, 82, 118, 224),
  fc.uint8Array({ maxLength: 12 }),
);

test('the engine never throws on any request the decoder accepts, and every reply encodes', () => {
  const lab = new Lab();
  fc.assert(
    fc.property(
      fc.record({
        op: fc.constantFrom(1, 2),
        hlen: fc.integer({ min: 0, max: 16 }),
        flags: fc.constantFrom(0, 0x8000),
        ciaddr: ip,
        giaddr: ip,
        chaddr: fc.uint8Array({ minLength: 16, maxLength: 16 }),
        type: fc.integer({ min: 0, max: 10 }),
        options: fc.array(rawOption, { maxLength: 8 }),
      }),
      (r) => {
        const m = createMessage({
          op: r.op,
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
        const out = lab.engine.handle(decoded, ETH0, lab.now);
        for (const reply of out.replies) assert.ok(encodeReply(reply).length >= 240);
        if (out.commit) {
          const done = lab.engine.commitSucceeded(out.commit.token, lab.now);
          for (const reply of done.replies) assert.ok(encodeReply(reply).length >= 240);
        }
      },
    ),
    { numRuns: 2000 },
  );
});
