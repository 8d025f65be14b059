/** What the HA tests share: a client host on the virtual LAN and waiting helpers. */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { ClientStep } from '../../src/client/actions.ts';
import { DhcpClient } from '../../src/client/engine.ts';
import { loadBalanceHash } from '../../src/ha/hash.ts';
import { decodeMessage, messageTypeOf, parseMac, type DhcpMessage } from '../../src/protocol/index.ts';
import type {
  VirtualLink,
  VirtualNetwork,
  VirtualNic,
  VirtualTransport,
} from '../../src/transport/virtual/index.ts';

const ACK = 5;

/** A client host: the project's client engine on real timers; every ACK it receives is recorded. */
export class Client {
  readonly mac: string;
  readonly transport: VirtualTransport;
  readonly nic: VirtualNic;
  readonly engine: DhcpClient;
  readonly acks: { address: string; serverId: string; at: number }[] = [];
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(net: VirtualNetwork, lan: VirtualLink, index: number, macPrefix = '02:00:00:00:20') {
    this.mac = `${macPrefix}:${index.toString(16).padStart(2, '0')}`;
    const host = net.createHost(`client${index}`);
    this.nic = host.attach(lan, { ifname: 'eth0', mac: this.mac });
    this.transport = host.openTransport({ port: 68 });
    this.engine = new DhcpClient({
      hwAddress: this.mac,
      arpProbe: false,
      clientId: null,
      retransmit: { kind: 'udhcpc', retries: 1000, timeoutMs: 500, tryAgainMs: 500 },
      nakBackoffMs: 200,
    });
    this.transport.on('message', (data) => this.#receive(data));
  }

  /** The RFC 3074 hash of this client (it sends no client identifier, so of its MAC). */
  get hash(): number {
    return loadBalanceHash(parseMac(this.mac));
  }

  /** Kea's load-balancing bucket between two servers: 0 is the primary's. */
  get bucket(): number {
    return this.hash % 2;
  }

  start(): void {
    this.#apply(this.engine.start(Date.now()));
  }

  async close(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.transport.close();
  }

  #receive(data: Buffer): void {
    let m: DhcpMessage;
    try {
      m = decodeMessage(data);
    } catch {
      return;
    }
    if (m.op !== 2 || m.chaddr.subarray(0, 6).join() !== parseMac(this.mac).join()) return;
    if (messageTypeOf(m) === ACK) {
      this.acks.push({
        address: m.yiaddr,
        serverId: m.options.get('dhcp-server-identifier') ?? '',
        at: Date.now(),
      });
    }
    this.#apply(this.engine.handle(Date.now(), m));
  }

  #apply(step: ClientStep): void {
    if (this.#stopped) return;
    for (const a of step.actions) {
      if (a.type === 'send')
        void this.transport.send({ data: a.bytes, ip: a.to, port: 67 }).catch(() => undefined);
      // Renewal ACKs are unicast to the leased address: the host must own it.
      else if (
        a.type === 'configure' &&
        !this.nic.addresses().some((x) => x.startsWith(`${a.lease.address}/`))
      )
        this.nic.addAddress(`${a.lease.address}/24`);
    }
    clearTimeout(this.#timer);
    if (step.deadline !== null) {
      this.#timer = setTimeout(
        () => this.#apply(this.engine.poll(Date.now())),
        Math.max(0, step.deadline - Date.now()),
      );
    }
  }
}

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** Polls `check` every 50 ms; fails with `what` after `limitMs` (a timeout, not a measurement). */
export async function until(
  what: string | (() => string),
  check: () => boolean | Promise<boolean>,
  limitMs = 60_000,
): Promise<void> {
  const giveUpAt = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > giveUpAt) assert.fail(`gave up waiting: ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
