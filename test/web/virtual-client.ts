/**
 * The project's DHCP client engine on a virtual network host, with real timers: enough of a client runtime
 * for the dashboard test to obtain real leases from a running server.
 */
import type { ClientLease } from '../../src/client/lease.ts';
import type { VirtualHost, VirtualLink } from '../../src/transport/virtual/index.ts';
import { EngineClient } from '../lab/engine-client.ts';

export class VirtualDhcpClient extends EngineClient {
  #bound: ((lease: ClientLease) => void)[] = [];

  constructor(host: VirtualHost, link: VirtualLink, opts: { mac: string; hostname: string }) {
    super(host, link, opts.mac, { hostname: opts.hostname, arpProbe: false });
  }

  /** Starts in INIT and resolves with the lease once bound. */
  obtain(): Promise<ClientLease> {
    const bound = new Promise<ClientLease>((resolve) => this.#bound.push(resolve));
    this.start();
    return bound;
  }

  protected override configured(lease: ClientLease): void {
    for (const resolve of this.#bound.splice(0)) resolve(lease);
  }
}
