import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compileBoolExpression,
  compileStringExpression,
  EvaluationError,
  ExpressionError,
  type EvalPacket,
} from '../../src/classify/index.ts';
import { createMessage, type DhcpMessage } from '../../src/protocol/index.ts';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/[: ]/g, ''), 'hex'));
const ascii = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));

/** A DISCOVER from 02:00:00:00:00:01, relayed, with the options most examples read. */
function samplePacket(classes: string[] = []): EvalPacket {
  const msg: DhcpMessage = createMessage({
    chaddr: hex('020000000001'),
    xid: 12345,
    ciaddr: '198.18.0.7',
    giaddr: '198.18.1.1',
    yiaddr: '0.0.0.0',
    siaddr: '198.18.0.1',
  });
  msg.options.setRaw(53, Uint8Array.of(1));
  msg.options.setRaw(12, ascii('Laptop-7'));
  msg.options.setRaw(60, ascii('PXEClient:Arch:00007:UNDI:003016'));
  msg.options.setRaw(93, hex('0007'));
  msg.options.setRaw(23, Uint8Array.of(0xf0));
  msg.options.setRaw(3, hex('c6120001c6120002'));
  // Option 43 with sub-options 1 ('abc') and 2 (0x0102).
  msg.options.setRaw(43, hex('0103616263 02020102'));
  // Option 82: circuit-id 'eth0/1', remote-id 0xaabbcc.
  msg.options.setRaw(82, Uint8Array.of(1, 6, ...ascii('eth0/1'), 2, 3, 0xaa, 0xbb, 0xcc));
  // Option 124: enterprise 4491 with two data chunks 'docsis3.0' and 'x'.
  msg.options.setRaw(124, Uint8Array.of(0, 0, 0x11, 0x8b, 12, 9, ...ascii('docsis3.0'), 1, 0x78));
  // Option 125: enterprise 4491 with sub-option 1 = 'docsis3.0', sub-option 2 = 0x0a0b.
  msg.options.setRaw(125, Uint8Array.of(0, 0, 0x11, 0x8b, 15, 1, 9, ...ascii('docsis3.0'), 2, 2, 0x0a, 0x0b));
  return {
    msg,
    iface: 'eth0',
    src: '198.18.1.1',
    dst: '198.18.0.1',
    length: 300,
    classes: new Set(['ALL', ...classes]),
  };
}

const P = samplePacket();

function valueHex(expr: string, p: EvalPacket = P): string {
  return Buffer.from(compileStringExpression(expr).evaluate(p), 'latin1').toString('hex');
}

function truth(expr: string, p: EvalPacket = P): boolean {
  return compileBoolExpression(expr, { isClass: () => true }).evaluate(p);
}

