// What an overloaded server sheds before decoding: the order (DISCOVERs first, then anything stale) and the
// message type read from the raw bytes, which must agree with the decoder whenever it answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  admit,
  peekMessageType,
  type Admission,
  type QueueDelayLimits,
} from '../../src/runtime/admission.ts';
import {
  createMessage,
  decodeMessage,
  DhcpDecodeError,
  DhcpEncodeError,
  encodeMessage,
  MessageType,
  messageTypeOf,
} from '../../src/protocol/index.ts';
import { generatedMessage } from '../protocol/arbitraries.ts';

function packet(type: number | undefined, pads = 0): Buffer {
  const m = createMessage({ xid: 7 });
  m.options.set('host-name', 'client');
  if (type !== undefined) m.options.set('dhcp-message-type', type);
  const bytes = encodeMessage(m);
  if (pads === 0) return bytes;
  // The same options behind `pads` PAD octets (RFC 2132 §3.1), as some clients send them.
  return Buffer.concat([bytes.subarray(0, 240), Buffer.alloc(pads), bytes.subarray(240)]);
}

const LIMITS = { discoverMs: 500, staleMs: 4000 };

/** The decision for raw bytes, as the receive queue makes it: the type read without decoding. */
function admission(bytes: Uint8Array, waitedMs: number, limits: QueueDelayLimits): Admission {
  return admit(peekMessageType(bytes), waitedMs, limits);
}

test('shedding order: below both limits everything is served', () => {
  for (const type of [MessageType.DISCOVER, MessageType.REQUEST, MessageType.RELEASE, MessageType.INFORM])
    assert.equal(admission(packet(type), 500, LIMITS), 'serve');
});

test('shedding order: past the DISCOVER limit only DISCOVERs are shed; REQUESTs and the rest are kept', () => {
  assert.equal(admission(packet(MessageType.DISCOVER), 501, LIMITS), 'shed-discover');
  assert.equal(admission(packet(MessageType.DISCOVER, 3), 3999, LIMITS), 'shed-discover');
  for (const type of [MessageType.REQUEST, MessageType.DECLINE, MessageType.RELEASE, MessageType.INFORM])
    assert.equal(admission(packet(type), 3999, LIMITS), 'serve', `type ${type}`);
  // No type to read: the decoder decides (and counts it if it is junk).
  assert.equal(admission(packet(undefined), 3999, LIMITS), 'serve');
  assert.equal(admission(new Uint8Array(100), 3999, LIMITS), 'serve');
});

test('stale-reply suppression: past the request limit every request gets no reply, REQUESTs included', () => {
  for (const type of [MessageType.DISCOVER, MessageType.REQUEST, MessageType.INFORM])
    assert.equal(admission(packet(type), 4001, LIMITS), 'stale', `type ${type}`);
  // A BOOTREQUEST (no option 53) is retransmitted like a request.
  assert.equal(admission(packet(undefined), 4001, LIMITS), 'stale');
  assert.equal(admission(new Uint8Array(10), 4001, LIMITS), 'stale');
});

test('a RELEASE or DECLINE is never shed: it expects no reply and is never sent again (RFC 2131 §4.4.4, §4.4.6)', () => {
  for (const type of [MessageType.RELEASE, MessageType.DECLINE]) {
    assert.equal(admission(packet(type), 4001, LIMITS), 'serve', `type ${type}`);
    assert.equal(admission(packet(type), 3_600_000, LIMITS), 'serve', `type ${type}`);
  }
});

test('limits turned off (Infinity) never shed', () => {
  const never = { discoverMs: Infinity, staleMs: Infinity };
  assert.equal(admission(packet(MessageType.DISCOVER), 3_600_000, never), 'serve');
  assert.equal(admission(packet(MessageType.REQUEST), 3_600_000, never), 'serve');
});

test('peekMessageType: no cookie, truncated or empty options give undefined, never a throw', () => {
  const discover = packet(MessageType.DISCOVER);
  assert.equal(peekMessageType(discover), MessageType.DISCOVER);
  const noCookie = Buffer.from(discover);
  noCookie[236] = 0;
  assert.equal(peekMessageType(noCookie), undefined);
  assert.equal(peekMessageType(discover.subarray(0, 240)), undefined);
  // Option 53's header is there but its value is cut off.
  const at = discover.indexOf(Buffer.from([53, 1]), 240);
  assert.ok(at >= 240);
  assert.equal(peekMessageType(discover.subarray(0, at + 2)), undefined);
  const zeroLength = Buffer.from(discover);
  zeroLength[at + 1] = 0;
  assert.notEqual(peekMessageType(zeroLength), MessageType.DISCOVER);
});

test('peekMessageType agrees with the decoder on every message the decoder reads without overload', () => {
  fc.assert(
    fc.property(generatedMessage, fc.option(fc.integer({ min: 1, max: 18 })), ({ message }, type) => {
      message.options.delete('dhcp-option-overload');
      if (type !== null) message.options.set('dhcp-message-type', type);
      let bytes: Buffer;
      try {
        bytes = encodeMessage(message);
      } catch (err) {
        if (err instanceof DhcpEncodeError) return;
        throw err;
      }
      let decoded;
      try {
        decoded = decodeMessage(bytes);
      } catch (err) {
        if (err instanceof DhcpDecodeError) return;
        throw err;
      }
      // An encoder that spilled options into sname/file may have moved option 53 there: not looked for.
      if (decoded.options.get('dhcp-option-overload') !== undefined) return;
      assert.equal(peekMessageType(bytes), messageTypeOf(decoded));
    }),
    { numRuns: 300 },
  );
});

test('peekMessageType on arbitrary bytes terminates and returns a byte or undefined', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 600 }), fc.boolean(), (raw, cookie) => {
      const bytes = Buffer.from(raw);
      if (cookie && bytes.length > 240) bytes.set([99, 130, 83, 99], 236);
      const type = peekMessageType(bytes);
      assert.ok(type === undefined || (Number.isInteger(type) && type >= 0 && type <= 255));
    }),
    { numRuns: 500 },
  );
});
