/**
 * Real DHCP peers (Debian 12 packages) started inside lab namespaces, with the flags LAB.md measured to
 * work non-interactively. Every config, script, lease and pid file goes into a directory under the
 * namespace's `dir` (inside the lab's), removed by `lab.close()`; every process is spawned through the namespace, so `lab.close()`
 * stops it by PID.
 *
 * Clients run `lab-client.sh` (written here) as their event script: it appends each event with its
 * environment to an event log, and for udhcpc and dhclient configures the address with `ip addr` (dhcpcd
 * configures addresses itself). It never adds routes. Tests read the log through `events()`, `waitForEvent()`
 * and `waitForBound()`.
 *
 * Shared-filesystem hazards handled here: dhclient's stock script rewrites /etc/resolv.conf (we never use
 * it); dhcpcd keeps its lease, pid file and control socket under fixed paths (/var/lib/dhcpcd, /run/dhcpcd),
 * so it runs with private tmpfs-backed bind mounts over both (in the mount namespace `ip netns exec` makes).
 */
import { mkdirSync, readFileSync, writeFileSync, chmodSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { LabProcess, Netns } from './netns.ts';

// ---------------------------------------------------------------------------------------------------------
// clients

export type ClientKind = 'udhcpc' | 'dhclient' | 'dhcpcd';

export interface ClientEvent {
  /** The client's own event name: udhcpc `bound`/`renew`/`deconfig`/`nak`/`leasefail`, dhclient and dhcpcd
   * `PREINIT`/`BOUND`/`RENEW`/`REBIND`/`REBOOT`/`EXPIRE`/`FAIL`/`RELEASE`/`STOP`/`NAK`/... */
  reason: string;
  env: Readonly<Record<string, string>>;
}

/** What a bind event says, normalised across the three clients. */
export interface Binding {
  reason: string;
  address: string;
  prefixLength: number;
  serverId?: string;
  leaseTime?: number;
  routers?: string[];
  dnsServers?: string[];
}

export interface PeerClient {
  readonly kind: ClientKind;
  readonly proc: LabProcess;
  readonly dir: string;
  readonly ifname: string;
  /** Every event the script has logged so far, oldest first. */
  events(): ClientEvent[];
  /** Waits (polling the event log) for the first event after `after` events whose reason matches. */
  waitForEvent(reason: RegExp, timeoutMs: number, after?: number): Promise<ClientEvent>;
  /** Waits for a bind event (bound/renew/BOUND/REBOOT/RENEW/REBIND) and normalises it. */
  waitForBound(timeoutMs: number, after?: number): Promise<Binding>;
  /** Makes the client send a RELEASE, then waits for it to exit. */
  release(): Promise<void>;
  /** Makes the client renew now (udhcpc SIGUSR1, dhcpcd `-n` rebind); not for dhclient. */
  renew(): Promise<void>;
  /** Stops the client (SIGTERM, SIGKILL after a grace period). udhcpc started with `-R` releases on the way. */
  stop(): Promise<void>;
}

export interface UdhcpcOptions {
  /** `-r IP`: ask for this address in DISCOVER (option 50). */
  requestIp?: string;
  /** `-x hostname:NAME` (option 12). */
  hostname?: string;
  /** `-x 0x3d:HEX` (option 61, type byte first). */
  clientIdHex?: string;
  /** `-V VENDOR` (option 60). */
  vendor?: string;
  /** Release on SIGTERM (`-R`); default true. */
  releaseOnExit?: boolean;
  /** Discover attempts (`-t`); default 10, one second apart (`-T 1`). */
  tries?: number;
  extraArgs?: readonly string[];
}

export interface DhclientOptions {
  /** `send host-name "NAME";` */
  hostname?: string;
  /** `send dhcp-client-identifier HEX;` as colon hex `01:02:...`. Without it dhclient sends none. */
  clientId?: string;
  /** Extra statements appended to dhclient.conf. */
  extraConf?: string;
  /**
   * A lease to start from (dhclient's lease file syntax is awkward; give address, and the server id).
   * dhclient then begins in INIT-REBOOT and REQUESTs this address (option 50, no server id).
   */
  previousLease?: { address: string; serverId?: string; prefixLength?: number };
}

export interface DhcpcdOptions {
  hostname?: string;
  /** Extra lines appended to dhcpcd.conf. */
  extraConf?: string;
  /** Use the MAC as client identifier (`clientid`) instead of dhcpcd's default RFC 4361 DUID one. */
  macClientId?: boolean;
}

const CLIENT_SCRIPT = `#!/bin/sh
# leasekeeper lab client script: logs every event with its environment, configures the address for
# udhcpc and dhclient (never routes). Runs with a cleared environment under dhclient: set PATH.
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
LOG="$(dirname "$0")/events.log"
LK_CLIENT=@KIND@
REASON="\${reason:-$1}"
{
  echo "=== event $REASON"
  env | grep -v '^PATH=' | sort
  echo "=== end"
} >> "$LOG"
case "$LK_CLIENT:$REASON" in
  udhcpc:deconfig) ip -4 addr flush dev "$interface" ;;
  udhcpc:bound|udhcpc:renew)
    ip -4 addr flush dev "$interface"
    ip -4 addr add "$ip/$mask" dev "$interface" ;;
  dhclient:BOUND|dhclient:RENEW|dhclient:REBIND|dhclient:REBOOT)
    if [ -n "$old_ip_address" ] && [ "$old_ip_address" != "$new_ip_address" ]; then
      ip -4 addr flush dev "$interface"
    fi
    ip -4 addr replace "$new_ip_address/$new_subnet_mask" dev "$interface" ;;
  dhclient:EXPIRE|dhclient:FAIL|dhclient:RELEASE|dhclient:STOP)
    [ -n "$old_ip_address" ] && ip -4 addr flush dev "$interface" ;;
esac
exit 0
`;

function writeClientScript(dir: string, kind: ClientKind): string {
  const path = join(dir, 'lab-client.sh');
  writeFileSync(path, CLIENT_SCRIPT.replace('@KIND@', kind));
  chmodSync(path, 0o755);
  return path;
}

/** Parses the event log written by lab-client.sh. Exported for tests of the parser itself. */
export function parseEventLog(text: string): ClientEvent[] {
  const events: ClientEvent[] = [];
  let cur: { reason: string; env: Record<string, string> } | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('=== event ')) {
      cur = { reason: line.slice('=== event '.length), env: {} };
    } else if (line === '=== end') {
      if (cur) events.push(cur);
      cur = undefined;
    } else if (cur) {
      const eq = line.indexOf('=');
      if (eq > 0) cur.env[line.slice(0, eq)] = line.slice(eq + 1);
    }
  }
  return events;
}

