/**
 * Per-client limits, configured the way Kea's limits hook (`libdhcp_limits.so`) is: in the `user-context`
 * of a subnet (or of `Dhcp4` itself, as the default for every subnet), under `limits`:
 *
 *   "user-context": { "limits": { "rate-limit": "10 packets per second", "leases-per-hw-address": 4 } }
 *
 * `rate-limit` keeps Kea's syntax, but counts each client (client identifier, else hardware address)
 * within the subnet, not the subnet as a whole. `leases-per-hw-address` is leasekeeper's own: how many
 * leases one chaddr may hold in the subnet, whatever client identifiers it sends.
 */

/** `N packets per <unit>` as a token bucket: `packets` at most, refilled evenly over `periodMs`. */
export interface RateLimit {
  readonly packets: number;
  readonly periodMs: number;
  /** As configured, for messages. */
  readonly text: string;
}

export interface ClientLimits {
  readonly rate: RateLimit | undefined;
  readonly leasesPerHwAddress: number | undefined;
}

export const NO_LIMITS: ClientLimits = Object.freeze({ rate: undefined, leasesPerHwAddress: undefined });

const UNIT_MS: Readonly<Record<string, number>> = {
  second: 1000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
};

const RATE = /^\s*(\d{1,9})\s+packets?\s+per\s+(second|minute|hour|day)\s*$/;

/**
 * Reads `userContext.limits` at `path` (e.g. `Dhcp4.subnet4[0].user-context`), falling back key by key to
 * `parent`; reports what it cannot use through `issue`.
 */
export function clientLimits(
  userContext: Readonly<Record<string, unknown>> | undefined,
  path: string,
  parent: ClientLimits,
  issue: (path: string, message: string) => void,
): ClientLimits {
  const limits = userContext?.['limits'];
  if (limits === undefined) return parent;
  const at = `${path}.limits`;
  if (limits === null || typeof limits !== 'object' || Array.isArray(limits)) {
    issue(at, 'must be an object');
    return parent;
  }
  let rate = parent.rate;
  let leasesPerHwAddress = parent.leasesPerHwAddress;
  for (const [key, value] of Object.entries(limits)) {
    if (key === 'rate-limit') {
      const m = typeof value === 'string' ? RATE.exec(value) : null;
      const packets = Number(m?.[1]);
      if (m === null || packets < 1)
        issue(
          `${at}.rate-limit`,
          `"${String(value)}" is not "N packets per second|minute|hour|day" (N >= 1)`,
        );
      else rate = { packets, periodMs: UNIT_MS[m[2] as string] as number, text: value as string };
    } else if (key === 'leases-per-hw-address') {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 0xffff)
        issue(`${at}.leases-per-hw-address`, 'must be an integer from 1 to 65535');
      else leasesPerHwAddress = value;
    } else {
      // Kea's `address-limit` and anything else: refused rather than silently not enforced.
      issue(`${at}.${key}`, 'unknown or unsupported limit (supported: rate-limit, leases-per-hw-address)');
    }
  }
  return Object.freeze({ rate, leasesPerHwAddress });
}