// Kea's "List of classification values" (classify.rst), evaluated on the sample packet: [expression, hex].
const VALUES: [string, string][] = [
  ["'example'", Buffer.from('example').toString('hex')],
  ['0x5a7d', '5a7d'],
  ['0x123', '0123'], // odd digit count: a leading 0
  ['198.18.0.1', 'c6120001'],
  ['123', '0000007b'],
  ['option[12].hex', Buffer.from('Laptop-7').toString('hex')],
  ['option[host-name].text', Buffer.from('Laptop-7').toString('hex')],
  ['option[99].hex', ''],
  ['option[23].text', Buffer.from('type=023, len=001: 240 (uint8)').toString('hex')],
  ['option[routers].text', Buffer.from('type=003, len=008: 198.18.0.1 198.18.0.2').toString('hex')],
  ['option[43].option[1].hex', '616263'],
  ['option[43].option[2].hex', '0102'],
  ['option[43].option[3].hex', ''],
  ['relay4[1].hex', Buffer.from('eth0/1').toString('hex')],
  ['relay4[2].hex', 'aabbcc'],
  ['relay4[9].hex', ''],
  ['pkt.iface', Buffer.from('eth0').toString('hex')],
  ['pkt.src', 'c6120101'],
  ['pkt.dst', 'c6120001'],
  ['pkt.len', '0000012c'],
  ['pkt4.mac', '020000000001'],
  ['pkt4.hlen', '00000006'],
  ['pkt4.htype', '00000001'],
  ['pkt4.ciaddr', 'c6120007'],
  ['pkt4.giaddr', 'c6120101'],
  ['pkt4.yiaddr', '00000000'],
  ['pkt4.siaddr', 'c6120001'],
  ['pkt4.msgtype', '00000001'],
  ['pkt4.transid', '00003039'],
  ['vendor.enterprise', '0000118b'],
  ['vendor[4491].option[1].hex', Buffer.from('docsis3.0').toString('hex')],
  ['vendor[4491].option[2].hex', '0a0b'],
  ['vendor[9].option[1].hex', ''],
  ['vendor-class.enterprise', '0000118b'],
  // Kea's tuple is the block's whole vendor-class-data, its inner length bytes included.
  ['vendor-class[4491].data', `09${Buffer.from('docsis3.0').toString('hex')}0178`],
  ['vendor-class[4491].data[1]', ''],
  ['vendor-class[4491].data[3]', ''],
  ['vendor-class[*].data', `09${Buffer.from('docsis3.0').toString('hex')}0178`],
  // Operators (classify.rst "List of classification expressions" and Kea's token tests).
  ["substring('foobar',0,3)", Buffer.from('foo').toString('hex')],
  ["substring('foobar',4,-2)", Buffer.from('ob').toString('hex')],
  ["substring('foobar',-1,all)", Buffer.from('r').toString('hex')],
  ["substring('foobar',1,-4)", Buffer.from('f').toString('hex')],
  ["substring('foobar',10,1)", ''],
  ["substring('',0,all)", ''],
  ["concat('foo','bar')", Buffer.from('foobar').toString('hex')],
  ["'foo' + 'bar' + 'baz'", Buffer.from('foobarbaz').toString('hex')],
  ["ifelse(option[12].exists, 'yes', 'no')", Buffer.from('yes').toString('hex')],
  ["ifelse(option[99].exists, 'yes', 'no')", Buffer.from('no').toString('hex')],
  ["hexstring(0x010203, ':')", Buffer.from('01:02:03').toString('hex')],
  ["hexstring(pkt4.mac, '-')", Buffer.from('02-00-00-00-00-01').toString('hex')],
  ["split('one.two..four', '.', 4)", Buffer.from('four').toString('hex')],
  ["split('one.two..four', '.', 3)", ''],
  ["split('one.two..four', '.', 5)", ''],
  ["split('one.two', '', 1)", Buffer.from('one.two').toString('hex')],
  ["split(option[60].hex, ':', 3)", Buffer.from('00007').toString('hex')],
  ["lcase('LaPtOp')", Buffer.from('laptop').toString('hex')],
  ['ucase(option[12].hex)', Buffer.from('LAPTOP-7').toString('hex')],
  ['addrtotext(pkt4.giaddr)', Buffer.from('198.18.1.1').toString('hex')],
  ['addrtotext(0xc6120001)', Buffer.from('198.18.0.1').toString('hex')],
  ['int8totext(0xff)', Buffer.from('-1').toString('hex')],
  ['uint8totext(0xff)', Buffer.from('255').toString('hex')],
  ['int16totext(0xfffe)', Buffer.from('-2').toString('hex')],
  ['uint16totext(option[93].hex)', Buffer.from('7').toString('hex')],
  ['int32totext(0xffffffff)', Buffer.from('-1').toString('hex')],
  ['uint32totext(pkt4.transid)', Buffer.from('12345').toString('hex')],
  ['uint32totext(option[99].hex)', ''],
  ['(option[12].hex)', Buffer.from('Laptop-7').toString('hex')],
];

test("Kea's documented values and operators give Kea's results", () => {
  for (const [expr, expected] of VALUES) assert.equal(valueHex(expr), expected, expr);
});

