/** The built-in iproute2 applier (against a fake `ip` that logs its arguments) and the script applier. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClientLease } from '../../src/client/index.ts';
import { udhcpcEnvironment } from '../../src/client/index.ts';
import {
  ClientRuntimeError,
  IprouteApplier,
  ScriptApplier,
  resolvConf,
  resolvConfText,
  type ApplyRequest,
} from '../../src/runtime/client/index.ts';
import { isSafeDomainName } from '../../src/client/index.ts';

const LEASE: ClientLease = {
  address: '198.18.0.10',
  serverId: '198.18.0.1',
  subnetMask: '255.255.255.0',
  prefixLength: 24,
  broadcastAddress: '198.18.0.255',
  routers: ['198.18.0.1'],
  dnsServers: ['198.18.0.53', '198.18.0.54'],
  domainName: 'lab.example',
  mtu: null,
  leaseTime: 3600,
  renewalTime: 1800,
  rebindingTime: 3150,
  obtainedAt: 0,
  renewAt: 1_800_000,
  rebindAt: 3_150_000,
  expiresAt: 3_600_000,
  siaddr: '0.0.0.0',
  sname: '',
  file: '',
  options: {
    '53': '05',
    '54': 'c6120001',
    '51': '00000e10',
    '1': 'ffffff00',
    '3': 'c6120001',
    '6': 'c6120035c6120036',
  },
};

function req(
  event: ApplyRequest['event'],
  lease: ClientLease | null,
  previous: ClientLease | null = null,
): ApplyRequest {
  return { interface: 'eth0', event, env: udhcpcEnvironment(lease, 'eth0'), lease, previous };
}

function fakeIp(dir: string, exitCode = 0): { bin: string; calls: () => string[] } {
  const bin = join(dir, 'ip');
  const log = join(dir, 'ip.log');
  writeFileSync(
    bin,
    `#!/bin/sh\necho "$*" >> '${log}'\necho 'RTNETLINK answers: nope' >&2\nexit ${exitCode}\n`,
  );
  chmodSync(bin, 0o755);
  return { bin, calls: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []) };
}

test('bound: flush, address with prefix and broadcast, default route via the router, resolv.conf', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lk-applier-'));
  try {
    const ip = fakeIp(dir);
    const resolv = join(dir, 'resolv.conf');
    const a = new IprouteApplier({ ip: ip.bin, resolvConf: resolv });
    assert.deepEqual(await a.apply(req('bound', LEASE)), { exitCode: 0 });
    assert.deepEqual(ip.calls(), [
      '-4 addr flush dev eth0',
      'addr replace 198.18.0.10/24 broadcast 198.18.0.255 dev eth0',
      'route replace default via 198.18.0.1 dev eth0',
    ]);
    assert.equal(
      readFileSync(resolv, 'utf8'),
      '# written by leasekeeper client\nsearch lab.example\nnameserver 198.18.0.53\nnameserver 198.18.0.54\n',
    );
    assert.equal(
      resolvConfText({ ...LEASE, domainName: null, dnsServers: [] }),
      '# written by leasekeeper client\n',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the same address (renew, or bound over a taken-over lease) is not flushed; --no-route adds no route; deconfig flushes; netns', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lk-applier-'));
  try {
    const ip = fakeIp(dir);
    const a = new IprouteApplier({ ip: ip.bin, defaultRoute: false, netns: 'lk-x' });
    await a.apply(req('renew', LEASE, LEASE));
    await a.apply(req('renew', { ...LEASE, address: '198.18.0.11', broadcastAddress: null }, LEASE));
    await a.apply(req('deconfig', null));
    await a.apply(req('leasefail', null));
    await a.apply(req('bound', LEASE, LEASE));
    assert.deepEqual(ip.calls(), [
      '-n lk-x addr replace 198.18.0.10/24 broadcast 198.18.0.255 dev eth0',
      '-n lk-x -4 addr flush dev eth0',
      '-n lk-x addr replace 198.18.0.11/24 broadcast + dev eth0',
      '-n lk-x -4 addr flush dev eth0',
      '-n lk-x addr replace 198.18.0.10/24 broadcast 198.18.0.255 dev eth0',
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a failing ip command rejects with ERR_CLIENT_APPLY and its message', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lk-applier-'));
  try {
    const ip = fakeIp(dir, 2);
    const a = new IprouteApplier({ ip: ip.bin });
    await assert.rejects(a.apply(req('deconfig', null)), (err: unknown) => {
      assert.ok(err instanceof ClientRuntimeError);
      assert.equal(err.code, 'ERR_CLIENT_APPLY');
      assert.match(err.message, /RTNETLINK answers: nope/);
      return true;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('script applier: SCRIPT EVENT with udhcpc variables; its exit status reported; a missing script rejects', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lk-script-'));
  try {
    const script = join(dir, 's.sh');
    const out = join(dir, 'out');
    writeFileSync(script, `#!/bin/sh\necho "$1 $interface $ip $mask $router $dns" >> '${out}'\nexit 3\n`);
    chmodSync(script, 0o755);
    const a = new ScriptApplier({ script });
    assert.deepEqual(await a.apply(req('bound', LEASE)), { exitCode: 3 });
    assert.equal(readFileSync(out, 'utf8'), 'bound eth0 198.18.0.10 24 198.18.0.1 198.18.0.53 198.18.0.54\n');
    const missing = new ScriptApplier({ script: join(dir, 'nope.sh') });
    await assert.rejects(missing.apply(req('deconfig', null)), { code: 'ERR_CLIENT_SCRIPT' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Option 119 (RFC 1035 wire format) from label lists. */
