/**
 * Differential test against an independent decoder: messages generated through the option table are
 * encoded by us and dissected by Wireshark's tshark (installed on the project machine, a Debian peer).
 */
import { requiring } from '../lab/needs.ts';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { DhcpEncodeError, encodeMessage, type DhcpMessage } from '../../src/protocol/index.ts';
import { writePcap } from '../../src/transport/pcap.ts';
import { messageOf } from './arbitraries.ts';
import { ethernetUdp } from './helpers.ts';

const { test } = requiring('tshark');

const FIELDS = [
  'frame.number',
  '_ws.malformed',
  'dhcp.id',
  'dhcp.ip.your',
  'dhcp.option.type',
  'dhcp.option.router',
  'dhcp.option.domain_name_server',
  'dhcp.option.ip_address_lease_time',
  'dhcp.option.subnet_mask',
  'dhcp.option.requested_ip_address',
  'dhcp.option.subnet_selection_option',
] as const;

test('tshark dissects what we encode: same xid, addresses, option codes and values, nothing malformed', () => {
  // Opaque byte options carry structure Wireshark interprets (NetWare, SLP, PXE ...), so random bytes there
  // would be Wireshark's business, not the codec's: only typed options are generated. Option 162 (DNR)
  // neither: Wireshark 4.0 does not know it, and its values often outgrow one field (see overload below).
  const samples = fc.sample(
    messageOf({ only: (d) => d.type !== 'bytes' && d.type !== 'dnr', unknown: false }),
    {
      numRuns: 400,
      seed: 2131,
    },
  );
  const messages: DhcpMessage[] = [];
  const frames: { timeUs: number; data: Uint8Array }[] = [];
  samples.forEach(({ message }, i) => {
    if (i % 8 === 0) {
      // Too much for the options field, in options that each fit a field whole: overload into file and
      // sname. (An option bigger than any field's room must be split across fields, which RFC 3396 allows
      // but Wireshark 4 dissects as malformed.)
      message.options
        .set('root-path', `/srv/${'r'.repeat(100)}`)
        .set('merit-dump', `/var/${'m'.repeat(100)}`)
        .set('extensions-path', `/etc/${'e'.repeat(100)}`)
        .set('nis-domain', 'n'.repeat(55));
      message.sname = '';
      message.file = '';
    }
    try {
      frames.push({ timeUs: frames.length, data: ethernetUdp(68, 67, encodeMessage(message)) });
      messages.push(message);
    } catch (err) {
      if (!(err instanceof DhcpEncodeError && err.code === 'ERR_ENCODE_MESSAGE_TOO_LARGE')) throw err;
    }
  });
  const dir = mkdtempSync(join(tmpdir(), 'lk-tshark-'));
  try {
    const pcap = join(dir, 'generated.pcap');
    writeFileSync(pcap, writePcap(1, frames));
    const args = [
      '-r',
      pcap,
      '-d',
      'udp.port==68,dhcp',
      '-T',
      'fields',
      '-E',
      'occurrence=a',
      '-E',
      'separator=/t',
    ];
    const r = spawnSync('tshark', [...args, ...FIELDS.flatMap((f) => ['-e', f])], {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    });
    assert.equal(r.error, undefined, 'tshark must be installed (apt-get install tshark)');
    const compared = new Map<string, number>();
    let overloaded = 0;
    const rows = r.stdout
      .trimEnd()
      .split('\n')
      .map((line) => line.split('\t'));
    assert.equal(rows.length, messages.length);
    rows.forEach((row, i) => {
      const m = messages[i]!;
      const col = (f: (typeof FIELDS)[number]) => row[FIELDS.indexOf(f)] ?? '';
      const list = (f: (typeof FIELDS)[number]) => (col(f) === '' ? [] : col(f).split(','));
      const where = `frame ${i + 1}`;
      assert.equal(col('_ws.malformed'), '', `${where} is malformed for tshark`);
      assert.equal(Number(col('dhcp.id')), m.xid, where);
      assert.equal(col('dhcp.ip.your'), m.yiaddr, where);
      const codes = new Set(
        list('dhcp.option.type')
          .map(Number)
          .filter((c) => c !== 0 && c !== 255),
      );
      const ours = new Set(m.options.codes());
      if (codes.has(52)) {
        ours.add(52);
        overloaded++;
      }
      assert.deepEqual(
        [...codes].sort((a, b) => a - b),
        [...ours].sort((a, b) => a - b),
        `${where} option codes`,
      );
      const same = (f: (typeof FIELDS)[number], v: string | string[] | number | undefined) => {
        if (v === undefined) return;
        compared.set(f, (compared.get(f) ?? 0) + 1);
        assert.deepEqual(list(f), (Array.isArray(v) ? v : [v]).map(String), `${where} ${f}`);
      };
      same('dhcp.option.router', m.options.get('routers'));
      same('dhcp.option.domain_name_server', m.options.get('domain-name-servers'));
      same('dhcp.option.ip_address_lease_time', m.options.get('dhcp-lease-time'));
      same('dhcp.option.subnet_mask', m.options.get('subnet-mask'));
      same('dhcp.option.requested_ip_address', m.options.get('dhcp-requested-address'));
      same('dhcp.option.subnet_selection_option', m.options.get('subnet-selection'));
    });
    // The comparison really covered each field, and tshark followed our overload into file/sname.
    for (const f of compared.keys())
      assert.ok((compared.get(f) ?? 0) >= 5, `${f} compared ${compared.get(f) ?? 0} times`);
    assert.equal(compared.size, 6);
    assert.ok(overloaded >= 1, `overloaded: ${overloaded}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