// [expression, expected truth] on the sample packet.
const TESTS: [string, boolean][] = [
  ["'foo' == 'bar'", false],
  ["'foo' == 'foo'", true],
  ["not ('foo' == 'bar')", true],
  ["('foo' == 'bar') and ('bar' == 'foo')", false],
  ["('foo' == 'bar') or ('bar' == 'bar')", true],
  ['option[12].exists', true],
  ['option[99].exists', false],
  ['option[43].option[1].exists', true],
  ['option[43].option[7].exists', false],
  ['option[99].option[1].exists', false],
  ['relay4[1].exists', true],
  ['relay4[5].exists', false],
  ['vendor[*].exists', true],
  ['vendor[4491].exists', true],
  ['vendor[0].exists', true],
  ['vendor[1234].exists', false],
  ['vendor[4491].option[1].exists', true],
  ['vendor[4491].option[3].exists', false],
  ['vendor-class[*].exists', true],
  ['vendor-class[4491].exists', true],
  ['vendor-class[1].exists', false],
  ["substring(option[60].hex,0,9) == 'PXEClient'", true],
  ["option[60].text == 'PXEClient'", false],
  ['option[93].hex == 0x0007', true],
  ['pkt4.msgtype == 1', true],
  ['pkt4.msgtype == 3', false],
  ['pkt4.htype == 0x00000001', true],
  ['pkt4.giaddr == 198.18.1.1', true],
  ["pkt.iface == 'eth0'", true],
  ["member('ALL')", true],
  ["member('KNOWN')", false],
  ['known', false],
  ['unknown', true],
  ["not member('ALL') or option[12].exists", true],
  // `and` binds tighter than `or` (Kea's %left order).
  ["'a' == 'b' and 'a' == 'b' or 'a' == 'a'", true],
  ["'a' == 'a' or 'a' == 'b' and 'a' == 'b'", true],
  ["not 'a' == 'b' and 'a' == 'a'", true],
  ["'a' + 'b' == 'ab'", true],
  ["('a' == 'a') sand ('b' == 'b')", true],
  ["('a' == 'b') sor ('b' == 'b')", true],
  ["hexstring(pkt4.mac, ':') == '02:00:00:00:00:01'", true],
  ['substring(relay4[2].hex, 0, 1) == 0xaa', true],
  // Equality with a constant takes byte-level shortcuts; they must agree with Kea's string semantics.
  ["'PXEClient' == substring(option[60].hex,0,9)", true],
  ["substring(option[60].hex,-6,all) == '003016'", true],
  ["substring(option[60].hex,-6,-3) == ':00007:UN'", false],
  ["substring(option[60].hex,-6,-3) == 'DI:'", true],
  ["substring(option[60].hex,10,-4) == 'ent:'", true],
  ["substring(option[99].hex,0,all) == ''", true],
  ["hexstring(pkt4.mac, ':') == '02:00:00:00:00:0'", false],
  ["hexstring(pkt4.mac, ':') == '02:00:00:00:00:01:'", false],
  ["hexstring(pkt4.mac, ':') == '02:00:00:00:00:0G'", false],
  ["hexstring(pkt4.mac, '') == '020000000001'", true],
  ["hexstring(pkt4.mac, '') == '02000000000'", false],
  ["hexstring(substring(pkt4.mac,0,3), '-') == '02-00-00'", true],
  ["hexstring(option[99].hex, ':') == ''", true],
  // Kea's hexstring writes lower-case digits: an upper-case constant never matches.
  ["hexstring(0xAB, '') == 'AB'", false],
  ['pkt4.mac == 0x020000000001', true],
];

test('boolean expressions: logic, precedence, existence of options, sub-options and vendor data', () => {
  for (const [expr, expected] of TESTS) assert.equal(truth(expr), expected, expr);
});

