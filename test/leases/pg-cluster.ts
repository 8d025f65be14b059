import { execFileSync } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

import { POSTGRES_BIN as BIN } from '../lab/needs.ts';

export { BIN };

export interface TempCluster {
  /** Connection settings for one database of the cluster, over its UNIX socket. */
  connection(database: string): pg.PoolConfig;
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
  /** Stops the server (fast shutdown: sessions are cut) and keeps its data, as an outage would. */
  halt(): void;
  /** Starts the halted server again on the same socket. */
  restart(): void;
  /** For process exit hooks. */
  stopSync(): void;
}

/** Kea's `lease-database` entry for `database` of `cluster`, reached as `postgres` over the cluster's socket. */
export function keaLeaseDatabase(
  cluster: TempCluster,
  database: string,
): { type: 'postgresql'; name: string; host: string | undefined; user: string } {
  return { type: 'postgresql', name: database, host: cluster.connection(database).host, user: 'postgres' };
}

export function asPostgres(args: string[]): string {
  return execFileSync('runuser', ['-u', 'postgres', '--', ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/**
 * A throwaway PostgreSQL 15 cluster in a temporary directory, reachable only over a UNIX socket in that directory
 * (no TCP). Needs root (initdb runs as the `postgres` user).
 */
export async function startTempCluster(): Promise<TempCluster> {
  const root = mkdtempSync(join(tmpdir(), 'leasekeeper-pg-'));
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  chownSync(root, uid, gid);
  const data = join(root, 'data');
  const socket = join(root, 'sock');
  mkdirSync(socket);
  chownSync(socket, uid, gid);
  let stopped = false;
  const stopSync = (): void => {
    if (stopped) return;
    stopped = true;
    try {
      asPostgres([`${BIN}/pg_ctl`, 'stop', '-D', data, '-m', 'immediate', '-w']);
    } catch {
      // Already down (or never started): the directory goes anyway.
    }
    rmSync(root, { recursive: true, force: true });
  };
  const start = (): void => {
    asPostgres([
      `${BIN}/pg_ctl`,
      'start',
      '-D',
      data,
      '-w',
      '-l',
      join(root, 'postgres.log'),
      '-o',
      `-k ${socket} -c listen_addresses='' -c max_connections=200`,
    ]);
  };
  try {
    asPostgres([`${BIN}/initdb`, '-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
    start();
  } catch (error) {
    stopSync();
    throw error;
  }
  const connection = (database: string): pg.PoolConfig => ({ host: socket, user: 'postgres', database });
  return {
    connection,
    async createDatabase(name) {
      const client = new pg.Client(connection('postgres'));
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name}"`);
      } finally {
        await client.end();
      }
      return name;
    },
    stop: async () => stopSync(),
    halt: () => void asPostgres([`${BIN}/pg_ctl`, 'stop', '-D', data, '-m', 'fast', '-w']),
    restart: start,
    stopSync,
  };
}

/**
 * Registers hooks that start a throwaway cluster before the suite's tests and stop it after them (or at process
 * exit, should the run be cut short); `assign` receives the started cluster.
 */
export function useTempCluster(
  hooks: { before: (fn: () => Promise<void>) => unknown; after: (fn: () => Promise<void>) => unknown },
  assign: (cluster: TempCluster) => void,
): void {
  let cluster: TempCluster | undefined;
  hooks.before(async () => {
    cluster = await startTempCluster();
    process.on('exit', () => cluster?.stopSync());
    assign(cluster);
  });
  hooks.after(async () => {
    await cluster?.stop();
  });
}
