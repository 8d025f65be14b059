export { HostDatabaseError } from './errors.ts';
export {
  IDENTIFIER_CODES,
  ROW_LIMITS,
  hostFromRows,
  hostInsert,
  identifierBytes,
  type DatabaseHost,
  type HostInsert,
  type KeaHostRow,
  type KeaOptionRow,
} from './kea-host-rows.ts';
export { PgHostDatabase, type HostFilter, type HostLoad } from './pg-host-database.ts';
export { HostMerger, type MergeOutcome } from './merge.ts';
