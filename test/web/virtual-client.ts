/**
 * The project's DHCP client engine on a virtual network host, with real timers: enough of a client runtime
 * for the dashboard test to obtain real leases from a running server.
 */
import { DhcpClientEngine } from '../../src/client/engine.ts';
import type { ClientLease } from '../../src/client/lease.ts';
import type { ClientStep } from '../../src/client/actions.ts';
import type { VirtualHost, VirtualLink } from '../../src/transport/virtual/index.ts';
import type { VirtualTransport } from '../../src/transport/virtual/index.ts';

export class VirtualDhcpClient {
  readonly engine: DhcpClientEngine;
  readonly #transport: VirtualTransport;
  #timer: NodeJS.Timeout | undefined;
  #bound: ((lease: ClientLease) => void)[] = [];
  #stopped = false;

  constructor(host: VirtualHost, link: VirtualLink, opts: { mac: string; hostname: string }) {
    host.attach(link, { ifname: 'eth0', mac: opts.mac });
    this.#transport = host.openTransport({ port: 68 });
    this.engine = new DhcpClientEngine({ hwAddress: opts.mac, hostname: opts.hostname, arpProbe: false });
    this.#transport.on('message', (data) => this.#apply(this.engine.handle(Date.now(), data)));
  }

  /** Starts in INIT and resolves with the lease once bound. */
  obtain(): Promise<ClientLease> {
    const bound = new Promise<ClientLease>((resolve) => this.#bound.push(resolve));
    this.#apply(this.engine.start(Date.now()));
    return bound;
  }

  async close(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#transport.close();
  }

  #apply(step: ClientStep): void {
    if (this.#stopped) return;
    for (const a of step.actions) {
      if (a.type === 'send') {
        void this.#transport.send({ data: a.bytes, ip: a.to, port: 67 }).catch(() => undefined);
      } else if (a.type === 'configure') {
        for (const resolve of this.#bound.splice(0)) resolve(a.lease);
      }
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
