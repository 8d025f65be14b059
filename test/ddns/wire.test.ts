// The DNS wire codec: UPDATE messages round-trip, and arbitrary bytes (including compression-pointer loops
// and counts larger than the data) decode to a result or undefined, never an exception.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  addRecord,
  aRdata,
  decodeMessage,
  deleteRecord,
  encodeUpdate,
  nameRdata,
  prereq,
  reverseName,
  RRClass,
  RRType,
} from '../../src/ddns/wire.ts';
import { TSIG_ALGORITHMS, type TsigAlgorithm } from '../../src/ddns/tsig-keys.ts';
import { signRequest, verifyResponse } from '../../src/runtime/ddns/tsig.ts';
import { dhcidRdata } from '../../src/runtime/ddns/dhcid.ts';

test('an UPDATE round-trips through the decoder', () => {
  const m = encodeUpdate({
    id: 0x1234,
    zone: 'example.com',
    prerequisites: [prereq('name-not-in-use', 'a.example.com')],
    updates: [
      addRecord('a.example.com', RRType.A, 600, aRdata('198.18.0.9')),
      deleteRecord('a.example.com', RRType.A, aRdata('198.18.0.8')),
    ],
  });
  const d = decodeMessage(m);
  assert.ok(d);
  assert.equal(d.id, 0x1234);
  assert.equal(d.opcode, 5);
  assert.equal(d.qr, false);
  assert.deepEqual(d.counts, [1, 1, 2, 0]);
  assert.equal(d.records[0]?.class, RRClass.NONE);
  assert.equal(d.records[0]?.type, RRType.ANY);
  assert.deepEqual([...d.records[1]!.rdata], [198, 18, 0, 9]);
  assert.equal(d.records[1]?.ttl, 600);
  assert.equal(d.records[2]?.class, RRClass.NONE);
  assert.equal(reverseName('198.18.0.9'), '9.0.18.198.in-addr.arpa');
  assert.deepEqual([...nameRdata('a.b')], [1, 97, 1, 98, 0]);
});

test('random bytes never throw and counts beyond the data are refused', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), (b) => {
      decodeMessage(b);
    }),
    { numRuns: 3000 },
  );
  const header = new Uint8Array(12);
  header[7] = 0xff; // 255 prerequisites in a 12-byte message
  assert.equal(decodeMessage(header), undefined);
  // A record whose owner name is a pointer to itself.
  const loop = Uint8Array.from([
    0, 1, 0x80, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0,
  ]);
  assert.equal(decodeMessage(loop), undefined);
});

test('mutated UPDATE messages decode or are refused, never throw', () => {
  const base = encodeUpdate({
    id: 1,
    zone: 'example.com',
    prerequisites: [],
    updates: [addRecord('a.example.com', RRType.PTR, 1, nameRdata('x.example.com'))],
  });
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
      (edits) => {
        const m = Uint8Array.from(base);
        for (const [i, v] of edits) m[i] = v;
        decodeMessage(m);
      },
    ),
    { numRuns: 3000 },
  );
});

test('a signed request carries one TSIG record naming the key and algorithm, for every algorithm', () => {
  for (const alg of Object.keys(TSIG_ALGORITHMS) as TsigAlgorithm[]) {
    const key = { name: 'k.example', algorithm: alg, secret: new Uint8Array(32).fill(7), digestBits: 0 };
    const raw = encodeUpdate({ id: 7, zone: 'example.com', prerequisites: [], updates: [] });
    const signed = signRequest(raw, key, 1_700_000_000);
    const d = decodeMessage(signed.message);
    assert.ok(d);
    assert.equal(d.counts[3], 1);
    const tsig = d.additional[0]!;
    assert.equal(tsig.type, RRType.TSIG);
    assert.equal(tsig.name, 'k.example');
    assert.equal(signed.mac.length, TSIG_ALGORITHMS[alg].bits / 8);
    // Our own request is not an answer: verification must refuse it (no request MAC chains to it).
    assert.equal(verifyResponse(signed.message, d, key, signed.mac, 1_700_000_000).ok, false);
  }
  const truncated = signRequest(
    encodeUpdate({ id: 7, zone: 'example.com', prerequisites: [], updates: [] }),
    { name: 'k', algorithm: 'HMAC-SHA512', secret: new Uint8Array(16), digestBits: 256 },
    1,
  );
  assert.equal(truncated.mac.length, 32, 'digest-bits 256 sends a 32-byte MAC');
});

test('an unsigned answer is refused when the request was signed', () => {
  const answer = encodeUpdate({ id: 9, zone: 'example.com', prerequisites: [], updates: [] });
  answer[2] = 0x80 | (5 << 3);
  const d = decodeMessage(answer)!;
  const key = { name: 'k', algorithm: 'HMAC-SHA256' as const, secret: new Uint8Array(16), digestBits: 0 };
  const v = verifyResponse(answer, d, key, new Uint8Array(32), 0);
  assert.deepEqual(v, { ok: false, reason: 'the answer is not signed' });
});

test('DHCID matches RFC 4701 §3.6 examples (chaddr and client identifier)', () => {
  // The RFC's example: identifier type 0, htype 1, SHA-256 -> AAABxLmlskllE0MVjd57zHcWmEH3pCQ6VytcKD//7es/deY=
  const rdata = dhcidRdata(
    { clientId: null, htype: 1, chaddr: Uint8Array.from([1, 2, 3, 4, 5, 6]) },
    'client.example.com',
  );
  assert.equal(Buffer.from(rdata).toString('base64'), 'AAABxLmlskllE0MVjd57zHcWmEH3pCQ6VytcKD//7es/deY=');
  // A client identifier: type 1 over the option's data; an RFC 4361 one (type 255): type 2 over its DUID.
  const cid = dhcidRdata(
    { clientId: Uint8Array.from([1, 7, 8, 9, 10, 11, 12]), htype: 1, chaddr: new Uint8Array(0) },
    'a.example',
  );
  assert.deepEqual([...cid.subarray(0, 3)], [0, 1, 1]);
  assert.equal(cid.length, 35);
  const duid = Uint8Array.from([0, 1, 0, 1, 9, 9, 9, 9]);
  const v4361 = dhcidRdata(
    { clientId: Uint8Array.from([0xff, 0, 0, 0, 1, ...duid]), htype: 1, chaddr: new Uint8Array(0) },
    'a.example',
  );
  assert.deepEqual([...v4361.subarray(0, 3)], [0, 2, 1]);
  assert.notDeepEqual(v4361, cid);
  // The name is compared in lower case (canonical form).
  assert.deepEqual(
    dhcidRdata(
      { clientId: null, htype: 1, chaddr: Uint8Array.from([1, 2, 3, 4, 5, 6]) },
      'Client.Example.COM',
    ),
    rdata,
  );
});
