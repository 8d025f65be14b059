import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** Kea's Control Agent `authentication` with `type: "basic"`, already resolved to users and passwords. */
export interface BasicAuthSettings {
  readonly realm: string;
  readonly clients: readonly { readonly user: string; readonly password: string }[];
}

/** Per-process key: credentials are compared as HMAC digests, so the comparison is fixed-length. */
const DIGEST_KEY = randomBytes(32);

function digest(data: Buffer | string): Buffer {
  return createHmac('sha256', DIGEST_KEY).update(data).digest();
}

/**
 * Whether the request carries the credentials of one of the clients (RFC 7617). Given and expected
 * credentials are compared as HMAC-SHA-256 digests with timingSafeEqual, every client every time, so the
 * time taken tells neither the length of a secret nor which client matched.
 */
export function isAuthorized(auth: BasicAuthSettings, headers: IncomingHttpHeaders): boolean {
  const given = basicCredentials(headers);
  if (given === undefined) return false;
  const givenDigest = digest(given);
  let ok = false;
  for (const client of auth.clients) {
    if (timingSafeEqual(digest(`${client.user}:${client.password}`), givenDigest)) ok = true;
  }
  return ok;
}

/** The decoded `user:password` of a Basic Authorization header, or undefined. */
function basicCredentials(headers: IncomingHttpHeaders): Buffer | undefined {
  const header = headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  return match?.[1] === undefined ? undefined : Buffer.from(match[1], 'base64');
}

/** The user name a failed request claimed, for the log: at most 64 characters, JSON-escaped. */
export function claimedUser(headers: IncomingHttpHeaders): string {
  const given = basicCredentials(headers)?.toString('utf8');
  if (given === undefined) return '(none)';
  const colon = given.indexOf(':');
  return JSON.stringify((colon < 0 ? given : given.slice(0, colon)).slice(0, 64));
}

export function challenge(auth: BasicAuthSettings): string {
  return `Basic realm="${auth.realm.replace(/["\\]/g, '\\$&')}"`;
}
