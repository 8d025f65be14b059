/** An OFFER/ACK with many kinds of options, to compare udhcpc's script environment with ours. */
import { BOOTREPLY, MessageType, createMessage } from '../../../src/protocol/index.ts';
import type { DhcpMessage } from '../../../src/protocol/index.ts';

function hex(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
}

export function richReply(req: DhcpMessage, type: number, serverId: string, yiaddr: string): DhcpMessage {
  const m = createMessage({
    op: BOOTREPLY,
    xid: req.xid,
    chaddr: req.chaddr,
    hlen: req.hlen,
    flags: req.flags,
    yiaddr,
    siaddr: serverId,
    sname: 'bootsrv',
    file: 'pxelinux.0',
  });
  m.options.set('dhcp-message-type', type);
  m.options.set('dhcp-server-identifier', serverId);
  m.options.set('dhcp-lease-time', 3600);
  m.options.set('dhcp-renewal-time', 1800);
  m.options.set('dhcp-rebinding-time', 3150);
  m.options.set('subnet-mask', '255.255.255.0');
  m.options.set('routers', ['198.18.0.1', '198.18.0.2']);
  m.options.set('domain-name-servers', ['198.18.0.53', '198.18.0.54']);
  m.options.setRaw(2, hex('fffff1f0'));
  m.options.setRaw(12, new TextEncoder().encode('bad host!'));
  m.options.setRaw(15, new TextEncoder().encode('example.test'));
  m.options.setRaw(23, hex('40'));
  m.options.setRaw(26, hex('0578'));
  m.options.setRaw(28, hex('c61200ff'));
  m.options.setRaw(33, hex('0a000000 c6120001'));
  m.options.setRaw(42, hex('c612007b c612007c'));
  m.options.setRaw(44, hex('c6120089'));
  m.options.setRaw(60, new TextEncoder().encode('vendor-x'));
  m.options.setRaw(66, new TextEncoder().encode('tftp.example.test'));
  m.options.setRaw(67, new TextEncoder().encode('boot.ipxe'));
  m.options.setRaw(119, hex('076578616d706c6504746573740003 6c6162 c008'));
  m.options.setRaw(120, hex('01 0a000001 0a000002'));
  m.options.setRaw(121, hex('080a c6120001 00 c6120001'));
  m.options.setRaw(132, hex('0064'));
  m.options.setRaw(212, hex('10 20 20010db8000000000000000000000000 c6120001'));
  m.options.setRaw(249, hex('18c0a801 c6120001'));
  m.options.setRaw(224, hex('0a0b'));
  if (type === MessageType.NAK) m.options.set('dhcp-message', 'no');
  return m;
}
