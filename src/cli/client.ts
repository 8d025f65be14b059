import { writeFileSync } from 'node:fs';
import type { CliCommand } from './command.ts';
import { runClientCtl } from './client-ctl.ts';
import { adoptedLease, removePidfile, spawnBackgroundChild, writePidfile } from './client-daemon.ts';
import { parseClientFlags, type ClientFlags } from './client-flags.ts';
import { RepeatLimiter, logLine, repeatKey } from './client-log.ts';
import { DEFAULT_MANIFEST_PATH, ManifestError, manifestDefaultIp } from './client-manifest.ts';
import {
  ClientControlServer,
  ClientRuntime,
  IprouteApplier,
  ScriptApplier,
  type TimedEvent,
} from '../runtime/client/index.ts';

export const CLIENT_HELP = `Usage: leasekeeper client [-fbnqRCaSB] [-i IFACE] [-r IP] [-s SCRIPT] [-p PIDFILE] [-t N] [-T SEC]
       [-A SEC] [-c CLIENTID] [-H HOSTNAME] [-F NAME] [-V VENDOR] [-O OPT]... [-x OPT:VAL]... [-o]
       [-P PORT] [--control-socket PATH] [--lease-file PATH] [--no-route] [--resolv-conf PATH] [--no-arp]
       [--manifest PATH]
       leasekeeper client --inform IP [--inform-server IP] [-i IFACE] [-P PORT] [-t N] [-T SEC]
       leasekeeper client ctl <status|renew|release|inform|statistics|events> [--socket PATH] [--count N]

A DHCPv4 client for one interface, a drop-in for busybox udhcpc (same flags, same script events).

  -i,--interface IFACE    interface to use (default eth0)
  -c,--clientid CLIENTID  client identifier, sent as given (default: type 1 + MAC)
  -C,--clientid-none      do not send a client identifier
  -H,-h,--hostname NAME   send NAME as the host name (option 12)
  -V,--vendorclass VENDOR vendor class identifier (option 60; none by default)
  -f,--foreground         stay in the foreground (default: go to the background once bound)
  -b,--background         go to the background if no lease comes at once
  -n,--now                exit with failure (1) if no lease comes at once
  -q,--quit               exit (0) after obtaining a lease
  -R,--release            release the lease on exit
  -p,--pidfile FILE       write the PID here (the background child's, after -b)
  -r,--request IP         ask for this address (default: "default_ip" of the --manifest file)
  --manifest PATH         JSON file whose "default_ip" -r defaults to (default ./manifest.json;
                          that one may be absent, a named one must exist)
  -P,--client-port PORT   use PORT as the client port and PORT-1 as the server port (default 68)
  --inform IP             do not take a lease: send a DHCPINFORM for IP (an address the host
                          has), print the answer as udhcpc's variables and exit (1 without one)
  --inform-server IP      send that DHCPINFORM to IP instead of broadcasting
  -s,--script PROG        run PROG for deconfig, bound, renew, nak, leasefail (udhcpc's environment);
                          without it the lease is applied with iproute2
  -t,--retries N          discovers per try (default 3)
  -T,--timeout SEC        seconds between discovers (default 3)
  -A,--tryagain SEC       pause after a failed try (default 20)
  -O,--request-option OPT also request option OPT (name or code); repeatable
  -o,--no-default-options request only the -O options
  -x,--option OPT:VAL     send option OPT with VAL (udhcpc syntax: hostname:box, 0x3d:0100beef...)
  -B,--broadcast          ask for broadcast replies
  -a[MSEC],--arping       probe the address with ARP before using it (the default here), for MSEC
  -F,--fqdn NAME          ask the server to update DNS for NAME (option 81)
  -S,--syslog             accepted for compatibility; logs go to stderr
  --no-arp                do not probe with ARP
  --arp-timeout MS        length of the ARP probe (default 2000)
  --lease-file PATH       remember the lease here; start from it (INIT-REBOOT) when still valid
  --control-socket PATH   UNIX control socket (status, renew, release, statistics, events)
  --no-route              built-in applier: do not add the default route via the router
  --resolv-conf PATH      built-in applier: write DNS servers and domain to PATH (default: never)
  --halp, --help          this text

Signals: SIGUSR1 renews, SIGUSR2 releases, SIGTERM exits (releasing first with -R).

ctl: talks to a running client's --control-socket (or $LEASEKEEPER_CLIENT_SOCKET):
  status      state, interface, address, server, times left to T1, T2 and expiry
  renew       renew now                    release     release the lease
  inform      send a DHCPINFORM for the bound address (or --address IP, to --server IP); the
              answer comes as an inform-ack event
  statistics  messages sent and received by type, retries, bogus packets by reason
  events      print state changes and errors as JSON lines, until interrupted or --count N`;

export const clientCommand: CliCommand = {
  name: 'client',
  help: CLIENT_HELP,
  async run(argv) {
    if (argv[0] === 'ctl') return runClientCtl(argv.slice(1));
    const flags = parseClientFlags(argv);
    if (flags.help) {
      console.log(CLIENT_HELP);
      return 0;
    }
    return runClient(flags);
  },
};

function log(line: string): void {
  process.stderr.write(`leasekeeper client: ${line}\n`);
}

const repeats = new RepeatLimiter();

/** An event's log line; errors and ignored packets at most once per 10 s per kind, with a count. */
function logEvent(e: TimedEvent): void {
  const line = logLine(e);
  if (line === null) return;
  const key = repeatKey(e);
  const dropped = key === null ? 0 : repeats.admit(key, e.time);
  if (dropped === null) return;
  log(dropped > 0 ? `${line} (${dropped} more like it not shown)` : line);
}

