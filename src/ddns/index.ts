/**
 * Dynamic DNS without I/O (RFC 4702/4703/4701, RFC 2136, RFC 8945 keys): the FQDN option's decision (used by
 * the server engine), which lease changes become name changes, the DNS UPDATE wire codec, the RFC 4703
 * procedures over an injected sender, and the TSIG key table (used by config/). The updater that sends, signs
 * and queues is `runtime/ddns/`. No node:* import here (eslint.config.js).
 */
export { CONFLICT_MODES, runNameChange } from './transaction.ts';
export type { ChangeOutcome, ConflictMode, NameChange, StepOutcome, UpdateSender } from './transaction.ts';
export { decodeSecret, TSIG_ALGORITHMS, type TsigAlgorithm, type TsigKey } from './tsig-keys.ts';
export { ddnsTtl, decideFqdn, invalidFlags, type ClientNames, type FqdnDecision } from './fqdn.ts';
export { changesFor, named } from './name-changes.ts';
export {
  appendAdditional,
  canonicalName,
  decodeMessage,
  encodeUpdate,
  OPCODE_UPDATE,
  Rcode,
  RCODE_NAMES,
  RRClass,
  RRType,
  type DecodedMessage,
  type ResourceRecord,
} from './wire.ts';
export { DdnsError } from './errors.ts';
