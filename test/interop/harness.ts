/**
 * `leasekeeper serve` inside a lab namespace, for interop tests with real clients, relays and load
 * generators: the server runs as its own process (`node --import tsx src/cli/main.ts serve`), spawned
 * through the namespace so lab.close() stops it by PID. Control goes through the UNIX socket.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sendUnix } from '../../src/control/client.ts';
import type { Lab, LabProcess, Netns, RunResult } from '../lab/netns.ts';
import { startDhcrelay } from '../lab/peers.ts';

export const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
export const REPO = fileURLToPath(new URL('../..', import.meta.url));

export interface Leasekeeper {
  readonly proc: LabProcess;
  readonly socket: string;
  readonly leaseFile: string;
  readonly configFile: string;
  ctl(command: string, args?: unknown): Promise<KeaAnswer>;
  /** SIGTERM, and the exit code. */
  stop(): Promise<number | null>;
}

export interface KeaAnswer {
  result: number;
  text?: string;
  arguments?: Record<string, unknown>;
}

export interface KeaLeaseJson {
  'ip-address': string;
  'hw-address': string;
  'client-id'?: string;
  'subnet-id': number;
  state: number;
  'valid-lft': number;
  cltt: number;
  hostname: string;
  'fqdn-fwd': boolean;
  'fqdn-rev': boolean;
}

export interface ServeOptions {
  /** The `Dhcp4` object; `interfaces-config` defaults to eth0. */
  readonly dhcp4: Record<string, unknown>;
  /** Reuse this lease file (restart tests); default a fresh one in the namespace's dir; null: no --lease-file. */
  readonly leaseFile?: string | null;
  readonly logLevel?: string;
  readonly name?: string;
  /** `serve --interface IF` (zero-config) instead of `--config`; `dhcp4` is then ignored. */
  readonly zeroConfig?: string;
  /** Extra node flags, e.g. `--cpu-prof`. */
  readonly nodeArgs?: readonly string[];
  /** Extra `serve` flags, e.g. `--control-http 198.18.0.1:8000 --insecure-control` for an HA peer URL. */
  readonly serveArgs?: readonly string[];
  /** A Kea D2 `DhcpDdns` object written beside `Dhcp4`. */
  readonly dhcpDdns?: Record<string, unknown>;
}

