/** Property tests: decode(encode(m)) gives m back; no input makes decode throw anything but DhcpDecodeError. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  BOOTREPLY,
  createMessage,
  decodeMessage,
  DhcpDecodeError,
  DhcpEncodeError,
  encodeMessage,
  messageFromJSON,
  messageToJSON,
  MessageType,
  OPTION_DEFINITIONS,
  parseMac,
  type DhcpMessage,
  type OptionName,
} from '../../src/protocol/index.ts';
import { HEADER_FIELDS } from './helpers.ts';
import { generatedMessage, VALUE_BY_TYPE, type GeneratedMessage } from './arbitraries.ts';

test('every codec type of the table has a generator', () => {
  for (const d of OPTION_DEFINITIONS)
    assert.ok(VALUE_BY_TYPE[d.type], `no arbitrary for type ${d.type} (${d.name})`);
});

test('decode(encode(m)) equals m for generated messages, with and without overload', () => {
  let overloaded = 0;
  fc.assert(
    fc.property(generatedMessage, fc.constantFrom(576, 576, 1000, 1500), ({ message, typed }, maxSize) => {
      let wire: Buffer;
      try {
        wire = encodeMessage(message, { maxSize });
      } catch (err) {
        // Only a message that cannot fit even with overload may be refused.
        if (err instanceof DhcpEncodeError && err.code === 'ERR_ENCODE_MESSAGE_TOO_LARGE') return;
        throw err;
      }
      assert.ok(wire.length >= 300 && wire.length <= maxSize - 28, `size ${wire.length}`);
      const d = decodeMessage(wire);
      for (const f of HEADER_FIELDS) assert.equal(d[f], message[f], f);
      assert.deepEqual([...d.chaddr], [...message.chaddr]);
      const usedOverload = d.options.has('dhcp-option-overload');
      if (usedOverload) overloaded++;
      assert.equal(d.sname, usedOverload && message.sname === '' ? '' : message.sname);
      assert.equal(d.file, message.file);
      assert.equal(d.warnings, undefined);
      const codes = d.options.codes().filter((c) => c !== 52);
      assert.deepEqual(
        [...codes].sort((a, b) => a - b),
        message.options.codes().sort((a, b) => a - b),
      );
      for (const code of codes)
        assert.deepEqual(d.options.getRaw(code), message.options.getRaw(code), `option ${code}`);
      for (const { name, value } of typed) {
        assert.deepEqual(d.options.get(name as OptionName), value, name);
      }
    }),
    { numRuns: 3000 },
  );
  assert.ok(overloaded > 0, 'some generated messages needed overload');
});

/** Realistic packets to mutate: a DISCOVER, a relayed REQUEST, an overloaded ACK, a BOOTP reply. */
function corpus(): Uint8Array[] {
  const discover = createMessage({ xid: 1, chaddr: parseMac('00:16:3e:00:00:01') });
  discover.options
    .set('dhcp-message-type', MessageType.DISCOVER)
    .set('dhcp-client-identifier', Uint8Array.of(1, 0, 0x16, 0x3e, 0, 0, 1))
    .set('dhcp-parameter-request-list', [1, 3, 6, 15, 119, 121])
    .set('host-name', 'client')
    .set('fqdn', { flags: 5, rcode1: 0, rcode2: 0, name: 'client.example.' });
  const request = createMessage({
    xid: 2,
    giaddr: '198.18.1.1',
    hops: 1,
    chaddr: parseMac('00:16:3e:00:00:02'),
  });
  request.options
    .set('dhcp-message-type', MessageType.REQUEST)
    .set('dhcp-requested-address', '198.18.1.50')
    .set('dhcp-server-identifier', '198.18.0.1')
    .set('user-class', [Uint8Array.of(1, 2)])
    .set('dhcp-agent-options', [
      { code: 1, data: Uint8Array.of(0, 1) },
      { code: 5, data: Uint8Array.of(198, 18, 1, 0) },
    ]);
  const ack = createMessage({ op: BOOTREPLY, xid: 3, yiaddr: '198.18.0.9' });
  ack.options
    .set('dhcp-message-type', MessageType.ACK)
    .set(
      'domain-search',
      Array.from({ length: 18 }, (_, i) => `zone${i}.site${i}.example.test`),
    )
    .set('classless-static-route', [{ destination: '10.0.0.0', prefixLength: 8, router: '198.18.0.1' }])
    .set('vivso-suboptions', [{ enterprise: 4491, options: [{ code: 1, data: Uint8Array.of(1) }] }]);
  const bootp = createMessage({ op: BOOTREPLY, xid: 4, file: 'pxelinux.0', sname: 'tftp' });
  return [encodeMessage(discover), encodeMessage(request), encodeMessage(ack), encodeMessage(bootp)];
}

