// libdhcp_flex_option.so built in: add, supersede and remove reply options by expressions on the request,
// with Kea's parameters; the library accepted from any directory; configuration errors by their JSON path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../src/config/compile.ts';
import { MessageType } from '../../src/protocol/index.ts';
import { Lab, basicConfig, msg } from '../server/harness.ts';

const LIB = '/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_flex_option.so';
const PRL = { 'dhcp-parameter-request-list': [1, 3, 6, 15, 66, 67] };

function withFlex(options: unknown[], extra: Record<string, unknown> = {}): unknown {
  return {
    Dhcp4: {
      ...basicConfig.Dhcp4,
      'option-data': [
        { name: 'domain-name-servers', data: '198.18.0.53' },
        { name: 'domain-name', data: 'lab.example' },
        { name: 'tftp-server-name', data: 'tftp.lab.example' },
      ],
      'hooks-libraries': [{ library: LIB, parameters: { options } }],
      ...extra,
    },
  };
}

function issuesOf(json: unknown): string[] {
  const r = parseConfig(json);
  assert.equal(r.ok, false, 'expected the config to be rejected');
  return r.ok ? [] : r.error.issues.map((i) => `${i.path}: ${i.message}`);
}

test("Kea's documented example: boot-file-name from the host name, only when the request has one", async () => {
  const lab = new Lab(
    withFlex([
      { code: 67, add: "ifelse(option[host-name].exists,concat(option[host-name].text,'.boot'),'')" },
    ]),
  );
  const named = await lab.dora('02:00:00:00:00:01', { options: { ...PRL, 'host-name': 'pc7' } });
  assert.equal(named.message.options.get('boot-file-name'), 'pc7.boot');
  const offer = await lab.one(
    msg(MessageType.DISCOVER, '02:00:00:00:00:03', { options: { ...PRL, 'host-name': 'pc9' } }),
  );
  assert.equal(offer.message.options.get('boot-file-name'), 'pc9.boot', 'applied to the OFFER too');
  const plain = await lab.dora('02:00:00:00:00:02', { options: PRL });
  assert.equal(plain.message.options.get('boot-file-name'), undefined, 'an empty value adds nothing');
});

test('add leaves a configured option alone; supersede replaces it; remove drops it when true', async () => {
  const lab = new Lab(
    withFlex([
      { name: 'domain-name', add: "'never.example'" },
      { name: 'tftp-server-name', supersede: "concat('tftp-', substring(option[host-name].text,0,3))" },
      { name: 'domain-name-servers', remove: "option[host-name].text == 'nodns'" },
      { code: 3, remove: "pkt4.giaddr == 0.0.0.0 and option[host-name].text == 'nodns'" },
    ]),
  );
  const a = await lab.dora('02:00:00:00:00:01', { options: { ...PRL, 'host-name': 'abcdef' } });
  assert.equal(a.message.options.get('domain-name'), 'lab.example');
  assert.equal(a.message.options.get('tftp-server-name'), 'tftp-abc');
  assert.deepEqual(a.message.options.get('domain-name-servers'), ['198.18.0.53']);
  assert.deepEqual(a.message.options.get('routers'), ['198.18.0.1']);
  const b = await lab.dora('02:00:00:00:00:02', { options: { ...PRL, 'host-name': 'nodns' } });
  assert.equal(b.message.options.get('domain-name-servers'), undefined);
  assert.equal(b.message.options.get('routers'), undefined);
  assert.equal(b.message.options.get('tftp-server-name'), 'tftp-nod');
});

test('csv-format parses the value by the option definition; raw values are bytes; client-class guards an entry', async () => {
  const lab = new Lab(
    withFlex(
      [
        {
          name: 'ntp-servers',
          supersede: "ifelse(member('phones'), '198.18.0.123, 198.18.0.124', '')",
          'csv-format': true,
        },
        { code: 224, add: '0x0102ff', 'client-class': 'phones' },
        { code: 225, add: "'not a phone'", 'client-class': 'phones' },
        { name: 'interface-mtu', add: "'1500'", 'csv-format': true },
      ],
      { 'client-classes': [{ name: 'phones', test: "substring(option[60].hex,0,6) == 'Aastra'" }] },
    ),
  );
  const phone = await lab.dora('02:00:00:00:00:01', {
    options: { 'vendor-class-identifier': 'Aastra6731i', 'dhcp-parameter-request-list': [42, 26, 224, 225] },
  });
  assert.deepEqual(phone.message.options.get('ntp-servers'), ['198.18.0.123', '198.18.0.124']);
  assert.deepEqual([...(phone.message.options.getRaw(224) ?? [])], [1, 2, 255]);
  assert.equal(phone.message.options.get('interface-mtu'), 1500);
  const pc = await lab.dora('02:00:00:00:00:02', { options: { 'dhcp-parameter-request-list': [42, 224] } });
  assert.equal(pc.message.options.get('ntp-servers'), undefined);
  assert.equal(pc.message.options.getRaw(224), undefined, 'the class guard skips the entry');
  assert.equal(pc.message.options.get('interface-mtu'), 1500);
});