const BIND_REASONS = /^(bound|renew|BOUND|RENEW|REBIND|REBOOT|BOUND6)$/;

function maskToPrefix(mask: string): number {
  return mask
    .split('.')
    .map((o) => Number(o).toString(2))
    .join('')
    .split('')
    .filter((b) => b === '1').length;
}

function splitList(v: string | undefined): string[] | undefined {
  return v ? v.trim().split(/\s+/) : undefined;
}

/** Normalises a bind event of any of the three clients. */
export function bindingOf(kind: ClientKind, ev: ClientEvent): Binding {
  const e = ev.env;
  const num = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v));
  if (kind === 'udhcpc') {
    return clean({
      reason: ev.reason,
      address: e.ip ?? '',
      prefixLength: Number(e.mask),
      serverId: e.serverid,
      leaseTime: num(e.lease),
      routers: splitList(e.router),
      dnsServers: splitList(e.dns),
    });
  }
  const prefix = e.new_subnet_cidr ? Number(e.new_subnet_cidr) : maskToPrefix(e.new_subnet_mask ?? '0.0.0.0');
  return clean({
    reason: ev.reason,
    address: e.new_ip_address ?? '',
    prefixLength: prefix,
    serverId: e.new_dhcp_server_identifier,
    leaseTime: num(e.new_dhcp_lease_time),
    routers: splitList(e.new_routers),
    dnsServers: splitList(e.new_domain_name_servers),
  });
}

