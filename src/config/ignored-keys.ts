/**
 * Kea keys that leasekeeper accepts but that change nothing here, each with the reason. A configuration
 * holding one loads, and the server names the key once at start (and `serve --test` lists it), so a
 * copied Kea file never silently means something it does not do. `[]` in a path stands for every element
 * of a list.
 */
export const IGNORED_KEYS: ReadonlyMap<string, string> = new Map([
  ['lease-database.lfc-interval', "Kea's memfile CSV compaction; the SQLite and PostgreSQL stores need none"],
  ['lease-database.max-row-errors', 'leases are loaded whole; a damaged lease is reported and skipped'],
  ['lease-database.readonly', 'a lease store is always written'],
  ...['hosts-database', 'hosts-databases[]'].flatMap((at): [string, string][] => [
    [`${at}.lfc-interval`, "Kea's memfile CSV compaction; hosts are in PostgreSQL"],
    [`${at}.persist`, "Kea's memfile setting; hosts are in PostgreSQL"],
    [`${at}.max-row-errors`, 'an unreadable host row is left out and logged with the count'],
    ...['max-reconnect-tries', 'reconnect-wait-time', 'on-fail'].map((key): [string, string] => [
      `${at}.${key}`,
      "an unreachable host database stops the start unless retry-on-startup; later its last hosts are served while it's down",
    ]),
  ]),
  [
    'multi-threading.enable-multi-threading',
    'requests are answered from one event loop, concurrently while their lease writes are in flight',
  ],
  ['multi-threading.thread-pool-size', 'requests are answered from one event loop'],
  [
    'multi-threading.packet-queue-size',
    'requests are answered from one event loop; each client is bounded by user-context.limits',
  ],
  ['dhcp-queue-control', 'no packet queue sits between the socket and workers here'],
  ['sanity-checks.extended-info-checks', 'relay information in leases is kept as received'],
  ['allocator', "leasekeeper's own allocator (the lowest free address of the first pool with room) is used"],
  ['shared-networks[].allocator', "leasekeeper's own allocator is used"],
  ['subnet4[].allocator', "leasekeeper's own allocator is used"],
  ['shared-networks[].subnet4[].allocator', "leasekeeper's own allocator is used"],
  [
    'store-extended-info',
    "the relay agent information of a relayed request is always kept in the lease's user-context",
  ],
  ['shared-networks[].store-extended-info', 'relay agent information is always kept'],
  ['subnet4[].store-extended-info', 'relay agent information is always kept'],
  ['shared-networks[].subnet4[].store-extended-info', 'relay agent information is always kept'],
  ['statistic-default-sample-count', 'statistics keep their latest value only'],
  ['statistic-default-sample-age', 'statistics keep their latest value only'],
  ['parked-packet-limit', 'no hook parks packets here'],
  ['stash-agent-options', 'a renewal without option 82 is not matched to the stashed relay options'],
  ['cache-threshold', 'lease caching: a renewal always extends the lease in full'],
  ['cache-max-age', 'lease caching: a renewal always extends the lease in full'],
  ['shared-networks[].cache-threshold', 'lease caching: a renewal always extends the lease in full'],
  ['shared-networks[].cache-max-age', 'lease caching: a renewal always extends the lease in full'],
  ['subnet4[].cache-threshold', 'lease caching: a renewal always extends the lease in full'],
  ['subnet4[].cache-max-age', 'lease caching: a renewal always extends the lease in full'],
  [
    'shared-networks[].subnet4[].cache-threshold',
    'lease caching: a renewal always extends the lease in full',
  ],
  ['shared-networks[].subnet4[].cache-max-age', 'lease caching: a renewal always extends the lease in full'],
  [
    'interfaces-config.service-sockets-require-all',
    'sockets are opened once at start; a socket that cannot be opened stops start-up',
  ],
  ['interfaces-config.service-sockets-retry-wait-time', 'sockets are opened once at start'],
  ['interfaces-config.service-sockets-max-retries', 'sockets are opened once at start'],
  [
    'interfaces-config.outbound-interface',
    'replies leave through the interface the request came in on, or by routing when relayed',
  ],
  ['compatibility', "Kea's compatibility switches have no counterpart here"],
  ['reservations-out-of-pool', 'a reserved address is always kept out of dynamic allocation'],
  [
    'shared-networks[].reservations-out-of-pool',
    'a reserved address is always kept out of dynamic allocation',
  ],
  ['subnet4[].reservations-out-of-pool', 'a reserved address is always kept out of dynamic allocation'],
  [
    'shared-networks[].subnet4[].reservations-out-of-pool',
    'a reserved address is always kept out of dynamic allocation',
  ],
  [
    'early-global-reservations-lookup',
    "a global reservation's classes apply after subnet selection, not before it",
  ],
  ['reservations-lookup-first', 'reservations are looked up in memory before any lease, whatever this says'],
  ['subnet4[].pools[].pool-id', 'statistics are kept per subnet, not per pool'],
  ['shared-networks[].subnet4[].pools[].pool-id', 'statistics are kept per subnet, not per pool'],
  ['loggers[].output-options[].flush', 'log lines are written as they come'],
  ['loggers[].output_options[].flush', 'log lines are written as they come'],
]);

/** One line per ignored key present in a `Dhcp4` object, in the registry's order. */
export function ignoredKeyWarnings(dhcp4: unknown): string[] {
  const out: string[] = [];
  for (const [pattern, why] of IGNORED_KEYS) {
    const found = locate(dhcp4, pattern.split('.'), 'Dhcp4');
    if (found.length === 0) continue;
    const where = found.length === 1 ? found[0] : `${found[0]} (and ${found.length - 1} more)`;
    out.push(`${where}: accepted and ignored: ${why}`);
  }
  return out;
}

function locate(value: unknown, segments: readonly string[], path: string): string[] {
  if (segments.length === 0) return [path];
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [];
  const [head, ...rest] = segments as [string, ...string[]];
  const list = head.endsWith('[]');
  const key = list ? head.slice(0, -2) : head;
  if (!Object.hasOwn(value, key)) return [];
  const child = (value as Record<string, unknown>)[key];
  if (!list) return locate(child, rest, `${path}.${key}`);
  if (!Array.isArray(child)) return [];
  return child.flatMap((item, i) => locate(item, rest, `${path}.${key}[${i}]`));
}
