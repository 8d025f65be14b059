import { z } from 'zod';

/**
 * The parameters of Kea's `libdhcp_ha.so` hook (Kea 2.2's `high-availability` list), compiled with Kea's
 * defaults. No library is loaded: leasekeeper has the HA service built in and only reads its configuration.
 */

/**
 * Kea's three modes, and leasekeeper's `active-active`: any number of servers on one PostgreSQL lease
 * database, coordinated through it (no peer URLs; docs/high-availability.md).
 */
export type HaMode = 'load-balancing' | 'hot-standby' | 'passive-backup' | 'active-active';
export type HaRole = 'primary' | 'secondary' | 'standby' | 'backup';

export interface HaPeerConfig {
  readonly name: string;
  /** The peer's control URL (Kea 2.2: its Control Agent), e.g. `http://198.18.0.2:8000/`. */
  readonly url: string;
  readonly role: HaRole;
  readonly autoFailover: boolean;
  readonly basicAuthUser: string | undefined;
  readonly basicAuthPassword: string | undefined;
  /**
   * TLS towards this peer (Kea's `trust-anchor`, `cert-file`, `key-file`: the peer's own, else the
   * relationship's): the CA to verify it with and the client certificate to present.
   */
  readonly trustAnchor: string | undefined;
  readonly certFile: string | undefined;
  readonly keyFile: string | undefined;
}

export interface HaConfig {
  readonly thisServerName: string;
  readonly mode: HaMode;
  /** Milliseconds between heartbeats; 0 disables them (Kea default 10000). */
  readonly heartbeatDelay: number;
  /** Milliseconds without an answer after which communication counts as interrupted (default 60000). */
  readonly maxResponseDelay: number;
  /** Milliseconds of a client's `secs` after which it counts as unacknowledged by the partner (default 10000). */
  readonly maxAckDelay: number;
  /** Unacked clients tolerated before partner-down; 0 means partner-down on interruption alone (default 10). */
  readonly maxUnackedClients: number;
  readonly sendLeaseUpdates: boolean;
  readonly syncLeases: boolean;
  /** Milliseconds the partner's DHCP stays disabled while we sync from it (default 60000). */
  readonly syncTimeout: number;
  readonly syncPageLimit: number;
  readonly delayedUpdatesLimit: number;
  readonly waitBackupAck: boolean;
  /** active-active: seconds an offered address stays claimed in the database. */
  readonly offerClaimLifetime: number;
  readonly peers: readonly HaPeerConfig[];
  readonly thisServer: HaPeerConfig;
  /** The primary/secondary/standby peer that is not this server; undefined in passive-backup. */
  readonly partner: HaPeerConfig | undefined;
}

const positiveMs = z.number().int().min(0).max(0xffffffff);

const peerSchema = z.strictObject({
  name: z.string().min(1).max(64),
  url: z.string().min(1).max(1024),
  role: z.enum(['primary', 'secondary', 'standby', 'backup']),
  'auto-failover': z.boolean().optional(),
  'basic-auth-user': z.string().max(255).optional(),
  'basic-auth-password': z.string().max(255).optional(),
  'trust-anchor': z.string().optional(),
  'cert-file': z.string().optional(),
  'key-file': z.string().optional(),
  'require-client-certs': z.boolean().optional(),
});

const relationshipSchema = z.strictObject({
  'this-server-name': z.string().min(1).max(64),
  mode: z.enum(['load-balancing', 'hot-standby', 'passive-backup', 'active-active']),
  'heartbeat-delay': positiveMs.optional(),
  'max-response-delay': positiveMs.optional(),
  'max-ack-delay': positiveMs.optional(),
  'max-unacked-clients': z.number().int().min(0).max(1_000_000).optional(),
  'send-lease-updates': z.boolean().optional(),
  'sync-leases': z.boolean().optional(),
  'sync-timeout': positiveMs.optional(),
  'sync-page-limit': z.number().int().min(1).max(65535).optional(),
  'delayed-updates-limit': z.number().int().min(0).max(1_000_000).optional(),
  'wait-backup-ack': z.boolean().optional(),
  'multi-threading': z.looseObject({}).optional(),
  'trust-anchor': z.string().optional(),
  'cert-file': z.string().optional(),
  'key-file': z.string().optional(),
  'require-client-certs': z.boolean().optional(),
  peers: z.array(peerSchema).min(1).max(16).optional(),
  /** active-active: seconds a DISCOVER's address stays claimed in the database for the offer (default 30). */
  'offer-claim-lifetime': z.number().int().min(1).max(3600).optional(),
});

/** `parameters` of the `libdhcp_ha.so` entry. Kea 2.2 supports exactly one relationship. */
export const haParametersSchema = z.strictObject({
  'high-availability': z.array(relationshipSchema).length(1, {
    message: 'exactly one high-availability relationship is supported (as in Kea 2.2)',
  }),
});