test('member() sees the classes assigned so far; KNOWN makes known true', () => {
  const p = samplePacket(['KNOWN', 'phones']);
  assert.equal(truth("member('phones')", p), true);
  assert.equal(truth('known', p), true);
  assert.equal(truth('unknown', p), false);
  assert.deepEqual(compileBoolExpression("member('a') or known").members, ['a', 'KNOWN']);
});

test('a packet without the options reads empty strings and false, never throws', () => {
  const bare: EvalPacket = {
    msg: createMessage({ chaddr: hex('020000000002') }),
    iface: 'eth1',
    src: '0.0.0.0',
    dst: '255.255.255.255',
    length: 240,
    classes: new Set(),
  };
  for (const [expr] of TESTS) assert.equal(typeof truth(expr, bare), 'boolean', expr);
  assert.equal(valueHex('pkt4.msgtype', bare), '00000000');
  assert.equal(valueHex('vendor.enterprise', bare), '');
  assert.equal(valueHex('vendor-class[4491].data', bare), '');
});

test("option[N].text of non-string options is Kea 2.2's text form of the option", () => {
  // What kea-dhcp4 2.2.0 pushed for `option[N].text` (eval debug log, one DISCOVER on loopback with
  // these options): Kea's toString() is the option's toText() except for string options.
  const p = samplePacket();
  const o = p.msg.options;
  const kea: [number, number[], string][] = [
    [54, [127, 0, 0, 1], 'type=054, len=004: 127.0.0.1 (ipv4-address)'],
    [57, [5, 220], 'type=057, len=002: 1500 (uint16)'],
    [55, [1, 3, 6], 'type=055, len=003: 1(uint8) 3(uint8) 6(uint8)'],
    [51, [0, 0, 14, 16], 'type=051, len=004: 3600 (uint32)'],
    [19, [1], 'type=019, len=001: true (boolean)'],
    [3, [127, 0, 0, 1, 127, 0, 0, 2], 'type=003, len=008: 127.0.0.1 127.0.0.2'],
    [61, [1, 2, 0, 0, 0, 0, 1], 'type=061, len=007: 01:02:00:00:00:00:01'],
    [93, [0, 7], 'type=093, len=002: 7(uint16)'],
    [33, [10, 0, 0, 0, 127, 0, 0, 1], 'type=033, len=008: 10.0.0.0 127.0.0.1'],
    [2, [255, 255, 241, 240], 'type=002, len=004: -3600 (int32)'],
    [26, [5, 120], 'type=026, len=002: 1400 (uint16)'],
    [23, [64], 'type=023, len=001: 64 (uint8)'],
    [43, [1, 1, 0x61], 'type=043, len=003: 01:01:61'],
    [12, [...ascii('host')], 'host'],
    [121, [24, 198, 18, 1, 198, 18, 0, 1], 'type=121, len=008: 18:c6:12:01:c6:12:00:01'],
    // Option 81: ASCII (E=0) and wire (E=1) names, full and partial, lower-cased as Kea prints them.
    [
      81,
      [0, 0, 0, 1, 0x61, 7, ...ascii('example'), 0],
      "type=81 (CLIENT_FQDN), flags: (N=0, E=0, O=0, S=0), domain-name='\\001a\\007example\\000' (partial)",
    ],
    [
      81,
      [5, 0, 0, 1, 0x41, 7, ...ascii('example'), 0],
      "type=81 (CLIENT_FQDN), flags: (N=0, E=1, O=0, S=1), domain-name='a.example.' (full)",
    ],
    [81, [4, 0, 0, 1, 0x61], "type=81 (CLIENT_FQDN), flags: (N=0, E=1, O=0, S=0), domain-name='a' (partial)"],
    [
      81,
      [1, 0, 0, ...ascii('Host.Example')],
      "type=81 (CLIENT_FQDN), flags: (N=0, E=0, O=0, S=1), domain-name='host.example' (partial)",
    ],
  ];
  for (const [code, bytes, text] of kea) {
    o.setRaw(code, Uint8Array.from(bytes));
    assert.equal(compileStringExpression(`option[${code}].text`).evaluate(p), text, `option ${code}`);
    assert.equal(truth(`option[${code}].text == '${text.replace(/'/g, '')}'`, p), !text.includes("'"));
  }
  // Option 82's sub-options are generic options in Kea: their text is the hex form, by sub-option code.
  const relay = (n: number): string => compileStringExpression(`relay4[${n}].text`).evaluate(p);
  assert.equal(relay(1), 'type=001, len=006: 65:74:68:30:2f:31');
  assert.equal(relay(2), 'type=002, len=003: aa:bb:cc');
  assert.equal(relay(9), '');
  assert.equal(truth("relay4[2].text == 'type=002, len=003: aa:bb:cc'", p), true);
  // Bytes Kea cannot read as the option's type fail the evaluation (Kea refuses the option).
  o.setRaw(54, Uint8Array.of(1, 2, 3));
  assert.throws(() => compileStringExpression('option[54].text').evaluate(p), EvaluationError);
  o.setRaw(81, Uint8Array.of(0x09, 0, 0));
  assert.throws(() => compileStringExpression('option[81].text').evaluate(p), EvaluationError);
});

