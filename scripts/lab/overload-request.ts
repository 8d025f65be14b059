/**
 * Sends one DHCPDISCOVER crafted to make a server overload (RFC 2132 §9.3, option 52): a maximum message
 * size of 576 (option 57) and a parameter request list naming many options, broadcast from port 68. Run
 * inside a lab namespace by capture-fixtures.ts (the `overload` scenario): `node --import tsx
 * scripts/lab/overload-request.ts MAC`. Prints "sent" and exits after the first reply, or after 10 s.
 */
import dgram from 'node:dgram';
import { createMessage, encodeMessage, MessageType, parseMac } from '../../src/protocol/index.ts';

const mac = process.argv[2] ?? '02:00:00:00:06:06';
const m = createMessage({ xid: 0x52525252, flags: 0x8000, chaddr: parseMac(mac) });
m.options
  .set('dhcp-message-type', MessageType.DISCOVER)
  .set('dhcp-max-message-size', 576)
  // subnet mask, routers, DNS, host name, merit dump file, domain name, root path, extensions path, NIS
  // domain, NTP, NetBIOS name servers and scope, NIS+ domain, TFTP server name, bootfile name, domain search
  .set('dhcp-parameter-request-list', [1, 3, 6, 12, 14, 15, 17, 18, 40, 42, 44, 47, 64, 66, 67, 119]);
const sock = dgram.createSocket({ type: 'udp4', reuseAddr: true });
const done = setTimeout(() => sock.close(), 10_000);
sock.on('message', () => {
  clearTimeout(done);
  sock.close();
});
sock.bind(68, () => {
  sock.setBroadcast(true);
  sock.send(encodeMessage(m), 67, '255.255.255.255', (err) =>
    console.log(err ? `not sent: ${err.message}` : 'sent'),
  );
});
