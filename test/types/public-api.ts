// Type tests of the public API, checked by `tsc --noEmit` (tsconfig includes test/). Nothing here runs:
// the functions are exported only so they count as used. Each `@ts-expect-error` line is a misuse that
// must not compile; if it ever does, tsc fails on the unused directive.
import {
  createDhcp,
  DhcpLibraryError,
  nodeUdp,
  VirtualClock,
  VirtualNetwork,
  virtualTransports,
  virtualUdp,
  type DatagramTransport,
  type DhcpClientLease,
  type DhcpLease,
  type DhcpLeaseLookup,
  type DhcpServer,
  type DhcpServerOptions,
  type LeaseEvent,
  type OfferEvent,
  type Scheduler,
  type Transport,
} from '../../src/index.ts';

/** A tcpip.js stack as far as the library cares: `stack.udp` with tcpip.js's own types, restated. */
interface TcpipStackLike {
  udp: {
    open(options?: { host?: string; port?: number }): Promise<{
      readable: ReadableStream<{ host: string; port: number; data: Uint8Array }>;
      writable: WritableStream<{ host: string; port: number; data: Uint8Array }>;
      close(): Promise<void>;
    }>;
  };
}

/** A client's leases by one of its identities; a lookup names exactly one kind. */
export function leaseLookups(server: DhcpServer): DhcpLease[] {
  const lookups: DhcpLeaseLookup[] = [
    { mac: '02:00:00:00:00:01' },
    { clientId: '01:02', subnetId: 1 },
    { hostname: 'h' },
  ];
  // @ts-expect-error a hostname lookup takes no subnet (the store's getByHostname has none)
  const bad: DhcpLeaseLookup = { hostname: 'h', subnetId: 1 };
  void bad;
  return lookups.flatMap((l) => server.leasesOf(l));
}

/** The seed's usage, unchanged: `createDhcp(stack.udp)`, `serve({...})`, `[...server.leases.values()]`. */
export async function seedUsage(stack: TcpipStackLike): Promise<void> {
  const dhcp = await createDhcp(stack.udp);
  const server = await dhcp.serve({
    leaseRange: { start: '192.168.1.100', end: '192.168.1.200' },
    serverIdentifier: '192.168.1.1',
    netmask: '255.255.255.0',
    router: '192.168.1.1',
    dnsServers: ['192.168.1.1'],
  });
  const leases: DhcpLease[] = [...server.leases.values()];
  const first = leases[0];
  if (first !== undefined) {
    const ip: string = first.ip;
    const mac: string = first.mac;
    const expiresAt: number = first.expiresAt;
    const state: 'bound' | 'declined' = first.state;
    void [ip, mac, expiresAt, state];
  }
  await server.stop();
  // @tcpip/dhcp's own doc comment destructures it.
  const { serve } = await createDhcp(stack.udp);
  await serve({ leaseRange: { start: 'a', end: 'b' }, serverIdentifier: 's', netmask: 'm', router: 'r' });
}

/** Every seed option, and the library's own. */
export async function allOptions(udp: DatagramTransport): Promise<DhcpServer> {
  const seed: DhcpServerOptions = {
    leaseRange: { start: '10.0.0.10', end: '10.0.0.20' },
    serverIdentifier: '10.0.0.1',
    netmask: '255.255.255.0',
    router: '10.0.0.1',
    leaseDuration: 3600,
    dnsServers: ['10.0.0.1'],
    hostname: 'h',
    domainName: 'lan',
    searchDomains: ['lan'],
  };
  return (await createDhcp(udp)).serve({
    ...seed,
    store: { sqlite: '/tmp/leases.sqlite' },
    reservations: [
      { mac: '02:00:00:00:00:01', ip: '10.0.0.5' },
      { clientId: '01:02:00:00:00:00:02', ip: '10.0.0.6', hostname: 'b' },
    ],
    control: { http: '127.0.0.1:8067' },
  });
}