/** Starts `leasekeeper serve` in `ns` and waits until it answers on its control socket. */
export async function startLeasekeeper(ns: Netns, opts: ServeOptions): Promise<Leasekeeper> {
  const name = opts.name ?? 'lk';
  const configFile = join(ns.dir, `${name}.json`);
  const socket = join(ns.dir, `${name}.sock`);
  const leaseFile = opts.leaseFile === null ? '' : (opts.leaseFile ?? join(ns.dir, `${name}-leases.sqlite`));
  const dhcp4 = { 'interfaces-config': { interfaces: ['eth0'] }, ...opts.dhcp4 };
  writeFileSync(
    configFile,
    JSON.stringify({ Dhcp4: dhcp4, ...(opts.dhcpDdns ? { DhcpDdns: opts.dhcpDdns } : {}) }, null, 2),
  );
  const proc = ns.spawn(process.execPath, [
    ...(opts.nodeArgs ?? []),
    '--import',
    'tsx',
    MAIN,
    'serve',
    ...(opts.zeroConfig === undefined ? ['--config', configFile] : ['--interface', opts.zeroConfig]),
    ...(leaseFile === '' ? [] : ['--lease-file', leaseFile]),
    '--control-socket',
    socket,
    '--log-level',
    opts.logLevel ?? 'info',
    ...(opts.serveArgs ?? []),
  ]);
  // Ready when the control socket answers (the last thing serve opens); works at any log level.
  const until = Date.now() + 20_000;
  for (let i = 0; ; i++) {
    const up = await sendUnix(socket, { command: 'status-get' }, 1_000).then(
      () => true,
      () => false,
    );
    if (up) break;
    if (Date.now() > until || i > 400) {
      await proc.stop('SIGKILL', 1_000);
      throw new Error(`leasekeeper serve did not come up; output:\n${proc.output()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    proc,
    socket,
    leaseFile,
    configFile,
    ctl: async (command, args) =>
      (await sendUnix(socket, args === undefined ? { command } : { command, arguments: args })) as KeaAnswer,
    stop: () => proc.stop('SIGTERM', 10_000),
  };
}

/** Every lease the server has, through `lease4-get-all`. */
export async function leasesOf(server: Leasekeeper): Promise<KeaLeaseJson[]> {
  const a = await server.ctl('lease4-get-all');
  if (a.result === 3) return [];
  if (a.result !== 0) throw new Error(`lease4-get-all: ${JSON.stringify(a)}`);
  return (a.arguments?.['leases'] ?? []) as KeaLeaseJson[];
}

/** Polls until `check` returns a value (not undefined), at most `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (let i = 0; i < 10_000; i++) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > until) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** The IPv4 addresses configured on `ifname` in `ns` (`ip -4 addr`), as `a.b.c.d/len`. */
export function addressesOn(ns: Netns, ifname: string): Promise<string[]> {
  return ns.addresses(ifname);
}

/** One statistic's current value, through `statistic-get` (0 when the server has no such statistic). */
export async function statisticOf(server: Leasekeeper, name: string): Promise<number> {
  const a = await server.ctl('statistic-get', { name });
  if (a.result !== 0) throw new Error(`statistic-get ${name}: ${JSON.stringify(a)}`);
  const samples = (a.arguments?.[name] ?? []) as [number, string][];
  return samples[0]?.[0] ?? 0;
}

/** The resident set size of a process in bytes (`VmRSS` of /proc/PID/status). */
export function rssOf(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for process ${pid}`);
  return Number(m[1]) * 1024;
}

/**
 * The load-test topology: `srv` (the server, 198.18.0.1), `load` (a load generator with 198.18.0.2, an
 * address perfdhcp needs to act as a relay) and `cli` (a real client, no address), each with an `eth0` on
 * one bridge; both addresses with prefix length `prefixLength`.
 */
export async function serverLoadClient(
  lab: Lab,
  prefixLength: number,
): Promise<{ srv: Netns; load: Netns; cli: Netns }> {
  const srv = await lab.namespace('srv');
  const load = await lab.namespace('load');
  const cli = await lab.namespace('cli');
  await lab.bridge('br', [
    { ns: srv, ifname: 'eth0' },
    { ns: load, ifname: 'eth0' },
    { ns: cli, ifname: 'eth0' },
  ]);
  await srv.addAddress('eth0', `198.18.0.1/${prefixLength}`);
  await load.addAddress('eth0', `198.18.0.2/${prefixLength}`);
  return { srv, load, cli };
}

/**
 * The relayed topology: `srv` (eth0 198.18.0.1/24) -- `rly` (up0 198.18.0.2/24, down0 198.18.1.1/24) -- `cli`
 * (eth0, MAC `clientMac`), with the server's route to the relay's subnet (replies go to giaddr 198.18.1.1).
 * A lab-internal route only: it never leaves the lab's namespaces.
 */
export async function relayedLab(
  lab: Lab,
  clientMac: string,
): Promise<{ srv: Netns; rly: Netns; cli: Netns }> {
  const srv = await lab.namespace('srv');
  const rly = await lab.namespace('rly');
  const cli = await lab.namespace('cli');
  await lab.veth(srv, 'eth0', rly, 'up0');
  await lab.veth(rly, 'down0', cli, 'eth0', { bMac: clientMac });
  await srv.addAddress('eth0', '198.18.0.1/24');
  await rly.addAddress('up0', '198.18.0.2/24');
  await rly.addAddress('down0', '198.18.1.1/24');
  const route = await srv.run('ip', ['route', 'add', '198.18.1.0/24', 'via', '198.18.0.2', 'dev', 'eth0']);
  if (route.code !== 0) throw new Error(`cannot route to the relay's subnet: ${route.stderr}`);
  return { srv, rly, cli };
}

/** ISC dhcrelay -a (option 82) in `relayedLab`'s `rly`: clients on down0, the server at 198.18.0.1 via up0. */
export function startLabRelay(rly: Netns): Promise<LabProcess> {
  return startDhcrelay(rly, {
    downstream: 'down0',
    upstream: 'up0',
    server: '198.18.0.1',
    agentOptions: true,
  });
}

/** A `subnet4` entry for the lab's `net`.0/24, one pool of hosts first..last, its router at `net`.1. */
export function routedSubnet(
  id: number,
  net: '198.18.0' | '198.18.1',
  first: number,
  last: number,
): Record<string, unknown> {
  return {
    id,
    subnet: `${net}.0/24`,
    pools: [{ pool: `${net}.${first} - ${net}.${last}` }],
    'option-data': [{ name: 'routers', data: `${net}.1` }],
  };
}

/**
 * perfdhcp -4 from `ns`'s eth0 against the server at 198.18.0.1: `rate` exchanges a second (-r), `seconds`
 * long (-p), at most `maxRate` outstanding clients (-R); `macBase` (-b mac=) keeps runs' clients apart.
 * perfdhcp exits 3 when packets were dropped: the caller reads its statistics, not its exit code.
 */
export function runPerfdhcp(
  ns: Netns,
  opts: { rate: number; maxRate: number; seconds: number; macBase?: string },
): Promise<RunResult> {
  const mac = opts.macBase === undefined ? [] : ['-b', `mac=${opts.macBase}`];
  return ns.run(
    'perfdhcp',
    [
      '-4',
      '-r',
      String(opts.rate),
      '-R',
      String(opts.maxRate),
      '-p',
      String(opts.seconds),
      '-W',
      '1000000',
      ...mac,
      '-l',
      'eth0',
      '198.18.0.1',
    ],
    { timeoutMs: (opts.seconds + 30) * 1000 },
  );
}
