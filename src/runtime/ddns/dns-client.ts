import { createSocket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import type { DnsServer } from '../../config/index.ts';
import {
  DdnsError,
  decodeMessage,
  encodeUpdate,
  OPCODE_UPDATE,
  type ResourceRecord,
} from '../../ddns/index.ts';
import { signRequest, verifyResponse } from './tsig.ts';

/** No answer, or an answer we cannot trust: the change is retried later. */
export class DnsUnreachableError extends DdnsError {
  constructor(message: string) {
    super('ERR_DDNS_UNREACHABLE', message);
    this.name = 'DnsUnreachableError';
  }
}

export interface ExchangeOptions {
  readonly timeoutMs: number;
  readonly nowSeconds: () => number;
}

/**
 * Sends one UPDATE to one server over UDP and resolves with the answer's RCODE once the answer is
 * verified (RFC 2136 §3.8, RFC 8945 §5.3): from the server we asked (the socket is connected), same ID,
 * QR set, opcode UPDATE, and a valid TSIG when the request was signed. Anything else is ignored until
 * the timeout, which rejects with `DnsUnreachableError`.
 */
export function sendUpdate(
  server: DnsServer,
  zone: string,
  prerequisites: readonly ResourceRecord[],
  updates: readonly ResourceRecord[],
  options: ExchangeOptions,
): Promise<number> {
  const id = randomInt(0x10000);
  let message = encodeUpdate({ id, zone, prerequisites, updates });
  let requestMac: Uint8Array | undefined;
  if (server.key !== undefined) {
    const signed = signRequest(message, server.key, options.nowSeconds());
    message = signed.message;
    requestMac = signed.mac;
  }
  return new Promise((resolve, reject) => {
    const socket = createSocket(server.address.includes(':') ? 'udp6' : 'udp4');
    const where = server.address.includes(':') ? `[${server.address}]` : server.address;
    let lastProblem = 'no answer';
    const done = (fn: () => void): void => {
      clearTimeout(timer);
      socket.close();
      fn();
    };
    const timer = setTimeout(
      () => done(() => reject(new DnsUnreachableError(`${where}:${server.port}: ${lastProblem}`))),
      options.timeoutMs,
    );
    socket.on('error', (err) =>
      done(() => reject(new DnsUnreachableError(`${server.address}: ${err.message}`))),
    );
    socket.on('message', (raw) => {
      const b = new Uint8Array(raw);
      const m = decodeMessage(b);
      if (m === undefined || m.id !== id || !m.qr || m.opcode !== OPCODE_UPDATE) {
        lastProblem = 'an answer that does not match the request';
        return;
      }
      if (server.key !== undefined && requestMac !== undefined) {
        const v = verifyResponse(b, m, server.key, requestMac, options.nowSeconds());
        if (!v.ok) {
          lastProblem = `TSIG: ${v.reason}`;
          return;
        }
      }
      done(() => resolve(m.rcode));
    });
    socket.connect(server.port, server.address, () => {
      socket.send(message, (err) => {
        if (err) done(() => reject(new DnsUnreachableError(`${server.address}: ${err.message}`)));
      });
    });
  });
}
