/**
 * A network-namespace lab for tests that need real packets on real (virtual) links.
 *
 * Every namespace is named `lk-<prefix>-<pid>-<seq>-<short>`: the owning PID lets `cleanupStaleLabs()`
 * delete what a crashed run left behind, the sequence keeps two labs of one process apart. Veth ends are
 * created directly inside their namespaces (`ip -n A link add ... peer ... netns B`), so interface names
 * only have to be unique per namespace, never on the host, and nothing ever appears on the host's side.
 *
 * Safety rails (the lab rules): addresses other than 198.18.0.0/15 are refused, IPv6 is disabled in every
 * namespace, no route is ever added, every process is started through the lab and stopped by PID.
 */
import { spawn as spawnChild, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { missingNeeds, type Need } from './needs.ts';

/** What every lab needs: network namespaces and veth pairs are made by root with `ip`. */
export const LAB_NEEDS: readonly Need[] = ['root', 'ip'];

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Default 15 s. On timeout the command is killed and run() rejects with its output so far. */
  timeoutMs?: number;
  input?: string;
  env?: NodeJS.ProcessEnv;
}

export interface Netns {
  readonly name: string;
  /** A directory for this namespace's files (configs, scripts, leases) inside the lab's dir. */
  readonly dir: string;
  run(cmd: string, args: readonly string[], opts?: RunOptions): Promise<RunResult>;
  /**
   * Starts cmd in the namespace via `ip netns exec`, which execs it: `pid` is the program's own (for the
   * first instant it is still `ip`, same PID). Output is collected; lab.close() stops it.
   */
  spawn(cmd: string, args: readonly string[], opts?: { env?: NodeJS.ProcessEnv }): LabProcess;
  addAddress(ifname: string, cidr: string): Promise<void>;
  setLink(ifname: string, up: boolean): Promise<void>;
  addresses(ifname: string): Promise<string[]>;
  /** MAC address of ifname, lower-case `aa:bb:cc:dd:ee:ff`. */
  mac(ifname: string): Promise<string>;
}

export interface LabProcess {
  readonly pid: number;
  readonly output: () => string;
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>;
  readonly exited: Promise<number | null>;
}

export interface BridgeMember {
  ns: Netns;
  ifname: string;
  mac?: string;
}

export interface Lab {
  readonly id: string;
  /** A temporary directory owned by the lab (config files, scripts, lease files); removed by close(). */
  readonly dir: string;
  namespace(short: string): Promise<Netns>;
  veth(a: Netns, aIf: string, b: Netns, bIf: string, opts?: { aMac?: string; bMac?: string }): Promise<void>;
  /**
   * One Ethernet segment joining several namespaces: a namespace `short` holding bridge `br0`, with one
   * veth per member (member end named `ifname`, bridge end `p<i>`). Returns the bridge namespace.
   */
  bridge(short: string, members: readonly BridgeMember[]): Promise<Netns>;
  close(): Promise<void>;
}

const NAME_PREFIX = 'lk';
const NAME_RE = /^lk-([a-z]{2,4})-(\d+)-(\d+)-([a-z0-9]+)$/;
const ALLOWED_NET = { base: ipToInt('198.18.0.0'), mask: 0xfffe0000 };
const DEFAULT_RUN_TIMEOUT_MS = 15_000;
const DEFAULT_GRACE_MS = 3_000;
const MAX_OUTPUT_CHARS = 1_000_000;

let labSeq = 0;
const liveLabs = new Set<LabImpl>();

/** Throws a clear error when the process cannot run a lab (not root, or no `ip` from iproute2). */
export function requireRoot(): void {
  const missing = missingNeeds(LAB_NEEDS);
  if (missing.length > 0) throw new Error(`the network-namespace lab needs ${missing.join(', ')}`);
}

export async function createLab(prefix: string): Promise<Lab> {
  if (!/^[a-z]{2,4}$/.test(prefix))
    throw new Error(`lab prefix must be 2-4 lower-case letters, got '${prefix}'`);
  requireRoot();
  // once per process: sweep what SIGKILLed runs left (only namespaces whose owner PID is dead)
  if (labSeq === 0) cleanupStaleLabs();
  labSeq += 1;
  const lab = new LabImpl(prefix, `${process.pid}-${labSeq}`);
  liveLabs.add(lab);
  installExitHooks();
  return lab;
}