function clean<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

class ClientImpl implements PeerClient {
  readonly kind: ClientKind;
  readonly proc: LabProcess;
  readonly dir: string;
  readonly ifname: string;
  private readonly onRelease: () => Promise<void>;
  private readonly onRenew: () => Promise<void>;
  constructor(
    kind: ClientKind,
    proc: LabProcess,
    dir: string,
    ifname: string,
    onRelease: () => Promise<void>,
    onRenew: () => Promise<void>,
  ) {
    this.kind = kind;
    this.proc = proc;
    this.dir = dir;
    this.ifname = ifname;
    this.onRelease = onRelease;
    this.onRenew = onRenew;
  }

  events(): ClientEvent[] {
    const path = join(this.dir, 'events.log');
    return existsSync(path) ? parseEventLog(readFileSync(path, 'utf8')) : [];
  }

  async waitForEvent(reason: RegExp, timeoutMs: number, after = 0): Promise<ClientEvent> {
    const deadline = Date.now() + timeoutMs;
    for (let i = 0; i < 10_000; i++) {
      const ev = this.events()
        .slice(after)
        .find((e) => reason.test(e.reason));
      if (ev) return ev;
      if (Date.now() > deadline) break;
      let exited = false;
      await Promise.race([
        this.proc.exited.then(() => (exited = true)),
        new Promise((r) => setTimeout(r, 100)),
      ]);
      if (exited) {
        // one last look: the script may have logged just before the client exited
        const last = this.events()
          .slice(after)
          .find((e) => reason.test(e.reason));
        if (last) return last;
        throw new Error(`${this.kind} exited before an event ${reason}; output:\n${this.proc.output()}`);
      }
    }
    const seen = this.events().map((e) => e.reason);
    throw new Error(
      `${this.kind}: no event ${reason} within ${timeoutMs} ms (saw ${seen.join(', ') || 'none'}); output:\n${this.proc.output()}`,
    );
  }

  async waitForBound(timeoutMs: number, after = 0): Promise<Binding> {
    return bindingOf(this.kind, await this.waitForEvent(BIND_REASONS, timeoutMs, after));
  }

  release(): Promise<void> {
    return this.onRelease();
  }

  renew(): Promise<void> {
    return this.onRenew();
  }

  async stop(): Promise<void> {
    await this.proc.stop('SIGTERM', 3000);
  }
}

