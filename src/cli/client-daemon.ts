import { spawn } from 'node:child_process';
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import type { ClientLease } from '../client/index.ts';
import { BACKGROUND_CHILD_FLAG } from './client-flags.ts';

/** The environment variable carrying the lease a backgrounding parent hands to its child (JSON). */
export const ADOPT_ENV = 'LEASEKEEPER_CLIENT_ADOPT_LEASE';

/** Writes this process's PID (udhcpc -p). */
export function writePidfile(path: string): void {
  writeFileSync(path, `${process.pid}\n`);
}

/** Removes the pid file if it still names this process (a background child may have taken it over). */
export function removePidfile(path: string): void {
  try {
    if (readFileSync(path, 'utf8').trim() === String(process.pid)) unlinkSync(path);
  } catch {
    // gone already
  }
}

/**
 * udhcpc's daemonizing, done the Node way: re-run this same command line detached, with a marker flag,
 * and let the caller exit. A lease already bound goes to the child through the environment, so it keeps
 * the address (and verifies it) instead of starting over. Returns the child's PID.
 */
export function spawnBackgroundChild(lease: ClientLease | null): number {
  const args = [...process.execArgv, process.argv[1] ?? '', ...process.argv.slice(2), BACKGROUND_CHILD_FLAG];
  const env = { ...process.env };
  if (lease !== null) env[ADOPT_ENV] = JSON.stringify(lease);
  else delete env[ADOPT_ENV];
  const child = spawn(process.execPath, args, { detached: true, stdio: 'ignore', env });
  child.unref();
  return child.pid ?? -1;
}

/** The lease handed over by the parent, if any (checked by the lease-file schema's shape only loosely). */
export function adoptedLease(): ClientLease | undefined {
  const text = process.env[ADOPT_ENV];
  if (text === undefined) return undefined;
  delete process.env[ADOPT_ENV];
  try {
    const lease = JSON.parse(text) as ClientLease;
    return typeof lease.address === 'string' && typeof lease.serverId === 'string' ? lease : undefined;
  } catch {
    return undefined;
  }
}