/**
 * Deletes namespaces of this naming scheme whose owning process is gone (a run that was SIGKILLed).
 * Returns the names deleted. Namespaces of live processes (other engineers' runs) are left alone.
 */
export function cleanupStaleLabs(): string[] {
  const deleted: string[] = [];
  for (const name of listNamespaces()) {
    const m = NAME_RE.exec(name);
    if (!m) continue;
    const owner = Number(m[2]);
    if (owner === process.pid || processAlive(owner)) continue;
    killNamespacePidsSync(name);
    try {
      execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
      deleted.push(name);
    } catch {
      // already gone, or raced with another cleaner
    }
    rmSync(join('/etc/netns', name), { recursive: true, force: true });
  }
  return deleted;
}

class LabImpl implements Lab {
  readonly dir: string;
  private readonly namespaces: NetnsImpl[] = [];
  readonly processes = new Set<ProcessImpl>();
  private closing: Promise<void> | undefined;

  private readonly prefix: string;
  readonly id: string;
  constructor(prefix: string, id: string) {
    this.prefix = prefix;
    this.id = id;
    this.dir = mkdtempSync(join(tmpdir(), `lk-${prefix}-${id}-`));
  }

  get namespaceNames(): string[] {
    return this.namespaces.map((n) => n.name);
  }

  async namespace(short: string): Promise<Netns> {
    this.assertOpen();
    if (!/^[a-z0-9]{1,8}$/.test(short))
      throw new Error(`namespace short name must be [a-z0-9]{1,8}: '${short}'`);
    const name = `${NAME_PREFIX}-${this.prefix}-${this.id}-${short}`;
    if (this.namespaces.some((n) => n.name === name))
      throw new Error(`namespace ${short} already exists in lab`);
    // A per-namespace /etc/resolv.conf: `ip netns exec` bind-mounts /etc/netns/NAME/* over /etc, so a
    // client that rewrites resolv.conf writes this file, not the host's.
    mkdirSync(join('/etc/netns', name), { recursive: true });
    writeFileSync(join('/etc/netns', name, 'resolv.conf'), '# leasekeeper lab namespace\n');
    await ipOk(['netns', 'add', name]);
    const ns = new NetnsImpl(name, this);
    this.namespaces.push(ns);
    await ipOk(['-n', name, 'link', 'set', 'lo', 'up']);
    const r = await ns.run('sysctl', [
      '-q',
      '-w',
      'net.ipv6.conf.all.disable_ipv6=1',
      'net.ipv6.conf.default.disable_ipv6=1',
    ]);
    if (r.code !== 0) throw new Error(`disabling IPv6 in ${name} failed: ${r.stderr}`);
    return ns;
  }

  async veth(
    a: Netns,
    aIf: string,
    b: Netns,
    bIf: string,
    opts: { aMac?: string; bMac?: string } = {},
  ): Promise<void> {
    this.assertOpen();
    checkIfname(aIf);
    checkIfname(bIf);
    const args = ['-n', a.name, 'link', 'add', aIf];
    if (opts.aMac) args.push('address', opts.aMac);
    args.push('type', 'veth', 'peer', 'name', bIf);
    if (opts.bMac) args.push('address', opts.bMac);
    args.push('netns', b.name);
    await ipOk(args);
    await a.setLink(aIf, true);
    await b.setLink(bIf, true);
  }