const DECODE_CODES = new Set([
  'ERR_DECODE_TRUNCATED_HEADER',
  'ERR_DECODE_BAD_MAGIC_COOKIE',
  'ERR_DECODE_BAD_HLEN',
  'ERR_DECODE_TRUNCATED_OPTION',
  'ERR_DECODE_BAD_MESSAGE_TYPE',
]);

let inputs = 0;
const outcomes = { decoded: 0, rejected: 0, warned: 0 };

/** Decodes, and when that works, reads every option through the table, prints JSON and re-encodes. */
function exercise(bytes: Uint8Array): void {
  inputs++;
  let m: DhcpMessage;
  try {
    m = decodeMessage(bytes);
  } catch (err) {
    if (err instanceof DhcpDecodeError && DECODE_CODES.has(err.code)) {
      outcomes.rejected++;
      return;
    }
    throw err;
  }
  outcomes.decoded++;
  if (m.warnings !== undefined) outcomes.warned++;
  for (const d of OPTION_DEFINITIONS) m.options.get(d.name);
  JSON.stringify(messageToJSON(m));
  try {
    decodeMessage(encodeMessage(m, { maxSize: 65535 }));
  } catch (err) {
    if (!(err instanceof DhcpEncodeError)) throw err;
  }
}

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(), byte: fc.constant(0) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), byte: fc.constant(0) }),
);

function mutate(
  base: Uint8Array,
  steps: { kind: 'set' | 'truncate' | 'insert' | 'delete'; at: number; byte: number }[],
): Uint8Array {
  let b = Array.from(base);
  for (const s of steps) {
    // Mostly hit the options, where the interesting structure is.
    const at =
      b.length === 0 ? 0 : s.at % 3 === 0 ? s.at % b.length : 236 + (s.at % Math.max(1, b.length - 236));
    if (s.kind === 'set' && at < b.length) b[at] = s.byte;
    else if (s.kind === 'truncate') b = b.slice(0, at);
    else if (s.kind === 'insert') b.splice(at, 0, s.byte);
    else b.splice(at, 1);
  }
  return Uint8Array.from(b);
}

test('at least 100,000 random and mutated inputs decode or fail with DhcpDecodeError only', () => {
  const seeds = corpus();
  const header = seeds[0]!.subarray(0, 240);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), (b) => exercise(b)),
    { numRuns: 10_000 },
  );
  // Valid header and cookie, random option bytes: the option loop gets all the abuse.
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 320 }), (opts) => {
      const b = new Uint8Array(240 + opts.length);
      b.set(header);
      b.set(opts, 240);
      exercise(b);
    }),
    { numRuns: 45_000 },
  );
  fc.assert(
    fc.property(
      fc.nat({ max: seeds.length - 1 }),
      fc.array(mutation, { minLength: 1, maxLength: 6 }),
      (i, steps) => exercise(mutate(seeds[i]!, steps)),
    ),
    { numRuns: 50_000 },
  );
  assert.ok(inputs >= 100_000, `only ${inputs} inputs`);
  // Both paths were really taken, including the keep-it-raw path of the policy.
  assert.ok(
    outcomes.decoded > 10_000 && outcomes.rejected > 10_000 && outcomes.warned > 1_000,
    JSON.stringify(outcomes),
  );
  console.log(`fuzz: ${inputs} inputs, ${JSON.stringify(outcomes)}`);
});

test('options.set with values of any shape succeeds or throws DhcpEncodeError, never anything else', () => {
  // The encoder owns option 52, so it is not expected back.
  const names = OPTION_DEFINITIONS.map((d) => d.name).filter((n) => n !== 'dhcp-option-overload');
  let refused = 0;
  fc.assert(
    fc.property(
      fc.constantFrom(...names),
      fc.anything({ withTypedArray: true, maxDepth: 2 }),
      (name, value) => {
        const o = createMessage().options;
        try {
          o.set(name, value as never);
        } catch (err) {
          if (!(err instanceof DhcpEncodeError)) throw err;
          refused++;
          return;
        }
        // Whatever set accepted must encode and decode back to the same bytes (message types above 18
        // are the one thing set takes and decode refuses: docs/protocol.md).
        const wire = encodeMessage(createMessage({ options: o }), { maxSize: 65535 });
        if (name === 'dhcp-message-type' && (value as number) > 18) {
          assert.throws(() => decodeMessage(wire), { code: 'ERR_DECODE_BAD_MESSAGE_TYPE' });
          return;
        }
        const d = decodeMessage(wire);
        assert.deepEqual(d.options.getRaw(o.codes()[0] ?? 0), o.getRaw(o.codes()[0] ?? 0));
      },
    ),
    { numRuns: 20_000 },
  );
  assert.ok(refused > 1000, `refused ${refused}`);
});

