/**
 * The encoder keeps the last giaddr it parsed (a relay's replies all go back to it): every message encoded
 * carries its own giaddr, however the relays alternate, and a giaddr that is not an address is refused
 * wherever it comes in the sequence.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { DhcpEncodeError, createMessage, encodeMessage } from '../../src/protocol/index.ts';

const relays = ['0.0.0.0', '198.18.0.2', '198.18.0.3', '198.19.255.254', '255.255.255.255'];
const invalid = ['198.18.0', '198.18.0.256', '', '198.018.0.2'];

test('each encoded message carries its own giaddr, and a bad one is refused, in any order', () => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...relays, ...invalid), { minLength: 1, maxLength: 30 }), (seq) => {
      for (const giaddr of seq) {
        const m = createMessage({ xid: 1, chaddr: Uint8Array.of(2, 0xbe, 0, 0, 0, 1) });
        m.giaddr = giaddr;
        if (invalid.includes(giaddr)) {
          assert.throws(() => encodeMessage(m), DhcpEncodeError);
          continue;
        }
        const wire = encodeMessage(m);
        assert.deepEqual([...wire.subarray(24, 28)], giaddr.split('.').map(Number), giaddr);
      }
    }),
  );
});
