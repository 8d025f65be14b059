import type pg from 'pg';
import { MemoryLeaseStore } from './memory.ts';
import { PostgresLeaseStore } from './postgres.ts';
import { SqliteLeaseStore } from './sqlite.ts';
import type { LeaseStore } from './store.ts';
import type { LeaseStoreWarning } from './health.ts';

/** Which backend to open, as the runtime's configuration names it. */
export type LeaseStoreSpec =
  | { readonly type: 'memory' }
  | {
      readonly type: 'sqlite';
      readonly path: string;
      readonly synchronous?: 'full' | 'normal';
      readonly busyTimeoutMs?: number;
      /** Where write transactions run (see `SqliteLeaseStoreOptions.writer`); here the default is `worker`. */
      readonly writer?: 'worker' | 'inline';
      /** See `SqliteLeaseStoreOptions.batchIntervalMs`. */
      readonly batchIntervalMs?: number;
      /** See `SqliteLeaseStoreOptions.batchMaxWaitMs` (`serve --max-commit-wait`). */
      readonly batchMaxWaitMs?: number;
      /** See `SqliteLeaseStoreOptions.batchSaturated` (`serve` passes its load signal). */
      readonly batchSaturated?: () => boolean;
      /** See `SqliteLeaseStoreOptions.checkWhileReading` (`serve` sets it). */
      readonly checkWhileReading?: boolean;
      /** See `SqliteLeaseStoreOptions.onWarning` (`serve` logs them). */
      readonly onWarning?: (warning: LeaseStoreWarning) => void;
    }
  | {
      readonly type: 'postgresql';
      /** A connection string or node-postgres settings (host may be a UNIX socket directory). */
      readonly connection: string | pg.PoolConfig;
      readonly poolSize?: number;
      /** LISTEN for other servers' changes (default true). */
      readonly listen?: boolean;
      /** Copy Kea's active leases on the first start against Kea's lease database (default true). */
      readonly importKeaLeases?: boolean;
    };

/** Opens the backend a spec names. Rejects with `LeaseStoreOpenError` when it cannot be used. */
export async function openLeaseStore(spec: LeaseStoreSpec, clock?: () => number): Promise<LeaseStore> {
  switch (spec.type) {
    case 'memory':
      return new MemoryLeaseStore(clock === undefined ? {} : { clock });
    case 'sqlite':
      // The worker writer keeps the WAL fsync of every batch off the event loop that reads the packets.
      return SqliteLeaseStore.open({
        ...spec,
        writer: spec.writer ?? 'worker',
        ...(clock === undefined ? {} : { clock }),
      });
    case 'postgresql':
      return PostgresLeaseStore.open({ ...spec, ...(clock === undefined ? {} : { clock }) });
  }
}
