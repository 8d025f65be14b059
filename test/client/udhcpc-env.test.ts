import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BOOTREPLY, MessageType, createMessage } from '../../src/protocol/index.ts';
import type { DhcpMessage } from '../../src/protocol/index.ts';
import { leaseFromAck } from '../../src/client/lease.ts';
import {
  decodeDomainList,
  udhcpcEnvironment,
  udhcpcMessageEnvironment,
  udhcpcPacketEnvironment,
} from '../../src/client/udhcpc-env.ts';

function hex(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
}

function ack(): DhcpMessage {
  const m = createMessage({
    op: BOOTREPLY,
    xid: 1,
    yiaddr: '198.18.0.10',
    siaddr: '198.18.0.5',
    sname: 'bootsrv',
    file: 'pxelinux.0',
  });
  m.options.set('dhcp-message-type', MessageType.ACK);
  m.options.set('dhcp-server-identifier', '198.18.0.1');
  m.options.set('dhcp-lease-time', 3600);
  m.options.set('dhcp-renewal-time', 1800);
  m.options.set('dhcp-rebinding-time', 3150);
  m.options.set('subnet-mask', '255.255.255.0');
  m.options.set('routers', ['198.18.0.1', '198.18.0.2']);
  m.options.set('domain-name-servers', ['198.18.0.53', '198.18.0.54']);
  m.options.set('host-name', 'box');
  m.options.setRaw(15, new TextEncoder().encode('example.test'));
  m.options.setRaw(26, hex('0578')); // 1400
  m.options.setRaw(28, hex('c61200ff'));
  m.options.setRaw(42, hex('c612007b'));
  m.options.setRaw(66, new TextEncoder().encode('tftp.example.test'));
  m.options.setRaw(67, new TextEncoder().encode('boot.ipxe'));
  // RFC 3397: "example.test lab.test" with a compression pointer to "test" at offset 8.
  m.options.setRaw(119, hex('076578616d706c6504746573740003 6c6162 c008'));
  // RFC 3442: 10.0.0.0/8 via 198.18.0.1, default via 198.18.0.1.
  m.options.setRaw(121, hex('080a c6120001 00 c6120001'));
  m.options.setRaw(224, hex('0a0b'));
  return m;
}

