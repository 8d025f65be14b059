/**
 * A minimal DHCP responder for overload-interop.test.ts, run inside a lab namespace: answers DISCOVER and
 * REQUEST with an OFFER and ACK that need option overload at 576 bytes, option 119 split across the
 * options, file and sname fields, sent to the subnet broadcast address.
 */
import dgram from 'node:dgram';
import {
  BOOTREPLY,
  createMessage,
  decodeMessage,
  encodeMessage,
  MessageType,
  messageTypeOf,
} from '../../src/protocol/index.ts';

export const SEARCH = Array.from({ length: 18 }, (_, i) => `zone${i}.site${i}.example.test`);
const [serverIp = '198.18.79.1', yiaddr = '198.18.79.50', broadcast = '198.18.79.255'] =
  process.argv.slice(2);

if (process.argv[1]?.endsWith('overload-responder.ts')) {
  const sock = dgram.createSocket({ type: 'udp4', reuseAddr: true });
  sock.on('message', (bytes) => {
    const req = decodeMessage(bytes);
    const type = messageTypeOf(req);
    if (type !== MessageType.DISCOVER && type !== MessageType.REQUEST) return;
    const reply = createMessage({
      op: BOOTREPLY,
      xid: req.xid,
      chaddr: req.chaddr,
      hlen: req.hlen,
      flags: req.flags,
      yiaddr,
    });
    reply.options
      .set('dhcp-message-type', type === MessageType.DISCOVER ? MessageType.OFFER : MessageType.ACK)
      .set('dhcp-server-identifier', serverIp)
      .set('dhcp-lease-time', 600)
      .set('subnet-mask', '255.255.255.0')
      .set('domain-name', 'example.test')
      .set('root-path', `/srv/${'r'.repeat(95)}`)
      .set('domain-search', SEARCH)
      .set('classless-static-route', [{ destination: '10.0.0.0', prefixLength: 8, router: serverIp }]);
    const wire = encodeMessage(reply, { maxSize: 576 });
    console.log(
      `sent ${wire.length} bytes, overload ${decodeMessage(wire).options.get('dhcp-option-overload')}`,
    );
    sock.send(wire, 68, broadcast);
  });
  sock.bind(67, () => {
    sock.setBroadcast(true);
    console.log('listening');
  });
}
