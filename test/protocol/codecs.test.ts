/** The value codecs of the option table, through the public get/set API, against RFC examples. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createMessage,
  decodeMessage,
  DhcpEncodeError,
  DhcpOptions,
  encodeMessage,
  makeDuidClientId,
  OPTION_DEFINITIONS,
  optionDefinition,
  parseClientIdentifier,
  relayAgentInfo,
  relayAgentSubOptions,
  FQDN_FLAG_E,
  FQDN_FLAG_S,
} from '../../src/protocol/index.ts';
import { ascii, rawPacket } from './helpers.ts';

function encodeError(run: () => unknown, code: string): void {
  assert.throws(run, (err: unknown) => err instanceof DhcpEncodeError && err.code === code);
}

test('the table: unique codes and names, Kea names for the options the issue lists', () => {
  const codes = new Set(OPTION_DEFINITIONS.map((d) => d.code));
  const names = new Set(OPTION_DEFINITIONS.map((d) => d.name));
  assert.equal(codes.size, OPTION_DEFINITIONS.length);
  assert.equal(names.size, OPTION_DEFINITIONS.length);
  const expected: Record<number, string> = {
    1: 'subnet-mask',
    3: 'routers',
    6: 'domain-name-servers',
    51: 'dhcp-lease-time',
    61: 'dhcp-client-identifier',
    77: 'user-class',
    80: 'rapid-commit',
    81: 'fqdn',
    82: 'dhcp-agent-options',
    108: 'v6-only-preferred',
    114: 'v4-captive-portal',
    118: 'subnet-selection',
    119: 'domain-search',
    121: 'classless-static-route',
    124: 'vivco-suboptions',
    125: 'vivso-suboptions',
  };
  for (const [code, name] of Object.entries(expected))
    assert.equal(optionDefinition(Number(code))?.name, name);
  // Every RFC 2132 option (1..61 and 64..76) is in the table.
  for (let code = 1; code <= 76; code++) {
    if (code === 62 || code === 63) continue;
    assert.ok(optionDefinition(code), `option ${code} missing`);
  }
});

test('domain-search encodes with compression exactly as RFC 3397 §2 shows, and decodes back', () => {
  const o = new DhcpOptions().set('domain-search', ['eng.apple.com', 'marketing.apple.com']);
  assert.deepEqual(
    [...o.getRaw(119)!],
    [3, ...ascii('eng'), 5, ...ascii('apple'), 3, ...ascii('com'), 0, 9, ...ascii('marketing'), 0xc0, 4],
  );
  assert.deepEqual(o.get('domain-search'), ['eng.apple.com', 'marketing.apple.com']);
});

test('domain-search: pointer loops, forward and self pointers are rejected, never followed', () => {
  const self = decodeMessage(rawPacket([119, 2, 0xc0, 0, 255]));
  assert.equal(self.options.get('domain-search'), undefined);
  assert.equal(self.warnings?.[0]?.code, 'ERR_DECODE_BAD_OPTION_LENGTH');
  const forward = decodeMessage(rawPacket([119, 5, 0xc0, 2, 1, ...ascii('a'), 0, 255]));
  assert.equal(forward.options.get('domain-search'), undefined);
  // a -> b -> a: the second hop points forwards from the lowest offset seen, so it is refused.
  const loop = decodeMessage(rawPacket([119, 6, 1, ...ascii('a'), 0xc0, 4, 0xc0, 0, 255]));
  assert.equal(loop.options.get('domain-search'), undefined);
  const over = decodeMessage(rawPacket([119, 3, 1, ...ascii('a'), 255]));
  assert.equal(over.options.get('domain-search'), undefined, 'a name running off the end');
});

test('domain-search split over two option 119 instances decodes once joined (RFC 3396)', () => {
  const whole = new DhcpOptions().set('domain-search', ['eng.apple.com', 'marketing.apple.com']).getRaw(119)!;
  const m = decodeMessage(
    rawPacket([119, 10, ...whole.subarray(0, 10), 119, whole.length - 10, ...whole.subarray(10), 255]),
  );
  assert.deepEqual(m.options.get('domain-search'), ['eng.apple.com', 'marketing.apple.com']);
});

test('domain names: impossible ones are DhcpEncodeError', () => {
  encodeError(() => new DhcpOptions().set('domain-search', ['a..b']), 'ERR_ENCODE_BAD_OPTION_VALUE');
  encodeError(
    () => new DhcpOptions().set('domain-search', [`${'x'.repeat(64)}.com`]),
    'ERR_ENCODE_BAD_OPTION_VALUE',
  );
  encodeError(() => new DhcpOptions().set('domain-search', []), 'ERR_ENCODE_BAD_OPTION_VALUE');
  encodeError(
    () => new DhcpOptions().set('domain-search', ['bücher.example']),
    'ERR_ENCODE_BAD_OPTION_VALUE',
  );
});

test('classless-static-route encodes the RFC 3442 §1 examples', () => {
  const o = new DhcpOptions().set('classless-static-route', [
    { destination: '0.0.0.0', prefixLength: 0, router: '10.0.0.1' },
    { destination: '10.0.0.0', prefixLength: 8, router: '10.0.0.1' },
    { destination: '10.17.0.0', prefixLength: 16, router: '10.0.0.1' },
    { destination: '10.27.129.0', prefixLength: 24, router: '10.0.0.1' },
    { destination: '10.229.0.128', prefixLength: 25, router: '10.0.0.1' },
    { destination: '10.198.122.47', prefixLength: 32, router: '10.0.0.1' },
  ]);
  const r = [10, 0, 0, 1];
  assert.deepEqual(
    [...o.getRaw(121)!],
    [
      0,
      ...r,
      8,
      10,
      ...r,
      16,
      10,
      17,
      ...r,
      24,
      10,
      27,
      129,
      ...r,
      25,
      10,
      229,
      0,
      128,
      ...r,
      32,
      10,
      198,
      122,
      47,
      ...r,
    ],
  );
  assert.equal(o.get('classless-static-route')?.[4]?.destination, '10.229.0.128');
  encodeError(
    () =>
      new DhcpOptions().set('classless-static-route', [
        { destination: '10.0.0.1', prefixLength: 8, router: '10.0.0.1' },
      ]),
    'ERR_ENCODE_BAD_OPTION_VALUE',
  );
  const bad = decodeMessage(rawPacket([121, 5, 33, 10, 0, 0, 1, 255]));
  assert.equal(bad.options.get('classless-static-route'), undefined, 'width 33');
  const twin = new DhcpOptions().set('ms-classless-static-route', [
    { destination: '10.0.0.0', prefixLength: 8, router: '10.0.0.1' },
  ]);
  assert.deepEqual([...twin.getRaw(249)!], [8, 10, ...r]);
});

test('fqdn (81): wire names with the E flag, fully qualified or partial, and the ASCII form', () => {
  const full = new DhcpOptions().set('fqdn', {
    flags: FQDN_FLAG_E | FQDN_FLAG_S,
    rcode1: 0,
    rcode2: 0,
    name: 'host.example.com.',
  });
  assert.deepEqual(
    [...full.getRaw(81)!],
    [5, 0, 0, 4, ...ascii('host'), 7, ...ascii('example'), 3, ...ascii('com'), 0],
  );
  assert.equal(full.get('fqdn')?.name, 'host.example.com.');
  const partial = new DhcpOptions().set('fqdn', { flags: FQDN_FLAG_E, rcode1: 0, rcode2: 0, name: 'host' });
  assert.deepEqual([...partial.getRaw(81)!], [4, 0, 0, 4, ...ascii('host')]);
  assert.deepEqual(partial.get('fqdn'), { flags: 4, rcode1: 0, rcode2: 0, name: 'host' });
  const legacy = new DhcpOptions().set('fqdn', {
    flags: 0,
    rcode1: 255,
    rcode2: 255,
    name: 'host.example.com',
  });
  assert.deepEqual(legacy.get('fqdn'), { flags: 0, rcode1: 255, rcode2: 255, name: 'host.example.com' });
  const short = decodeMessage(rawPacket([81, 2, 0, 0, 255]));
  assert.equal(short.options.get('fqdn'), undefined);
});

test('dhcp-agent-options (82): sub-options by meaning, link selection and server id override', () => {
  const subs = relayAgentSubOptions({
    circuitId: Uint8Array.of(0, 4, 0, 1),
    remoteId: Uint8Array.from(ascii('sw1')),
    linkSelection: '198.18.5.0',
    serverIdOverride: '198.18.5.1',
  });
  const o = new DhcpOptions().set('dhcp-agent-options', subs);
  assert.deepEqual(
    [...o.getRaw(82)!],
    [1, 4, 0, 4, 0, 1, 2, 3, ...ascii('sw1'), 5, 4, 198, 18, 5, 0, 11, 4, 198, 18, 5, 1],
  );
  const info = relayAgentInfo(o.get('dhcp-agent-options')!);
  assert.deepEqual([...info.circuitId!], [0, 4, 0, 1]);
  assert.equal(info.linkSelection, '198.18.5.0');
  assert.equal(info.serverIdOverride, '198.18.5.1');
  assert.deepEqual(o.toJSON()['dhcp-agent-options'], {
    'circuit-id': '00040001',
    'remote-id': '737731',
    'link-selection': '198.18.5.0',
    'server-id-override': '198.18.5.1',
  });
  const broken = decodeMessage(rawPacket([82, 3, 1, 5, 0, 255]));
  assert.equal(broken.options.get('dhcp-agent-options'), undefined);
});

test('dhcp-client-identifier: RFC 4361 type 255 + IAID + DUID, and the hardware form', () => {
  const duid = Uint8Array.of(0, 1, 0, 1, 0x2a, 0x3b, 0x4c, 0x5d, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff);
  const id = makeDuidClientId(0x01020304, duid);
  const parsed = parseClientIdentifier(id);
  assert.equal(parsed?.kind, 'duid');
  assert.ok(parsed?.kind === 'duid');
  assert.equal(parsed.iaid, 0x01020304);
  assert.deepEqual([...parsed.duid], [...duid]);
  const hw = parseClientIdentifier(Uint8Array.of(1, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff));
  assert.ok(hw?.kind === 'hardware');
  assert.equal(hw.hwAddress, 'aa:bb:cc:dd:ee:ff');
  assert.equal(parseClientIdentifier(Uint8Array.of(1)), undefined);
  encodeError(
    () => new DhcpOptions().set('dhcp-client-identifier', Uint8Array.of(1)),
    'ERR_ENCODE_BAD_OPTION_VALUE',
  );
});

test('user-class (77), vivco (124), vivso (125): length-prefixed items per RFC 3004 and RFC 3925', () => {
  const o = new DhcpOptions()
    .set('user-class', [Uint8Array.from(ascii('ab')), Uint8Array.of(7)])
    .set('vivco-suboptions', [{ enterprise: 4491, data: [Uint8Array.from(ascii('docsis3.0'))] }])
    .set('vivso-suboptions', [{ enterprise: 3561, options: [{ code: 1, data: Uint8Array.of(9, 9) }] }]);
  assert.deepEqual([...o.getRaw(77)!], [2, ...ascii('ab'), 1, 7]);
  assert.deepEqual([...o.getRaw(124)!], [0, 0, 0x11, 0x8b, 10, 9, ...ascii('docsis3.0')]);
  assert.deepEqual([...o.getRaw(125)!], [0, 0, 0x0d, 0xe9, 4, 1, 2, 9, 9]);
  assert.equal(o.get('vivso-suboptions')?.[0]?.options[0]?.code, 1);
  assert.deepEqual(o.get('vivco-suboptions')?.[0]?.enterprise, 4491);
  // iPXE sends a bare string as option 77, which is not RFC 3004: kept raw with a warning.
  const ipxe = decodeMessage(rawPacket([77, 4, ...ascii('iPXE'), 255]));
  assert.equal(ipxe.options.get('user-class'), undefined);
  assert.equal(ipxe.warnings?.[0]?.option, 77);
});

test('rapid-commit (80), v6-only-preferred (108), captive portal (114), subnet-selection (118)', () => {
  const o = new DhcpOptions()
    .set('rapid-commit', true)
    .set('v6-only-preferred', 1800)
    .set('v4-captive-portal', 'https://portal.example/')
    .set('subnet-selection', '198.18.7.0');
  assert.equal(o.getRaw(80)!.length, 0);
  assert.equal(o.get('rapid-commit'), true);
  assert.equal(o.get('v6-only-preferred'), 1800);
  assert.equal(o.get('v4-captive-portal'), 'https://portal.example/');
  assert.equal(o.get('subnet-selection'), '198.18.7.0');
  o.set('rapid-commit', false);
  assert.equal(o.has('rapid-commit'), false, 'false removes a presence flag');
  const wire = encodeMessage(createMessage({ options: o.clone().set('rapid-commit', true) }));
  assert.equal(decodeMessage(wire).options.get('rapid-commit'), true);
});

test('integers, booleans, text and lists: ranges checked on set, trailing NULs stripped on decode', () => {
  const o = new DhcpOptions();
  encodeError(() => o.set('dhcp-lease-time', -1), 'ERR_ENCODE_BAD_OPTION_VALUE');
  encodeError(() => o.set('dhcp-lease-time', 2 ** 32), 'ERR_ENCODE_BAD_OPTION_VALUE');
  encodeError(() => o.set('interface-mtu', 1.5), 'ERR_ENCODE_BAD_OPTION_VALUE');
  encodeError(() => o.set('routers', ['198.18.0.256']), 'ERR_ENCODE_BAD_OPTION_VALUE');
  encodeError(() => o.set('routers', []), 'ERR_ENCODE_BAD_OPTION_VALUE');
  encodeError(() => o.set('host-name', ''), 'ERR_ENCODE_BAD_OPTION_VALUE');
  encodeError(() => o.set('policy-filter', ['198.18.0.0']), 'ERR_ENCODE_BAD_OPTION_VALUE');
  encodeError(() => o.set('no-such-option' as 'host-name', 'x'), 'ERR_ENCODE_UNKNOWN_OPTION');
  o.set('time-offset', -3600).set('ip-forwarding', true).set('dhcp-lease-time', 0xffffffff);
  assert.equal(o.get('time-offset'), -3600);
  assert.equal(o.get('ip-forwarding'), true);
  assert.equal(o.get('dhcp-lease-time'), 0xffffffff);
  const m = decodeMessage(rawPacket([12, 5, ...ascii('box'), 0, 0, 255]));
  assert.equal(m.options.get('host-name'), 'box');
  assert.equal(m.warnings, undefined);
});

test('DhcpOptions: codes keep their order, replacing keeps the place, has/delete by name or code, clone is independent', () => {
  const o = new DhcpOptions()
    .set('routers', ['198.18.0.1'])
    .set('host-name', 'a')
    .setRaw(224, Uint8Array.of(1));
  o.set('routers', ['198.18.0.2']);
  assert.deepEqual(o.codes(), [3, 12, 224]);
  assert.ok(o.has('host-name') && o.has(12) && o.has(224));
  const c = o.clone();
  assert.ok(c.equals(o));
  assert.equal(o.delete('host-name'), true);
  assert.equal(o.delete(12), false);
  assert.deepEqual(c.codes(), [3, 12, 224]);
  assert.equal(c.equals(o), false);
  encodeError(() => o.setRaw(0, Uint8Array.of(1)), 'ERR_ENCODE_BAD_OPTION_VALUE');
  encodeError(() => o.setRaw(255, Uint8Array.of(1)), 'ERR_ENCODE_BAD_OPTION_VALUE');
});

test('encodeMessage rejects impossible header fields with ERR_ENCODE_BAD_FIELD', () => {
  encodeError(() => encodeMessage(createMessage({ ciaddr: '1.2.3' })), 'ERR_ENCODE_BAD_FIELD');
  encodeError(() => encodeMessage(createMessage({ xid: -1 })), 'ERR_ENCODE_BAD_FIELD');
  encodeError(() => encodeMessage(createMessage({ hlen: 17 })), 'ERR_ENCODE_BAD_FIELD');
  encodeError(() => encodeMessage(createMessage({ sname: 'x'.repeat(65) })), 'ERR_ENCODE_BAD_FIELD');
  encodeError(() => createMessage({ chaddr: new Uint8Array(17) }), 'ERR_ENCODE_BAD_FIELD');
  const ok = decodeMessage(encodeMessage(createMessage({ sname: 's'.repeat(64), file: 'f'.repeat(128) })));
  assert.equal(ok.sname.length, 64);
  assert.equal(ok.file.length, 128);
});

test('per-option ranges from the table: message type not 0, overload 1..3, max message size >= 576', () => {
  const o = new DhcpOptions();
  encodeError(() => o.set('dhcp-message-type', 0), 'ERR_ENCODE_BAD_OPTION_VALUE');
  // A type above 18 can be built (for tests of peers) but does not decode.
  const m42 = createMessage();
  m42.options.set('dhcp-message-type', 42);
  assert.throws(() => decodeMessage(encodeMessage(m42)), { code: 'ERR_DECODE_BAD_MESSAGE_TYPE' });
  encodeError(() => o.set('dhcp-option-overload', 4), 'ERR_ENCODE_BAD_OPTION_VALUE');
  encodeError(() => o.set('dhcp-max-message-size', 575), 'ERR_ENCODE_BAD_OPTION_VALUE');
  assert.equal(o.set('dhcp-max-message-size', 576).get('dhcp-max-message-size'), 576);
  // RFC 2132 §9.10: below 576 is not a legal size; the server falls back to the default.
  const m = decodeMessage(rawPacket([53, 1, 1, 57, 2, 1, 0, 255]));
  assert.equal(m.options.get('dhcp-max-message-size'), undefined);
  assert.equal(m.warnings?.[0]?.option, 57);
});

test('values of the wrong shape from untyped callers are DhcpEncodeError with a readable message', () => {
  const o = new DhcpOptions();
  const hostile = {
    toString: 0,
    toJSON: () => {
      throw new Error('boom');
    },
  };
  encodeError(() => o.set('dhcp-lease-time', hostile as never), 'ERR_ENCODE_BAD_OPTION_VALUE');
  encodeError(() => o.set('routers', [hostile] as never), 'ERR_ENCODE_BAD_OPTION_VALUE');
  encodeError(() => o.set('vivso-suboptions', [undefined] as never), 'ERR_ENCODE_BAD_OPTION_VALUE');
  encodeError(() => o.set('subnet-mask', 10n as never), 'ERR_ENCODE_BAD_OPTION_VALUE');
  encodeError(() => encodeMessage(createMessage({ ciaddr: 1 as never })), 'ERR_ENCODE_BAD_FIELD');
});

test('domain-search: a chain of more than 128 pointers is refused (hostile lists stay linear)', () => {
  // Each name is a pointer to the one before it: name k would need k hops.
  const v: number[] = [0];
  let prev = 0;
  for (let k = 0; k < 200; k++) {
    const at = v.length;
    v.push(0xc0 | (prev >> 8), prev & 255);
    prev = at;
  }
  const o = new DhcpOptions().setRaw(119, Uint8Array.from(v));
  assert.equal(o.get('domain-search'), undefined);
  const ok = new DhcpOptions().setRaw(119, Uint8Array.from(v.slice(0, 1 + 2 * 128)));
  assert.equal(ok.get('domain-search')?.length, 129);
});
