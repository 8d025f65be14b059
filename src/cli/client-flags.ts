import { parseArgs } from 'node:util';
import { isIP } from 'node:net';
import { parseUdhcpcExtraOption, parseUdhcpcOptionCode } from '../client/index.ts';
import type { ClientConfig, ExtraOption } from '../client/index.ts';
import { UsageError } from './command.ts';

/** `leasekeeper client` flags, udhcpc's meanings. */
export interface ClientFlags {
  readonly interface: string;
  readonly foreground: boolean;
  readonly background: boolean;
  readonly now: boolean;
  readonly quit: boolean;
  readonly releaseOnExit: boolean;
  readonly pidfile: string | undefined;
  readonly script: string | undefined;
  readonly controlSocket: string | undefined;
  readonly leaseFile: string | undefined;
  readonly resolvConf: string | undefined;
  readonly defaultRoute: boolean;
  readonly syslog: boolean;
  readonly help: boolean;
  /** Set in the child a backgrounding parent starts (never given by hand). */
  readonly backgroundChild: boolean;
  readonly arpProbeMs: number;
  /** `-P PORT`: the client's UDP port; the server's is PORT - 1 (busybox udhcpc). Default 68. */
  readonly clientPort: number;
  /** `--inform IP`: send a DHCPINFORM for this address, print the answer, exit; no lease is taken. */
  readonly inform: string | undefined;
  /** `--inform-server IP`: unicast the DHCPINFORM to this server instead of broadcasting. */
  readonly informServer: string | undefined;
  /** `--manifest PATH`: where `-r`'s default (`default_ip`) is read when `-r` is not given. */
  readonly manifest: string | undefined;
  /** Engine settings, without the hardware address (taken from the interface). */
  readonly client: Omit<ClientConfig, 'hwAddress'>;
}

export const BACKGROUND_CHILD_FLAG = '--lk-background-child';

const OPTIONS = {
  interface: { type: 'string', short: 'i' },
  clientid: { type: 'string', short: 'c' },
  'clientid-none': { type: 'boolean', short: 'C' },
  hostname: { type: 'string', short: 'H' },
  fqdn: { type: 'string', short: 'F' },
  foreground: { type: 'boolean', short: 'f' },
  background: { type: 'boolean', short: 'b' },
  now: { type: 'boolean', short: 'n' },
  pidfile: { type: 'string', short: 'p' },
  quit: { type: 'boolean', short: 'q' },
  release: { type: 'boolean', short: 'R' },
  request: { type: 'string', short: 'r' },
  script: { type: 'string', short: 's' },
  retries: { type: 'string', short: 't' },
  timeout: { type: 'string', short: 'T' },
  tryagain: { type: 'string', short: 'A' },
  'request-option': { type: 'string', short: 'O', multiple: true },
  'no-default-options': { type: 'boolean', short: 'o' },
  option: { type: 'string', short: 'x', multiple: true },
  vendorclass: { type: 'string', short: 'V' },
  syslog: { type: 'boolean', short: 'S' },
  broadcast: { type: 'boolean', short: 'B' },
  arping: { type: 'boolean', short: 'a' },
  'no-arp': { type: 'boolean' },
  'arp-timeout': { type: 'string' },
  'control-socket': { type: 'string' },
  'lease-file': { type: 'string' },
  'resolv-conf': { type: 'string' },
  'no-route': { type: 'boolean' },
  'client-port': { type: 'string', short: 'P' },
  inform: { type: 'string' },
  'inform-server': { type: 'string' },
  manifest: { type: 'string' },
  halp: { type: 'boolean' },
  'lk-background-child': { type: 'boolean' },
} as const;

function seconds(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v)) throw new UsageError(`${name} must be a whole number of seconds`);
  return Number(v);
}

