/**
 * contrib/: the systemd unit passes `systemd-analyze verify` without a warning and its command lines are
 * ones `leasekeeper serve` accepts; the Containerfile copies only what exists.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requiring } from '../lab/needs.ts';
import { fileURLToPath } from 'node:url';

const { test } = requiring('systemd-analyze');

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const UNIT = join(REPO, 'contrib/systemd/leasekeeper.service');
const INSTALLED = '/usr/local/bin/leasekeeper';

function directives(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m === null) continue;
    out.set(m[1]!, [...(out.get(m[1]!) ?? []), m[2]!]);
  }
  return out;
}

test('the systemd unit verifies cleanly (systemd-analyze verify)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lk-unit-'));
  try {
    // verify checks that ExecStart= programs exist: point them at this checkout's CLI.
    const unit = readFileSync(UNIT, 'utf8').replaceAll(INSTALLED, join(REPO, 'bin/leasekeeper.js'));
    writeFileSync(join(dir, 'leasekeeper.service'), unit);
    const r = spawnSync('systemd-analyze', ['verify', join(dir, 'leasekeeper.service')], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(r.status, 0, r.stderr);
    // Unknown or unparsable directives are only warnings to verify: there must be none.
    assert.equal(r.stderr.trim(), '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the unit runs unprivileged with capabilities, notifies, reloads with HUP and is hardened', () => {
  const d = directives(readFileSync(UNIT, 'utf8'));
  assert.deepEqual(d.get('Type'), ['notify']);
  assert.deepEqual(d.get('NotifyAccess'), ['main']);
  assert.deepEqual(d.get('User'), ['_leasekeeper']);
  assert.deepEqual(d.get('AmbientCapabilities'), ['CAP_NET_BIND_SERVICE CAP_NET_RAW']);
  assert.deepEqual(d.get('CapabilityBoundingSet'), ['CAP_NET_BIND_SERVICE CAP_NET_RAW']);
  assert.ok(d.get('ExecReload')?.includes('/bin/kill -HUP $MAINPID'));
  assert.deepEqual(d.get('ProtectSystem'), ['strict']);
  assert.deepEqual(d.get('StateDirectory'), ['leasekeeper']);
  assert.deepEqual(d.get('RuntimeDirectory'), ['leasekeeper']);
  assert.match(d.get('ReadWritePaths')?.[0] ?? '', /\/var\/lib\/leasekeeper/);
  // V8 needs writable and executable pages: this would make node abort at start.
  assert.equal(d.has('MemoryDenyWriteExecute'), false);
});

test("the unit's serve command lines are ones the CLI accepts", () => {
  const d = directives(readFileSync(UNIT, 'utf8'));
  const lines = [...(d.get('ExecStartPre') ?? []), ...(d.get('ExecStart') ?? [])];
  assert.equal(lines.length, 2);
  const example = join(REPO, 'examples/dhcp4/pxe.json');
  for (const line of lines) {
    const [program, ...args] = line.split(' ');
    assert.equal(program, INSTALLED);
    // The same options, checked offline against an example; the unit's own paths do not exist here.
    const dir = mkdtempSync(join(tmpdir(), 'lk-unit-'));
    try {
      const checked = args.map((a) => (a === '/etc/leasekeeper/dhcp4.json' ? example : a));
      const at = checked.indexOf('--control-socket');
      if (at >= 0) checked[at + 1] = join(dir, 'control.sock');
      else checked.push('--control-socket', join(dir, 'control.sock'));
      if (!checked.includes('--test')) checked.push('--test');
      checked.push('--lease-file', join(dir, 'leases4.sqlite'));
      const r = spawnSync(process.execPath, ['--import', 'tsx', join(REPO, 'src/cli/main.ts'), ...checked], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      assert.equal(r.status, 0, `${line}\n${r.stderr}`);
      assert.match(r.stdout, /configuration OK/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

test('the Containerfile copies only files that exist', () => {
  const text = readFileSync(join(REPO, 'contrib/container/Containerfile'), 'utf8');
  for (const m of text.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
    for (const source of m[1]!.split(' ')) assert.ok(existsSync(join(REPO, source)), source);
  }
});
