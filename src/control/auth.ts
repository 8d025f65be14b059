import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** Kea's Control Agent `authentication` with `type: "basic"`, already resolved to users and passwords. */
export interface BasicAuthSettings {
  readonly realm: string;
  readonly clients: readonly { readonly user: string; readonly password: string }[];
}

/** Whether the request carries the credentials of one of the clients (RFC 7617). */
export function isAuthorized(auth: BasicAuthSettings, headers: IncomingHttpHeaders): boolean {
  const header = headers.authorization;
  if (header === undefined) return false;
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (match === null || match[1] === undefined) return false;
  const given = Buffer.from(match[1], 'base64');
  let ok = false;
  for (const client of auth.clients) {
    const expected = Buffer.from(`${client.user}:${client.password}`, 'utf8');
    // Compare every client in constant time per client, so timing tells nothing about which one matched.
    if (expected.length === given.length && timingSafeEqual(expected, given)) ok = true;
  }
  return ok;
}

export function challenge(auth: BasicAuthSettings): string {
  return `Basic realm="${auth.realm.replace(/["\\]/g, '\\$&')}"`;
}