test('a value that does not parse by its definition, or fails to evaluate, changes nothing; the reply goes out', async () => {
  const lab = new Lab(
    withFlex([
      { name: 'interface-mtu', add: 'option[host-name].text', 'csv-format': true },
      { name: 'domain-name', supersede: 'int16totext(option[host-name].hex)' },
    ]),
  );
  const ack = await lab.dora('02:00:00:00:00:01', { options: { ...PRL, 'host-name': 'abc' } });
  assert.equal(ack.message.options.get('interface-mtu'), undefined);
  assert.equal(ack.message.options.get('domain-name'), 'lab.example');
});

test('the library is accepted from any directory, with other built-in hooks; others are refused by name', () => {
  for (const library of [LIB, 'libdhcp_flex_option.so', '/opt/kea/lib/kea/hooks/libdhcp_flex_option.so']) {
    const r = parseConfig({ Dhcp4: { 'hooks-libraries': [{ library, parameters: { options: [] } }] } });
    assert.ok(r.ok, library);
  }
  const refused = issuesOf({
    Dhcp4: { 'hooks-libraries': [{ library: '/usr/lib/kea/hooks/libdhcp_host_cache.so' }] },
  });
  assert.equal(refused.length, 1);
  assert.match(
    refused[0]!,
    /^Dhcp4\.hooks-libraries\[0\]\.library: "libdhcp_host_cache\.so" is not built in: only libdhcp_lease_cmds\.so, .*libdhcp_flex_option\.so/,
  );
  assert.deepEqual(
    issuesOf({ Dhcp4: { 'hooks-libraries': [{ library: '/usr/lib/libdhcp_flex_option.so.evil' }] } }).length,
    1,
  );
});

test('configuration errors name their JSON path', () => {
  const at = 'Dhcp4.hooks-libraries[0].parameters.options';
  assert.deepEqual(
    issuesOf(
      withFlex([
        { code: 67, add: "'a'", remove: 'true' },
        { name: 'no-such-option', add: "'a'" },
        { code: 67, name: 'domain-name', add: "'a'" },
        { code: 53, supersede: '0x05' },
        { code: 255, add: "'a'" },
        { code: 67, add: "option[60].hex == 'x'" },
        { code: 67, remove: "'text'" },
        { code: 67, add: "match('a', 'b')" },
        { code: 43, 'sub-options': [] },
        { code: 224, add: "'a'", 'csv-format': true },
      ]),
    ),
    [
      `${at}[0]: exactly one of add, supersede, remove is needed (got 2)`,
      `${at}[1].name: no known option "no-such-option"`,
      `${at}[2]: option "domain-name" is code 15, not 67`,
      `${at}[3]: option 53 is set by the server itself`,
      `${at}[4].code: option 255 is reserved`,
      `${at}[5].add: "option[60].hex == 'x'": expected a string expression at offset 0`,
      `${at}[6].remove: "'text'": a test must be a boolean expression (e.g. a comparison with ==) at offset 0`,
      `${at}[7].add: "match('a', 'b')": regular expressions (match) are not supported at offset 0 ("match")`,
      `${at}[8].sub-options: sub-option actions are not supported; act on the whole option`,
      `${at}[9].csv-format: no known option with code 224 to parse the value with`,
    ],
  );
  assert.deepEqual(issuesOf(withFlex([{ code: 67, add: "'a'", typo: 1 }])), [
    `${at}[0]: Unrecognized key: "typo"`,
  ]);
});

test('flex options alone do not classify: leases and log lines carry no classes, as in Kea 2.2', async () => {
  // kea-dhcp4 2.2.0 keeps no classes in a lease (lease4-get-all on loopback: no user-context, with
  // classes matching); leasekeeper records them only where the configuration uses classes itself.
  const lab = new Lab(withFlex([{ code: 67, add: "concat(option[host-name].text,'.boot')" }]));
  assert.equal(lab.engine.currentConfig.classifies, false, 'nothing reads a class');
  const ack = await lab.dora('02:00:00:00:00:01', { options: { ...PRL, 'host-name': 'pc7' } });
  assert.equal(ack.message.options.get('boot-file-name'), 'pc7.boot');
  assert.equal((await lab.store.get(ack.message.yiaddr))?.userContext ?? null, null);
  assert.doesNotMatch(lab.lastEvent(), /classes/);

  // An entry that reads classes (built-ins only) classifies the request, and still records nothing.
  const reading = new Lab(withFlex([{ code: 67, add: "ifelse(unknown, 'new.boot', 'known.boot')" }]));
  assert.equal(reading.engine.currentConfig.classifies, true);
  const first = await reading.dora('02:00:00:00:00:02', { options: PRL });
  assert.equal(first.message.options.get('boot-file-name'), 'new.boot');
  assert.equal((await reading.store.get(first.message.yiaddr))?.userContext ?? null, null);
  assert.doesNotMatch(reading.lastEvent(), /classes/);
});
