/**
 * A throwaway PostgreSQL primary with one streaming standby (synchronous: a commit returns once the standby
 * has it), each on its own UNIX socket directory, for failover tests. `promote()` stops the primary
 * abruptly and promotes the standby.
 */
import { chownSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { BIN, asPostgres } from './pg-cluster.ts';

export interface ReplicaPair {
  readonly primarySocket: string;
  readonly standbySocket: string;
  createDatabase(name: string): Promise<string>;
  /** Stops the primary at once (`-m immediate`) and promotes the standby; resolves once it accepts writes. */
  promote(): Promise<void>;
  stop(): Promise<void>;
  stopSync(): void;
}

export async function startReplicaPair(): Promise<ReplicaPair> {
  const root = mkdtempSync(join(tmpdir(), 'leasekeeper-pgrep-'));
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  chownSync(root, uid, gid);
  const dirs = { primary: join(root, 'primary'), standby: join(root, 'standby') };
  const sockets = { primary: join(root, 'sock-p'), standby: join(root, 'sock-s') };
  for (const s of Object.values(sockets)) {
    mkdirSync(s);
    chownSync(s, uid, gid);
  }
  const start = (which: 'primary' | 'standby', extra: string): void => {
    asPostgres([
      `${BIN}/pg_ctl`,
      'start',
      '-D',
      dirs[which],
      '-w',
      '-l',
      join(root, `${which}.log`),
      '-o',
      `-k ${sockets[which]} -c listen_addresses='' -c max_connections=100 ${extra}`,
    ]);
  };
  let stopped = false;
  const stopSync = (): void => {
    if (stopped) return;
    stopped = true;
    for (const d of Object.values(dirs)) {
      try {
        asPostgres([`${BIN}/pg_ctl`, 'stop', '-D', d, '-m', 'immediate', '-w']);
      } catch {
        // Down already.
      }
    }
    rmSync(root, { recursive: true, force: true });
  };
  try {
    asPostgres([
      `${BIN}/initdb`,
      '-D',
      dirs.primary,
      '-A',
      'trust',
      '-U',
      'postgres',
      '--no-sync',
      '-E',
      'UTF8',
    ]);
    start('primary', `-c synchronous_standby_names='*'`);
    asPostgres([
      `${BIN}/pg_basebackup`,
      '-h',
      sockets.primary,
      '-U',
      'postgres',
      '-D',
      dirs.standby,
      '-R',
      '-X',
      'stream',
      '--no-sync',
    ]);
    start('standby', '');
  } catch (error) {
    stopSync();
    throw error;
  }
  const connect = async (socket: string, database: string): Promise<pg.Client> => {
    const c = new pg.Client({ host: socket, user: 'postgres', database });
    await c.connect();
    return c;
  };
  return {
    primarySocket: sockets.primary,
    standbySocket: sockets.standby,
    async createDatabase(name) {
      const c = await connect(sockets.primary, 'postgres');
      try {
        await c.query(`CREATE DATABASE "${name}"`);
      } finally {
        await c.end();
      }
      return name;
    },
    async promote() {
      asPostgres([`${BIN}/pg_ctl`, 'stop', '-D', dirs.primary, '-m', 'immediate', '-w']);
      asPostgres([`${BIN}/pg_ctl`, 'promote', '-D', dirs.standby, '-w']);
    },
    stop: async () => stopSync(),
    stopSync,
  };
}
