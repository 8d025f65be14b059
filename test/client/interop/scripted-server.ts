/**
 * A scripted DHCP server for namespace tests, run inside the server namespace on 198.18.0.1:
 * `scripted-server.ts MODE [CLIENT_PORT]`, listening on CLIENT_PORT - 1 (udhcpc's -P pairing).
 * - `hostile`: every OFFER/ACK carries lease time 0, subnet mask 0.0.0.0, a router that is not on the
 *   link, and a domain name (option 15) with a newline and a nameserver line in it.
 * - `plain`: a sane one-hour lease of the requested address (option 50, else ciaddr, else .10), /24.
 * INFORMs get an ACK with DNS servers and no lease. Replies go to the subnet broadcast. Prints `ready`,
 * then `req TYPE` per request on stdout.
 */
import { createSocket } from 'node:dgram';
import {
  BOOTREPLY,
  MessageType,
  createMessage,
  decodeMessage,
  encodeMessage,
  messageTypeOf,
} from '../../../src/protocol/index.ts';
import type { DhcpMessage } from '../../../src/protocol/index.ts';

const mode = process.argv[2] === 'hostile' ? 'hostile' : 'plain';
const clientPort = Number(process.argv[3] ?? '68');
const SERVER_ID = '198.18.0.1';

function reply(req: DhcpMessage, type: number): DhcpMessage {
  const asked = req.options.get('dhcp-requested-address');
  const yiaddr =
    type === MessageType.ACK && messageTypeOf(req) === MessageType.INFORM
      ? '0.0.0.0'
      : (asked ?? (req.ciaddr !== '0.0.0.0' ? req.ciaddr : '198.18.0.10'));
  const m = createMessage({ op: BOOTREPLY, xid: req.xid, chaddr: req.chaddr, hlen: req.hlen, yiaddr });
  m.options.set('dhcp-message-type', type);
  m.options.set('dhcp-server-identifier', SERVER_ID);
  m.options.set('domain-name-servers', ['198.18.0.53']);
  if (messageTypeOf(req) === MessageType.INFORM) {
    m.ciaddr = req.ciaddr;
    m.options.setRaw(15, new TextEncoder().encode('lab.example'));
    return m;
  }
  if (mode === 'hostile') {
    m.options.set('dhcp-lease-time', 0);
    m.options.set('subnet-mask', '0.0.0.0');
    m.options.set('routers', ['198.19.0.1']);
    m.options.setRaw(15, new TextEncoder().encode('corp.example\nnameserver 203.0.113.66'));
  } else {
    m.options.set('dhcp-lease-time', 3600);
    m.options.set('subnet-mask', '255.255.255.0');
  }
  return m;
}

const sock = createSocket({ type: 'udp4', reuseAddr: true });
sock.on('message', (buf) => {
  let req: DhcpMessage;
  try {
    req = decodeMessage(buf);
  } catch {
    return;
  }
  const t = messageTypeOf(req);
  process.stdout.write(`req ${t ?? 0}\n`);
  const type =
    t === MessageType.DISCOVER
      ? MessageType.OFFER
      : t === MessageType.REQUEST || t === MessageType.INFORM
        ? MessageType.ACK
        : null;
  if (type === null) return;
  sock.send(encodeMessage(reply(req, type)), clientPort, '198.18.0.255');
});
sock.bind(clientPort - 1, () => {
  sock.setBroadcast(true);
  process.stdout.write('ready\n');
});
