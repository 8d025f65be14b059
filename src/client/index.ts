/** The DHCPv4 client: a sans-IO engine plus the pure helpers its runtime needs. See docs/client.md. */
export { DhcpClientEngine } from './engine.ts';
export type { StartOptions, ProbeResult, InformOptions, ClientStatus } from './engine.ts';
export type {
  ClientAction,
  ClientEvent,
  ClientStep,
  SendAction,
  ConfigureAction,
  DeconfigureAction,
  ProbeAction,
  EventAction,
} from './actions.ts';
export { resolveClientConfig, DEFAULT_PARAMETER_REQUEST_LIST } from './config.ts';
export type { ClientConfig, ResolvedClientConfig, RetransmitPolicy, ExtraOption } from './config.ts';
export type { ClientState, ClientStateName, Transaction, Offer, PendingProbe } from './state.ts';
export type { ClientStats, BogusReason } from './stats.ts';
export { BOGUS_REASONS } from './stats.ts';
export type { ClientLease } from './lease.ts';
export { leaseFromAck, leaseTimers, leaseExpired, DEFAULT_LEASE_TIME } from './lease.ts';
export { hexOptions, optionsFromHex } from './lease.ts';
export { retransmitDelay, renewRetransmitDelay } from './backoff.ts';
export { unusableAddress } from './address-check.ts';
export { buildDiscover, buildRequest, buildDecline, buildRelease, buildInform } from './messages.ts';
export type { RequestKind } from './messages.ts';
export { isSafeDomainName, leaseSearchList, MAX_SEARCH_DOMAINS } from './dns-names.ts';
export type { SearchList } from './dns-names.ts';
export { MIN_LEASE_SECONDS, MIN_RENEWAL_SECONDS, isUsableMask, classfulMask } from './lease-sanity.ts';
export { udhcpcEnvironment, udhcpcMessageEnvironment, udhcpcPacketEnvironment } from './udhcpc-env.ts';
export type { UdhcpcScriptEvent, UdhcpcPacketView } from './udhcpc-env.ts';
export { udhcpcScriptCalls } from './udhcpc-script.ts';
export type { UdhcpcScriptCall } from './udhcpc-script.ts';
export { parseUdhcpcOptionCode, parseUdhcpcExtraOption } from './udhcpc-options.ts';
export { UDHCPC_OPTIONS } from './udhcpc-table.ts';
export { serializeLeaseFile, parseLeaseFile, usableLease } from './lease-file.ts';
export type { LeaseFile } from './lease-file.ts';
export {
  ClientError,
  ClientConfigError,
  ClientStateError,
  LeaseFileError,
  UdhcpcOptionError,
} from './errors.ts';
export type { ClientErrorCode } from './errors.ts';
