// TSIG with every algorithm Kea lists, against BIND 9: BIND accepts our signature and we accept BIND's
// signed answer (both directions of RFC 8945). A truncated MAC (digest-bits) is accepted by BIND's
// hmac-sha512-256; a wrong secret is refused by the server and its unsigned answer is not trusted.
import { requiring } from '../lab/needs.ts';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createLab } from '../lab/netns.ts';
import { startBind, TEST_KEY } from './bind.ts';

const { test } = requiring('root', 'ip', 'named', 'dig');

const DNS = '198.18.1.1';
const SECRET = 'a2V5LW1hdGVyaWFsLWZvci10c2lnLXRlc3RzLTAxMjM0NTY3ODk=';
const ALGORITHMS = [
  ['HMAC-MD5', 'hmac-md5', 0],
  ['HMAC-SHA1', 'hmac-sha1', 0],
  ['HMAC-SHA224', 'hmac-sha224', 0],
  ['HMAC-SHA256', 'hmac-sha256', 0],
  ['HMAC-SHA384', 'hmac-sha384', 0],
  ['HMAC-SHA512', 'hmac-sha512', 0],
  ['HMAC-SHA512', 'hmac-sha512-256', 256],
] as const;

test('TSIG: every algorithm and a truncated MAC are accepted by BIND, a wrong secret is not', async () => {
  const lab = await createLab('tsig');
  try {
    const dns = await lab.namespace('dns');
    const peer = await lab.namespace('peer');
    await lab.veth(dns, 'eth0', peer, 'eth0');
    await dns.addAddress('eth0', `${DNS}/24`);
    const extraKeys = ALGORITHMS.map(([, bind, bits]) => ({
      name: `k-${bind}-${bits}`,
      algorithm: bind,
      secret: SECRET,
    }));
    const bind = await startBind(dns, join(dns.dir, 'bind'), {
      listen: DNS,
      reverseZone: '1.18.198.in-addr.arpa',
      extraKeys,
    });
    const keys = [
      ...ALGORITHMS.map(([kea, b, bits]) => ({
        name: `k-${b}-${bits}`,
        algorithm: kea,
        secret: SECRET,
        digestBits: bits,
        host: `${b}-${bits}`,
      })),
      { name: TEST_KEY.name, algorithm: 'HMAC-SHA256', secret: SECRET, digestBits: 0, host: 'wrong-secret' },
    ];
    const probe = new URL('./update-probe.ts', import.meta.url).pathname;
    const r = await dns.run(
      process.execPath,
      ['--import', 'tsx', probe, JSON.stringify({ server: DNS, zone: 'example.com', keys })],
      {
        timeoutMs: 60_000,
      },
    );
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { host: string; result?: string; error?: string });
    assert.equal(lines.length, keys.length, r.stderr);
    for (const l of lines.slice(0, -1)) {
      assert.equal(l.result, 'done', `${l.host}: ${l.error ?? ''}`);
      assert.deepEqual(await bind.dig(`${l.host}.example.com`, 'A'), ['198.18.1.77'], l.host);
    }
    const wrong = lines.at(-1)!;
    assert.equal(wrong.result, undefined);
    assert.match(wrong.error ?? '', /TSIG|no answer|not signed/);
    assert.deepEqual(await bind.dig('wrong-secret.example.com', 'A'), []);
    await bind.stop();
  } finally {
    await lab.close();
  }
});
