export type { Lease, LeaseState } from './lease.ts';
export { LEASE_STATE_CODES } from './lease.ts';
export type {
  ClientQuery,
  CommitMode,
  CommitOptions,
  CommitResult,
  LeaseChange,
  LeaseChangeKind,
  LeaseChangeListener,
  LeaseStore,
  ReclaimOptions,
  SubnetFilter,
  SubnetLeaseStats,
  TimeOptions,
} from './store.ts';
export { claimable, sameOwner } from './store.ts';
export {
  InvalidLeaseError,
  LeaseCorruptError,
  LeaseQueryError,
  LeaseStoreClosedError,
  LeaseStoreDamagedError,
  LeaseStoreError,
  LeaseStoreIoError,
  LeaseStoreOpenError,
} from './errors.ts';
export { listenerErrorChannel } from './changes.ts';
export { MemoryLeaseStore } from './memory.ts';
export type { MemoryLeaseStoreOptions } from './memory.ts';
export { SqliteLeaseStore } from './sqlite.ts';
export type { SqliteLeaseStoreOptions } from './sqlite.ts';
export { PostgresLeaseStore } from './postgres.ts';
export type { PostgresLeaseStoreOptions } from './postgres.ts';
export { pgListenErrorChannel } from './postgres-listen.ts';
export type { ListenWatcher } from './postgres-listen.ts';
export { openLeaseStore } from './open.ts';
export type { LeaseStoreSpec } from './open.ts';
export { LeaseWriterLostError } from './sqlite-writer.ts';
export type { LeaseStoreHealth } from './health.ts';
export { postgresFromKea } from './kea-postgres.ts';
export { withoutDnsFlags } from './lease.ts';
export type { ClaimResult } from './postgres-coordination.ts';
export { ipv4ToNumber } from './address.ts';
