import { createHash } from 'node:crypto';
import { canonicalName } from '../../ddns/index.ts';

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

/**
 * RFC 4701 §3.3: 0x0000 = htype + chaddr, 0x0001 = the client identifier option's data, 0x0002 = a DUID,
 * used for an RFC 4361 client identifier (type 255, IAID, DUID) as Kea does.
 */
export function dhcidRdata(source: DhcidSource, fqdn: string): Uint8Array {
  const cid = source.clientId;
  let type = 0;
  let identifier: Uint8Array = Uint8Array.from([source.htype, ...source.chaddr]);
  if (cid !== null && cid.length > 5 && cid[0] === 0xff) {
    type = 2;
    identifier = cid.subarray(5);
  } else if (cid !== null && cid.length > 0) {
    type = 1;
    identifier = cid;
  }
  const digest = createHash('sha256').update(identifier).update(canonicalName(fqdn)).digest();
  return Uint8Array.from([0, type, 1, ...digest]);
}
