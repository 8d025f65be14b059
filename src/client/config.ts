import { isValidIp, parseMac } from '../protocol/index.ts';
import { ClientConfigError } from './errors.ts';

/**
 * How DISCOVERs and REQUESTs are retransmitted.
 * - `rfc2131`: RFC 2131 §4.1's randomized exponential backoff, 4 s, 8 s, ... capped at 64 s, ±1 s.
 * - `udhcpc`: busybox udhcpc's `-t N -T SEC -A SEC`: N discovers SEC seconds apart, then wait A seconds.
 */
export type RetransmitPolicy =
  | {
      readonly kind: 'rfc2131';
      /** DISCOVERs sent before the cycle is declared failed (`leasefail`). Default 6 (4+8+16+32+64+64 s). */
      readonly discoverAttempts?: number;
      /** REQUESTs sent in REQUESTING/REBOOTING before falling back to INIT. Default 4. */
      readonly requestAttempts?: number;
      /** Pause after a failed cycle before the next DISCOVER. Default 20 s. */
      readonly tryAgainMs?: number;
    }
  | {
      readonly kind: 'udhcpc';
      /** `-t`: discovers per cycle (default 3); REQUESTs use the same count. */
      readonly retries?: number;
      /** `-T`: time between them (default 3 s). */
      readonly timeoutMs?: number;
      /** `-A`: pause after a failed cycle (default 20 s). */
      readonly tryAgainMs?: number;
    };

/** A raw option the client adds to every message it sends (udhcpc `-x`). */
export interface ExtraOption {
  readonly code: number;
  readonly data: Uint8Array;
}

export interface ClientConfig {
  /** Hardware address of the interface: 'aa:bb:cc:dd:ee:ff' or its 6 bytes. */
  readonly hwAddress: string | Uint8Array;
  /** ARP hardware type (default 1, Ethernet). */
  readonly htype?: number;
  /**
   * Option 61. Omitted: type 1 followed by the MAC, as udhcpc sends by default. `null`: send none
   * (udhcpc `-C`). Bytes: sent as given, type byte first (udhcpc `-c`, `-x 0x3d:...`).
   */
  readonly clientId?: Uint8Array | null;
  /** Option 12 (udhcpc `-H`/`-h`/`-x hostname:NAME`). */
  readonly hostname?: string;
  /** Option 60 (udhcpc `-V`). */
  readonly vendorClass?: string;
  /** Option 55 base list; replaces the defaults (udhcpc `-o` followed by `-O`). */
  readonly parameterRequestList?: readonly number[];
  /** Option codes added to option 55 (udhcpc `-O`). */
  readonly requestOptions?: readonly number[];
  /** Raw options added to every message (udhcpc `-x`). */
  readonly extraOptions?: readonly ExtraOption[];
  /** Option 50 in DISCOVER, and the address preferred among offers (udhcpc `-r`). */
  readonly requestedAddress?: string;
  /** Option 57 (default 576, what udhcpc sends). */
  readonly maxMessageSize?: number;
  /** Set the BROADCAST flag while the client has no address (udhcpc `-B`). */
  readonly broadcastFlag?: boolean;
  readonly retransmit?: RetransmitPolicy;
  /** With `requestedAddress`, how long after the first acceptable offer to wait for one of that address. */
  readonly selectionWindowMs?: number;
  /** Probe the offered address with ARP (RFC 5227) before using it (default true; udhcpc `-a`). */
  readonly arpProbe?: boolean;
  /** A probe with no result after this long counts as "no conflict" (default 5 s). */
  readonly probeTimeoutMs?: number;
  /** Wait after a DECLINE before the next DISCOVER (RFC 2131 §4.4.1: at least 10 s). */
  readonly declineBackoffMs?: number;
  /** Wait after a NAK before the next DISCOVER (default 3 s, as udhcpc). */
  readonly nakBackoffMs?: number;
  /** Floor of the retransmission interval in RENEWING and REBINDING (RFC 2131 §4.4.5: 60 s). */
  readonly minRenewRetransmitMs?: number;
  /**
   * Wait a random time up to this long before the first DISCOVER (RFC 2131 §4.4.1 suggests 1 to 10 s to
   * desynchronize clients booting together). Default 0, as udhcpc.
   */
  readonly startJitterMs?: number;
  /** Send RELEASE when stopped (udhcpc `-R`). */
  readonly releaseOnStop?: boolean;
  /** Uniform random numbers in [0, 1): xids and backoff jitter. Inject for deterministic tests. */
  readonly random?: () => number;
}

/** udhcpc's default parameter request list plus MTU, static and classless routes (RFC 2132, RFC 3442). */
export const DEFAULT_PARAMETER_REQUEST_LIST: readonly number[] = [1, 3, 6, 12, 15, 26, 28, 33, 42, 121];

export interface ResolvedRetransmit {
  readonly kind: 'rfc2131' | 'udhcpc';
  readonly discoverAttempts: number;
  readonly requestAttempts: number;
  readonly tryAgainMs: number;
  /** udhcpc's `-T`; unused by rfc2131. */
  readonly timeoutMs: number;
}

export interface ResolvedClientConfig {
  readonly hwAddress: Uint8Array;
  readonly htype: number;
  readonly clientId: Uint8Array | null;
  readonly hostname: string | null;
  readonly vendorClass: string | null;
  readonly parameterRequestList: readonly number[];
  readonly extraOptions: readonly ExtraOption[];
  readonly requestedAddress: string | null;
  readonly maxMessageSize: number;
  readonly broadcastFlag: boolean;
  readonly retransmit: ResolvedRetransmit;
  readonly selectionWindowMs: number;
  readonly arpProbe: boolean;
  readonly probeTimeoutMs: number;
  readonly declineBackoffMs: number;
  readonly nakBackoffMs: number;
  readonly minRenewRetransmitMs: number;
  readonly startJitterMs: number;
  readonly releaseOnStop: boolean;
  readonly random: () => number;
}

