import { execFile } from 'node:child_process';
import { rename, writeFile } from 'node:fs/promises';
import type { ClientLease } from '../../client/index.ts';
import { leaseSearchList } from '../../client/index.ts';
import type { ApplyRequest, ApplyResult, LeaseApplier } from './applier.ts';
import { ClientRuntimeError } from './errors.ts';

export interface IprouteApplierOptions {
  /** Add a default route via the lease's first router (udhcpc's default script does). Default true. */
  readonly defaultRoute?: boolean;
  /** Write the lease's DNS servers and domain here (resolv.conf format). Default: never touch resolv.conf. */
  readonly resolvConf?: string;
  /** Run `ip -n NS`: for tests driving a namespace from outside. */
  readonly netns?: string;
  /** The `ip` binary (default `ip` on PATH). */
  readonly ip?: string;
}

/**
 * The built-in lease applier, what udhcpc's example default script does with iproute2: deconfig flushes
 * the interface's IPv4 addresses; bound/renew set address, prefix and broadcast, a default route via the
 * router if wanted, and resolv.conf only if a path was given.
 */
export class IprouteApplier implements LeaseApplier {
  readonly #o: IprouteApplierOptions;

  constructor(options: IprouteApplierOptions = {}) {
    this.#o = options;
  }

  async apply(req: ApplyRequest): Promise<ApplyResult> {
    const dev = req.interface;
    switch (req.event) {
      case 'deconfig':
        await this.#ip(['-4', 'addr', 'flush', 'dev', dev]);
        break;
      case 'bound':
      case 'renew': {
        const lease = req.lease;
        if (lease === null) break;
        // Another address (or none known: leftovers of an earlier run) goes first; the same address
        // (renewal, a lease taken over from a backgrounding parent) stays, with no gap.
        if (req.previous?.address !== lease.address) {
          await this.#ip(['-4', 'addr', 'flush', 'dev', dev]);
        }
        await this.#ip([
          'addr',
          'replace',
          `${lease.address}/${lease.prefixLength ?? 32}`,
          'broadcast',
          lease.broadcastAddress ?? '+',
          'dev',
          dev,
        ]);
        // The address is applied; a failing route or resolv.conf must not keep the other from being
        // written, and both are reported (the runtime then shows the lease as not fully applied).
        const failures: string[] = [];
        const router = lease.routers[0];
        if ((this.#o.defaultRoute ?? true) && router !== undefined) {
          await this.#ip(['route', 'replace', 'default', 'via', router, 'dev', dev]).catch((err: unknown) =>
            failures.push((err as Error).message),
          );
        }
        if (this.#o.resolvConf !== undefined) {
          const conf = resolvConf(lease);
          if (conf.refused.length > 0) {
            failures.push(`refused DNS search names from the server: ${conf.refused.join(', ')}`);
          }
          await writeResolvConf(this.#o.resolvConf, conf.text).catch((err: unknown) =>
            failures.push((err as Error).message),
          );
        }
        if (failures.length > 0) throw new ClientRuntimeError('ERR_CLIENT_APPLY', failures.join('; '));
        break;
      }
      default:
        break;
    }
    return { exitCode: 0 };
  }

  #ip(args: readonly string[]): Promise<void> {
    const full = this.#o.netns === undefined ? [...args] : ['-n', this.#o.netns, ...args];
    return new Promise((resolve, reject) => {
      execFile(this.#o.ip ?? 'ip', full, { timeout: 10_000 }, (err, _stdout, stderr) => {
        if (err) {
          const why = stderr.trim() || err.message;
          reject(new ClientRuntimeError('ERR_CLIENT_APPLY', `ip ${full.join(' ')}: ${why}`, { cause: err }));
        } else resolve();
      });
    });
  }
}

/**
 * resolv.conf from a lease: `search` from option 119 or 15, only names that pass the domain-name check
 * (a server's `corp.example\nnameserver 203.0.113.66` must not become a line), then the DNS servers
 * (dotted quads by construction). `refused` lists what was left out.
 */
export function resolvConf(lease: ClientLease): { text: string; refused: readonly string[] } {
  const lines = ['# written by leasekeeper client'];
  const search = leaseSearchList(lease);
  if (search.domains.length > 0) lines.push(`search ${search.domains.join(' ')}`);
  for (const ns of lease.dnsServers) lines.push(`nameserver ${ns}`);
  return { text: lines.join('\n') + '\n', refused: search.refused };
}

/** The text of {@link resolvConf}. */
export function resolvConfText(lease: ClientLease): string {
  return resolvConf(lease).text;
}

async function writeResolvConf(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, text);
    await rename(tmp, path);
  } catch (err) {
    throw new ClientRuntimeError('ERR_CLIENT_APPLY', `cannot write ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}