test('options 124 and 125 with two enterprise blocks read as Kea 2.2 reads them', () => {
  // The values kea-dhcp4 2.2.0 pushed for these bytes (eval debug log, one DISCOVER on loopback): Kea
  // keeps the first block's enterprise number, so [E] matches the first block only; option 125's later
  // blocks are not seen; option 124's data[i] is the i-th block's whole data, whatever its enterprise.
  const p = samplePacket();
  p.msg.options.setRaw(
    124,
    Uint8Array.of(0, 0, 0, 9, 4, 3, ...ascii('abc'), 0, 0, 0, 0, 2, 1, ...ascii('z')),
  );
  p.msg.options.setRaw(125, Uint8Array.of(0, 0, 0, 9, 3, 1, 1, 0x61, 0, 0, 0x11, 0x8b, 3, 1, 1, 0x62));
  assert.equal(truth('vendor[9].exists', p), true);
  assert.equal(truth('vendor[4491].exists', p), false);
  assert.equal(truth('vendor[*].exists', p), true);
  assert.equal(valueHex('vendor.enterprise', p), '00000009');
  assert.equal(valueHex('vendor[9].option[1].hex', p), '61');
  assert.equal(valueHex('vendor[4491].option[1].hex', p), '');
  assert.equal(truth('vendor[4491].option[1].exists', p), false);
  assert.equal(truth('vendor-class[9].exists', p), true);
  assert.equal(truth('vendor-class[4491].exists', p), false);
  assert.equal(valueHex('vendor-class[*].data', p), '03616263');
  assert.equal(valueHex('vendor-class[9].data[1]', p), '017a');
  assert.equal(valueHex('vendor-class[9].data[2]', p), '');
  assert.equal(valueHex('vendor-class[4491].data', p), '');
  // The same blocks the other way round: now only 4491 matches, and its sub-option is seen.
  p.msg.options.setRaw(125, Uint8Array.of(0, 0, 0x11, 0x8b, 3, 1, 1, 0x62, 0, 0, 0, 9, 3, 1, 1, 0x61));
  assert.equal(truth('vendor[9].exists', p), false);
  assert.equal(truth('vendor[4491].exists', p), true);
  assert.equal(valueHex('vendor[4491].option[1].hex', p), '62');
  assert.equal(valueHex('vendor[9].option[1].hex', p), '');
  // `.text` of a vendor sub-option: Kea's DOCSIS definitions for 4491, else the generic hex form.
  const text = (expr: string): string => compileStringExpression(expr).evaluate(p);
  p.msg.options.setRaw(125, Uint8Array.of(0, 0, 0x11, 0x8b, 13, 1, 1, 98, 2, 4, 198, 18, 0, 1, 3, 2, 65, 66));
  assert.equal(text('vendor[4491].option[1].text'), 'type=001, len=001: 98(uint8)');
  assert.equal(text('vendor[4491].option[2].text'), 'type=002, len=004: 198.18.0.1');
  assert.equal(text('vendor[*].option[2].text'), 'type=002, len=004: 198.18.0.1');
  assert.equal(text('vendor[4491].option[3].text'), 'type=003, len=002: 41:42');
  p.msg.options.setRaw(125, Uint8Array.of(0, 0, 0, 9, 3, 1, 1, 0x61));
  assert.equal(text('vendor[9].option[1].text'), 'type=001, len=001: 61');
  assert.equal(text('vendor[*].option[1].text'), 'type=001, len=001: 61');
});