/** Parses udhcpc-style arguments (`-fq`, `-t5`, `-i eth0`, `--interface=eth0`); throws UsageError. */
export function parseClientFlags(argv: readonly string[]): ClientFlags {
  // udhcpc's -h is -H (hostname); main.ts already took --help. `-a[MSEC]` has an optional value,
  // which parseArgs cannot express: `-a500` becomes `-a --arp-timeout 500`.
  const args = argv.flatMap((a) => {
    if (a === '-h') return ['-H'];
    const arp = /^-a(\d+)$/.exec(a);
    return arp === null ? [a] : ['-a', '--arp-timeout', arp[1] ?? ''];
  });
  let values: ReturnType<typeof parse>['values'];
  try {
    const r = parse(args);
    if (r.positionals.length > 0) throw new UsageError(`unexpected argument '${r.positionals[0] ?? ''}'`);
    values = r.values;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const retries = values.retries === undefined ? 3 : Number(values.retries);
  if (!Number.isInteger(retries) || retries < 1) throw new UsageError('-t must be a positive integer');
  if (values.request !== undefined && isIP(values.request) !== 4) {
    throw new UsageError(`-r needs an IPv4 address, got '${values.request}'`);
  }
  for (const [flag, v] of [
    ['--inform', values.inform],
    ['--inform-server', values['inform-server']],
  ] as const) {
    if (v !== undefined && isIP(v) !== 4) throw new UsageError(`${flag} needs an IPv4 address, got '${v}'`);
  }
  if (values['inform-server'] !== undefined && values.inform === undefined) {
    throw new UsageError('--inform-server needs --inform');
  }
  // udhcpc -P: xatou16(), then the server's port is one below; 0 and 1 would leave no usable pair.
  const clientPort = values['client-port'] === undefined ? 68 : Number(values['client-port']);
  if (!/^\d+$/.test(values['client-port'] ?? '68') || clientPort < 2 || clientPort > 65535) {
    throw new UsageError('-P needs a port number from 2 to 65535');
  }
  const arpTimeout = values['arp-timeout'] === undefined ? 2000 : Number(values['arp-timeout']);
  if (!Number.isInteger(arpTimeout) || arpTimeout < 1) throw new UsageError('--arp-timeout must be ms > 0');
  let extraOptions: ExtraOption[];
  let requestOptions: number[];
  try {
    extraOptions = (values.option ?? []).map(parseUdhcpcExtraOption);
    requestOptions = (values['request-option'] ?? []).map(parseUdhcpcOptionCode);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.fqdn !== undefined) {
    // udhcpc -F: option 81 (RFC 4702) with flags S=1 ("server, update the A record"), RCODEs 0, and the
    // name in ASCII, as udhcpc sends it.
    const name = new TextEncoder().encode(values.fqdn);
    if (name.length === 0 || name.length > 252) throw new UsageError('-F needs a name of 1 to 252 bytes');
    extraOptions.push({ code: 81, data: Uint8Array.from([1, 0, 0, ...name]) });
  }
  const client: Omit<ClientConfig, 'hwAddress'> = {
    retransmit: {
      kind: 'udhcpc',
      retries,
      timeoutMs: seconds('-T', values.timeout, 3) * 1000,
      tryAgainMs: seconds('-A', values.tryagain, 20) * 1000,
    },
    // udhcpc -c sends the string as given (no type byte); -C sends none.
    ...(values['clientid-none'] === true
      ? { clientId: null }
      : values.clientid !== undefined
        ? { clientId: new TextEncoder().encode(values.clientid) }
        : {}),
    ...(values.hostname !== undefined ? { hostname: values.hostname } : {}),
    ...(values.vendorclass !== undefined ? { vendorClass: values.vendorclass } : {}),
    ...(values.request !== undefined ? { requestedAddress: values.request } : {}),
    ...(values['no-default-options'] === true ? { parameterRequestList: [] } : {}),
    requestOptions,
    extraOptions,
    broadcastFlag: values.broadcast === true,
    arpProbe: values['no-arp'] !== true,
    releaseOnStop: values.release === true,
  };
  return {
    interface: values.interface ?? 'eth0',
    foreground: values.foreground === true,
    background: values.background === true,
    now: values.now === true,
    quit: values.quit === true,
    releaseOnExit: values.release === true,
    pidfile: values.pidfile,
    script: values.script,
    controlSocket: values['control-socket'],
    leaseFile: values['lease-file'],
    resolvConf: values['resolv-conf'],
    defaultRoute: values['no-route'] !== true,
    syslog: values.syslog === true,
    help: values.halp === true,
    backgroundChild: values['lk-background-child'] === true,
    arpProbeMs: arpTimeout,
    clientPort,
    inform: values.inform,
    informServer: values['inform-server'],
    manifest: values.manifest,
    client,
  };
}

function parse(args: string[]) {
  return parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
}
