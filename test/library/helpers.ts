/** A virtual LAN for library tests: one server host, client hosts on demand, all through the public API. */
import {
  VirtualNetwork,
  createDhcp,
  virtualUdp,
  type DhcpClient,
  type DhcpClientOptions,
  type DhcpServer,
  type DhcpServerEvents,
  type DhcpServerOptions,
  type ServeOptions,
  type VirtualHost,
} from '../../src/index.ts';

export const SEED: DhcpServerOptions = {
  leaseRange: { start: '192.168.1.100', end: '192.168.1.200' },
  serverIdentifier: '192.168.1.1',
  netmask: '255.255.255.0',
  router: '192.168.1.1',
  dnsServers: ['192.168.1.1'],
};

export interface Lan {
  readonly net: VirtualNetwork;
  readonly serverHost: VirtualHost;
  /** A new host with one NIC of this MAC and no address. */
  host(mac: string): VirtualHost;
  /** `createDhcp(virtualUdp(serverHost)).serve(options)`. */
  serve(options: ServeOptions): Promise<DhcpServer>;
  /** `createDhcp(virtualUdp(host(mac))).client({ mac, ...options })`: a client on a new host. */
  client(mac: string, options?: Omit<DhcpClientOptions, 'mac'>): Promise<DhcpClient>;
}

export function lan(serverCidr = '192.168.1.1/24'): Lan {
  const net = new VirtualNetwork();
  const link = net.createLink('lan');
  const serverHost = net.createHost('server');
  serverHost.attach(link, { ifname: 'eth0', addresses: [serverCidr] });
  let n = 0;
  const host = (mac: string): VirtualHost => {
    const h = net.createHost(`client${++n}`);
    h.attach(link, { ifname: 'eth0', mac });
    return h;
  };
  return {
    net,
    serverHost,
    host,
    serve: async (options) => (await createDhcp(virtualUdp(serverHost))).serve(options),
    client: async (mac, options = {}) =>
      (await createDhcp(virtualUdp(host(mac)))).client({ mac, ...options }),
  };
}

export { virtualUdp };

type LeaseEventName = Exclude<keyof DhcpServerEvents, 'error'>;
const NAMES: readonly LeaseEventName[] = ['offered', 'bound', 'renewed', 'released', 'declined', 'expired'];

/** Records every lease event of a server as `name ip mac`, in order. */
export function record(server: DhcpServer): string[] {
  const log: string[] = [];
  for (const name of NAMES) server.on(name, (e) => log.push(`${name} ${e.ip} ${e.mac}`));
  return log;
}

/** Resolves with the next `name` event of the server. */
export function next<K extends LeaseEventName>(server: DhcpServer, name: K): Promise<DhcpServerEvents[K]> {
  return new Promise((resolve) => server.once(name, resolve));
}
