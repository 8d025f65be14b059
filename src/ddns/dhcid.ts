import { createHash } from 'node:crypto';
import { canonicalName } from './wire.ts';

/**
 * RFC 4701 DHCID RDATA for a DHCPv4 client: identifier type, digest type 1 (SHA-256), then
 * SHA-256(identifier || FQDN in canonical wire form).
 */
export interface DhcidSource {
  /** Option 61's bytes (type byte first) when the client sent one. */
  readonly clientId: Uint8Array | null;
  /** The hardware type (htype) and chaddr bytes. */
  readonly htype: number;
  readonly chaddr: Uint8Array;
}

/** RFC 4701 §3.3: 0x0000 = htype + chaddr, 0x0001 = client identifier option. */
export function dhcidRdata(source: DhcidSource, fqdn: string): Uint8Array {
  const useClientId = source.clientId !== null && source.clientId.length > 0;
  const identifier = useClientId
    ? (source.clientId as Uint8Array)
    : Uint8Array.from([source.htype, ...source.chaddr]);
  const digest = createHash('sha256').update(identifier).update(canonicalName(fqdn)).digest();
  return Uint8Array.from([0, useClientId ? 1 : 0, 1, ...digest]);
}