test('malformed sub-option and vendor bytes read as absent', () => {
  const p = samplePacket();
  p.msg.options.setRaw(43, hex('0109ff'));
  p.msg.options.setRaw(125, hex('0000118b09'));
  p.msg.options.setRaw(124, hex('0000118b05 09'));
  assert.equal(truth('option[43].option[1].exists', p), false);
  assert.equal(truth('vendor[4491].exists', p), false);
  assert.equal(valueHex('vendor-class[4491].data', p), '');
});

test('an operator given the wrong size fails that evaluation (Kea EvalTypeError)', () => {
  const f = compileStringExpression('int16totext(0x010203)');
  assert.throws(() => f.evaluate(P), EvaluationError);
  assert.throws(() => compileStringExpression('addrtotext(0x0102)').evaluate(P), EvaluationError);
});

test('refused at load with the offending token and its offset', () => {
  const cases: [string, string, string][] = [
    ["option[12].hex == 'a' xor 1", 'xor', 'unknown word'],
    ["match('^a', 'abc')", 'match', 'not supported'],
    ['pkt6.msgtype == 1', 'pkt6', 'DHCPv6'],
    ['option[300].exists', '300', 'option code must be 1..254'],
    ['option[no-such-option].exists', 'no-such-option', 'unknown option name'],
    ["'a' == ", '', 'unexpected end'],
    ["'abc", "'abc", 'unterminated string'],
    ['option[12].hex', '', 'must be a boolean'],
    ["'a' and 'b'", 'a', 'expected a boolean'],
    ["option[12].exists == 'true'", 'option', 'expected a string'],
    ["substring('a', x, 1) == 'a'", 'x', 'unknown word'],
    ['pkt4.foo == 1', 'foo', 'unknown word'],
    ['pkt4.len == 1', 'len', 'expected mac'],
    ["'a' == 'a' )", ')', 'unexpected token'],
    ['vendor-class[4491].data[256] == 0x00', '256', 'data index'],
    // Kea 2.2's grammar has only vendor.enterprise and one sub-option level under vendor[E].
    ['vendor[*].enterprise == 0x00', 'enterprise', 'expected exists or option'],
    ['vendor-class[9].enterprise == 0x00', 'enterprise', 'expected exists or data'],
    ["vendor[9].option[1].option[2].hex == 'a'", 'option', 'expected hex, text or exists'],
    ['4294967296 == 1', '4294967296', '0..4294967295'],
  ];
  for (const [expr, token, reason] of cases) {
    assert.throws(
      () => compileBoolExpression(expr),
      (err: unknown) => {
        assert.ok(err instanceof ExpressionError, expr);
        assert.equal(err.token, token, expr);
        assert.match(err.message, new RegExp(reason), expr);
        return true;
      },
    );
  }
  assert.throws(() => compileBoolExpression('x'.repeat(5000)), /longer than/);
  // Deep nesting is refused at load, not a stack overflow: parsing and evaluation recurse per level.
  const deep = `${'('.repeat(1000)}'a' == 'a'${')'.repeat(1000)}`;
  assert.throws(
    () => compileBoolExpression(deep),
    (e: unknown) => e instanceof ExpressionError && /nested deeper/.test(e.message),
  );
  const calls = `${'lcase('.repeat(500)}'A'${')'.repeat(500)} == 'a'`;
  assert.throws(() => compileBoolExpression(calls), ExpressionError);
  assert.equal(compileBoolExpression(`${'('.repeat(30)}'a' == 'a'${')'.repeat(30)}`).evaluate(P), true);
});

