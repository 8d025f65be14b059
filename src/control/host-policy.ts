import { isIP } from 'node:net';

/**
 * Which `Host` names (and WebSocket `Origin`s) a control listener answers, against DNS rebinding: a web
 * page whose name an attacker re-points at 127.0.0.1 reaches the listener with the attacker's name in
 * `Host` and `Origin`, so only names that can only mean this listener are accepted:
 * - the address the request arrived on (the listener's own address, or the local address of a wildcard one),
 * - the configured `socket-address` itself,
 * - `localhost` on a loopback connection,
 * - the names the operator lists in `http-host-allowlist` (`"*"` turns the check off, e.g. behind a proxy
 *   that checks Host itself).
 */
export class HostPolicy {
  readonly #listenHost: string;
  readonly #allowed: ReadonlySet<string>;
  readonly #any: boolean;

  constructor(listenHost: string, allowlist: readonly string[] = []) {
    this.#listenHost = normalizeName(listenHost);
    this.#allowed = new Set(allowlist.map(normalizeName));
    this.#any = this.#allowed.has('*');
  }

  /** Whether a `Host` header value (`name`, `name:port`, `[v6]:port`) names this listener. */
  allowsHost(header: string | undefined, localAddress: string | undefined): boolean {
    if (this.#any) return true;
    const name = header === undefined ? undefined : hostOfAuthority(header);
    return name !== undefined && this.#allowsName(name, localAddress);
  }

  /** Whether a WebSocket `Origin` header is a page served under a name of this listener. */
  allowsOrigin(origin: string, localAddress: string | undefined): boolean {
    if (this.#any) return true;
    let hostname: string;
    try {
      hostname = new URL(origin).hostname;
    } catch {
      return false;
    }
    return hostname !== '' && this.#allowsName(normalizeName(hostname), localAddress);
  }

  #allowsName(name: string, localAddress: string | undefined): boolean {
    if (this.#allowed.has(name) || name === this.#listenHost) return true;
    const local = localAddress === undefined ? undefined : normalizeName(localAddress);
    if (local === undefined) return false;
    if (name === local) return true;
    return name === 'localhost' && isLoopback(local);
  }
}

/** The host part of an HTTP authority, lower case, brackets and a trailing dot removed. */
function hostOfAuthority(authority: string): string | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+))(?::\d{1,5})?$/.exec(authority.trim());
  if (m === null) return undefined;
  return normalizeName(m[1] ?? m[2] ?? '');
}

function normalizeName(name: string): string {
  let n = name.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (n.endsWith('.')) n = n.slice(0, -1);
  // A wildcard IPv6 listener reports IPv4 peers as ::ffff:a.b.c.d.
  if (n.startsWith('::ffff:') && isIP(n.slice(7)) === 4) n = n.slice(7);
  return n;
}

export function isLoopback(address: string): boolean {
  const a = normalizeName(address);
  return a === '::1' || (isIP(a) === 4 && a.startsWith('127.'));
}

export function isWildcard(address: string): boolean {
  const a = normalizeName(address);
  return a === '0.0.0.0' || a === '::' || a === '';
}