describe('udhcpcEnvironment', () => {
  it('builds udhcpc fill_envp() variables for bound/renew', () => {
    const env = udhcpcMessageEnvironment(ack(), 'eth0');
    assert.deepEqual(env, {
      interface: 'eth0',
      ip: '198.18.0.10',
      siaddr: '198.18.0.5',
      boot_file: 'pxelinux.0',
      sname: 'bootsrv',
      subnet: '255.255.255.0',
      mask: '24',
      router: '198.18.0.1 198.18.0.2',
      dns: '198.18.0.53 198.18.0.54',
      hostname: 'box',
      domain: 'example.test',
      mtu: '1400',
      broadcast: '198.18.0.255',
      ntpsrv: '198.18.0.123',
      lease: '3600',
      serverid: '198.18.0.1',
      tftp: 'tftp.example.test',
      bootfile: 'boot.ipxe',
      search: 'example.test lab.test',
      staticroutes: '10.0.0.0/8 198.18.0.1 0.0.0.0/0 198.18.0.1',
      opt53: '05',
      opt58: '00000708',
      opt59: '00000c4e',
      opt224: '0a0b',
    });
  });

  it('gives the same environment from the stored lease as from the ACK', () => {
    const m = ack();
    const lease = leaseFromAck(m, 0)!;
    assert.deepEqual(udhcpcEnvironment(lease, 'eth0'), udhcpcMessageEnvironment(m, 'eth0'));
  });

  it('has only interface for deconfig and leasefail', () => {
    assert.deepEqual(udhcpcEnvironment(null, 'wlan0'), { interface: 'wlan0' });
  });

  it('describes a NAK as udhcpc does for its nak call', () => {
    const m = createMessage({ op: BOOTREPLY });
    m.options.set('dhcp-message-type', MessageType.NAK);
    m.options.set('dhcp-server-identifier', '198.18.0.1');
    m.options.set('dhcp-message', 'requested address not available');
    assert.deepEqual(udhcpcMessageEnvironment(m, 'eth0'), {
      interface: 'eth0',
      ip: '0.0.0.0',
      serverid: '198.18.0.1',
      message: 'requested address not available',
      opt53: '06',
    });
  });

  it('sanitizes host-like strings to "bad" and cuts C strings at NUL', () => {
    const options = new Map<number, Uint8Array>([
      [12, new TextEncoder().encode('a;rm -rf /')],
      [15, hex('6162')], // "ab": fine
      [40, hex('2a')], // "*": bad cut to length - 1 = ""
      [17, hex('2f726f6f74002f6a756e6b')], // "/root\0/junk"
    ]);
    const env = udhcpcPacketEnvironment(
      { yiaddr: '1.2.3.4', siaddr: '0.0.0.0', sname: '', file: '', options },
      'e',
    );
    assert.equal(env.hostname, 'bad');
    assert.equal(env.domain, 'ab');
    assert.equal(env.nisdomain, '');
    assert.equal(env.rootpath, '/root');
    assert.equal(env.siaddr, undefined);
  });

  it('turns search (119) and SIP names that are not domain names into "bad": no newline reaches a script', () => {
    const m = ack();
    const evil = new TextEncoder().encode('evil\nnameserver');
    m.options.setRaw(119, Uint8Array.from([...hex('0161076578616d706c6500'), evil.length, ...evil, 0]));
    m.options.setRaw(120, Uint8Array.from([0, 4, ...new TextEncoder().encode('a$(x'), 0]));
    const env = udhcpcMessageEnvironment(m, 'eth0');
    assert.equal(env.search, 'a.example bad');
    assert.equal(env.sipsrv, 'bad');
  });

  it('formats numbers, pairs, partial lists, odd masks, 6rd and SIP like udhcpc', () => {
    const options = new Map<number, Uint8Array>([
      [1, hex('ff00ff00')], // non-contiguous: udhcpc's mton() gives 24
      [2, hex('fffff1f0')], // time offset -3600
      [3, hex('0a000001 0a00')], // a trailing partial address is ignored
      [23, hex('40')],
      [33, hex('0a000000 c6120001')],
      [120, hex('01 0a000001 0a000002')],
      [132, hex('0064')],
      [212, hex('10 20 20010db8000000000000000000000000 c6120001')],
      [249, hex('18c0a801 c6120001')],
    ]);
    const env = udhcpcPacketEnvironment(
      { yiaddr: '1.2.3.4', siaddr: '0.0.0.0', sname: '', file: '', options },
      'e',
    );
    assert.equal(env.mask, '24');
    assert.equal(env.timezone, '4294963696'); // udhcpc's (unsigned long) cast, as the real one prints it
    assert.equal(env.router, '10.0.0.1');
    assert.equal(env.ipttl, '64');
    assert.equal(env.routes, '10.0.0.0/198.18.0.1');
    assert.equal(env.sipsrv, '10.0.0.1 10.0.0.2');
    assert.equal(env.vlanid, '100');
    assert.equal(env.ip6rd, '16 32 2001:0db8:0000:0000:0000:0000:0000:0000 198.18.0.1');
    assert.equal(env.msstaticroutes, '192.168.1.0/24 198.18.0.1');
  });

  it('decodes RFC 1035 name lists and rejects pointer loops and overruns', () => {
    assert.equal(decodeDomainList(hex('0161 00 0162 00')), 'a b');
    assert.equal(decodeDomainList(hex('c000')), null);
    assert.equal(decodeDomainList(hex('05 6162')), null);
    assert.equal(decodeDomainList(new Uint8Array(0)), '');
  });
});
