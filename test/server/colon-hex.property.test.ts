import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { colonHex, identify } from '../../src/server/identity.ts';
import { createMessage } from '../../src/protocol/index.ts';

const joined = (b: Uint8Array): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');

test('colonHex of a range is the lower-case colon hex of its bytes, whatever the range and its length', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), fc.nat(), (b, x, y) => {
      const start = b.length === 0 ? 0 : x % b.length;
      const end = start + (y % (b.length - start + 2));
      assert.equal(colonHex(b, start, end), joined(b.subarray(start, end)));
      assert.equal(colonHex(b), joined(b));
    }),
  );
});

test('a client identity reads chaddr up to hlen, and a client identifier of any length in full', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 16, maxLength: 16 }),
      fc.integer({ min: 0, max: 255 }),
      fc.uint8Array({ minLength: 1, maxLength: 255 }),
      (chaddr, hlen, clientId) => {
        const m = createMessage({ chaddr });
        m.hlen = hlen;
        m.options.setRaw(61, clientId);
        const id = identify(m);
        assert.equal(id.hwAddress, joined(chaddr.subarray(0, Math.min(hlen, 16))));
        assert.equal(id.clientId, joined(clientId));
      },
    ),
  );
});
