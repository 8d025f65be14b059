import { compileConfig } from '../config/index.ts';
import { MessageType, createMessage, decodeMessage, encodeMessage } from '../protocol/index.ts';
import { DhcpServerEngine, encodeReply, runCommitLoop } from '../server/index.ts';
import type { ArrivalMeta, CommitWriter, OutgoingReply } from '../server/index.ts';

/** A private configuration: the warm-up never touches the served one, its engine, store or statistics. */
const WARM_UP_CONFIG = {
  Dhcp4: {
    'valid-lifetime': 3600,
    subnet4: [
      {
        id: 1,
        subnet: '198.18.0.0/16',
        pools: [{ pool: '198.18.1.0 - 198.18.255.254' }],
        'option-data': [
          { name: 'routers', data: '198.18.0.1' },
          { name: 'domain-name-servers', data: '198.18.0.1' },
        ],
      },
    ],
  },
};

const RELAYED: ArrivalMeta = {
  interface: 'warm-up',
  interfaceAddresses: [{ address: '198.18.0.1', prefixLength: 16 }],
  sourceAddress: '198.18.0.2',
  sourcePort: 67,
};
const DIRECT: ArrivalMeta = { ...RELAYED, sourceAddress: '0.0.0.0', sourcePort: 68, broadcast: true };

function clientPacket(type: number, i: number, relayed: boolean, offer?: { yiaddr: string }): Buffer {
  const chaddr = Uint8Array.from([0x02, 0x77, 0x61, (i >> 16) & 255, (i >> 8) & 255, i & 255]);
  const m = createMessage({ xid: i, chaddr, ...(relayed ? { giaddr: '198.18.0.2', hops: 1 } : {}) });
  m.options.set('dhcp-message-type', type);
  m.options.set('dhcp-parameter-request-list', [1, 3, 6, 15, 51, 54]);
  if (offer) {
    m.options.set('dhcp-server-identifier', '198.18.0.1');
    m.options.set('dhcp-requested-address', offer.yiaddr);
  }
  return encodeMessage(m);
}

/** A store that takes every write at once: the warm-up runs the server's commit loop without touching disk. */
const acceptEverything: CommitWriter = () => Promise.resolve(undefined);

/** One exchange through the server's commit loop; resolves with the encoded reply, if any. */
function exchange(
  engine: DhcpServerEngine,
  bytes: Buffer,
  meta: ArrivalMeta,
  now: number,
): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    let reply: OutgoingReply | undefined;
    let failure: { readonly error: unknown } | undefined;
    runCommitLoop(engine, engine.handle(decodeMessage(bytes), meta, now), acceptEverything, now, {
      emit: (out) => (reply = out.replies[0]), // the last output's reply, as a client would see it
      touched: () => undefined,
      stored: () => undefined,
      storeFailed: (error) => (failure ??= { error }),
      failed: (error) => (failure ??= { error }),
      finished: () => {
        if (failure !== undefined) reject(failure.error);
        else resolve(reply === undefined ? undefined : encodeReply(reply));
      },
    });
  });
}

/**
 * Runs synthetic DHCPDISCOVER/REQUEST exchanges through a scratch engine, the server's commit loop and the
 * codec (no socket, no store) before the server answers its first client, so V8 has compiled the hot paths by
 * then. A freshly started
 * server otherwise answers its first second of traffic (a restart in front of every client of a site at once)
 * several times slower than it will a second later, and answers the backlog in one burst. Stops after
 * `maxExchanges` or `maxMs`, whichever comes first; returns how many exchanges it made.
 */
export async function warmUp(maxExchanges = 4000, maxMs = 500): Promise<number> {
  const engine = new DhcpServerEngine(compileConfig(WARM_UP_CONFIG));
  const started = Date.now();
  let done = 0;
  for (let i = 0; i < maxExchanges && Date.now() - started < maxMs; i++) {
    const relayed = i % 4 !== 0;
    const meta = relayed ? RELAYED : DIRECT;
    const offerBytes = await exchange(engine, clientPacket(MessageType.DISCOVER, i, relayed), meta, started);
    if (!offerBytes) break;
    const offer = decodeMessage(offerBytes);
    const ack = await exchange(engine, clientPacket(MessageType.REQUEST, i, relayed, offer), meta, started);
    if (!ack) break;
    done++;
  }
  return done;
}
