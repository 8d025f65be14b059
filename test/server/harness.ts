/** Test harness: builds client messages with the codec and runs the engine the way the runtime must. */
import assert from 'node:assert/strict';
import { compileConfig } from '../../src/config/compile.ts';
import { MemoryLeaseStore } from '../../src/leases/memory.ts';
import {
  MessageType,
  createMessage,
  decodeMessage,
  parseMac,
  type DhcpMessage,
  type OptionName,
  type OptionValues,
} from '../../src/protocol/index.ts';
import {
  settle,
  DhcpServerEngine,
  encodeReply,
  type ArrivalMeta,
  type EngineEvent,
  type EngineOptions,
  type EngineOutput,
  type ReplyDestination,
} from '../../src/server/index.ts';
import { performWrites } from '../../src/server/settle.ts';

export const T0 = Date.UTC(2026, 0, 1);

export type Opts = { [N in OptionName]?: OptionValues[N] };

export interface MsgInit {
  xid?: number;
  flags?: number;
  ciaddr?: string;
  giaddr?: string;
  options?: Opts;
}

export function msg(type: number, mac: string, init: MsgInit = {}): DhcpMessage {
  const m = createMessage({
    xid: init.xid ?? 0x1234,
    flags: init.flags ?? 0,
    ciaddr: init.ciaddr ?? '0.0.0.0',
    giaddr: init.giaddr ?? '0.0.0.0',
    chaddr: parseMac(mac),
    hops: init.giaddr ? 1 : 0,
  });
  m.options.set('dhcp-message-type', type);
  for (const [name, value] of Object.entries(init.options ?? {})) {
    m.options.set(name as OptionName, value as never);
  }
  // Round-trip through the wire so the engine sees exactly what a decoder produces.
  return decodeMessage(encodeMessageForTest(m));
}

function encodeMessageForTest(m: DhcpMessage): Uint8Array {
  return encodeReply({
    message: m,
    maxSize: 1500,
    interface: 'x',
    destination: { kind: 'broadcast', address: '255.255.255.255', port: 68 },
  });
}

export const ETH0: ArrivalMeta = {
  interface: 'eth0',
  interfaceAddresses: [{ address: '198.18.0.1', prefixLength: 24 }],
  sourceAddress: '0.0.0.0',
  sourcePort: 68,
};

export interface Received {
  /** The reply as a client would decode it off the wire. */
  readonly message: DhcpMessage;
  readonly destination: ReplyDestination;
  readonly type: number | undefined;
  readonly size: number;
}

export const basicConfig = {
  Dhcp4: {
    'interfaces-config': { interfaces: ['eth0'] },
    'valid-lifetime': 3600,
    'option-data': [{ name: 'domain-name-servers', data: '198.18.0.53' }],
    subnet4: [
      {
        id: 1,
        subnet: '198.18.0.0/24',
        pools: [{ pool: '198.18.0.10 - 198.18.0.20' }],
        'option-data': [{ name: 'routers', data: '198.18.0.1' }],
      },
    ],
  },
};

/**
 * The commit loop of `settle`, unrolled for checks at the moment replies leave: `inspect` sees each step's
 * output (and is awaited) before that step's writes go to the lab's store; a refusal goes to `commitFailed`.
 */
export async function stepCommits(
  lab: Lab,
  first: EngineOutput,
  inspect: (out: EngineOutput) => Promise<void>,
): Promise<void> {
  for (let out: EngineOutput | undefined = first; out;) {
    await inspect(out);
    const commit: EngineOutput['commit'] = out.commit;
    if (!commit) break;
    const refused = await performWrites(lab.store, commit.writes, lab.now);
    out =
      refused === undefined
        ? lab.engine.commitSucceeded(commit.token, lab.now)
        : lab.engine.commitFailed(commit.token, lab.now, refused);
  }
}

/**
 * One server (engine + shared store) as the runtime wires it: store changes feed the engine, writes are
 * committed before the replies that depend on them are sent, refusals go back through `commitFailed`.
 */
export class Lab {
  readonly engine: DhcpServerEngine;
  readonly store: MemoryLeaseStore;
  now = T0;
  readonly events: EngineEvent[] = [];
  readonly unsubscribe: () => void;

  constructor(config: unknown = basicConfig, store = new MemoryLeaseStore(), options: EngineOptions = {}) {
    this.store = store;
    this.engine = new DhcpServerEngine(compileConfig(config), options);
    this.unsubscribe = store.onChange((c) => this.engine.applyLeaseChange(c));
  }

  advance(seconds: number): void {
    this.now += seconds * 1000;
  }

  async send(m: DhcpMessage, meta: ArrivalMeta = ETH0): Promise<Received[]> {
    const { replies: out, events } = await settle(
      this.engine,
      this.engine.handle(m, meta, this.now),
      this.store,
      this.now,
    );
    this.events.push(...events);
    return out.map((r) => {
      const bytes = encodeReply(r);
      assert.ok(bytes.length + 28 <= r.maxSize, 'reply exceeds the client maximum message size');
      const message = decodeMessage(bytes);
      return {
        message,
        destination: r.destination,
        type: message.options.get('dhcp-message-type'),
        size: bytes.length,
      };
    });
  }

  /** Sends and expects exactly one reply. */
  async one(m: DhcpMessage, meta: ArrivalMeta = ETH0): Promise<Received> {
    const r = await this.send(m, meta);
    assert.equal(r.length, 1, `expected one reply, got ${r.length}: ${this.lastEvent()}`);
    return r[0] as Received;
  }

  async none(m: DhcpMessage, meta: ArrivalMeta = ETH0): Promise<void> {
    const r = await this.send(m, meta);
    assert.equal(r.length, 0, `expected no reply: ${this.lastEvent()}`);
  }

  /** DISCOVER -> OFFER -> REQUEST -> ACK; returns the ACK. */
  async dora(mac: string, init: MsgInit = {}, meta: ArrivalMeta = ETH0): Promise<Received> {
    const offer = await this.one(msg(MessageType.DISCOVER, mac, init), meta);
    assert.equal(offer.type, MessageType.OFFER, this.lastEvent());
    const ack = await this.one(
      msg(MessageType.REQUEST, mac, {
        ...init,
        options: {
          ...init.options,
          'dhcp-server-identifier': offer.message.options.get('dhcp-server-identifier') ?? '',
          'dhcp-requested-address': offer.message.yiaddr,
        },
      }),
      meta,
    );
    assert.equal(ack.type, MessageType.ACK, this.lastEvent());
    return ack;
  }

  lastEvent(): string {
    return this.events.at(-1)?.text ?? '(no event)';
  }
}
