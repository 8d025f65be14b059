// scripts/check-test-programs.ts reads the programs a test runs from its spawn sites only: a list of words that
// happens to start with a program's name (a class called `gold`, a server kind `dnsmasq`) is not one.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawnedNames } from '../../scripts/spawn-sites.ts';

test('spawn sites name their programs: child_process calls, lab helpers, argv arrays', () => {
  const source = [
    `const child = spawn('kea-dhcp4', ['-c', file]);`,
    `execFileSync('tcpdump', ['-r', pcap]);`,
    `const r = spawnSync('tshark', args, { encoding: 'utf8' });`,
    `await srv.run('dig', ['@198.18.0.1', 'example.org']);`,
    `const p = ns.spawn(\n  'dnsmasq',\n  ['--no-daemon'],\n);`,
    `sh('npm', ['install'], project);`,
    `await runCommand(['socat', '-u', 'STDIN', 'UDP:198.18.0.1:67']);`,
    `execFile('curl');`,
  ].join('\n');
  assert.deepEqual([...spawnedNames(source)].sort(), [
    'curl',
    'dig',
    'dnsmasq',
    'kea-dhcp4',
    'npm',
    'socat',
    'tcpdump',
    'tshark',
  ]);
});

test('word lists, other calls and look-alike names are not spawn sites', () => {
  const source = [
    `const classes = ['gold', 'silver'];`,
    `for (const kind of ['dnsmasq', 'kea', 'serve'] as const) {}`,
    `assert.deepEqual(chips, ['named', 'phones', 'UNKNOWN']);`,
    `const s1 = await start('server1');`,
    `raw.exec('CREATE TABLE t (x)');`,
    `respawn('sleep', ['1']);`,
    `const label = runner('ip', ['link']);`,
    `ip(['route', 'add', '198.18.1.0/24']);`,
    `runClientCtl(['reboot', '--socket', '/tmp/x']);`,
  ].join('\n');
  assert.deepEqual([...spawnedNames(source)], []);
});