export type HaRelationshipJson = z.infer<typeof relationshipSchema>;

export interface HaIssue {
  readonly path: string;
  readonly message: string;
}

/** Kea's HAConfig::validate rules, with its defaults. `path` names the relationship in messages. */
export function compileHaRelationship(
  j: HaRelationshipJson,
  path: string,
): { ok: true; config: HaConfig } | { ok: false; issues: HaIssue[] } {
  const issues: HaIssue[] = [];
  if (j.mode === 'active-active') {
    if (j.peers !== undefined)
      issues.push({
        path: `${path}.peers`,
        message: 'active-active has no peers: the servers find each other in the PostgreSQL lease database',
      });
  } else if (j.peers === undefined) {
    issues.push({ path: `${path}.peers`, message: `${j.mode} needs its peers` });
  }
  const peerList =
    j.mode === 'active-active'
      ? [{ name: j['this-server-name'], url: '', role: 'primary' as const }]
      : (j.peers ?? []);
  const peers: HaPeerConfig[] = peerList.map((p, i) => {
    if (j.mode !== 'active-active') checkUrl(p.url, `${path}.peers[${i}].url`, issues);
    return {
      name: p.name,
      url: p.url,
      role: p.role,
      autoFailover: 'auto-failover' in p ? (p['auto-failover'] ?? true) : true,
      basicAuthUser: 'basic-auth-user' in p ? p['basic-auth-user'] : undefined,
      basicAuthPassword: 'basic-auth-password' in p ? p['basic-auth-password'] : undefined,
      trustAnchor: ('trust-anchor' in p ? p['trust-anchor'] : undefined) ?? j['trust-anchor'],
      certFile: ('cert-file' in p ? p['cert-file'] : undefined) ?? j['cert-file'],
      keyFile: ('key-file' in p ? p['key-file'] : undefined) ?? j['key-file'],
    };
  });
  const names = new Set<string>();
  peers.forEach((p, i) => {
    if (names.has(p.name))
      issues.push({ path: `${path}.peers[${i}].name`, message: `peer name "${p.name}" is used twice` });
    names.add(p.name);
  });
  const count = (role: HaRole): number => peers.filter((p) => p.role === role).length;
  const mode = j.mode;
  if (count('primary') !== 1)
    issues.push({ path: `${path}.peers`, message: 'exactly one peer must have the role primary' });
  if (mode === 'load-balancing' && (count('secondary') !== 1 || count('standby') !== 0))
    issues.push({
      path: `${path}.peers`,
      message: 'load-balancing needs one secondary server and no standby server',
    });
  if (mode === 'hot-standby' && (count('standby') !== 1 || count('secondary') !== 0))
    issues.push({
      path: `${path}.peers`,
      message: 'hot-standby needs one standby server and no secondary server',
    });
  if (mode === 'passive-backup' && count('secondary') + count('standby') !== 0)
    issues.push({ path: `${path}.peers`, message: 'passive-backup has only a primary and backup servers' });
  const thisServer = peers.find((p) => p.name === j['this-server-name']);
  if (thisServer === undefined)
    issues.push({
      path: `${path}.this-server-name`,
      message: `"${j['this-server-name']}" is not the name of one of the peers`,
    });
  if (issues.length > 0 || thisServer === undefined) return { ok: false, issues };
  const partner =
    mode === 'passive-backup' || thisServer.role === 'backup'
      ? undefined
      : peers.find((p) => p !== thisServer && p.role !== 'backup');
  return {
    ok: true,
    config: {
      thisServerName: thisServer.name,
      mode,
      heartbeatDelay: j['heartbeat-delay'] ?? 10_000,
      maxResponseDelay: j['max-response-delay'] ?? 60_000,
      maxAckDelay: j['max-ack-delay'] ?? 10_000,
      maxUnackedClients: j['max-unacked-clients'] ?? 10,
      sendLeaseUpdates: j['send-lease-updates'] ?? true,
      syncLeases: j['sync-leases'] ?? true,
      syncTimeout: j['sync-timeout'] ?? 60_000,
      syncPageLimit: j['sync-page-limit'] ?? 10_000,
      delayedUpdatesLimit: j['delayed-updates-limit'] ?? 0,
      waitBackupAck: j['wait-backup-ack'] ?? false,
      offerClaimLifetime: j['offer-claim-lifetime'] ?? 30,
      peers,
      thisServer,
      partner,
    },
  };
}

function checkUrl(text: string, path: string, issues: HaIssue[]): void {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    issues.push({ path, message: `"${text}" is not a URL` });
    return;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    issues.push({ path, message: 'only http and https URLs are supported' });
}

/** The hook file names leasekeeper recognises: the HA hook and the hooks whose commands are built in. */
export const HA_HOOK = 'libdhcp_ha.so';

export function isHook(library: string, name: string): boolean {
  return library === name || library.endsWith(`/${name}`);
}