function parseHw(hw: string | Uint8Array): Uint8Array {
  if (hw instanceof Uint8Array) {
    if (hw.length < 1 || hw.length > 16) throw new ClientConfigError('hwAddress must be 1 to 16 bytes');
    return Uint8Array.from(hw);
  }
  try {
    return parseMac(hw);
  } catch {
    throw new ClientConfigError(`hwAddress is not a hardware address: '${hw}'`);
  }
}

function nonNegative(name: string, v: number | undefined, dflt: number): number {
  const x = v ?? dflt;
  if (!Number.isFinite(x) || x < 0) throw new ClientConfigError(`${name} must be a non-negative number`);
  return x;
}

function positiveInt(name: string, v: number | undefined, dflt: number): number {
  const x = v ?? dflt;
  if (!Number.isInteger(x) || x < 1) throw new ClientConfigError(`${name} must be a positive integer`);
  return x;
}

function optionCode(name: string, code: number): number {
  if (!Number.isInteger(code) || code < 1 || code > 254)
    throw new ClientConfigError(`${name}: bad option code ${code}`);
  return code;
}

function resolveRetransmit(p: RetransmitPolicy | undefined): ResolvedRetransmit {
  if (p === undefined || p.kind === 'rfc2131') {
    return {
      kind: 'rfc2131',
      discoverAttempts: positiveInt('discoverAttempts', p?.discoverAttempts, 6),
      requestAttempts: positiveInt('requestAttempts', p?.requestAttempts, 4),
      tryAgainMs: nonNegative('tryAgainMs', p?.tryAgainMs, 20_000),
      timeoutMs: 0,
    };
  }
  const retries = positiveInt('retries', p.retries, 3);
  return {
    kind: 'udhcpc',
    discoverAttempts: retries,
    requestAttempts: retries,
    tryAgainMs: nonNegative('tryAgainMs', p.tryAgainMs, 20_000),
    timeoutMs: nonNegative('timeoutMs', p.timeoutMs, 3_000),
  };
}

/** Fills in the defaults and checks the values; throws {@link ClientConfigError}. */
export function resolveClientConfig(c: ClientConfig): ResolvedClientConfig {
  const hwAddress = parseHw(c.hwAddress);
  const htype = c.htype ?? 1;
  if (!Number.isInteger(htype) || htype < 0 || htype > 255)
    throw new ClientConfigError('htype must be 0..255');
  if (c.requestedAddress !== undefined && !isValidIp(c.requestedAddress)) {
    throw new ClientConfigError(`requestedAddress is not an IPv4 address: '${c.requestedAddress}'`);
  }
  const maxMessageSize = c.maxMessageSize ?? 576;
  // RFC 2132 §9.10: the minimum legal value is 576.
  if (!Number.isInteger(maxMessageSize) || maxMessageSize < 576 || maxMessageSize > 65535) {
    throw new ClientConfigError('maxMessageSize must be 576..65535');
  }
  const prl = [
    ...(c.parameterRequestList ?? DEFAULT_PARAMETER_REQUEST_LIST),
    ...(c.requestOptions ?? []),
  ].map((x) => optionCode('parameterRequestList', x));
  const extraOptions = (c.extraOptions ?? []).map((o) => {
    optionCode('extraOptions', o.code);
    if (o.data.length > 255)
      throw new ClientConfigError(`extraOptions: option ${o.code} is longer than 255 bytes`);
    return { code: o.code, data: Uint8Array.from(o.data) };
  });
  const clientId =
    c.clientId === undefined
      ? Uint8Array.from([htype, ...hwAddress])
      : c.clientId === null
        ? null
        : Uint8Array.from(c.clientId);
  if (clientId !== null && (clientId.length < 2 || clientId.length > 255)) {
    throw new ClientConfigError('clientId must be 2..255 bytes (RFC 2132 §9.14)');
  }
  return {
    hwAddress,
    htype,
    clientId,
    hostname: c.hostname ?? null,
    vendorClass: c.vendorClass ?? null,
    // udhcpc sends the list sorted and without duplicates.
    parameterRequestList: [...new Set(prl)].sort((a, b) => a - b),
    extraOptions,
    requestedAddress: c.requestedAddress ?? null,
    maxMessageSize,
    broadcastFlag: c.broadcastFlag ?? false,
    retransmit: resolveRetransmit(c.retransmit),
    selectionWindowMs: nonNegative('selectionWindowMs', c.selectionWindowMs, 2_000),
    arpProbe: c.arpProbe ?? true,
    probeTimeoutMs: nonNegative('probeTimeoutMs', c.probeTimeoutMs, 5_000),
    // RFC 2131 §4.4.1: wait a minimum of ten seconds before restarting after a DECLINE.
    declineBackoffMs: Math.max(10_000, nonNegative('declineBackoffMs', c.declineBackoffMs, 10_000)),
    nakBackoffMs: nonNegative('nakBackoffMs', c.nakBackoffMs, 3_000),
    minRenewRetransmitMs: nonNegative('minRenewRetransmitMs', c.minRenewRetransmitMs, 60_000),
    startJitterMs: nonNegative('startJitterMs', c.startJitterMs, 0),
    releaseOnStop: c.releaseOnStop ?? false,
    random: c.random ?? Math.random,
  };
}
