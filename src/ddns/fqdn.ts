import type { DdnsBehaviour } from '../config/ddns.ts';
import { FQDN_FLAG_E, FQDN_FLAG_N, FQDN_FLAG_O, FQDN_FLAG_S, type ClientFqdn } from '../protocol/index.ts';
import { nameLabels } from '../protocol/dns-name.ts';

/**
 * RFC 4702 client FQDN (option 81) and host-name (option 12) handling, as Kea's kea-dhcp4 does it: which
 * name the lease gets, whether the server updates A and PTR, and what it answers. Pure: no I/O.
 */

export interface ClientNames {
  /** Option 81 as the client sent it, if it did. */
  readonly fqdn: ClientFqdn | undefined;
  /** Option 12 as the client sent it, if it did. */
  readonly hostName: string | undefined;
}

export interface FqdnDecision {
  /** The fully qualified name, lower case, no trailing dot; null when the lease gets no name. */
  readonly name: string | null;
  readonly forward: boolean;
  readonly reverse: boolean;
  /** The option to answer with: option 81 when the client sent it, else option 12 when it has a name. */
  readonly reply: { readonly fqdn: ClientFqdn } | { readonly hostName: string } | undefined;
}

/** RFC 4702 §2.1: N=1 with S=1 is invalid; Kea drops such a request. */
export function invalidFlags(names: ClientNames): boolean {
  const f = names.fqdn?.flags ?? 0;
  return (f & FQDN_FLAG_N) !== 0 && (f & FQDN_FLAG_S) !== 0;
}

const sanitizers = new Map<string, RegExp>();

/** Applies `hostname-char-set`/`-replacement`, lower-cases, and drops empty labels; null when nothing is left. */
export function sanitizeName(name: string, b: DdnsBehaviour): string | null {
  let n = name.toLowerCase();
  if (b.charSet !== undefined) {
    let re = sanitizers.get(b.charSet);
    if (re === undefined) {
      if (sanitizers.size > 64) sanitizers.clear();
      re = new RegExp(b.charSet, 'g');
      sanitizers.set(b.charSet, re);
    }
    re.lastIndex = 0;
    n = n.replace(re, b.charReplacement).toLowerCase();
  }
  const labels = n.split('.').filter((l) => l !== '');
  if (labels.length === 0) return null;
  const out = labels.join('.');
  try {
    nameLabels(out);
  } catch {
    return null;
  }
  return out;
}

function qualify(name: string, b: DdnsBehaviour): string {
  return b.qualifyingSuffix === '' ? name : `${name}.${b.qualifyingSuffix}`;
}

/** Kea's generated name: prefix, the address with dashes, suffix (`myhost-192-0-2-10.example.com`). */
export function generatedName(address: string, b: DdnsBehaviour): string {
  return qualify(`${b.generatedPrefix}-${address.replaceAll('.', '-')}`, b).toLowerCase();
}

/** The client's candidate name, qualified when partial; null when it sent none or an unusable one. */
function clientName(names: ClientNames, b: DdnsBehaviour): string | null {
  if (names.fqdn !== undefined) {
    const raw = names.fqdn.name;
    const full = raw.endsWith('.');
    const clean = sanitizeName(raw, b);
    if (clean === null) return null;
    // A one-label "fully qualified" name (`laptop.`, as dhclient encodes a bare name) is a host name, not
    // a top-level domain: it gets the suffix like a partial one.
    return full && clean.includes('.') ? clean : qualify(clean, b);
  }
  if (names.hostName !== undefined) {
    const clean = sanitizeName(names.hostName, b);
    if (clean === null) return null;
    // Kea: a one-label host name is partial and gets the suffix; one with dots is taken as fully qualified.
    return clean.includes('.') ? clean : qualify(clean, b);
  }
  return null;
}

/**
 * Decides the name and the updates for a lease at `address`. `updatesEnabled` is `dhcp-ddns.enable-updates`;
 * `reservedName` a host reservation's hostname, which wins over anything the client sent.
 */
export function decideFqdn(
  names: ClientNames,
  b: DdnsBehaviour,
  address: string,
  updatesEnabled: boolean,
  reservedName?: string,
): FqdnDecision {
  const sent = names.fqdn !== undefined || names.hostName !== undefined;
  const candidate = clientName(names, b);
  let name: string | null;
  const reserved = reservedName === undefined ? null : sanitizeName(reservedName, b);
  if (reserved !== null) name = reserved.includes('.') ? reserved : qualify(reserved, b);
  else {
    switch (b.replaceClientName) {
      case 'always':
        name = generatedName(address, b);
        break;
      case 'when-present':
        name = sent ? generatedName(address, b) : null;
        break;
      case 'when-not-present':
        name = candidate ?? generatedName(address, b);
        break;
      default:
        name = candidate;
    }
  }
  // RFC 4702 §3.1 and Kea's table: S asks the server to do A, N asks for no update at all.
  const flags = names.fqdn?.flags ?? FQDN_FLAG_S;
  const clientS = (flags & FQDN_FLAG_S) !== 0;
  const clientN = (flags & FQDN_FLAG_N) !== 0;
  let forward = false;
  let reverse = false;
  if (updatesEnabled && b.sendUpdates && name !== null) {
    if (clientN) forward = reverse = b.overrideNoUpdate;
    else if (clientS || b.overrideClientUpdate) forward = reverse = true;
    else reverse = true; // client delegation: it updates A itself, we do the PTR
  }
  let reply: FqdnDecision['reply'];
  if (names.fqdn !== undefined && name !== null) {
    // RFC 4702 §4: S = the server does A, O = it overrode the client's S, N = no update by the server.
    let out = 0;
    if (forward) out |= FQDN_FLAG_S;
    if (forward !== clientS) out |= FQDN_FLAG_O;
    if (!forward && !reverse) out |= FQDN_FLAG_N;
    if ((flags & FQDN_FLAG_E) !== 0) out |= FQDN_FLAG_E;
    // §4: a server sets the RCODE fields to 255.
    reply = { fqdn: { flags: out, rcode1: 255, rcode2: 255, name: `${name}.` } };
  } else if (name !== null) reply = { hostName: name };
  return { name, forward, reverse, reply };
}

/** RFC 4702 §5 and Kea's `ddns-ttl*` keys: the TTL of the records for a lease of `validLifetime` seconds. */
export function ddnsTtl(validLifetime: number, b: DdnsBehaviour): number {
  if (b.ttl > 0) return b.ttl;
  let ttl = Math.floor(b.ttlPercent > 0 ? validLifetime * b.ttlPercent : validLifetime / 3);
  ttl = Math.max(ttl, b.ttlMin > 0 ? b.ttlMin : 600);
  if (b.ttlMax > 0) ttl = Math.min(ttl, b.ttlMax);
  return ttl;
}