test("member() of a class not defined before is refused, as Kea's parser does", () => {
  const env = { isClass: (n: string) => n === 'ALL' || n === 'voip' };
  assert.equal(compileBoolExpression("member('voip')", env).evaluate(samplePacket(['voip'])), true);
  assert.throws(() => compileBoolExpression("member('later')", env), /not defined before/);
});

test('custom option names resolve through the environment', () => {
  const env = { optionCode: (n: string) => (n === 'my-opt' ? 222 : undefined) };
  const p = samplePacket();
  p.msg.options.setRaw(222, ascii('hi'));
  assert.equal(compileBoolExpression("option[my-opt].hex == 'hi'", env).evaluate(p), true);
});

test('non-ASCII literals compare as their UTF-8 bytes', () => {
  const p = samplePacket();
  p.msg.options.setRaw(12, Uint8Array.from(Buffer.from('café', 'utf8')));
  assert.equal(truth("option[12].hex == 'café'", p), true);
});

test('the options a test needs: absent, the test is false without being evaluated', () => {
  const needs = (e: string): readonly number[] => compileBoolExpression(e, { isClass: () => true }).needs;
  assert.deepEqual(
    needs("substring(option[60].hex,0,9) == 'PXEClient' and option[93].hex == 0x0007"),
    [60, 93],
  );
  assert.deepEqual(needs("hexstring(relay4[1].hex, ':') == '61:62'"), [82]);
  assert.deepEqual(needs('vendor[4491].exists or vendor[*].option[1].exists'), [125]);
  assert.deepEqual(needs('option[12].exists or pkt4.msgtype == 1'), []);
  // An `or` of two sides that each need an option: one of them must be there.
  const anyOf = (e: string): readonly (readonly number[])[] =>
    compileBoolExpression(e, { isClass: () => true }).needsAnyOf;
  assert.deepEqual(anyOf('vendor-class[4491].exists or vendor[4491].exists'), [[124, 125]]);
  assert.deepEqual(anyOf("option[60].hex == 'a' or (option[77].exists and option[93].exists)"), [[60, 77]]);
  assert.deepEqual(anyOf('(option[1].exists or option[2].exists) and option[3].exists'), [[1, 2]]);
  assert.deepEqual(anyOf('option[12].exists or pkt4.msgtype == 1'), []);
  assert.deepEqual(anyOf('not (option[1].exists or option[2].exists)'), []);
  const docsis = compileBoolExpression('vendor-class[4491].exists or vendor[4491].exists');
  const q = samplePacket();
  assert.equal(docsis.evaluate(q), true);
  // Compared with '' the option is not needed: its absence makes the comparison true.
  assert.deepEqual(needs("option[12].hex == ''"), []);
  assert.deepEqual(needs('not option[12].exists'), []);
  // lcase, ucase and split of '' are '': an absent option still makes a non-empty comparison false.
  assert.deepEqual(needs("lcase(option[60].hex) == 'x'"), [60]);
  assert.deepEqual(needs("ucase(substring(option[60].hex,0,4)) == 'MSFT'"), [60]);
  assert.deepEqual(needs("split(option[host-name].text, '-', 1) == 'lab'"), [12]);
  assert.deepEqual(needs("split(option[host-name].text, '-', 1) == ''"), []);
  assert.deepEqual(needs("concat(option[12].hex, 'x') == 'x'"), []);
  // ... and the closure agrees: without the option the comparison is false.
  const p = samplePacket();
  p.msg.options.delete(12);
  p.msg.options.delete(60);
  assert.equal(compileBoolExpression("split(option[host-name].text, '-', 1) == 'lab'").evaluate(p), false);
  assert.equal(compileBoolExpression("lcase(option[60].hex) == 'x'").evaluate(p), false);
});
