/** `leasekeeper decode` end to end, as a user runs it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createMessage, encodeMessage, MessageType, parseMac } from '../../src/protocol/index.ts';
import { writePcap } from '../../src/transport/pcap.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const capture = fileURLToPath(new URL('./data/dnsmasq-udhcpc-dhclient.eth.pcap', import.meta.url));

function run(args: string[], input = '') {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'decode', ...args], {
    cwd: root,
    input,
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function discoverHex(): string {
  const m = createMessage({ xid: 0x01020304, chaddr: parseMac('02:00:00:00:00:07') });
  m.options
    .set('dhcp-message-type', MessageType.DISCOVER)
    .set('host-name', 'seven')
    .setRaw(224, Uint8Array.of(0xab));
  return encodeMessage(m).toString('hex');
}

test('hex on stdin with spaces, colons, newlines and # comments prints the packet as JSON', () => {
  const hex = discoverHex();
  const dump = `# a DISCOVER\n${hex.slice(0, 40).replace(/(..)/g, '$1:')}  # header\n${hex.slice(40).replace(/(..)/g, '$1 ')}\n`;
  const r = run([], dump);
  assert.equal(r.code, 0, r.stderr);
  const json = JSON.parse(r.stdout) as Record<string, unknown>;
  assert.equal(json.messageType, 'DHCPDISCOVER');
  assert.equal(json.xid, '0x01020304');
  assert.equal(json.chaddr, '02:00:00:00:00:07');
  assert.deepEqual(json.options, { 'dhcp-message-type': 1, 'host-name': 'seven', 'option-224': 'ab' });
});

test('hex on the command line; a broken packet exits 1 with its error code; non-hex is a usage error', () => {
  assert.equal(JSON.parse(run([discoverHex()]).stdout).options['host-name'], 'seven');
  const broken = run(['0101', '0600']);
  assert.equal(broken.code, 1);
  assert.match(broken.stderr, /ERR_DECODE_TRUNCATED_HEADER/);
  assert.equal(run(['zz']).code, 2);
});

test('--pcap prints every DHCP packet of a real capture, one compact line each', () => {
  const r = run(['--pcap', capture, '--compact']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(lines.length, 10);
  assert.equal(lines[5]!.messageType, 'DHCPACK');
  assert.equal(lines[5]!.frame, 6);
  assert.equal(lines[5]!.source, '198.19.77.1:67');
  assert.match(r.stderr, /10 DHCP packet\(s\) decoded, 0 broken/);
});

test('--pcap reports a broken frame with its number and keeps going', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lk-decode-'));
  try {
    const path = join(dir, 'mixed.pcap');
    const garbage = new Uint8Array(300);
    garbage.set([0x08, 0x00], 12);
    garbage.set([0x45, 0, 1, 30, 0, 0, 0, 0, 64, 17], 14);
    garbage.set([0, 68, 0, 67, 1, 10], 34); // UDP 68 -> 67 whose payload has no magic cookie
    writeFileSync(path, writePcap(1, [{ timeUs: 0, data: garbage }]));
    const r = run(['--pcap', path, '--compact']);
    assert.equal(r.code, 1);
    const out = JSON.parse(r.stdout.trim()) as { frame: number; error: { message: string } };
    assert.equal(out.frame, 1);
    assert.ok(out.error.message.length > 0);
    assert.match(r.stderr, /1 broken/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
