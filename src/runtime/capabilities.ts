import { readFileSync } from 'node:fs';

/** capability(7) bit numbers this server cares about. */
export const CAP_NET_BIND_SERVICE = 10;
export const CAP_NET_RAW = 13;

/** Reads the effective capability set from `/proc/self/status`; undefined when it cannot be read. */
export function effectiveCapabilities(statusText?: string): bigint | undefined {
  let text = statusText;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/status', 'utf8');
    } catch {
      return undefined;
    }
  }
  const hex = /^CapEff:\s*([0-9a-fA-F]{1,16})\s*$/m.exec(text)?.[1];
  return hex === undefined ? undefined : BigInt(`0x${hex}`);
}

export function hasCapability(set: bigint, cap: number): boolean {
  return ((set >> BigInt(cap)) & 1n) === 1n;
}

/**
 * Whether this process may open packet sockets and bind port 67: root, or (as under systemd's
 * `AmbientCapabilities=CAP_NET_BIND_SERVICE CAP_NET_RAW` with `User=`) an unprivileged user holding both
 * capabilities (CAP_NET_BIND_SERVICE only for a port below 1024). Returns why not, for the one log line that explains the UDP fallback.
 */
export function rawSocketPermission(opts: {
  readonly port: number;
  readonly statusText?: string;
  readonly uid?: number | undefined;
}): { ok: true; via: 'root' | 'capabilities' } | { ok: false; why: string } {
  const uid = 'uid' in opts ? opts.uid : typeof process.getuid === 'function' ? process.getuid() : undefined;
  const statusText = opts.statusText;
  const caps = effectiveCapabilities(statusText);
  if (caps === undefined) {
    return uid === 0
      ? { ok: true, via: 'root' }
      : { ok: false, why: 'not root and /proc/self/status unreadable' };
  }
  const raw = hasCapability(caps, CAP_NET_RAW);
  // Ports below 1024 need CAP_NET_BIND_SERVICE (tests serve a high port).
  const bind = opts.port >= 1024 || hasCapability(caps, CAP_NET_BIND_SERVICE);
  if (raw && bind) return { ok: true, via: uid === 0 ? 'root' : 'capabilities' };
  const missing = [raw ? undefined : 'CAP_NET_RAW', bind ? undefined : 'CAP_NET_BIND_SERVICE'].filter(
    (c) => c !== undefined,
  );
  return { ok: false, why: `${uid === 0 ? 'root without' : 'missing'} ${missing.join(' and ')}` };
}
