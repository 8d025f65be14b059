import type { Logger } from 'pino';
import { PostgresLeaseStore, type LeaseStore, type LeaseStoreSpec } from '../../leases/index.ts';
import { PostgresQueueStorage } from './postgres-queue.ts';
import type { DdnsQueueStorage } from './queue-storage.ts';
import { SqliteQueueStorage } from './sqlite-queue.ts';

/**
 * The DDNS queue's place in the lease database the server runs on: the SQLite lease file (by its path) or the
 * PostgreSQL database (over the store's own connections). None for the memory store, whose leases do not
 * outlive the process either. A failure to open is logged and leaves the queue in memory: DHCP goes on.
 */
export async function openQueueStorage(
  spec: LeaseStoreSpec | undefined,
  store: LeaseStore,
  logger: Logger,
): Promise<DdnsQueueStorage | undefined> {
  if (store instanceof PostgresLeaseStore)
    return new PostgresQueueStorage({ query: store.coordination().query });
  if (spec?.type !== 'sqlite') return undefined;
  try {
    const opened = await SqliteQueueStorage.open(spec.path);
    for (const n of opened.notes) logger.info(`DDNS: ${n}`);
    for (const w of opened.warnings) logger.warn(`DDNS: ${w}`);
    return opened.storage;
  } catch (err) {
    logger.warn(`DDNS: the queue stays in memory only; ${spec.path}: ${(err as Error).message}`);
    return undefined;
  }
}
