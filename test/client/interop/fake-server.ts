/**
 * Runs inside the server namespace: answers DISCOVER with OFFER and REQUEST with ACK (rich options),
 * sending to the subnet broadcast, and appends each reply's hex to the file given as argv[2].
 */
import { createSocket } from 'node:dgram';
import { appendFileSync } from 'node:fs';
import { MessageType, decodeMessage, encodeMessage, messageTypeOf } from '../../../src/protocol/index.ts';
import { richReply } from './rich-reply.ts';

const out = process.argv[2]!;
const sock = createSocket({ type: 'udp4', reuseAddr: true });
sock.on('message', (buf) => {
  let req;
  try {
    req = decodeMessage(buf);
  } catch {
    return;
  }
  const t = messageTypeOf(req);
  appendFileSync(out, `req ${buf.toString('hex')}\n`);
  const type =
    t === MessageType.DISCOVER ? MessageType.OFFER : t === MessageType.REQUEST ? MessageType.ACK : null;
  if (type === null) return;
  const bytes = encodeMessage(richReply(req, type, '198.18.0.1', '198.18.0.10'));
  appendFileSync(out, `${type} ${bytes.toString('hex')}\n`);
  sock.send(bytes, 68, '198.18.0.255');
});
sock.bind(67, () => {
  sock.setBroadcast(true);
  appendFileSync(out, 'ready\n');
});