  async bridge(short: string, members: readonly BridgeMember[]): Promise<Netns> {
    const br = await this.namespace(short);
    await ipOk(['-n', br.name, 'link', 'add', 'br0', 'type', 'bridge']);
    await br.setLink('br0', true);
    for (const [i, m] of members.entries()) {
      const port = `p${i}`;
      await this.veth(m.ns, m.ifname, br, port, m.mac ? { aMac: m.mac } : {});
      await ipOk(['-n', br.name, 'link', 'set', port, 'master', 'br0']);
    }
    return br;
  }

  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    await Promise.all([...this.processes].map((p) => p.stop('SIGTERM', DEFAULT_GRACE_MS).catch(() => null)));
    for (const ns of this.namespaces) {
      killNamespacePidsSync(ns.name);
      await ip(['netns', 'del', ns.name]);
      rmSync(join('/etc/netns', ns.name), { recursive: true, force: true });
    }
    rmSync(this.dir, { recursive: true, force: true });
    liveLabs.delete(this);
  }

  /** Best effort, synchronous: for process exit and signals, when no await can run. */
  closeSync(): void {
    for (const p of this.processes) p.killSync();
    for (const ns of this.namespaces) {
      killNamespacePidsSync(ns.name);
      try {
        execFileSync('ip', ['netns', 'del', ns.name], { stdio: 'ignore' });
      } catch {
        // gone already
      }
      rmSync(join('/etc/netns', ns.name), { recursive: true, force: true });
    }
    rmSync(this.dir, { recursive: true, force: true });
    liveLabs.delete(this);
  }

  private assertOpen(): void {
    if (this.closing) throw new Error(`lab ${this.id} is closed`);
  }
}

class NetnsImpl implements Netns {
  readonly dir: string;

  readonly name: string;
  private readonly lab: LabImpl;
  constructor(name: string, lab: LabImpl) {
    this.name = name;
    this.lab = lab;
    this.dir = join(lab.dir, name);
    mkdirSync(this.dir, { recursive: true });
  }

