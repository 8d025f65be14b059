/**
 * Virtual-time harness for the client engine: a scripted fake server that builds its replies with the
 * codec, a lossy wire in both directions, and an ARP prober whose answer the test chooses.
 */
import {
  BOOTREPLY,
  MessageType,
  createMessage,
  decodeMessage,
  encodeMessage,
  messageTypeOf,
} from '../../src/protocol/index.ts';
import type { DhcpMessage } from '../../src/protocol/index.ts';
import { DhcpClientEngine } from '../../src/client/engine.ts';
import type { StartOptions } from '../../src/client/engine.ts';
import type { ClientAction, ClientEvent, ClientStep, SendAction } from '../../src/client/actions.ts';
import type { ClientConfig } from '../../src/client/config.ts';

export const MAC = '02:00:5e:00:00:01';
export const MAC_BYTES = Uint8Array.of(0x02, 0x00, 0x5e, 0x00, 0x00, 0x01);
export const T0 = 1_800_000_000_000;

/** A client with no jitter (random() = 0.5) and a counter-based xid sequence. */
export function makeClient(overrides: Partial<ClientConfig> = {}): DhcpClientEngine {
  return new DhcpClientEngine({ hwAddress: MAC, arpProbe: false, random: () => 0.5, ...overrides });
}

export type ServerMode = 'normal' | 'silent' | 'nak';

export interface ServerOptions {
  serverId?: string;
  address?: string;
  leaseTime?: number;
  t1?: number;
  t2?: number;
  mask?: string;
  routers?: string[];
  dns?: string[];
}

/** A minimal RFC 2131 server: offers one address, ACKs requests for it, NAKs on demand. */
export class FakeServer {
  readonly serverId: string;
  address: string;
  leaseTime: number;
  t1: number | undefined;
  t2: number | undefined;
  mask: string;
  routers: string[];
  dns: string[];
  mode: ServerMode = 'normal';
  /** Every message the server received, decoded from the bytes the client produced. */
  readonly received: { msg: DhcpMessage; action: SendAction }[] = [];
  /** Extra tweaks applied to each reply before it is encoded. */
  tweak: ((reply: DhcpMessage, req: DhcpMessage) => void) | null = null;

  constructor(o: ServerOptions = {}) {
    this.serverId = o.serverId ?? '198.18.0.1';
    this.address = o.address ?? '198.18.0.10';
    this.leaseTime = o.leaseTime ?? 3600;
    this.t1 = o.t1;
    this.t2 = o.t2;
    this.mask = o.mask ?? '255.255.255.0';
    this.routers = o.routers ?? ['198.18.0.1'];
    this.dns = o.dns ?? ['198.18.0.53'];
  }

  receivedOfType(type: number): DhcpMessage[] {
    return this.received.filter((r) => messageTypeOf(r.msg) === type).map((r) => r.msg);
  }

  /** Whether a send reaches this server: broadcasts and unicasts to its address do. */
  hears(a: SendAction): boolean {
    return a.broadcast || a.to === this.serverId;
  }

  reply(req: DhcpMessage): DhcpMessage | null {
    const type = messageTypeOf(req);
    if (this.mode === 'silent') return null;
    if (type === MessageType.DISCOVER) {
      return this.mode === 'nak' ? null : this.build(req, MessageType.OFFER, this.address, true);
    }
    if (type === MessageType.REQUEST) {
      const sid = req.options.get('dhcp-server-identifier');
      if (sid !== undefined && sid !== this.serverId) return null; // another server was chosen
      const wanted = req.options.get('dhcp-requested-address') ?? req.ciaddr;
      if (this.mode === 'nak' || wanted !== this.address) return this.nak(req);
      return this.build(req, MessageType.ACK, this.address, true);
    }
    if (type === MessageType.INFORM) {
      const ack = this.build(req, MessageType.ACK, '0.0.0.0', false);
      ack.ciaddr = req.ciaddr;
      return ack;
    }
    return null; // DECLINE, RELEASE: no answer (RFC 2131 §4.3.3, §4.3.4)
  }

  build(req: DhcpMessage, type: number, yiaddr: string, withLease: boolean): DhcpMessage {
    const m = createMessage({
      op: BOOTREPLY,
      xid: req.xid,
      chaddr: req.chaddr,
      hlen: req.hlen,
      yiaddr,
      flags: req.flags,
    });
    m.options.set('dhcp-message-type', type);
    m.options.set('dhcp-server-identifier', this.serverId);
    if (withLease) {
      m.options.set('dhcp-lease-time', this.leaseTime);
      if (this.t1 !== undefined) m.options.set('dhcp-renewal-time', this.t1);
      if (this.t2 !== undefined) m.options.set('dhcp-rebinding-time', this.t2);
    }
    m.options.set('subnet-mask', this.mask);
    m.options.set('routers', this.routers);
    m.options.set('domain-name-servers', this.dns);
    this.tweak?.(m, req);
    return m;
  }

  nak(req: DhcpMessage): DhcpMessage {
    const m = createMessage({ op: BOOTREPLY, xid: req.xid, chaddr: req.chaddr, hlen: req.hlen });
    m.options.set('dhcp-message-type', MessageType.NAK);
    m.options.set('dhcp-server-identifier', this.serverId);
    m.options.set('dhcp-message', 'wrong address');
    return m;
  }
}