test('messageFromJSON inverts messageToJSON for generated messages', () => {
  fc.assert(
    fc.property(generatedMessage, ({ message }) => {
      let wire: Buffer;
      try {
        wire = encodeMessage(message, { maxSize: 1500 });
      } catch (err) {
        if (err instanceof DhcpEncodeError && err.code === 'ERR_ENCODE_MESSAGE_TOO_LARGE') return;
        throw err;
      }
      const json = messageToJSON(decodeMessage(wire));
      const back = messageFromJSON(JSON.parse(JSON.stringify(json)) as Record<string, unknown>);
      assert.deepEqual(messageToJSON(decodeMessage(encodeMessage(back, { maxSize: 1500 }))), json);
    }),
    { numRuns: 2000 },
  );
});

/** The option TLVs of one field, up to END (PAD skipped), as [code, value] in wire order. */
function fieldTlvs(bytes: Uint8Array): [number, Uint8Array][] {
  const out: [number, Uint8Array][] = [];
  for (let off = 0; off < bytes.length;) {
    const code = bytes[off]!;
    if (code === 0) {
      off++;
      continue;
    }
    if (code === 255) break;
    const len = bytes[off + 1] ?? 0;
    out.push([code, bytes.subarray(off + 2, off + 2 + len)]);
    off += 2 + len;
  }
  return out;
}

/** Three 160-byte options and a message type: at 576 bytes they need the options field, file and sname. */
function overloadsBothFields(): GeneratedMessage {
  const message = createMessage({ xid: 1 });
  message.options.set('dhcp-message-type', MessageType.DISCOVER);
  for (const code of [224, 225, 226]) message.options.setRaw(code, new Uint8Array(160).fill(code));
  return { message, typed: [] };
}

test('overload order: the encoder fills file before sname, and options read back options, file, sname (RFC 2131 §4.1)', () => {
  let both = 0;
  fc.assert(
    fc.property(generatedMessage, fc.constantFrom(576, 576, 1000), ({ message }, maxSize) => {
      let wire: Buffer;
      try {
        wire = encodeMessage(message, { maxSize });
      } catch (err) {
        if (err instanceof DhcpEncodeError && err.code === 'ERR_ENCODE_MESSAGE_TOO_LARGE') return;
        throw err;
      }
      // An oracle independent of the decoder: walk the three fields in the order RFC 2131 §4.1 gives.
      const main = fieldTlvs(wire.subarray(240));
      const overload = main.find(([c]) => c === 52)?.[1][0] ?? 0;
      // RFC 2132 §9.3 and the encoder's rule: sname is used only once file is (or file holds a file name).
      if (overload & 2)
        assert.ok(overload & 1 || message.file !== '', `sname used before file (52 = ${overload})`);
      if (overload === 3) both++;
      const tlvs = [
        ...main,
        ...(overload & 1 ? fieldTlvs(wire.subarray(108, 236)) : []),
        ...(overload & 2 ? fieldTlvs(wire.subarray(44, 108)) : []),
      ];
      // RFC 3396: pieces of one option are joined in that same order.
      const joined = new Map<number, Uint8Array>();
      for (const [code, value] of tlvs)
        joined.set(code, Buffer.concat([joined.get(code) ?? Buffer.alloc(0), value]));
      const d = decodeMessage(wire);
      assert.deepEqual(d.options.codes(), [...joined.keys()]);
      for (const [code, value] of joined)
        assert.deepEqual(d.options.getRaw(code), Uint8Array.from(value), `option ${code}`);
    }),
    // One message that must use both fields, so the case is always exercised whatever the seed draws.
    { numRuns: 3000, examples: [[overloadsBothFields(), 576]] },
  );
  assert.ok(both > 0, 'some generated messages filled both file and sname');
});
