/**
 * A fixed corpus of exchanges through the engine and the encoder, each reply as its destination and wire
 * bytes in hex ('-' for no reply): direct and relayed (by giaddr's subnet and by `relay.ip-addresses`), with
 * and without client identifiers, host names and parameter lists, a reservation, renewals, another server
 * chosen, INIT-REBOOT on a wrong address (NAK), RELEASE. `reply-corpus.test.ts` compares it with the bytes the
 * server sent before the main thread's cuts (data/reply-corpus.json).
 */
import { compileConfig } from '../../src/config/compile.ts';
import { MemoryLeaseStore } from '../../src/leases/memory.ts';
import {
  MessageType,
  createMessage,
  decodeMessage,
  encodeMessage,
  parseMac,
} from '../../src/protocol/index.ts';
import type { DhcpMessage, OptionName, OptionValues } from '../../src/protocol/index.ts';
import { DhcpServerEngine, encodeReply, settle, type ArrivalMeta } from '../../src/server/index.ts';

const T0 = Date.UTC(2026, 0, 1);

const config = {
  Dhcp4: {
    'interfaces-config': { interfaces: ['eth0'] },
    'valid-lifetime': 3600,
    'option-data': [
      { name: 'domain-name-servers', data: '198.18.0.53, 198.18.0.54' },
      { name: 'domain-name', data: 'example.test' },
    ],
    subnet4: [
      {
        id: 1,
        subnet: '198.18.0.0/24',
        pools: [{ pool: '198.18.0.10 - 198.18.0.200' }],
        'option-data': [{ name: 'routers', data: '198.18.0.1' }],
        reservations: [
          { 'hw-address': '02:be:00:00:00:04', 'ip-address': '198.18.0.250', hostname: 'printer' },
        ],
      },
      {
        id: 2,
        subnet: '198.18.1.0/24',
        pools: [{ pool: '198.18.1.10 - 198.18.1.200' }],
        'option-data': [
          { name: 'routers', data: '198.18.1.1' },
          { name: 'ntp-servers', data: '198.18.1.2' },
        ],
        'valid-lifetime': 600,
      },
      {
        id: 3,
        subnet: '198.18.2.0/24',
        pools: [{ pool: '198.18.2.10 - 198.18.2.200' }],
        relay: { 'ip-addresses': ['198.18.9.1'] },
        'option-data': [{ name: 'routers', data: '198.18.2.1' }],
      },
    ],
  },
};

const ETH0: ArrivalMeta = {
  interface: 'eth0',
  interfaceAddresses: [{ address: '198.18.0.1', prefixLength: 24 }],
  sourceAddress: '0.0.0.0',
  sourcePort: 68,
};

type Opts = { [N in OptionName]?: OptionValues[N] };

interface Client {
  mac: string;
  giaddr: string;
  options: Opts;
}

function packet(type: number, c: Client, xid: number, ciaddr = '0.0.0.0', extra: Opts = {}): DhcpMessage {
  const m = createMessage({
    xid,
    chaddr: parseMac(c.mac),
    giaddr: c.giaddr,
    ciaddr,
    hops: c.giaddr === '0.0.0.0' ? 0 : 1,
  });
  m.options.set('dhcp-message-type', type);
  for (const [name, value] of Object.entries({ ...c.options, ...extra }))
    m.options.set(name as OptionName, value as never);
  return decodeMessage(encodeMessage(m, { maxSize: 1500 }));
}

const PARAMETER_LISTS: readonly (readonly number[] | undefined)[] = [
  undefined,
  [1, 3, 6, 15, 51, 54],
  [1, 3, 6, 12, 15, 28, 42],
  [121, 3, 1, 6],
  [1, 3, 6, 15, 119, 252],
];

function clientOf(i: number): Client {
  const hex = i.toString(16).padStart(2, '0');
  const mac = `02:be:00:00:00:${hex}`;
  const giaddr = ['0.0.0.0', '198.18.1.1', '198.18.9.1'][i % 3]!;
  const options: Opts = {};
  if (i % 2 === 1) options['dhcp-client-identifier'] = Uint8Array.from([1, ...parseMac(mac)]);
  if (i % 4 === 0) options['host-name'] = `host-${i}`;
  const prl = PARAMETER_LISTS[i % PARAMETER_LISTS.length];
  if (prl !== undefined) options['dhcp-parameter-request-list'] = [...prl];
  return { mac, giaddr, options };
}

/** Every reply of the corpus, in order: `<kind> <address>:<port> <hex>`, or '-' where none was sent. */
export async function replyCorpus(): Promise<string[]> {
  const store = new MemoryLeaseStore();
  const engine = new DhcpServerEngine(compileConfig(config));
  store.onChange((c) => engine.applyLeaseChange(c));
  const out: string[] = [];
  let now = T0;
  const send = async (m: DhcpMessage, meta: ArrivalMeta = ETH0): Promise<DhcpMessage | undefined> => {
    const { replies } = await settle(engine, engine.handle(m, meta, now), store, now);
    if (replies.length === 0) out.push('-');
    for (const r of replies) {
      const d = r.destination;
      out.push(`${d.kind} ${d.address}:${d.port} ${Buffer.from(encodeReply(r)).toString('hex')}`);
    }
    const first = replies[0];
    return first === undefined ? undefined : decodeMessage(encodeReply(first));
  };
  for (let i = 0; i < 48; i++) {
    const c = clientOf(i);
    const meta: ArrivalMeta =
      c.giaddr === '0.0.0.0' ? ETH0 : { ...ETH0, sourceAddress: c.giaddr, sourcePort: 67 };
    const xid = 0x1000 + i;
    const offer = await send(packet(MessageType.DISCOVER, c, xid), meta);
    if (offer === undefined) continue;
    const serverId = offer.options.get('dhcp-server-identifier') ?? '';
    await send(
      packet(MessageType.REQUEST, c, xid, '0.0.0.0', {
        'dhcp-server-identifier': serverId,
        'dhcp-requested-address': offer.yiaddr,
      }),
      meta,
    );
    now += 1000;
    await send(packet(MessageType.REQUEST, c, xid + 1, offer.yiaddr), meta);
    await send(
      packet(MessageType.REQUEST, c, xid + 2, '0.0.0.0', {
        'dhcp-server-identifier': '198.18.0.99',
        'dhcp-requested-address': offer.yiaddr,
      }),
      meta,
    );
    await send(
      packet(MessageType.REQUEST, c, xid + 3, '0.0.0.0', { 'dhcp-requested-address': '198.18.7.7' }),
      meta,
    );
    if (i % 5 === 0)
      await send(
        packet(MessageType.RELEASE, c, xid + 4, offer.yiaddr, { 'dhcp-server-identifier': serverId }),
        meta,
      );
    now += 1000;
  }
  return out;
}
