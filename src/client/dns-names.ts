import type { ClientLease } from './lease.ts';
import { optionsFromHex } from './lease.ts';

/** resolv.conf's historical limits (glibc before 2.26: MAXDNSRCH 6, 256 characters of search list). */
export const MAX_SEARCH_DOMAINS = 6;
export const MAX_SEARCH_CHARS = 256;

/**
 * A domain name as it may be written to a file or handed to a command: labels of 1 to 63 letters, digits,
 * `-` or `_` (udhcpc's `good_hostname` set) separated by single dots, an optional final dot, at most
 * 253 characters (RFC 1035 §2.3.1, RFC 1123 §2.1). Anything else (a newline, a space, a `;`) is refused.
 */
export function isSafeDomainName(name: string): boolean {
  const bare = name.endsWith('.') ? name.slice(0, -1) : name;
  if (bare.length === 0 || bare.length > 253) return false;
  return bare.split('.').every((label) => /^[A-Za-z0-9_-]{1,63}$/.test(label));
}

export interface SearchList {
  /** The names to write, checked, in the server's order, within the resolv.conf limits. */
  readonly domains: readonly string[];
  /** What the server sent and the client refused, for the log (control characters escaped by the logger). */
  readonly refused: readonly string[];
}

/**
 * The DNS search list of a lease: option 119 (RFC 3397) when present, else option 15, one name (RFC 2132
 * §3.17). Every name is checked with {@link isSafeDomainName}; a malformed option 119 (the codec's strict
 * decoder: pointers only backwards, bounded) is refused whole.
 */
export function leaseSearchList(lease: ClientLease): SearchList {
  const options = optionsFromHex(lease.options);
  let candidates: string[];
  const refused: string[] = [];
  if (options.has('domain-search')) {
    const decoded = options.get('domain-search');
    if (decoded === undefined) refused.push('option 119 (malformed)');
    candidates = (decoded ?? []).filter((d) => d !== '');
  } else {
    candidates = lease.domainName === null || lease.domainName === '' ? [] : [lease.domainName];
  }
  const domains: string[] = [];
  let chars = 0;
  for (const name of candidates) {
    if (!isSafeDomainName(name)) {
      refused.push(name);
      continue;
    }
    if (domains.length >= MAX_SEARCH_DOMAINS || chars + name.length + 1 > MAX_SEARCH_CHARS) {
      refused.push(`${name} (over the search list limits)`);
      continue;
    }
    domains.push(name);
    chars += name.length + 1;
  }
  return { domains, refused };
}
