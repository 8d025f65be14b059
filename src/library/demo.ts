import { VirtualNetwork } from '../transport/virtual/index.ts';
import type { VirtualHost, VirtualLink } from '../transport/virtual/index.ts';
import type { DhcpClient } from './client.ts';
import { createDhcp } from './create.ts';
import type { DhcpServer } from './server.ts';
import { virtualTransports } from './virtual-udp.ts';

/** Options of {@link startDemo}. */
export interface DemoOptions {
  /** Simulated clients, 1 to 50 (default 5). */
  readonly clients?: number;
  /** `HOST:PORT` of the dashboard and control API (default 127.0.0.1:8067; port 0 picks a free one). */
  readonly http?: string;
  /** Allow `http` on a non-loopback address without authentication (see `ControlOptions.insecure`). */
  readonly insecureControl?: boolean;
  /** Lease lifetime in seconds (default 30: clients renew every 15 s). */
  readonly leaseDuration?: number;
  /** One line per thing that happens, for the terminal. */
  readonly onLine?: (line: string) => void;
  /** Uniform random numbers in [0, 1) (default Math.random). */
  readonly random?: () => number;
}

/** A running demo. */
export interface Demo {
  /** The dashboard's URL. */
  readonly url: string;
  readonly server: DhcpServer;
  /** Stops every client and the server. Idempotent. */
  stop(): Promise<void>;
}

const SUBNET = '198.18.0';
/** How long a client stays before leaving, and how long it is away, in ms. */
const STAY_MS: readonly [number, number] = [25_000, 70_000];
const AWAY_MS: readonly [number, number] = [5_000, 15_000];
/** A machine that vanished stays away longer than its lease, so the dashboard shows it expire. */
const GONE_LEASES: readonly [number, number] = [1.2, 2];
const JOIN_GAP_MS = 1_500;

/** One simulated machine: joins, keeps its lease renewed, leaves (releasing, or just vanishing), comes back. */
class Machine {
  client: DhcpClient | undefined;
  timer: NodeJS.Timeout | undefined;
  stopped = false;

  readonly name: string;
  readonly mac: string;
  readonly host: VirtualHost;
  readonly demo: { random: () => number; say: (line: string) => void; leaseMs: number };
  constructor(
    name: string,
    mac: string,
    host: VirtualHost,
    demo: { random: () => number; say: (line: string) => void; leaseMs: number },
  ) {
    this.name = name;
    this.mac = mac;
    this.host = host;
    this.demo = demo;
  }

  schedule(ms: number, fn: () => Promise<void>): void {
    if (this.stopped) return;
    this.timer = setTimeout(
      () => void fn().catch((err: unknown) => this.demo.say(`${this.name}: ${String(err)}`)),
      ms,
    );
  }

  between([lo, hi]: readonly [number, number]): number {
    return lo + Math.floor(this.demo.random() * (hi - lo));
  }

  async join(): Promise<void> {
    if (this.stopped) return;
    const client = await (
      await createDhcp(virtualTransports(this.host))
    ).client({ mac: this.mac, hostname: this.name });
    if (this.stopped) {
      await client.stop();
      return;
    }
    this.client = client;
    client.on('bound', (l) => this.demo.say(`${this.name} (${this.mac}) joined: ${l.address}`));
    client.on('renewed', (l) => this.demo.say(`${this.name} renewed ${l.address}`));
    this.schedule(this.between(STAY_MS), () => this.leave());
  }

  async leave(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client === undefined) return;
    // Half of them say goodbye (DHCPRELEASE); the others vanish and their lease expires.
    const release = this.demo.random() < 0.5;
    await client.stop({ release });
    this.demo.say(`${this.name} left${release ? ' (released)' : ' (powered off; its lease will expire)'}`);
    const [lo, hi] = GONE_LEASES;
    const away = release
      ? this.between(AWAY_MS)
      : this.between([lo * this.demo.leaseMs, hi * this.demo.leaseMs]);
    this.schedule(away, () => this.join());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.client?.stop();
  }
}

/**
 * `leasekeeper demo`: a server and simulated clients (leasekeeper's own client engine) on the in-memory
 * virtual network, the dashboard and control API on HTTP. No root, no network. Clients join one after the
 * other, renew their short leases, leave and come back, so every part of the system shows within a minute.
 */
export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
  const count = options.clients ?? 5;
  if (!Number.isInteger(count) || count < 1 || count > 50) throw new RangeError('clients must be 1 to 50');
  const random = options.random ?? Math.random;
  const say = options.onLine ?? (() => undefined);
  const leaseDuration = options.leaseDuration ?? 30;
  const leaseMs = leaseDuration * 1000;
  const net = new VirtualNetwork();
  const lan: VirtualLink = net.createLink('lan');
  const gateway = net.createHost('gateway');
  gateway.attach(lan, { ifname: 'eth0', addresses: [`${SUBNET}.1/24`] });

  const server = await (
    await createDhcp(virtualTransports(gateway))
  ).serve({
    leaseRange: { start: `${SUBNET}.100`, end: `${SUBNET}.199` },
    serverIdentifier: `${SUBNET}.1`,
    netmask: '255.255.255.0',
    router: `${SUBNET}.1`,
    dnsServers: [`${SUBNET}.1`],
    domainName: 'demo.lan',
    leaseDuration,
    control: {
      http: options.http ?? '127.0.0.1:8067',
      ...(options.insecureControl === true ? { insecure: true } : {}),
    },
  });
  server.on('expired', (l) => say(`server: lease ${l.ip} of ${l.hostname ?? l.mac} expired`));

  const machines: Machine[] = [];
  for (let i = 1; i <= count; i++) {
    const mac = `02:00:00:de:00:${i.toString(16).padStart(2, '0')}`;
    const host = net.createHost(`vm-${i}`);
    host.attach(lan, { ifname: 'eth0', mac });
    const m = new Machine(`vm-${i}`, mac, host, { random, say, leaseMs });
    machines.push(m);
    m.schedule((i - 1) * JOIN_GAP_MS, () => m.join());
  }

  let stopping: Promise<void> | undefined;
  return {
    url: server.controlUrl ?? '',
    server,
    stop: () =>
      (stopping ??= (async () => {
        await Promise.all(machines.map((m) => m.stop()));
        await server.stop();
      })()),
  };
}