function clientDir(kind: string, ifname: string, ns: Netns): string {
  const dir = join(ns.dir, `${kind}-${ifname}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * busybox udhcpc: `udhcpc -i IF -f -R -t 10 -T 1 -A 2 -s SCRIPT`. Sends its MAC as client id (type 1)
 * unless -C; requests options 1,3,6,12,15,28,42 by default; renews at half the lease (ignores T1).
 */
export function startUdhcpc(ns: Netns, ifname: string, opts: UdhcpcOptions = {}): PeerClient {
  const dir = clientDir('udhcpc', ifname, ns);
  const script = writeClientScript(dir, 'udhcpc');
  const args = [
    'udhcpc',
    '-i',
    ifname,
    '-f',
    '-t',
    String(opts.tries ?? 10),
    '-T',
    '1',
    '-A',
    '2',
    '-s',
    script,
  ];
  if (opts.releaseOnExit ?? true) args.push('-R');
  if (opts.requestIp) args.push('-r', opts.requestIp);
  if (opts.hostname) args.push('-x', `hostname:${opts.hostname}`);
  if (opts.clientIdHex) args.push('-x', `0x3d:${opts.clientIdHex}`);
  if (opts.vendor) args.push('-V', opts.vendor);
  args.push(...(opts.extraArgs ?? []));
  const proc = ns.spawn('busybox', args);
  return new ClientImpl(
    'udhcpc',
    proc,
    dir,
    ifname,
    async () => {
      // USR2 releases; SIGTERM (with -R a second, harmless release attempt) then ends it
      process.kill(proc.pid, 'SIGUSR2');
      await proc.waitFor(/[Uu]nicasting a release|[Ee]ntering released state/, 5000);
      await proc.stop('SIGTERM', 3000);
    },
    async () => {
      process.kill(proc.pid, 'SIGUSR1');
    },
  );
}

/**
 * ISC dhclient 4.4.3: `dhclient -4 -d -v -1 -cf CONF -sf SCRIPT -pf PID -lf LEASES IF`. Release runs
 * `dhclient -4 -r` with the same files, which signals the running one and sends the RELEASE.
 */
export function startDhclient(ns: Netns, ifname: string, opts: DhclientOptions = {}): PeerClient {
  const dir = clientDir('dhclient', ifname, ns);
  const script = writeClientScript(dir, 'dhclient');
  const conf = join(dir, 'dhclient.conf');
  const pid = join(dir, 'dhclient.pid');
  const leases = join(dir, 'dhclient.leases');
  const lines = [
    'option rfc3442-classless-static-routes code 121 = array of unsigned integer 8;',
    opts.hostname ? `send host-name "${opts.hostname}";` : '',
    opts.clientId ? `send dhcp-client-identifier ${opts.clientId};` : '',
    'request subnet-mask, broadcast-address, time-offset, routers, domain-name, domain-name-servers,',
    '  domain-search, host-name, netbios-name-servers, netbios-scope, interface-mtu,',
    '  rfc3442-classless-static-routes, ntp-servers;',
    'timeout 30;',
    'retry 5;',
    opts.extraConf ?? '',
  ];
  writeFileSync(conf, lines.filter((l) => l !== '').join('\n') + '\n');
  if (opts.previousLease) {
    const l = opts.previousLease;
    const mask = prefixToMask(l.prefixLength ?? 24);
    writeFileSync(
      leases,
      [
        'lease {',
        `  interface "${ifname}";`,
        `  fixed-address ${l.address};`,
        `  option subnet-mask ${mask};`,
        l.serverId ? `  option dhcp-server-identifier ${l.serverId};` : '',
        '  option dhcp-lease-time 3600;',
        '  renew 4 2037/12/31 00:00:00;',
        '  rebind 4 2037/12/31 00:00:00;',
        '  expire 4 2037/12/31 00:00:00;',
        '}',
        '',
      ]
        .filter((s) => s !== '')
        .join('\n'),
    );
  }
  const files = ['-cf', conf, '-sf', script, '-pf', pid, '-lf', leases];
  const env = process.env;
  const proc = ns.spawn('dhclient', ['-4', '-d', '-v', '-1', ...files, ifname], { env });
  return new ClientImpl(
    'dhclient',
    proc,
    dir,
    ifname,
    async () => {
      const r = await ns.run('dhclient', ['-4', '-r', '-v', ...files, ifname], { env, timeoutMs: 15_000 });
      if (r.code !== 0) throw new Error(`dhclient -r failed: ${r.stderr}`);
      await proc.stop('SIGTERM', 3000);
    },
    async () => {
      throw new Error('dhclient has no renew-now trigger; restart it or wait for T1');
    },
  );
}

/**
 * dhcpcd 9.4.1: `dhcpcd -4 -B -d -f CONF -c SCRIPT IF` with ipv4only, noipv4ll, noarp, nogateway and the
 * resolv.conf/hostname hooks off. Runs under `sh -c` only to bind-mount private /var/lib/dhcpcd and
 * /run/dhcpcd, then execs dhcpcd (the PID stays dhcpcd's). Release: SIGALRM ("releasing", then exit; SIGHUP only reloads).
 */
export function startDhcpcd(ns: Netns, ifname: string, opts: DhcpcdOptions = {}): PeerClient {
  const dir = clientDir('dhcpcd', ifname, ns);
  const script = writeClientScript(dir, 'dhcpcd');
  const conf = join(dir, 'dhcpcd.conf');
  const lines = [
    'ipv4only',
    'noipv4ll',
    'noarp',
    'nogateway',
    'nohook resolv.conf, hostname, timesyncd, ntp.conf, wpa_supplicant, lookup-hostname',
    opts.macClientId ? 'clientid' : 'duid',
    'option domain_name_servers, domain_name, domain_search, host_name',
    'option classless_static_routes, interface_mtu',
    'require dhcp_server_identifier',
    opts.hostname ? `hostname ${opts.hostname}` : '',
    opts.extraConf ?? '',
  ];
  writeFileSync(conf, lines.filter((l) => l !== '').join('\n') + '\n');
  const dbdir = join(dir, 'db');
  const rundir = join(dir, 'run');
  mkdirSync(dbdir, { recursive: true });
  mkdirSync(rundir, { recursive: true });
  const sh = [
    'set -e',
    'mkdir -p /var/lib/dhcpcd /run/dhcpcd',
    `mount --bind '${dbdir}' /var/lib/dhcpcd`,
    `mount --bind '${rundir}' /run/dhcpcd`,
    `exec dhcpcd -4 -B -d -f '${conf}' -c '${script}' '${ifname}'`,
  ].join('\n');
  const proc = ns.spawn('sh', ['-c', sh]);
  return new ClientImpl(
    'dhcpcd',
    proc,
    dir,
    ifname,
    async () => {
      process.kill(proc.pid, 'SIGALRM');
      await proc.stop('SIGTERM', 5000);
    },
    async () => {
      // SIGUSR1 makes dhcpcd renew all interfaces
      process.kill(proc.pid, 'SIGUSR1');
    },
  );
}

// ---------------------------------------------------------------------------------------------------------
// servers

export interface PeerServer {
  readonly kind: 'dnsmasq' | 'kea';
  readonly proc: LabProcess;
  readonly dir: string;
  readonly leaseFile: string;
  /** Kea only: the control socket path (UNIX stream, Kea's JSON commands). */
  readonly controlSocket?: string;
  stop(): Promise<void>;
}

export interface DnsmasqOptions {
  /** First and last address of the dynamic range. */
  range: [string, string];
  /** Netmask of the range, dotted; default 255.255.255.0. */
  netmask?: string;
  /** Lease time in seconds (dnsmasq's minimum is 120); default 3600. */
  leaseTime?: number;
  router?: string;
  dnsServers?: string[];
  domainName?: string;
  /** `dhcp-authoritative`: NAK requests for unknown leases instead of ignoring them. Default true. */
  authoritative?: boolean;
  /** `dhcp-host=MAC,IP` reservations. */
  hosts?: { mac: string; address: string }[];
  /** Extra dnsmasq.conf lines. */
  extraConf?: string[];
}

/**
 * dnsmasq 2.90 as a DHCP-only server (`port=0`) bound to one interface, in the foreground, logging every
 * DHCP exchange to stderr. `no-ping` is on (otherwise it waits ~3 s before each new offer).
 */
export async function startDnsmasq(ns: Netns, ifname: string, opts: DnsmasqOptions): Promise<PeerServer> {
  const dir = join(ns.dir, `dnsmasq-${ifname}`);
  mkdirSync(dir, { recursive: true });
  const leaseFile = join(dir, 'dnsmasq.leases');
  const conf = join(dir, 'dnsmasq.conf');
  const lines = [
    'port=0',
    `interface=${ifname}`,
    'bind-interfaces',
    'except-interface=lo',
    `dhcp-range=${opts.range[0]},${opts.range[1]},${opts.netmask ?? '255.255.255.0'},${opts.leaseTime ?? 3600}`,
    `dhcp-leasefile=${leaseFile}`,
    `pid-file=${join(dir, 'dnsmasq.pid')}`,
    'no-ping',
    'no-resolv',
    'no-hosts',
    'log-dhcp',
    'log-facility=-',
    opts.authoritative === false ? '' : 'dhcp-authoritative',
    opts.router ? `dhcp-option=option:router,${opts.router}` : 'dhcp-option=option:router',
    opts.dnsServers ? `dhcp-option=option:dns-server,${opts.dnsServers.join(',')}` : '',
    opts.domainName ? `domain=${opts.domainName}` : '',
    ...(opts.hosts ?? []).map((h) => `dhcp-host=${h.mac},${h.address}`),
    ...(opts.extraConf ?? []),
  ];
  writeFileSync(conf, lines.filter((l) => l !== '').join('\n') + '\n');
  const proc = ns.spawn('dnsmasq', ['-k', `--conf-file=${conf}`, '--user=root', '--group=root']);
  await proc.waitFor(/DHCP, IP range/, 30_000);
  return { kind: 'dnsmasq', proc, dir, leaseFile, stop: async () => void (await proc.stop('SIGTERM', 3000)) };
}

export interface KeaOptions {
  /** e.g. '198.18.0.0/24' */
  subnet: string;
  /** Kea pool syntax: '198.18.0.100 - 198.18.0.199' or a CIDR. */
  pool: string;
  subnetId?: number;
  router?: string;
  dnsServers?: string[];
  validLifetime?: number;
  renewTimer?: number;
  rebindTimer?: number;
  /** NAK requests for addresses it does not know (Kea's `authoritative`). Default true. */
  authoritative?: boolean;
  /** Kea logger severity: INFO logs every lease (fine for a few clients), WARN under load. Default INFO. */
  severity?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** Reservations `{ 'hw-address': 'aa:..', 'ip-address': '...' }`. */
  reservations?: Record<string, unknown>[];
  /** Hook libraries (e.g. `/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_lease_cmds.so`). */
  hooks?: string[];
  /** Merged over the generated `Dhcp4` object (shallow). */
  extraDhcp4?: Record<string, unknown>;
}

/**
 * Kea 2.2 `kea-dhcp4` on one interface with raw sockets and a memfile lease file in the lab directory,
 * a UNIX control socket, logging to stdout. The config is checked with `kea-dhcp4 -t` inside the
 * namespace first (it looks the interface up).
 */
export async function startKea(ns: Netns, ifname: string, opts: KeaOptions): Promise<PeerServer> {
  const dir = join(ns.dir, `kea-${ifname}`);
  mkdirSync(dir, { recursive: true });
  const leaseFile = join(dir, 'kea-leases4.csv');
  // UNIX socket paths are limited to 108 bytes: keep it short-ish in the lab dir
  const controlSocket = join(dir, 'ctrl.sock');
  const options: { name: string; data: string }[] = [];
  if (opts.router) options.push({ name: 'routers', data: opts.router });
  if (opts.dnsServers) options.push({ name: 'domain-name-servers', data: opts.dnsServers.join(', ') });
  const dhcp4: Record<string, unknown> = {
    'interfaces-config': { interfaces: [ifname], 'dhcp-socket-type': 'raw' },
    'control-socket': { 'socket-type': 'unix', 'socket-name': controlSocket },
    'lease-database': { type: 'memfile', persist: true, name: leaseFile, 'lfc-interval': 0 },
    authoritative: opts.authoritative ?? true,
    'valid-lifetime': opts.validLifetime ?? 3600,
    ...(opts.renewTimer !== undefined ? { 'renew-timer': opts.renewTimer } : {}),
    ...(opts.rebindTimer !== undefined ? { 'rebind-timer': opts.rebindTimer } : {}),
    'hooks-libraries': (opts.hooks ?? []).map((library) => ({ library })),
    subnet4: [
      {
        id: opts.subnetId ?? 1,
        subnet: opts.subnet,
        pools: [{ pool: opts.pool }],
        'option-data': options,
        reservations: opts.reservations ?? [],
      },
    ],
    loggers: [
      {
        name: 'kea-dhcp4',
        output_options: [{ output: 'stdout', pattern: '%d{%j %H:%M:%S.%q} %-5p [%c] %m\n' }],
        severity: opts.severity ?? 'INFO',
        debuglevel: 0,
      },
    ],
    ...(opts.extraDhcp4 ?? {}),
  };
  const conf = join(dir, 'kea-dhcp4.conf');
  writeFileSync(conf, JSON.stringify({ Dhcp4: dhcp4 }, null, 2));
  const env = {
    ...process.env,
    KEA_PIDFILE_DIR: dir,
    KEA_LOCKFILE_DIR: dir,
    KEA_LOGGER_DESTINATION: 'stdout',
  };
  const check = await ns.run('kea-dhcp4', ['-t', conf], { env, timeoutMs: 20_000 });
  if (check.code !== 0) throw new Error(`kea-dhcp4 -t rejected the config:\n${check.stdout}${check.stderr}`);
  const proc = ns.spawn('kea-dhcp4', ['-c', conf], { env });
  await proc.waitFor(/DHCP4_STARTED|DHCPSRV_.*started|server version .* started/, 30_000);
  return {
    kind: 'kea',
    proc,
    dir,
    leaseFile,
    controlSocket,
    stop: async () => void (await proc.stop('SIGTERM', 5000)),
  };
}

// ---------------------------------------------------------------------------------------------------------
// relay and capture

export interface RelayOptions {
  /** Interface facing the clients (dhcrelay `-id`). */
  downstream: string;
  /** Interface facing the server (dhcrelay `-iu`). */
  upstream: string;
  server: string;
  /** `-a`: add relay agent information (option 82: circuit-id = interface name, remote-id unset). */
  agentOptions?: boolean;
}

/** ISC dhcrelay 4.4.3 in the foreground: `dhcrelay -4 -d [-a] -id DOWN -iu UP SERVER`. */
export async function startDhcrelay(ns: Netns, opts: RelayOptions): Promise<LabProcess> {
  const args = ['-4', '-d'];
  if (opts.agentOptions) args.push('-a');
  args.push('-id', opts.downstream, '-iu', opts.upstream, opts.server);
  const proc = ns.spawn('dhcrelay', args);
  await proc.waitFor(/Sending on\s+Socket\/fallback|Listening on/, 30_000);
  return proc;
}

export interface Capture {
  readonly proc: LabProcess;
  readonly file: string;
  /** Stops tcpdump (SIGINT, so it flushes the file) and returns the pcap path. */
  stop(): Promise<string>;
}

/** tcpdump on one interface, DHCP ports only, each packet written at once to `file` (classic pcap). */
export async function startCapture(ns: Netns, ifname: string, file: string): Promise<Capture> {
  // --immediate-mode: otherwise packets wait in the kernel ring up to a second and a quick stop loses them;
  // -Z root: keep the file owned by root instead of tcpdump's unprivileged user
  const proc = ns.spawn('tcpdump', [
    '-i',
    ifname,
    '-n',
    '--immediate-mode',
    '-U',
    '-Z',
    'root',
    '-s',
    '0',
    '-w',
    file,
    'udp port 67 or udp port 68',
  ]);
  await proc.waitFor(/listening on/, 30_000);
  return {
    proc,
    file,
    async stop() {
      await proc.stop('SIGINT', 5000);
      return file;
    },
  };
}

export function prefixToMask(len: number): string {
  const n = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  return [24, 16, 8, 0].map((s) => (n >>> s) & 0xff).join('.');
}
