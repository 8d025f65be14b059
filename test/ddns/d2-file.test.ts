// `serve --ddns-config FILE`: Kea D2's own file (kea-dhcp-ddns.conf) supplies the DhcpDdns section. Kea's D2
// examples load through it, it is read with Kea's lexer (includes confined to its directory), a DhcpDdns
// given in both files is refused naming both, config-reload re-reads it and config-write leaves it out.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseConfigFiles } from '../../src/config/d2-file.ts';
import { ConfigHolder } from '../../src/runtime/config-holder.ts';
import { MAIN } from '../interop/harness.ts';
import { tempDir } from '../leases/tmp.ts';

const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url).pathname;
const MAIN_FILE = fixture('kea4-with-ddns.json');
const mainText = readFileSync(MAIN_FILE, 'utf8');
const load = (ddnsConfigFile: string, text = mainText, file = MAIN_FILE) =>
  parseConfigFiles(text, { file, ddnsConfigFile });

const d2 = (server: string) =>
  JSON.stringify({
    DhcpDdns: {
      'forward-ddns': {
        'ddns-domains': [{ name: 'example.com.', 'dns-servers': [{ 'ip-address': server }] }],
      },
    },
  });

test("Kea's D2 example files load through --ddns-config; sample1 is refused only for what leasekeeper lacks", () => {
  for (const name of ['ddns-template.json', 'ddns-comments.json']) {
    const r = load(fixture(name));
    assert.ok(r.ok, `${name}: ${r.ok ? '' : r.error.message}`);
    assert.equal(r.config.ddns.enabled, true);
  }
  const comments = load(fixture('ddns-comments.json'));
  assert.ok(comments.ok && comments.config.ddns.forward.length + comments.config.ddns.reverse.length > 0);
  const sample = load(fixture('ddns-sample1.json'));
  assert.ok(!sample.ok);
  assert.deepEqual(
    sample.error.issues.map((i) => i.path),
    ['DhcpDdns.hooks-libraries'],
  );
});

test('DhcpDdns both beside Dhcp4 and in the --ddns-config file is refused naming both files', () => {
  const tmp = tempDir('lk-d2-');
  try {
    const both = join(tmp.dir, 'dhcp4.json');
    writeFileSync(both, JSON.stringify({ Dhcp4: {}, ...JSON.parse(d2('198.18.0.1')) }));
    const ddns = join(tmp.dir, 'kea-dhcp-ddns.conf');
    writeFileSync(ddns, d2('198.18.0.2'));
    const r = load(ddns, readFileSync(both, 'utf8'), both);
    assert.ok(!r.ok);
    assert.equal(r.error.issues.length, 1);
    assert.equal(r.error.issues[0]?.path, 'DhcpDdns');
    assert.ok(r.error.message.includes(both) && r.error.message.includes(ddns), r.error.message);
  } finally {
    tmp.remove();
  }
});

test('the D2 file is read with Kea comments and includes, confined to its own directory', () => {
  const tmp = tempDir('lk-d2-');
  try {
    const ddns = join(tmp.dir, 'kea-dhcp-ddns.conf');
    writeFileSync(
      join(tmp.dir, 'keys.json'),
      '[{"name": "k", "algorithm": "HMAC-SHA256", "secret": "AAAA"}]',
    );
    writeFileSync(
      ddns,
      `# D2\n{"DhcpDdns": {"tsig-keys": <?include "keys.json"?>, // keys\n "forward-ddns": {"ddns-domains": [{"name": "example.com.", "key-name": "k", "dns-servers": [{"ip-address": "::1"}]}]},}}`,
    );
    const r = load(ddns);
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    assert.equal(r.config.ddns.forward[0]?.servers[0]?.key?.name, 'k');

    // The main file's directory (the fixtures) does not widen what the D2 file may include.
    writeFileSync(ddns, `{"DhcpDdns": <?include "${join(fixture('.'), 'ddns-comments.json')}"?>}`);
    const outside = load(ddns);
    assert.ok(!outside.ok);
    assert.match(outside.error.message, /outside/);

    writeFileSync(ddns, JSON.stringify({ Dhcp4: {}, DhcpDdns: {} }));
    const extra = load(ddns);
    assert.ok(!extra.ok);
    assert.match(extra.error.message, /only DhcpDdns is read/);
  } finally {
    tmp.remove();
  }
});

test('config-reload re-reads the D2 file; config-write leaves its section out of the main file', async () => {
  const tmp = tempDir('lk-d2-');
  try {
    const main = join(tmp.dir, 'dhcp4.json');
    writeFileSync(main, JSON.stringify({ Dhcp4: { 'dhcp-ddns': { 'enable-updates': true } } }));
    const ddns = join(tmp.dir, 'kea-dhcp-ddns.conf');
    writeFileSync(ddns, d2('198.18.0.1'));
    const first = load(ddns, readFileSync(main, 'utf8'), main);
    assert.ok(first.ok, first.ok ? '' : first.error.message);
    const holder = new ConfigHolder({
      config: first.config,
      file: main,
      ddnsFile: ddns,
      onApply: () => undefined,
      clock: () => 0,
    });
    writeFileSync(ddns, d2('2001:db8::53'));
    assert.deepEqual(await holder.reload(), { ok: true });
    assert.equal(holder.current.ddns.forward[0]?.servers[0]?.address, '2001:db8::53');
    assert.ok('DhcpDdns' in holder.json());

    writeFileSync(
      ddns,
      '{"DhcpDdns": {"tsig-keys": [{"name": "k", "algorithm": "nope", "secret": "AAAA"}]}}',
    );
    const bad = await holder.reload();
    assert.ok(!bad.ok);
    assert.match(bad.error, /DhcpDdns\.tsig-keys\[0\]\.algorithm/);
    assert.equal(holder.current.ddns.forward[0]?.servers[0]?.address, '2001:db8::53');

    writeFileSync(ddns, d2('198.18.0.3'));
    await holder.write(undefined);
    const written = JSON.parse(readFileSync(main, 'utf8')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(written), ['Dhcp4']);
    assert.deepEqual(await holder.reload(), { ok: true });
    assert.equal(holder.current.ddns.forward[0]?.servers[0]?.address, '198.18.0.3');
  } finally {
    tmp.remove();
  }
});

test('serve --test checks the --ddns-config file', () => {
  const serve = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'serve', ...args, '--test'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
  const serveTest = (ddns: string) => serve('--config', MAIN_FILE, '--ddns-config', ddns);
  const ok = serveTest(fixture('ddns-comments.json'));
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /configuration OK/);
  assert.doesNotMatch(ok.stderr, /no DhcpDdns forward-ddns/);
  const refused = serveTest(fixture('ddns-sample1.json'));
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /with --ddns-config .*ddns-sample1\.json: invalid configuration/);
  assert.match(refused.stderr, /DhcpDdns\.hooks-libraries/);
  const alone = serve('--interface', 'lo', '--ddns-config', fixture('ddns-comments.json'));
  assert.equal(alone.status, 2);
  assert.match(alone.stderr, /--ddns-config needs --config FILE/);
  const help = spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'serve', '--help'], {
    encoding: 'utf8',
  });
  assert.match(help.stdout + help.stderr, /--ddns-config FILE/);
});
