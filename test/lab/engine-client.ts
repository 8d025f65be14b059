/** A client host on the virtual network driven by the project's client engine on real timers. */
import assert from 'node:assert/strict';
import {
  DhcpClientEngine,
  type ClientConfig,
  type ClientLease,
  type ClientStep,
} from '../../src/client/index.ts';
import { decodeMessage, parseMac, type DhcpMessage } from '../../src/protocol/index.ts';
import type {
  VirtualHost,
  VirtualLink,
  VirtualNic,
  VirtualTransport,
} from '../../src/transport/virtual/index.ts';

/**
 * A host's interface eth0 and UDP port 68, whose engine sends through the virtual network and hears the replies
 * addressed to its MAC. Subclasses watch the traffic through the protected hooks. Its timers do not keep the
 * process alive.
 */
export class EngineClient {
  readonly mac: string;
  readonly nic: VirtualNic;
  readonly transport: VirtualTransport;
  readonly engine: DhcpClientEngine;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(host: VirtualHost, lan: VirtualLink, mac: string, engine: Omit<ClientConfig, 'hwAddress'>) {
    this.mac = mac;
    this.nic = host.attach(lan, { ifname: 'eth0', mac });
    this.transport = host.openTransport({ port: 68 });
    this.engine = new DhcpClientEngine({ hwAddress: mac, ...engine });
    this.transport.on('message', (data) => this.#receive(data));
  }

  start(): void {
    this.#apply(this.engine.start(Date.now()));
  }

  async close(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.transport.close();
  }

  /** A reply to this client; false keeps it from the engine. */
  protected received(_message: DhcpMessage): boolean {
    return true;
  }

  /** A message the engine is sending (before it goes out). */
  protected sending(_bytes: Uint8Array): void {}

  /** The engine bound or renewed a lease. */
  protected configured(_lease: ClientLease): void {}

  /** While true the engine is not driven (a test sends by hand). */
  protected get paused(): boolean {
    return false;
  }

  #receive(data: Buffer): void {
    let m: DhcpMessage;
    try {
      m = decodeMessage(data);
    } catch {
      return;
    }
    if (m.op !== 2 || m.chaddr.subarray(0, 6).join() !== parseMac(this.mac).join()) return;
    if (!this.received(m)) return;
    this.#apply(this.engine.handle(Date.now(), m));
  }

  #apply(step: ClientStep): void {
    if (this.#stopped || this.paused) return;
    for (const a of step.actions) {
      if (a.type === 'send') {
        this.sending(a.bytes);
        void this.transport.send({ data: a.bytes, ip: a.to, port: 67 }).catch(() => undefined);
      } else if (a.type === 'configure') this.configured(a.lease);
    }
    clearTimeout(this.#timer);
    if (step.deadline !== null) {
      this.#timer = setTimeout(
        () => this.#apply(this.engine.poll(Date.now())),
        Math.max(0, step.deadline - Date.now()),
      );
      this.#timer.unref();
    }
  }
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