interface Pending {
  at: number;
  seq: number;
  run: () => ClientStep;
}

/** Drives one engine in virtual time against fake servers. */
export class Sim {
  now = T0;
  readonly client: DhcpClientEngine;
  readonly servers: FakeServer[];
  /** Every action the engine produced, in order, with the time it was produced. */
  readonly log: { at: number; action: ClientAction }[] = [];
  /** Client→server messages to lose (counted over all servers' deliveries, first N). */
  dropToServer = 0;
  /** Server→client replies to lose (first N). */
  dropFromServer = 0;
  /** Deliver every reply this many times (duplicates on the wire). */
  copies = 1;
  latencyMs = 5;
  /** The ARP prober's answer; undefined leaves the probe unanswered. */
  probeAnswer: ((address: string) => boolean | undefined) | null = () => false;
  probeDelayMs = 1_000;
  #queue: Pending[] = [];
  #seq = 0;

  constructor(client: DhcpClientEngine, servers: FakeServer[]) {
    this.client = client;
    this.servers = servers;
  }

  start(opts?: StartOptions): void {
    this.apply(this.client.start(this.now, opts));
  }

  /** Runs one command against the engine at the current time. */
  act(f: (c: DhcpClientEngine, now: number) => ClientStep): void {
    this.apply(f(this.client, this.now));
  }

  schedule(at: number, run: () => ClientStep): void {
    this.#queue.push({ at, seq: this.#seq++, run });
  }

  apply(step: ClientStep): void {
    for (const action of step.actions) {
      this.log.push({ at: this.now, action });
      if (action.type === 'send') this.#deliverToServers(action);
      if (action.type === 'probe' && this.probeAnswer !== null) {
        const conflict = this.probeAnswer(action.address);
        if (conflict !== undefined) {
          const address = action.address;
          this.schedule(this.now + this.probeDelayMs, () =>
            this.client.probeResult(this.now, { address, conflict }),
          );
        }
      }
    }
  }

  #deliverToServers(a: SendAction): void {
    if (this.dropToServer > 0) {
      this.dropToServer--;
      return;
    }
    for (const server of this.servers) {
      if (!server.hears(a)) continue;
      const req = decodeMessage(a.bytes);
      server.received.push({ msg: req, action: a });
      const reply = server.reply(req);
      if (reply === null) continue;
      const bytes = encodeMessage(reply);
      for (let i = 0; i < this.copies; i++) {
        if (this.dropFromServer > 0) {
          this.dropFromServer--;
          continue;
        }
        this.schedule(this.now + this.latencyMs, () => this.client.handle(this.now, bytes));
      }
    }
  }

  /** Advances virtual time to `until`, firing engine deadlines and queued deliveries in order. */
  runUntil(until: number): void {
    for (let guard = 0; guard < 100_000; guard++) {
      this.#queue.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.#queue[0];
      const deadline = this.client.nextDeadline();
      const t = Math.min(next?.at ?? Infinity, deadline ?? Infinity);
      if (t > until) break;
      this.now = Math.max(this.now, t);
      if (next !== undefined && next.at <= (deadline ?? Infinity)) {
        this.#queue.shift();
        this.apply(next.run());
      } else {
        this.apply(this.client.poll(this.now));
      }
    }
    this.now = Math.max(this.now, until);
  }

  runFor(ms: number): void {
    this.runUntil(this.now + ms);
  }

  /** Inject raw bytes as if received now. */
  inject(bytes: Uint8Array | DhcpMessage): void {
    this.apply(this.client.handle(this.now, bytes));
  }

  sends(): { at: number; action: SendAction }[] {
    return this.log.filter((l): l is { at: number; action: SendAction } => l.action.type === 'send');
  }

  sentTypes(): number[] {
    return this.sends().map((s) => messageTypeOf(s.action.message) ?? 0);
  }

  events(): ClientEvent[] {
    return this.log.flatMap((l) => (l.action.type === 'event' ? [l.action.event] : []));
  }

  states(): string[] {
    return this.events().flatMap((e) => (e.type === 'state' ? [e.to] : []));
  }

  /** 'configure:bound', 'deconfigure:expired', 'probe', ... in order. */
  runtimeActions(): string[] {
    return this.log.flatMap((l) => {
      const a = l.action;
      if (a.type === 'configure') return [`configure:${a.reason}`];
      if (a.type === 'deconfigure') return [`deconfigure:${a.reason}`];
      if (a.type === 'probe') return [`probe:${a.address}`];
      return [];
    });
  }
}

/** A reply as another server or a broken one would send it, for bogus-packet tests. */
export function replyFor(
  req: DhcpMessage,
  type: number,
  init: Partial<DhcpMessage> = {},
  serverId = '198.18.0.1',
): DhcpMessage {
  const m = createMessage({
    op: BOOTREPLY,
    xid: req.xid,
    chaddr: req.chaddr,
    yiaddr: '198.18.0.10',
    ...init,
  });
  m.options.set('dhcp-message-type', type);
  if (serverId !== '') m.options.set('dhcp-server-identifier', serverId);
  m.options.set('dhcp-lease-time', 3600);
  return m;
}
