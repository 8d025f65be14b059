/**
 * Kea keys whose job leasekeeper does another way, so setting them is neither wrong nor useful: a
 * configuration holding one loads without a warning (a stock Kea file sets them), and the key table says
 * "accepted, not needed" with the reason. `[]` in a path stands for every element of a list.
 */
export const UNNEEDED_KEYS: ReadonlyMap<string, string> = new Map([
  [
    'expired-leases-processing.reclaim-timer-wait-time',
    'leases are reclaimed at their expiry (runs at least 1 s apart), not every N seconds; 0 does not stop reclaiming',
  ],
]);
