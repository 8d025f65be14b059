/** `leasekeeper decode --config`: custom options and vendor sub-options by the configuration's names. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createMessage, encodeMessage, MessageType, parseMac } from '../../src/protocol/index.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

function decode(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'decode', ...args], {
    cwd: root,
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const config = {
  Dhcp4: {
    'option-def': [
      { name: 'site-route', code: 224, type: 'record', 'record-types': 'uint8, ipv4-address, string' },
      { name: 'vlanid', code: 2, space: 'acme', type: 'uint32' },
      { name: 'vendor-encapsulated-options', code: 43, type: 'empty', encapsulate: 'acme' },
    ],
  },
};

test('decode --config shows custom options, option 43 sub-options and option 125 blocks by name', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lk-decode-config-'));
  try {
    const file = join(dir, 'kea.json');
    writeFileSync(file, JSON.stringify(config));
    const m = createMessage({ chaddr: parseMac('02:00:00:00:00:07') });
    m.options
      .set('dhcp-message-type', MessageType.OFFER)
      .setRaw(224, Uint8Array.of(5, 198, 18, 0, 1, ...Buffer.from('core')))
      .setRaw(43, Uint8Array.of(2, 4, 0, 0, 0, 123, 9, 1, 0xff))
      .setRaw(125, Uint8Array.of(0, 0, 0x11, 0x8b, 10, 2, 8, 198, 18, 0, 7, 198, 18, 0, 8));
    const hex = encodeMessage(m).toString('hex');
    const r = decode(['--config', file, hex]);
    assert.equal(r.code, 0, r.stderr);
    const options = (JSON.parse(r.stdout) as { options: Record<string, unknown> }).options;
    assert.equal(options['site-route'], '5, 198.18.0.1, core');
    assert.equal(options['option-224'], undefined);
    assert.deepEqual(options['vendor-encapsulated-options'], { vlanid: '123', 'option-9': 'ff' });
    assert.deepEqual(options['vivso-suboptions'], [
      { enterprise: 4491, options: { 'tftp-servers': '198.18.0.7, 198.18.0.8' } },
    ]);
    // Without --config the same packet shows codes and hex.
    const plain = JSON.parse(decode([hex]).stdout) as { options: Record<string, unknown> };
    assert.equal(plain.options['option-224'], '05c6120001636f7265');
    // A configuration that does not load is a usage error naming the file and the path.
    writeFileSync(
      file,
      JSON.stringify({ Dhcp4: { 'option-def': [{ name: 'x', code: 3, type: 'string' }] } }),
    );
    const bad = decode(['--config', file, hex]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /Dhcp4\.option-def\[0\]\.code: option 3 is a standard option/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
