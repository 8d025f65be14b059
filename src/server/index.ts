export { DhcpServerEngine, type EngineOptions } from './engine.ts';
export { encodeReply } from './encode.ts';
export {
  settle,
  runCommitLoop,
  performWrites,
  reclaimDue,
  type CommitLoopSink,
  type CommitOutcome,
  type CommitWriter,
  type LeaseWriter,
} from './settle.ts';
export { describeDestination } from './destination.ts';
export { EngineUsageError } from './errors.ts';
export { GLOBAL_STATISTICS, SUBNET_STATISTICS } from './stats.ts';
export type {
  ArrivalMeta,
  EngineEvent,
  EngineOutput,
  ExchangeEvent,
  InterfaceAddress,
  LeaseEvent,
  LeaseEventQuery,
  LeaseWrite,
  OutgoingReply,
  PendingCommit,
  ReplyDestination,
} from './types.ts';
export { leaseTimes } from './lifetimes.ts';
export { escapeControls } from './log-text.ts';
export { colonHex, identify } from './identity.ts';
export { LoadedLeaseChecks } from './lease-sanity.ts';
export type { LeaseIndex } from './lease-index.ts';
export { leasesByClientId, leasesByHostname, leasesByHwAddress } from './lease-scan.ts';
