/** -P, --inform and -r's default from a manifest's `default_ip`, as `leasekeeper client` parses them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseClientFlags } from '../../src/cli/client-flags.ts';
import { MAX_MANIFEST_BYTES, ManifestError, manifestDefaultIp } from '../../src/cli/client-manifest.ts';
import { RepeatLimiter, logLine, repeatKey } from '../../src/cli/client-log.ts';
import { UsageError } from '../../src/cli/command.ts';

test('-P PORT: the client port, the server one below (udhcpc); bad ports are usage errors', () => {
  assert.equal(parseClientFlags([]).clientPort, 68);
  assert.equal(parseClientFlags(['-P', '1068']).clientPort, 1068);
  assert.equal(parseClientFlags(['-P6800']).clientPort, 6800);
  for (const bad of ['0', '1', '65536', 'x', '-5']) {
    assert.throws(() => parseClientFlags(['-P', bad]), UsageError, bad);
  }
});

test('--inform IP [--inform-server IP]: addresses checked', () => {
  const f = parseClientFlags(['--inform', '198.18.0.20', '--inform-server', '198.18.0.1']);
  assert.equal(f.inform, '198.18.0.20');
  assert.equal(f.informServer, '198.18.0.1');
  assert.throws(() => parseClientFlags(['--inform', 'box']), UsageError);
  assert.throws(() => parseClientFlags(['--inform-server', '198.18.0.1']), /needs --inform/);
});

test('manifest default_ip: read, or a clear error for a bad file, key or address', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lk-manifest-'));
  try {
    const at = (name: string, text: string): string => {
      const p = join(dir, name);
      writeFileSync(p, text);
      return p;
    };
    assert.equal(
      manifestDefaultIp(at('ok.json', '{"default_ip": "198.18.0.57", "x": 1}'), true),
      '198.18.0.57',
    );
    // The default path may be absent; a path given by --manifest must exist.
    assert.equal(manifestDefaultIp(join(dir, 'absent.json'), false), undefined);
    const cases: [string, RegExp][] = [
      [join(dir, 'absent.json'), /does not exist/],
      [at('notjson.json', '{default_ip: 1'), /is not JSON/],
      [at('array.json', '["198.18.0.57"]'), /not a JSON object/],
      [at('nokey.json', '{"defaultip": "198.18.0.57"}'), /has no "default_ip"/],
      [at('num.json', '{"default_ip": 3232235777}'), /not an IPv4 address: 3232235777/],
      [at('text.json', '{"default_ip": "198.18.0.57\\nnameserver"}'), /not an IPv4 address/],
      [at('bcast.json', '{"default_ip": "255.255.255.255"}'), /cannot be requested: limited broadcast/],
      [at('zero.json', '{"default_ip": "0.0.0.0"}'), /cannot be requested/],
      [
        at('big.json', `{"default_ip": "198.18.0.57", "pad": "${'x'.repeat(MAX_MANIFEST_BYTES)}"}`),
        /larger than/,
      ],
    ];
    mkdirSync(join(dir, 'dir.json'));
    cases.push([join(dir, 'dir.json'), /not a regular file|cannot read/]);
    for (const [path, why] of cases) {
      assert.throws(
        () => manifestDefaultIp(path, true),
        (err: unknown) => err instanceof ManifestError && why.test(err.message),
        path,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('log lines escape what the server wrote and say what was adjusted', () => {
  assert.equal(
    logLine({ type: 'nak', serverId: '198.18.0.1', text: 'no\nlease of 1.2.3.4 obtained', time: 0 }),
    'received DHCP NAK: no\\x0alease of 1.2.3.4 obtained from 198.18.0.1',
  );
  assert.equal(
    logLine({
      type: 'lease-adjusted',
      address: '198.18.0.10',
      serverId: '198.18.0.1',
      notes: ['lease time 0 s raised to 30 s'],
      time: 0,
    }),
    'lease of 198.18.0.10 from 198.18.0.1: lease time 0 s raised to 30 s',
  );
});

test('repeated errors and ignored packets: one line per kind per interval, then a count', () => {
  const r = new RepeatLimiter(10_000);
  const ignored = { type: 'ignored', reason: 'wrong-xid', detail: 'x', time: 0 } as const;
  const key = repeatKey(ignored);
  assert.equal(key, 'ignored wrong-xid');
  assert.equal(repeatKey({ type: 'leasefail', retryAt: 0, time: 0 }), null);
  assert.equal(r.admit('ignored wrong-xid', 0), 0);
  for (let t = 1; t <= 500; t++) assert.equal(r.admit('ignored wrong-xid', t), null);
  assert.equal(r.admit('error ERR_CLIENT_APPLY', 600), 0, 'another kind is not held back');
  assert.equal(r.admit('ignored wrong-xid', 10_000), 500);
  assert.equal(r.admit('ignored wrong-xid', 10_001), null);
  // Keys are bounded: a flood of distinct keys forgets the oldest.
  for (let i = 0; i < 1000; i++) r.admit(`k${i}`, 20_000);
  assert.equal(r.admit('ignored wrong-xid', 20_001), 0);
});
