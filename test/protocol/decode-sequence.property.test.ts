/**
 * The decoder collects options into arrays it reuses and keeps the last relay address's text: a message
 * decoded earlier must keep its own header and options however many packets (good, bad, from other relays)
 * are decoded after it, and whenever its options are first read.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { DhcpDecodeError, DhcpEncodeError, decodeMessage, encodeMessage } from '../../src/protocol/index.ts';
import type { DhcpMessage } from '../../src/protocol/index.ts';
import { HEADER_FIELDS } from './helpers.ts';
import { generatedMessage } from './arbitraries.ts';

/** A few relays, so that consecutive packets often share a giaddr and often do not. */
const giaddr = fc.constantFrom('0.0.0.0', '198.18.0.2', '198.18.0.3', '198.19.255.254');

/** A packet in the sequence: a generated message from one of the relays, or bytes the decoder refuses. */
const packet = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.tuple(generatedMessage, giaddr).map(([g, relay]) => ({ ...g.message, giaddr: relay })),
  },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 0, maxLength: 300 }) },
);

function wireOf(m: DhcpMessage): Buffer | undefined {
  try {
    return encodeMessage(m, { maxSize: 1500 });
  } catch (err) {
    if (err instanceof DhcpEncodeError) return undefined;
    throw err;
  }
}

test('each decoded message keeps its own header and options, read before or after later decodes', () => {
  fc.assert(
    fc.property(fc.array(packet, { minLength: 2, maxLength: 8 }), fc.boolean(), (packets, readEarly) => {
      const decoded: { sent: DhcpMessage; got: DhcpMessage }[] = [];
      for (const p of packets) {
        if (p instanceof Uint8Array) {
          try {
            decodeMessage(p);
          } catch (err) {
            assert.ok(err instanceof DhcpDecodeError);
          }
          continue;
        }
        const wire = wireOf(p);
        if (wire === undefined) continue;
        const got = decodeMessage(wire);
        // Half the runs read every option at once (views made now), half only after the whole sequence.
        if (readEarly) for (const code of got.options.codes()) got.options.getRaw(code);
        decoded.push({ sent: p, got });
      }
      for (const { sent, got } of decoded) {
        // giaddr among them: the decoder keeps the last relay address's text.
        for (const f of HEADER_FIELDS) assert.equal(got[f], sent[f], f);
        assert.deepEqual([...got.chaddr], [...sent.chaddr]);
        const codes = got.options.codes().filter((c) => c !== 52);
        assert.deepEqual(
          [...codes].sort((a, b) => a - b),
          sent.options.codes().sort((a, b) => a - b),
        );
        for (const code of codes)
          assert.deepEqual(got.options.getRaw(code), sent.options.getRaw(code), `option ${code}`);
      }
    }),
    { numRuns: 500 },
  );
});
