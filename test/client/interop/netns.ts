/**
 * A two-namespace lab (test/lab/netns.ts builds the same for the server tests): a server namespace with 198.18.0.1/24 on one end
 * of a veth pair, a client namespace with the other end up and no address. IPv6 off, no default route.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

export interface Lab {
  readonly srv: string;
  readonly cli: string;
  readonly ifSrv: string;
  readonly ifCli: string;
  readonly cliMac: string;
}

export function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export function createLab(tag: string): Lab {
  const lab = { srv: `${tag}s`, cli: `${tag}c`, ifSrv: `${tag}a`, ifCli: `${tag}b` };
  sh('ip', ['netns', 'add', lab.srv]);
  sh('ip', ['netns', 'add', lab.cli]);
  sh('ip', ['link', 'add', lab.ifSrv, 'type', 'veth', 'peer', 'name', lab.ifCli]);
  sh('ip', ['link', 'set', lab.ifSrv, 'netns', lab.srv]);
  sh('ip', ['link', 'set', lab.ifCli, 'netns', lab.cli]);
  for (const ns of [lab.srv, lab.cli])
    sh('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1']);
  sh('ip', ['-n', lab.srv, 'link', 'set', 'lo', 'up']);
  sh('ip', ['-n', lab.srv, 'addr', 'add', '198.18.0.1/24', 'dev', lab.ifSrv]);
  sh('ip', ['-n', lab.srv, 'link', 'set', lab.ifSrv, 'up']);
  sh('ip', ['-n', lab.cli, 'link', 'set', lab.ifCli, 'up']);
  const cliMac = /link\/ether ([0-9a-f:]{17})/.exec(
    sh('ip', ['-n', lab.cli, 'link', 'show', lab.ifCli]),
  )?.[1];
  if (cliMac === undefined) throw new Error('no MAC on the client veth');
  return { ...lab, cliMac };
}

function killNamespace(ns: string): void {
  try {
    for (const pid of sh('ip', ['netns', 'pids', ns])
      .split(/\s+/)
      .filter((p) => p !== '')) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    sh('ip', ['netns', 'del', ns]);
  } catch {
    // never created
  }
}

/** Kills what runs in the namespaces (by PID, as `ip netns pids` lists them) and deletes them. */
export function destroyLab(lab: Pick<Lab, 'srv' | 'cli'>): void {
  killNamespace(lab.cli);
  killNamespace(lab.srv);
}

export function waitForFile(path: string, text: string, ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (existsSync(path) && readFileSync(path, 'utf8').includes(text)) return;
    execFileSync('sleep', ['0.1']);
  }
  throw new Error(`timed out waiting for '${text}' in ${path}`);
}
