/**
 * `hwKey` and `clientIdKey` keep the last text they were asked for and its key (an exchange asks for the same
 * client's keys about nine times): whatever the order of the texts, each gets its own key.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  clientIdKey,
  hwKey,
  parseClientIdKey,
  parseHwKey,
  type IdentityKey,
} from '../../src/server/identity.ts';

const ETHERNET = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/;

/** The key worked out from the text alone: an Ethernet address's number, any other text as itself. */
function expectedHwKey(text: string): IdentityKey {
  return ETHERNET.test(text) ? Number.parseInt(text.replaceAll(':', ''), 16) : text;
}

function expectedClientIdKey(text: string): IdentityKey {
  return text.startsWith('01:') && ETHERNET.test(text.slice(3))
    ? Number.parseInt(text.slice(3).replaceAll(':', ''), 16)
    : text;
}

const octets = (n: number): fc.Arbitrary<string> =>
  fc
    .uint8Array({ minLength: n, maxLength: n })
    .map((b) => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':'));

/** A few texts of each form, so that a sequence repeats some and alternates others. */
const texts = fc.array(
  fc.oneof(
    octets(6),
    octets(6).map((t) => `01:${t}`),
    octets(6).map((t) => t.toUpperCase()),
    octets(7),
    fc.constantFrom('', '02:be:00:00:00:01', '01:02:be:00:00:00:01', '02:be:00:00:00:0g'),
  ),
  { minLength: 1, maxLength: 6 },
);

test('each text gets its own key, in any order and however often repeated', () => {
  fc.assert(
    fc.property(texts, fc.array(fc.nat(), { minLength: 1, maxLength: 40 }), (pool, picks) => {
      for (const p of picks) {
        const text = pool[p % pool.length]!;
        assert.equal(hwKey(text), expectedHwKey(text), `hwKey(${text})`);
        assert.equal(clientIdKey(text), expectedClientIdKey(text), `clientIdKey(${text})`);
        // The bulk load's forms, which keep nothing, agree.
        assert.equal(parseHwKey(text), expectedHwKey(text));
        assert.equal(parseClientIdKey(text), expectedClientIdKey(text));
      }
    }),
  );
});

test('two addresses asked for in turn keep their keys apart', () => {
  const a = '02:be:00:00:00:01';
  const b = '02:be:00:00:00:02';
  for (let i = 0; i < 3; i++) {
    assert.equal(hwKey(a), 0x02be00000001);
    assert.equal(hwKey(b), 0x02be00000002);
    assert.equal(clientIdKey(`01:${a}`), 0x02be00000001);
    assert.equal(clientIdKey(`01:${b}`), 0x02be00000002);
    assert.equal(clientIdKey(a), a);
  }
});