/** `-r`'s default: `default_ip` of the manifest, when `-r` is not given; null after logging a bad manifest. */
function withManifestDefault(flags: ClientFlags): ClientFlags | null {
  if (flags.client.requestedAddress !== undefined) return flags;
  const path = flags.manifest ?? DEFAULT_MANIFEST_PATH;
  let ip: string | undefined;
  try {
    ip = manifestDefaultIp(path, flags.manifest !== undefined);
  } catch (err) {
    if (!(err instanceof ManifestError)) throw err;
    log(`bad manifest: ${err.message}`);
    return null;
  }
  if (ip === undefined) return flags;
  log(`requesting ${ip} (default_ip of ${path})`);
  return { ...flags, client: { ...flags.client, requestedAddress: ip } };
}

/** `--inform IP`: one DHCPINFORM, the answer printed as udhcpc's variables (`dns=...`), exit 0; 1 without one. */
async function runInform(flags: ClientFlags, address: string): Promise<number> {
  let settle: (code: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => {
    settle = resolve;
  });
  const onEvent = (e: TimedEvent): void => {
    logEvent(e);
    if (e.type === 'inform-ack') {
      for (const [k, v] of Object.entries(e.env)) process.stdout.write(`${k}=${v}\n`);
      settle(0);
    } else if (e.type === 'inform-failed') settle(1);
  };
  let rt: ClientRuntime;
  try {
    rt = await ClientRuntime.start({
      interface: flags.interface,
      client: flags.client,
      clientPort: flags.clientPort,
      informOnly: { address, ...(flags.informServer === undefined ? {} : { server: flags.informServer }) },
      onEvent,
    });
  } catch (err) {
    log(err instanceof Error ? err.message : String(err));
    return 1;
  }
  const interrupted = (): void => settle(1);
  process.once('SIGTERM', interrupted);
  process.once('SIGINT', interrupted);
  const code = await done;
  process.off('SIGTERM', interrupted);
  process.off('SIGINT', interrupted);
  await rt.stop();
  return code;
}

async function runClient(given: ClientFlags): Promise<number> {
  if (given.inform !== undefined) return runInform(given, given.inform);
  const flags = withManifestDefault(given);
  if (flags === null) return 1;
  if (flags.pidfile !== undefined) writePidfile(flags.pidfile);
  const applier =
    flags.script !== undefined
      ? new ScriptApplier({ script: flags.script })
      : new IprouteApplier({
          defaultRoute: flags.defaultRoute,
          ...(flags.resolvConf === undefined ? {} : { resolvConf: flags.resolvConf }),
        });
  const adopt = flags.backgroundChild ? adoptedLease() : undefined;
  let rt: ClientRuntime;
  let control: ClientControlServer | undefined;
  try {
    rt = await ClientRuntime.start({
      interface: flags.interface,
      applier,
      client: flags.client,
      arpProbeMs: flags.arpProbeMs,
      clientPort: flags.clientPort,
      ...(flags.leaseFile === undefined ? {} : { leaseFile: flags.leaseFile }),
      ...(adopt === undefined ? {} : { adoptLease: adopt }),
      onEvent: logEvent,
    });
  } catch (err) {
    log(err instanceof Error ? err.message : String(err));
    if (flags.pidfile !== undefined) removePidfile(flags.pidfile);
    return 1;
  }
  log(`started on ${flags.interface} (${rt.status().hwAddress})`);
  if (flags.controlSocket !== undefined) {
    try {
      control = await ClientControlServer.listen(flags.controlSocket, rt);
    } catch (err) {
      log(err instanceof Error ? err.message : String(err));
      await rt.stop();
      if (flags.pidfile !== undefined) removePidfile(flags.pidfile);
      return 1;
    }
  }
  const runtime = rt;
  return new Promise<number>((resolve) => {
    let finishing = false;
    let bound = false;
    const finish = async (code: number, how: 'stop' | 'background'): Promise<void> => {
      if (finishing) return;
      finishing = true;
      for (const [sig, fn] of handlers) process.off(sig, fn);
      await control?.close();
      if (how === 'background') {
        await runtime.abandon();
        const pid = spawnBackgroundChild(runtime.engine.lease);
        log(`backgrounding (pid ${pid})`);
        // udhcpc -p names the daemon: the child rewrites it too, this closes the gap.
        if (flags.pidfile !== undefined) writeFileSync(flags.pidfile, `${pid}\n`);
      } else {
        await runtime.stop({ release: flags.releaseOnExit });
        if (flags.pidfile !== undefined) removePidfile(flags.pidfile);
      }
      resolve(code);
    };
    runtime.onEvent((e) => {
      if (e.type === 'lease-acquired' && !bound) {
        bound = true;
        if (flags.quit) {
          // -q reports a lease that could not be put on the interface as the failure it is.
          void runtime.idle().then(() => finish(runtime.status().configuration === 'failed' ? 1 : 0, 'stop'));
        } else if (!flags.foreground && !flags.backgroundChild) {
          void runtime.idle().then(() => finish(0, 'background'));
        }
      } else if (e.type === 'leasefail' && !bound) {
        if (flags.now) {
          log('no lease, failing');
          void runtime.idle().then(() => finish(1, 'stop'));
        } else if (flags.background && !flags.backgroundChild) {
          void runtime.idle().then(() => finish(0, 'background'));
        }
      }
    });
    const handlers: [NodeJS.Signals, () => void][] = [
      ['SIGUSR1', () => runtime.renew()],
      ['SIGUSR2', () => runtime.release()],
      ['SIGTERM', () => void finish(0, 'stop')],
      ['SIGINT', () => void finish(0, 'stop')],
    ];
    for (const [sig, fn] of handlers) process.on(sig, fn);
  });
}
