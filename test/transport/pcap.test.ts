/** The virtual network's capture opens in real tools: tcpdump reads it and finds every checksum right. */
import { requiring } from '../lab/needs.ts';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualNetwork, VirtualClock } from '../../src/transport/virtual/index.ts';
import { PcapBuffer, PcapFile, readPcapRecords } from '../../src/transport/pcap.ts';
import { createMessage, encodeMessage, BOOTREQUEST, MessageType } from '../../src/protocol/index.ts';
import { writeFileSync } from 'node:fs';

const { test } = requiring('tcpdump');

test('a virtual exchange written with PcapFile is read by tcpdump with valid UDP checksums', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lk-pcap-'));
  try {
    const path = join(dir, 'exchange.pcap');
    const cap = new PcapFile(path);
    const clock = new VirtualClock(Date.UTC(2026, 0, 1));
    const net = new VirtualNetwork({ scheduler: clock, capture: cap });
    const lan = net.createLink('lan');
    const srv = net.createHost('srv');
    srv.attach(lan, { ifname: 'eth0', mac: '02:00:00:00:00:01', addresses: ['198.18.0.1/24'] });
    const cli = net.createHost('cli');
    cli.attach(lan, { ifname: 'eth0', mac: '02:00:00:00:00:02' });
    const s = srv.openTransport({ port: 67 });
    const c = cli.openTransport({ port: 68 });
    await c.send({ data: Buffer.alloc(300, 1), ip: '255.255.255.255', port: 67 });
    clock.advance(5);
    await s.send({ data: Buffer.alloc(300, 2), ip: '198.18.0.10', port: 68, mac: '02:00:00:00:00:02' });
    clock.runUntilIdle();
    cap.close();
    assert.equal(readPcapRecords(readFileSync(path)).records.length, 2);
    const out = execFileSync('tcpdump', ['-r', path, '-nn', '-e', '-vv'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    assert.match(out, /02:00:00:00:00:02 > ff:ff:ff:ff:ff:ff, ethertype IPv4/);
    assert.match(out, /0\.0\.0\.0\.68 > 255\.255\.255\.255\.67: \[udp sum ok\]/);
    assert.match(out, /198\.18\.0\.1\.67 > 198\.18\.0\.10\.68: \[udp sum ok\]/);
    assert.doesNotMatch(out, /bad (udp|ip) ?c?k?sum|wrong/i);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a DHCPDISCOVER encoded by the protocol module crosses the virtual network and tcpdump decodes it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lk-pcap-'));
  try {
    const cap = new PcapBuffer();
    const clock = new VirtualClock();
    const net = new VirtualNetwork({ scheduler: clock, capture: cap });
    const lan = net.createLink('lan');
    const srv = net.createHost('srv');
    srv.attach(lan, { ifname: 'eth0', addresses: ['198.18.0.1/24'] });
    const cli = net.createHost('cli');
    cli.attach(lan, { ifname: 'eth0', mac: '02:00:00:00:00:42' });
    const s = srv.openTransport({ port: 67 });
    const c = cli.openTransport({ port: 68 });
    const chaddr = new Uint8Array(16);
    chaddr.set([2, 0, 0, 0, 0, 0x42]);
    const discover = createMessage({
      op: BOOTREQUEST,
      htype: 1,
      hlen: 6,
      xid: 0x1234abcd,
      flags: 0x8000,
      chaddr,
    });
    discover.options.set('dhcp-message-type', MessageType.DISCOVER);
    const received: Buffer[] = [];
    s.on('message', (d) => received.push(d));
    await c.send({ data: encodeMessage(discover), ip: '255.255.255.255', port: 67 });
    clock.runUntilIdle();
    assert.equal(received.length, 1);
    const path = join(dir, 'discover.pcap');
    writeFileSync(path, cap.toBuffer());
    const out = execFileSync('tcpdump', ['-r', path, '-nn', '-vv'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    assert.match(out, /BOOTP\/DHCP, Request from 02:00:00:00:00:42/);
    assert.match(out, /xid 0x1234abcd/);
    assert.match(out, /DHCP-Message \(53\), length 1: Discover/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
