/**
 * Dynamic DNS (RFC 4702/4703/4701, RFC 2136 with TSIG). fqdn.ts decides names (sans-IO, used by the server
 * engine); service.ts and dns-client.ts send the updates. transaction.ts and tsig.ts come first: config/
 * reads their constants while it loads, and service.ts imports config/.
 */
export { CONFLICT_MODES, type ConflictMode } from './transaction.ts';
export { decodeSecret, TSIG_ALGORITHMS, type TsigAlgorithm, type TsigKey } from './tsig.ts';
export { decideFqdn, invalidFlags, type ClientNames, type FqdnDecision } from './fqdn.ts';
export { DdnsService } from './service.ts';
export { DdnsError } from './errors.ts';
