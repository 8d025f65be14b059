/**
 * TSIG keys (RFC 8945) as Kea's D2 gives them: a name, an algorithm (`HMAC-SHA256`, ...), a base64 secret and
 * optional `digest-bits`. The configuration compiles them; the runtime's DNS client signs with them.
 */

/** Kea's algorithm names (case-insensitive) to the RFC 8945 §6 algorithm names and Node's digests. */
export const TSIG_ALGORITHMS = {
  'HMAC-MD5': { name: 'hmac-md5.sig-alg.reg.int', digest: 'md5', bits: 128 },
  'HMAC-SHA1': { name: 'hmac-sha1', digest: 'sha1', bits: 160 },
  'HMAC-SHA224': { name: 'hmac-sha224', digest: 'sha224', bits: 224 },
  'HMAC-SHA256': { name: 'hmac-sha256', digest: 'sha256', bits: 256 },
  'HMAC-SHA384': { name: 'hmac-sha384', digest: 'sha384', bits: 384 },
  'HMAC-SHA512': { name: 'hmac-sha512', digest: 'sha512', bits: 512 },
} as const;
export type TsigAlgorithm = keyof typeof TSIG_ALGORITHMS;

export interface TsigKey {
  readonly name: string;
  readonly algorithm: TsigAlgorithm;
  readonly secret: Uint8Array;
  /** Truncated MAC length in bits (RFC 8945 §5.2.2.1); 0 = the full digest. */
  readonly digestBits: number;
}

/** Decodes a Kea `secret` (base64); undefined when it is not base64 or empty. */
export function decodeSecret(secret: string): Uint8Array | undefined {
  const s = secret.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(s) || s.length % 4 !== 0) return undefined;
  const b = Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  return b.length === 0 ? undefined : b;
}
