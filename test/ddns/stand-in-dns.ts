import { createSocket } from 'node:dgram';
import { decodeMessage, RRClass, RRType } from '../../src/ddns/index.ts';

/** What one UPDATE asked, as `<class> <type> <name>` per prerequisite and update record. */
export type ReceivedUpdate = readonly string[];

export interface StandInDns {
  readonly port: number;
  /** Every UPDATE received (also while down). */
  readonly received: ReceivedUpdate[];
  /** While true, UPDATEs get no answer (the client times out), as with a DNS server that is down. */
  down: boolean;
  close(): void;
}

const CLASS_NAMES: Record<number, string> = {
  [RRClass.IN]: 'IN',
  [RRClass.NONE]: 'NONE',
  [RRClass.ANY]: 'ANY',
};
const TYPE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(RRType).map(([k, v]) => [v, k]));

/** `NONE A desk.example.com`: the record an RFC 2136 §2.5.4 "delete this A record" update carries. */
export const deletesA = (fqdn: string) => (u: ReceivedUpdate) => u.includes(`NONE A ${fqdn}`);

/**
 * A DNS server on loopback (IPv4, or IPv6 `::1`) that answers each UPDATE with its own header, QR set, RCODE NOERROR and no records
 * (unsigned: configure no TSIG key for it), and records what it was asked.
 */
export async function standInDns(address: '127.0.0.1' | '::1' = '127.0.0.1'): Promise<StandInDns> {
  const socket = createSocket(address === '::1' ? 'udp6' : 'udp4');
  await new Promise<void>((r) => socket.bind(0, address, r));
  const dns: StandInDns = {
    port: socket.address().port,
    received: [],
    down: false,
    close: () => socket.close(),
  };
  socket.on('message', (m, rinfo) => {
    const decoded = decodeMessage(new Uint8Array(m));
    if (decoded === undefined) return;
    dns.received.push(
      decoded.records.map(
        (r) => `${CLASS_NAMES[r.class] ?? r.class} ${TYPE_NAMES[r.type] ?? r.type} ${r.name}`,
      ),
    );
    if (dns.down) return;
    const answer = Buffer.alloc(12);
    m.copy(answer, 0, 0, 2);
    answer[2] = 0x80 | (5 << 3);
    socket.send(answer, rinfo.port, rinfo.address);
  });
  return dns;
}
