/**
 * Kea's own example configurations for classification and vendor options load unchanged, and each class
 * in them is assigned to a test packet as Kea would assign it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { stripKeaComments, dropTrailingCommas, parseConfigText } from '../../src/config/text.ts';
import { MessageType } from '../../src/protocol/index.ts';
import type { ArrivalMeta } from '../../src/server/index.ts';
import { ETH0, Lab, msg } from '../server/harness.ts';

function example(name: string): unknown {
  const text = readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8');
  const r = parseConfigText(text);
  assert.ok(r.ok, r.ok ? '' : `${name}: ${r.error.message}`);
  return JSON.parse(dropTrailingCommas(stripKeaComments(text))) as unknown;
}

const ETH1: ArrivalMeta = { ...ETH0, interface: 'eth1' };
const AASTRA = { 'vendor-class-identifier': 'Aastra6731i' };
const PRL = { 'dhcp-parameter-request-list': [1, 3, 6, 43, 125] };

function classesOf(lab: Lab): string {
  return /classes \[([^\]]*)\]/.exec(lab.lastEvent())?.[1] ?? '';
}

test('classify.json: special_snowflake, discovers, broken and VoIP as Kea assigns them', async () => {
  const lab = new Lab(example('classify'));
  // special_snowflake: its MAC gets its DNS server.
  const snow = await lab.one(msg(MessageType.DISCOVER, '01:02:03:04:05:06', { options: PRL }));
  assert.deepEqual(snow.message.options.get('domain-name-servers'), ['127.0.0.1']);
  assert.equal(classesOf(lab), 'special_snowflake, discovers, UNKNOWN');
  // broken: transaction id 0; discovers: only DISCOVERs.
  await lab.one(msg(MessageType.DISCOVER, '02:00:00:00:00:01', { xid: 0 }));
  assert.equal(classesOf(lab), 'discovers, broken, UNKNOWN');
  // VoIP: an Aastra phone gets the VoIP subnet and its boot fields; others get the second subnet.
  const phone = await lab.dora('02:00:00:00:00:02', { options: AASTRA });
  assert.match(phone.message.yiaddr, /^192\.0\.2\./);
  assert.equal(phone.message.siaddr, '192.0.2.254');
  assert.equal(phone.message.sname, 'hal9000');
  assert.equal(phone.message.file, '/dev/null');
  assert.equal(classesOf(lab), 'VENDOR_CLASS_Aastra6731i, VoIP, UNKNOWN');
  const pc = await lab.dora('02:00:00:00:00:03');
  assert.match(pc.message.yiaddr, /^192\.0\.3\./);
  assert.equal(pc.message.file, '');
  // The reservation in the second subnet assigns VoIP: its boot fields, in that subnet.
  const reserved = await lab.dora('1a:1b:1c:1d:1e:1f');
  assert.match(reserved.message.yiaddr, /^192\.0\.3\./);
  assert.equal(reserved.message.sname, 'hal9000');
  assert.equal(classesOf(lab), 'VoIP, KNOWN');
  // On eth1 the VoIP pool is the phones', the other pool everyone else's.
  assert.match(
    (await lab.dora('02:00:00:00:00:04', { options: AASTRA }, ETH1)).message.yiaddr,
    /^192\.0\.4\./,
  );
  assert.match((await lab.dora('02:00:00:00:00:05', {}, ETH1)).message.yiaddr, /^192\.0\.5\./);
});

test('classify2.json: additional class of the second subnet, VoIP_host after the host lookup, KNOWN/UNKNOWN pools', async () => {
  const lab = new Lab(example('classify2'));
  // second_subnet is only-in-additional-list: evaluated for the second subnet's clients only.
  const pc = await lab.one(msg(MessageType.DISCOVER, '02:00:00:00:00:03', { options: PRL }));
  assert.match(pc.message.yiaddr, /^192\.0\.3\./);
  assert.deepEqual(pc.message.options.get('domain-name-servers'), ['127.0.0.1']);
  assert.equal(classesOf(lab), 'discovers, UNKNOWN, second_subnet');
  const phone = await lab.one(
    msg(MessageType.DISCOVER, '02:00:00:00:00:02', { options: { ...AASTRA, ...PRL } }),
  );
  assert.equal(phone.message.options.get('domain-name-servers'), undefined);
  assert.equal(classesOf(lab), 'VENDOR_CLASS_Aastra6731i, discovers, VoIP, UNKNOWN');
  // VoIP_host (VoIP and KNOWN): the second subnet's reservation assigns VoIP; its test runs after the
  // host lookup. (The same MAC as an Aastra phone lands in the first subnet, where it has no reservation.)
  await lab.one(msg(MessageType.DISCOVER, '1a:1b:1c:1d:1e:1f'));
  assert.equal(classesOf(lab), 'VoIP, discovers, KNOWN, VoIP_host, second_subnet');
  await lab.one(msg(MessageType.DISCOVER, '1a:1b:1c:1d:1e:1f', { options: AASTRA }));
  assert.equal(classesOf(lab), 'VENDOR_CLASS_Aastra6731i, discovers, VoIP, UNKNOWN');
  // The fourth subnet (relayed): reserved hosts get the KNOWN pool, others the UNKNOWN one.
  const relayed = { giaddr: '192.0.8.1' };
  assert.match((await lab.dora('00:00:00:11:22:33', relayed)).message.yiaddr, /^192\.0\.9\./);
  assert.match((await lab.dora('02:00:00:00:00:06', relayed)).message.yiaddr, /^192\.0\.8\./);
});

test('vendor-specific.json: VENDOR_CLASS_339 gets option 43 with its sub-options from space 339', async () => {
  const lab = new Lab(example('vendor-specific'));
  const ack = await lab.dora('02:00:00:00:00:01', { options: { 'vendor-class-identifier': '339' } });
  const dls = [...Buffer.from('sdlp://192.0.2.11:18443')];
  assert.deepEqual([...(ack.message.options.getRaw(43) ?? [])], [2, 4, 0, 0, 0, 123, 3, dls.length, ...dls]);
  assert.equal(classesOf(lab), 'VENDOR_CLASS_339, UNKNOWN');
  // The example's pool is one address: another client is tried on a fresh server.
  const other = await new Lab(example('vendor-specific')).dora('02:00:00:00:00:02', {
    options: { 'vendor-class-identifier': '340' },
  });
  assert.equal(other.message.options.getRaw(43), undefined);
});

test('vivso.json: VENDOR_CLASS_339 gets option 125 for enterprise 339 with its sub-options', async () => {
  const lab = new Lab(example('vivso'));
  const ack = await lab.dora('02:00:00:00:00:01', { options: { 'vendor-class-identifier': '339' } });
  const dls = [...Buffer.from('sdlp://192.0.2.11:18443')];
  const body = [2, 4, 0, 0, 0, 123, 3, dls.length, ...dls];
  assert.deepEqual([...(ack.message.options.getRaw(125) ?? [])], [0, 0, 1, 0x53, body.length, ...body]);
  const other = await new Lab(example('vivso')).dora('02:00:00:00:00:02');
  assert.equal(other.message.options.getRaw(125), undefined);
});

test("Kea's text forms of standard records and option-def records (all-options.json's values)", () => {
  const r = parseConfigText(
    JSON.stringify({
      Dhcp4: {
        'option-def': [
          {
            name: 'my-lengthy-option',
            code: 224,
            type: 'record',
            'record-types': 'ipv4-address, psid, tuple, fqdn, string',
          },
        ],
        'option-data': [
          { name: 'slp-directory-agent', data: 'true, 192.0.2.59, 192.0.2.60' },
          { name: 'client-ndi', data: '0, 1, 0' },
          { name: 'uuid-guid', data: '0, 1A BB AD AB BA D0 00 00 00 00 00 00 00 00 CA FE' },
          { name: 'vivco-suboptions', data: '4491, 0f BA AD AB BA D0 00 00 00 00 00 00 00 00 CA FE' },
          { name: 'my-lengthy-option', data: '192.0.2.74, 3/4, 1, example.org, string' },
        ],
      },
    }),
  );
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  const hex = (code: number): string => Buffer.from(r.config.options.get(code)!.data).toString('hex');
  assert.equal(hex(78), '01c000023bc000023c');
  assert.equal(hex(94), '000100');
  const guid = `1abbadabbad0${'00'.repeat(8)}cafe`;
  assert.equal(hex(97), `00${guid}`);
  assert.equal(hex(124), `0000118b0fbaadabbad0${'00'.repeat(8)}cafe`);
  // ipv4-address, psid 3/4 (length 4, 3 left-aligned), tuple "1", fqdn, string.
  assert.equal(
    hex(224),
    `c000024a0430000131076578616d706c65036f726700${Buffer.from('string').toString('hex')}`,
  );
});
