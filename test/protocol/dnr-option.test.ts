/** Option 162 (RFC 9463 §5.1), its codec and Kea's text form of it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { definitionByCode, type DnrInstance } from '../../src/protocol/index.ts';
import { dnrText, parseDnrText } from '../../src/config/dnr-text.ts';
import { encodeOptionData } from '../../src/config/option-data.ts';

const codec = definitionByCode(162)!.codec;
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('DNR instances encode as RFC 9463 §5.1 lays them out and decode back', () => {
  const list: DnrInstance[] = [
    {
      priority: 1,
      adn: 'dot.example',
      addresses: ['198.18.0.53'],
      params: { alpn: ['dot'], port: 853 },
    },
    { priority: 2, adn: 'adn-only.example' },
  ];
  const bytes = codec.encode(list)!;
  const adn = '03646f74076578616d706c6500'; // dot.example
  // length, priority, ADN length + ADN, address length + address, alpn (key 1), port (key 3).
  const first = `0001 0d${adn} 04c6120035 0001000403646f74 000300020355`.replace(/ /g, '');
  assert.equal(
    hex(bytes).slice(0, 4 + first.length),
    `${(first.length / 2).toString(16).padStart(4, '0')}${first}`,
  );
  assert.deepEqual(codec.decode(bytes), list);
});

test('malformed DNR bytes do not decode', () => {
  const good = codec.encode([{ priority: 1, adn: 'a.example', addresses: ['198.18.0.1'] }])!;
  for (const cut of [1, 3, good.length - 1]) assert.equal(codec.decode(good.subarray(0, cut)), undefined);
  const oddAddresses = Uint8Array.from([0, 9, 0, 1, 3, 1, 97, 0, 3, 1, 2, 3]);
  assert.equal(codec.decode(oddAddresses), undefined);
  // SvcParamKeys out of order (port before alpn), and a key DNR does not carry (ipv4hint, 4).
  const params = (p: number[]): Uint8Array => {
    const body = [0, 1, 3, 1, 97, 0, 4, 198, 18, 0, 1, ...p];
    return Uint8Array.from([0, body.length, ...body]);
  };
  assert.ok(codec.decode(params([0, 1, 0, 4, 3, 100, 111, 116])));
  assert.equal(codec.decode(params([0, 3, 0, 2, 3, 85, 0, 1, 0, 4, 3, 100, 111, 116])), undefined);
  assert.equal(codec.decode(params([0, 4, 0, 4, 198, 18, 0, 1])), undefined);
  assert.equal(codec.decode(new Uint8Array(0)), undefined);
});

test("Kea's text form: instances by |, fields by comma, addresses and parameters by spaces, \\, escapes", () => {
  const data =
    '10, dot1.example.org., 198.18.0.3 198.18.0.4, alpn=dot\\,doq | 20, dot2.example.org., 198.18.0.5, alpn=h2 dohpath=/q{?dns} port=8443 | 30, only.example.';
  const list = parseDnrText(data);
  assert.deepEqual(list, [
    {
      priority: 10,
      adn: 'dot1.example.org.',
      addresses: ['198.18.0.3', '198.18.0.4'],
      params: { alpn: ['dot', 'doq'] },
    },
    {
      priority: 20,
      adn: 'dot2.example.org.',
      addresses: ['198.18.0.5'],
      params: { alpn: ['h2'], dohpath: '/q{?dns}', port: 8443 },
    },
    { priority: 30, adn: 'only.example.' },
  ]);
  const r = encodeOptionData({ name: 'v4-dnr', data });
  assert.ok(r.ok);
  // Decoded, the parameters come in key order (alpn, port, dohpath), names with their trailing dot.
  assert.equal(
    dnrText(codec.decode(r.option.data) as DnrInstance[]),
    '10, dot1.example.org., 198.18.0.3 198.18.0.4, alpn=dot\\,doq | 20, dot2.example.org., 198.18.0.5, alpn=h2 port=8443 dohpath=/q{?dns} | 30, only.example.',
  );
});

test('Kea text that is not a DNR option is refused with the reason', () => {
  const cases: [string, RegExp][] = [
    ['1', /priority, adn/],
    ['1, a.example, 198.18.0.1, alpn=dot, extra', /5 fields/],
    ['70000, a.example', /priority "70000"/],
    ['1, a.example, 198.18.0.256', /not an IPv4 address/],
    ['1, a.example, 198.18.0.1, ipv4hint=198.18.0.1', /must not be used in DNR/],
    ['1, a.example, 198.18.0.1, mandatory=alpn', /not one DNR carries/],
    ['1, a.example, 198.18.0.1, alpn=h2', /dohpath must be given/],
    ['1, a.example, 198.18.0.1, alpn=h2 dohpath=/q', /\{\?dns\}/],
    ['1, a.example, 198.18.0.1, port=1 port=2', /given twice/],
    ['1, a..example', /empty label/],
  ];
  for (const [data, re] of cases) {
    const r = encodeOptionData({ name: 'v4-dnr', data });
    assert.ok(!r.ok, data);
    assert.match(r.message, re, data);
  }
});