/** A Kea configuration instead of the seed options. */
export async function keaConfig(udp: DatagramTransport): Promise<DhcpServer> {
  return (await createDhcp(udp)).serve({
    Dhcp4: { subnet4: [{ id: 1, subnet: '10.0.0.0/24', pools: [{ pool: '10.0.0.10 - 10.0.0.20' }] }] },
    serverAddress: '10.0.0.1',
    store: 'memory',
  });
}

/** Typed events: each listener gets its own payload type. */
export function events(server: DhcpServer): void {
  server
    .on('offered', (o: OfferEvent) => void o.ip)
    .on('bound', (l: LeaseEvent) => void l.expiresAt)
    .on('renewed', (l) => void l.mac)
    .on('released', (l) => void l.hostname)
    .on('declined', (l) => void l.subnetId)
    .on('expired', (l) => void l.clientId);
  // @ts-expect-error: no such event
  server.on('leased', () => undefined);
  // @ts-expect-error: an offer has no expiry yet
  server.on('offered', (o) => void o.expiresAt);
}

/** Client mode. */
export async function clientMode(udp: DatagramTransport): Promise<void> {
  const client = await (await createDhcp(udp)).client({ mac: '02:00:00:00:00:01', hostname: 'vm' });
  const lease: DhcpClientLease = await client.bound();
  const router: string | null = lease.router;
  const dns: readonly string[] = lease.dnsServers;
  void [router, dns];
  client.on('bound', (l) => void l.address).on('expired', (l) => void l.expiresAt);
  await client.inform();
  await client.release();
  await client.stop({ release: true });
  // @ts-expect-error: the MAC is required
  await (await createDhcp(udp)).client({ hostname: 'vm' });
  // Virtual time: the network's clock drives the client's timers too.
  const clock: Scheduler = new VirtualClock();
  await (await createDhcp(udp)).client({ mac: '02:00:00:00:00:01', scheduler: clock });
  // @ts-expect-error: a scheduler has a clock and timers, not just a clock
  await (await createDhcp(udp)).client({ mac: '02:00:00:00:00:01', scheduler: { now: () => 0 } });
}

/** Every kind of transport source. */
export async function sources(t: Transport): Promise<void> {
  const net = new VirtualNetwork();
  const host = net.createHost('h');
  await createDhcp(nodeUdp());
  await createDhcp(virtualUdp(host));
  await createDhcp(virtualTransports(host));
  await createDhcp(t);
  await createDhcp((port: number) => host.openTransport({ port }));
  // @ts-expect-error: not a transport
  await createDhcp({ send: () => undefined });
  // @ts-expect-error: a socket is not a transport: pass what opens sockets
  await createDhcp(await nodeUdp().open());
}

/** Misuse of the options and the handle. */
export async function misuse(udp: DatagramTransport, server: DhcpServer): Promise<void> {
  const dhcp = await createDhcp(udp);
  // @ts-expect-error: serverIdentifier is required with the seed options
  await dhcp.serve({ leaseRange: { start: 'a', end: 'b' }, netmask: 'm', router: 'r' });
  await dhcp.serve({
    leaseRange: { start: 'a', end: 'b' },
    serverIdentifier: 's',
    netmask: 'm',
    router: 'r',
    // @ts-expect-error: leaseDuration is seconds as a number
    leaseDuration: '1d',
  });
  await dhcp.serve({
    leaseRange: { start: 'a', end: 'b' },
    serverIdentifier: 's',
    netmask: 'm',
    router: 'r',
    // @ts-expect-error: unknown store kind
    store: 'redis',
  });
  await dhcp.serve({
    leaseRange: { start: 'a', end: 'b' },
    serverIdentifier: 's',
    netmask: 'm',
    router: 'r',
    // @ts-expect-error: a reservation needs mac or clientId
    reservations: [{ ip: '10.0.0.5' }],
  });
  // @ts-expect-error: the leases map is read-only to callers
  server.leases.set('10.0.0.1', undefined);
  // @ts-expect-error: lease fields are read-only
  server.leases.get('10.0.0.1')!.ip = '10.0.0.2';
  const e = new DhcpLibraryError('ERR_DHCP_OPTIONS', 'x');
  // @ts-expect-error: codes are a closed set
  const same = e.code === 'ERR_NOPE';
  void same;
}
