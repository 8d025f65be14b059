// Kea's DDNS configuration: kea4/with-ddns.json loads (through the parser and `serve --test`), D2's
// examples load beside it where they describe what leasekeeper does and are refused by path where not, and
// bad keys are refused with their JSON path.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseConfig, toKeaJson } from '../../src/config/compile.ts';
import { dropTrailingCommas, parseConfigText, stripKeaComments } from '../../src/config/text.ts';
import { MAIN } from '../interop/harness.ts';
import { tempDir } from '../leases/tmp.ts';

const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url);
const jsonOf = (name: string) =>
  JSON.parse(dropTrailingCommas(stripKeaComments(readFileSync(fixture(name), 'utf8')))) as Record<
    string,
    unknown
  >;

test("Kea's with-ddns.json loads with its values", () => {
  const r = parseConfigText(readFileSync(fixture('kea4-with-ddns.json'), 'utf8'));
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  const b = r.config.subnets[0]!.ddns;
  assert.equal(b.sendUpdates, true);
  assert.equal(b.overrideNoUpdate, true);
  assert.equal(b.overrideClientUpdate, true);
  assert.equal(b.replaceClientName, 'when-present');
  assert.equal(b.generatedPrefix, 'test.prefix');
  assert.equal(b.qualifyingSuffix, 'test.suffix');
  assert.equal(b.conflictMode, 'check-with-dhcid');
  assert.equal(b.ttlPercent, 0.75);
  assert.equal(b.charSet, '[^A-Za-z0-9.-]');
  assert.equal(b.charReplacement, 'x');
  assert.equal(r.config.ddns.enabled, true);
  assert.equal(r.config.ddns.maxQueueSize, 2048);
});

test('serve --test accepts with-ddns.json and warns that it has no DhcpDdns domains', () => {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', MAIN, 'serve', '--config', fixture('kea4-with-ddns.json').pathname, '--test'],
    { encoding: 'utf8', timeout: 60_000 },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /configuration OK/);
  assert.match(r.stderr, /enable-updates: true, but no DhcpDdns forward-ddns\/reverse-ddns domain/);
});

test("D2's examples beside Dhcp4: template and comments load; sample1 and all-keys are refused only for what leasekeeper lacks", () => {
  const dhcp4 = jsonOf('kea4-with-ddns.json');
  for (const name of ['ddns-template.json', 'ddns-comments.json']) {
    const r = parseConfig({ ...dhcp4, ...jsonOf(name) });
    assert.ok(r.ok, `${name}: ${r.ok ? '' : r.error.message}`);
  }
  const comments = parseConfig({ ...dhcp4, ...jsonOf('ddns-comments.json') });
  assert.ok(comments.ok);
  assert.ok(comments.config.ddns.forward.length + comments.config.ddns.reverse.length > 0);

  const sample = jsonOf('ddns-sample1.json');
  const refused = parseConfig({ ...dhcp4, ...sample });
  assert.ok(!refused.ok);
  assert.deepEqual(
    refused.error.issues.map((i) => i.path),
    ['DhcpDdns.hooks-libraries'],
  );
  delete (sample['DhcpDdns'] as Record<string, unknown>)['hooks-libraries'];
  const rest = parseConfig({ ...dhcp4, ...sample });
  assert.ok(!rest.ok);
  assert.deepEqual(
    rest.error.issues.map((i) => i.path),
    ['DhcpDdns.tsig-keys[2].secret-file'],
  );
});

test('secret-file is read as Kea reads it', () => {
  const tmp = tempDir();
  try {
    const file = join(tmp.dir, 'secret');
    writeFileSync(file, 'LSWXnfkKZjdPJI5QxlpnfQ==\n');
    const r = parseConfig({
      Dhcp4: {},
      DhcpDdns: { 'tsig-keys': [{ name: 'k', algorithm: 'hmac-sha256', 'secret-file': file }] },
    });
    assert.ok(r.ok, r.ok ? '' : r.error.message);
  } finally {
    tmp.remove();
  }
});

test('bad DDNS keys are refused with their path', () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ Dhcp4: { 'ddns-replace-client-name': true } }, 'Dhcp4.ddns-replace-client-name'],
    [{ Dhcp4: { 'ddns-conflict-resolution-mode': 'maybe' } }, 'Dhcp4.ddns-conflict-resolution-mode'],
    [{ Dhcp4: { 'hostname-char-set': '[' } }, 'Dhcp4.hostname-char-set'],
    [
      { Dhcp4: { subnet4: [{ id: 1, subnet: '198.18.0.0/24', 'ddns-qualifying-suffix': 'a..b' }] } },
      'Dhcp4.subnet4[0].ddns-qualifying-suffix',
    ],
    [{ Dhcp4: { 'dhcp-ddns': { 'ncr-format': 'XML' } } }, 'Dhcp4.dhcp-ddns.ncr-format'],
    [
      { Dhcp4: {}, DhcpDdns: { 'tsig-keys': [{ name: 'k', algorithm: 'HMAC-SHA3', secret: 'AAAA' }] } },
      'DhcpDdns.tsig-keys[0].algorithm',
    ],
    [
      {
        Dhcp4: {},
        DhcpDdns: { 'tsig-keys': [{ name: 'k', algorithm: 'HMAC-SHA256', secret: 'not base64!' }] },
      },
      'DhcpDdns.tsig-keys[0].secret',
    ],
    [
      {
        Dhcp4: {},
        DhcpDdns: {
          'tsig-keys': [{ name: 'k', algorithm: 'HMAC-SHA256', secret: 'AAAA', 'digest-bits': 64 }],
        },
      },
      'DhcpDdns.tsig-keys[0].digest-bits',
    ],
    [
      {
        Dhcp4: {},
        DhcpDdns: {
          'forward-ddns': {
            'ddns-domains': [
              { name: 'a.', 'key-name': 'nope', 'dns-servers': [{ 'ip-address': '198.18.0.1' }] },
            ],
          },
        },
      },
      'DhcpDdns.forward-ddns.ddns-domains[0].key-name',
    ],
  ];
  for (const [json, path] of cases) {
    const r = parseConfig(json);
    assert.ok(!r.ok, `${path} should be refused`);
    assert.ok(
      r.error.issues.some((i) => i.path === path),
      `${path} not among ${JSON.stringify(r.error.issues)}`,
    );
  }
});

test('config-get returns DhcpDdns beside Dhcp4, so config-set of it keeps the domains', () => {
  const d2 = {
    'forward-ddns': {
      'ddns-domains': [{ name: 'example.com.', 'dns-servers': [{ 'ip-address': '198.18.0.1' }] }],
    },
  };
  const r = parseConfig({ Dhcp4: { 'dhcp-ddns': { 'enable-updates': true } }, DhcpDdns: d2 });
  assert.ok(r.ok);
  const back = toKeaJson(r.config);
  assert.deepEqual(back.DhcpDdns, d2);
  const again = parseConfig(back);
  assert.ok(again.ok);
  assert.equal(again.config.ddns.forward[0]?.name, 'example.com');
});