function searchOption(names: readonly (readonly string[])[]): string {
  const bytes: number[] = [];
  for (const labels of names) {
    for (const l of labels) bytes.push(l.length, ...Buffer.from(l));
    bytes.push(0);
  }
  return Buffer.from(bytes).toString('hex');
}

test('resolv.conf: a domain name with a newline (option 15) is refused, not written as a nameserver line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lk-applier-'));
  try {
    const ip = fakeIp(dir);
    const resolv = join(dir, 'resolv.conf');
    const a = new IprouteApplier({ ip: ip.bin, resolvConf: resolv });
    const poisoned = { ...LEASE, domainName: 'corp.example\nnameserver 203.0.113.66' };
    await assert.rejects(a.apply(req('bound', poisoned)), (err: unknown) => {
      assert.ok(err instanceof ClientRuntimeError);
      assert.equal(err.code, 'ERR_CLIENT_APPLY');
      assert.match(err.message, /refused DNS search names/);
      return true;
    });
    assert.equal(
      readFileSync(resolv, 'utf8'),
      '# written by leasekeeper client\nnameserver 198.18.0.53\nnameserver 198.18.0.54\n',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('resolv.conf: option 119 is the search list; names with spaces, newlines or bad lengths are left out', () => {
  const lease: ClientLease = {
    ...LEASE,
    options: {
      ...LEASE.options,
      '119': searchOption([
        ['a', 'example'],
        ['evil\nnameserver 203', '0', '113', '66'],
        ['two words', 'example'],
        ['b', 'example'],
      ]),
    },
  };
  const conf = resolvConf(lease);
  assert.equal(
    conf.text,
    '# written by leasekeeper client\nsearch a.example b.example\nnameserver 198.18.0.53\nnameserver 198.18.0.54\n',
  );
  assert.equal(conf.refused.length, 2);
  // A label over 63 bytes (or a forward pointer) makes option 119 malformed: refused whole.
  const malformed = resolvConf({
    ...LEASE,
    options: {
      ...LEASE.options,
      '119': searchOption([
        ['a', 'example'],
        ['x'.repeat(64), 'example'],
      ]),
    },
  });
  assert.doesNotMatch(malformed.text, /search/);
  assert.deepEqual(malformed.refused, ['option 119 (malformed)']);
  assert.ok(isSafeDomainName('lab.example.'));
  assert.ok(!isSafeDomainName('lab..example'));
  assert.ok(!isSafeDomainName('lab.example;reboot'));
  assert.ok(!isSafeDomainName(''));
  // More than resolv.conf's 6 search names: the first 6 are kept.
  const many = searchOption(Array.from({ length: 8 }, (_, i) => [`d${i}`, 'example']));
  const limited = resolvConf({ ...LEASE, options: { ...LEASE.options, '119': many } });
  assert.match(
    limited.text,
    /^search d0\.example d1\.example d2\.example d3\.example d4\.example d5\.example$/m,
  );
  assert.equal(limited.refused.length, 2);
});

test('a failing route is reported and resolv.conf is still written', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lk-applier-'));
  try {
    const bin = join(dir, 'ip');
    writeFileSync(
      bin,
      `#!/bin/sh\ncase "$*" in route*) echo 'Error: Nexthop has invalid gateway.' >&2; exit 2;; esac\n`,
    );
    chmodSync(bin, 0o755);
    const resolv = join(dir, 'resolv.conf');
    const a = new IprouteApplier({ ip: bin, resolvConf: resolv });
    await assert.rejects(a.apply(req('bound', LEASE)), /Nexthop has invalid gateway/);
    assert.match(readFileSync(resolv, 'utf8'), /nameserver 198\.18\.0\.53/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