  run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    return runCommand('ip', ['netns', 'exec', this.name, cmd, ...args], opts);
  }

  spawn(cmd: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv } = {}): LabProcess {
    const child = spawnChild('ip', ['netns', 'exec', this.name, cmd, ...args], {
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (child.pid === undefined) throw new Error(`could not spawn ${cmd} in ${this.name}`);
    const p = new ProcessImpl(child, `${cmd} ${args.join(' ')}`);
    this.lab.processes.add(p);
    void p.exited.then(() => this.lab.processes.delete(p));
    return p;
  }

  async addAddress(ifname: string, cidr: string): Promise<void> {
    checkLabCidr(cidr);
    await ipOk(['-n', this.name, 'addr', 'add', cidr, 'dev', ifname]);
  }

  async setLink(ifname: string, up: boolean): Promise<void> {
    await ipOk(['-n', this.name, 'link', 'set', ifname, up ? 'up' : 'down']);
  }

  async addresses(ifname: string): Promise<string[]> {
    const out = await ipOk(['-n', this.name, '-j', '-4', 'addr', 'show', 'dev', ifname]);
    const parsed = JSON.parse(out || '[]') as { addr_info?: { local?: string; prefixlen?: number }[] }[];
    return parsed.flatMap((l) => (l.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`));
  }

  async mac(ifname: string): Promise<string> {
    const out = await ipOk(['-n', this.name, '-j', 'link', 'show', 'dev', ifname]);
    const parsed = JSON.parse(out) as { address?: string }[];
    const mac = parsed[0]?.address;
    if (!mac) throw new Error(`no MAC for ${ifname} in ${this.name}`);
    return mac.toLowerCase();
  }
}

class ProcessImpl implements LabProcess {
  readonly pid: number;
  readonly exited: Promise<number | null>;
  private out = '';
  private done = false;
  private readonly listeners = new Set<() => void>();

  private readonly child: ChildProcess;
  private readonly label: string;
  constructor(child: ChildProcess, label: string) {
    this.child = child;
    this.label = label;
    this.pid = child.pid as number;
    const onData = (d: Buffer): void => {
      this.out += d.toString('utf8');
      if (this.out.length > MAX_OUTPUT_CHARS) this.out = this.out.slice(-MAX_OUTPUT_CHARS / 2);
      for (const l of this.listeners) l();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    this.exited = new Promise((resolve) => {
      // 'exit', not 'close': a program's own children (dhcpcd's privsep helpers, a daemon) may keep the
      // pipes open long after it is gone. Give the pipes a moment to drain, then report the exit.
      child.on('exit', (code) => {
        const settle = (): void => {
          if (this.done) return;
          this.done = true;
          for (const l of this.listeners) l();
          resolve(code);
        };
        child.on('close', settle);
        setTimeout(settle, 200);
      });
      child.on('error', (err) => {
        this.out += `\n[spawn error] ${err.message}\n`;
      });
    });
  }

  readonly output = (): string => this.out;

  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const check = (): void => {
        const m = this.out.match(pattern);
        if (m) return finish(() => resolve(m));
        if (this.done) {
          finish(() => reject(new Error(`${this.label} exited before ${pattern}; output:\n${this.out}`)));
        }
      };
      const finish = (f: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.listeners.delete(check);
        f();
      };
      const timer = setTimeout(
        () =>
          finish(() =>
            reject(
              new Error(
                `timeout ${timeoutMs} ms waiting for ${pattern} from ${this.label}; output:\n${this.out}`,
              ),
            ),
          ),
        timeoutMs,
      );
      this.listeners.add(check);
      check();
    });
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = DEFAULT_GRACE_MS): Promise<number | null> {
    if (this.done) return this.exited;
    try {
      process.kill(this.pid, signal);
    } catch {
      // exited between the check and the kill
    }
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      this.exited.then(() => false),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(true), graceMs))),
    ]);
    if (timer) clearTimeout(timer);
    if (timedOut) this.killSync();
    return this.exited;
  }

  killSync(): void {
    if (this.done) return;
    try {
      process.kill(this.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

function runCommand(cmd: string, args: readonly string[], opts: RunOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawnChild(cmd, args, {
      env: opts.env ?? process.env,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timeoutMs = opts.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    let finished = false;
    const finish = (code: number | null): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      if (timedOut) {
        reject(new Error(`${args.join(' ')}: timed out after ${timeoutMs} ms\n${stdout}${stderr}`));
      } else {
        resolve({ code, stdout, stderr });
      }
    };
    // as in ProcessImpl: a daemon left behind may hold the pipes open, so 'exit' plus a short drain
    child.on('close', finish);
    child.on('exit', (code) => setTimeout(() => finish(code), 200));
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

async function ip(args: readonly string[]): Promise<RunResult> {
  return runCommand('ip', args, {});
}

async function ipOk(args: readonly string[]): Promise<string> {
  const r = await ip(args);
  if (r.code !== 0) throw new Error(`ip ${args.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

function listNamespaces(): string[] {
  try {
    return readdirSync('/var/run/netns');
  } catch {
    return [];
  }
}

function killNamespacePidsSync(name: string): void {
  let out = '';
  try {
    out = execFileSync('ip', ['netns', 'pids', name], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch {
    return;
  }
  const pids: number[] = [];
  for (const line of out.split('\n')) {
    const pid = Number(line.trim());
    if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid) continue;
    try {
      process.kill(pid, 'SIGKILL');
      pids.push(pid);
    } catch {
      // gone
    }
  }
  // SIGKILL is delivered asynchronously: wait (bounded) until they are really gone, so "dead after close"
  // holds and the namespace is not kept alive by a dying process.
  for (let i = 0; i < 200 && pids.some(processAlive); i++) sleepSync(10);
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

function sleepSync(ms: number): void {
  Atomics.wait(sleepCell, 0, 0, ms);
}

/** True while pid runs; a zombie (killed, not yet reaped by its parent or by PID 1) counts as dead. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // field 3, after the parenthesised comm (which may itself contain spaces or parentheses)
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

function checkIfname(name: string): void {
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(name)) throw new Error(`bad interface name '${name}' (max 15 chars)`);
}

function checkLabCidr(cidr: string): void {
  const [addr, len] = cidr.split('/');
  if (addr === undefined || len === undefined || !/^\d+$/.test(len) || Number(len) > 32) {
    throw new Error(`bad CIDR '${cidr}'`);
  }
  if ((ipToInt(addr) & ALLOWED_NET.mask) >>> 0 !== ALLOWED_NET.base) {
    throw new Error(`lab addresses must be in 198.18.0.0/15, got ${cidr}`);
  }
}

function ipToInt(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new Error(`bad IPv4 address '${ip}'`);
  }
  return parts.reduce((acc, p) => acc * 256 + p, 0) >>> 0;
}

let hooksInstalled = false;

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', () => {
    for (const lab of [...liveLabs]) lab.closeSync();
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const handler = (): void => {
      for (const lab of [...liveLabs]) lab.closeSync();
      process.removeListener(sig, handler);
      // Re-raise so the process dies with the signal as it would have without this hook.
      process.kill(process.pid, sig);
    };
    process.on(sig, handler);
  }
}
