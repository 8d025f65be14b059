import { readFileSync } from 'node:fs';
import { z } from 'zod';
import {
  CONFLICT_MODES,
  decodeSecret,
  TSIG_ALGORITHMS,
  type ConflictMode,
  type TsigAlgorithm,
  type TsigKey,
} from '../ddns/index.ts';
import { isIpv4 } from './ipv4.ts';
import { formatIpv6, parseIpv6 } from './ipv6.ts';
import { nameLabels } from '../protocol/index.ts';

/**
 * Kea's DDNS keys: the behavioural `ddns-*` keys (global and subnet; shared networks slot in between by
 * passing their JSON as another parent), `dhcp-ddns` connectivity, and D2's `DhcpDdns` section, which
 * leasekeeper runs in-process. See docs/ddns.md.
 */

const common = {
  'user-context': z.record(z.string(), z.unknown()).optional(),
  comment: z.string().optional(),
};
const percent = z.number().min(0).max(1);
const ttl = z.number().int().min(0).max(0x7fffffff);

export const REPLACE_MODES = ['never', 'always', 'when-present', 'when-not-present'] as const;
export type ReplaceClientName = (typeof REPLACE_MODES)[number];

/** The behavioural keys, valid at global, shared-network and subnet level. */
export const ddnsBehaviourKeys = {
  'ddns-send-updates': z.boolean().optional(),
  'ddns-override-no-update': z.boolean().optional(),
  'ddns-override-client-update': z.boolean().optional(),
  'ddns-replace-client-name': z.enum(REPLACE_MODES).optional(),
  'ddns-generated-prefix': z.string().max(63).optional(),
  'ddns-qualifying-suffix': z.string().max(253).optional(),
  'ddns-update-on-renew': z.boolean().optional(),
  'ddns-use-conflict-resolution': z.boolean().optional(),
  'ddns-conflict-resolution-mode': z.enum(CONFLICT_MODES).optional(),
  'ddns-ttl-percent': percent.optional(),
  'ddns-ttl': ttl.optional(),
  'ddns-ttl-min': ttl.optional(),
  'ddns-ttl-max': ttl.optional(),
  'hostname-char-set': z.string().max(256).optional(),
  'hostname-char-replacement': z.string().max(63).optional(),
};
export type DdnsBehaviourJson = {
  [K in keyof typeof ddnsBehaviourKeys]?: z.infer<(typeof ddnsBehaviourKeys)[K]>;
};

/** Kea's `dhcp-ddns`: the NCR channel to D2. In-process there is no channel; see docs/ddns.md. */
export const dhcpDdnsSchema = z.strictObject({
  'enable-updates': z.boolean().optional(),
  'server-ip': z.string().optional(),
  'server-port': z.number().int().min(0).max(65535).optional(),
  'sender-ip': z.string().optional(),
  'sender-port': z.number().int().min(0).max(65535).optional(),
  'max-queue-size': z.number().int().min(1).max(65536).optional(),
  'ncr-protocol': z.enum(['UDP', 'TCP']).optional(),
  'ncr-format': z.literal('JSON').optional(),
  ...common,
});

const dnsServerSchema = z.strictObject({
  'ip-address': z.string(),
  port: z.number().int().min(1).max(65535).optional(),
  'key-name': z.string().optional(),
  hostname: z.string().optional(),
  ...common,
});
const domainSchema = z.strictObject({
  name: z.string().min(1),
  'key-name': z.string().optional(),
  'dns-servers': z.array(dnsServerSchema).max(16),
  ...common,
});
const domainListSchema = z.strictObject({
  'ddns-domains': z.array(domainSchema).max(1024).optional(),
  ...common,
});
const tsigKeySchema = z.strictObject({
  name: z.string().min(1),
  algorithm: z.string(),
  'digest-bits': z.number().int().min(0).max(512).optional(),
  secret: z.string().optional(),
  'secret-file': z.string().optional(),
  ...common,
});

/** Kea D2's `DhcpDdns` object. Listener keys are accepted (D2 listens for NCRs; we need not). */
export const d2Schema = z.strictObject({
  'ip-address': z.string().optional(),
  port: z.number().int().min(0).max(65535).optional(),
  'dns-server-timeout': z.number().int().min(1).max(60_000).optional(),
  'ncr-protocol': z.enum(['UDP', 'TCP']).optional(),
  'ncr-format': z.literal('JSON').optional(),
  'forward-ddns': domainListSchema.optional(),
  'reverse-ddns': domainListSchema.optional(),
  'tsig-keys': z.array(tsigKeySchema).max(1024).optional(),
  'control-socket': z.looseObject({}).optional(),
  'control-sockets': z.array(z.looseObject({})).optional(),
  'hooks-libraries': z
    .array(z.looseObject({ library: z.string() }))
    .max(0, {
      message: 'D2 hook libraries are not supported',
    })
    .optional(),
  loggers: z.array(z.looseObject({ name: z.string() })).optional(),
  ...common,
});
export type D2Json = z.infer<typeof d2Schema>;
export type DhcpDdnsJson = z.infer<typeof dhcpDdnsSchema>;

export interface DdnsBehaviour {
  readonly sendUpdates: boolean;
  readonly overrideNoUpdate: boolean;
  readonly overrideClientUpdate: boolean;
  readonly replaceClientName: ReplaceClientName;
  readonly generatedPrefix: string;
  /** Without a trailing dot; '' when not set. */
  readonly qualifyingSuffix: string;
  readonly updateOnRenew: boolean;
  readonly conflictMode: ConflictMode;
  readonly ttlPercent: number;
  readonly ttl: number;
  readonly ttlMin: number;
  readonly ttlMax: number;
  /** Kea's `hostname-char-set` (a checked regular expression source), or undefined for none. */
  readonly charSet: string | undefined;
  readonly charReplacement: string;
}

export interface DnsServer {
  /** IPv4, or IPv6 (contains a colon) in canonical form. */
  readonly address: string;
  readonly port: number;
  readonly key: TsigKey | undefined;
}
export interface DdnsDomain {
  /** Lower case, without the trailing dot. */
  readonly name: string;
  readonly servers: readonly DnsServer[];
}

/** Everything the in-process D2 needs: where each zone's servers are and how to sign for them. */
export interface CompiledDdns {
  /** `dhcp-ddns.enable-updates`: nothing is sent to DNS unless true. */
  readonly enabled: boolean;
  readonly maxQueueSize: number;
  /** D2's `dns-server-timeout` in ms. */
  readonly timeoutMs: number;
  readonly forward: readonly DdnsDomain[];
  readonly reverse: readonly DdnsDomain[];
}

export interface IssueSink {
  add(path: string, message: string): void;
}

/** Merges the behavioural keys, nearest level first (subnet, shared network, global). */
export function compileBehaviour(
  levels: readonly DdnsBehaviourJson[],
  path: string,
  issues: IssueSink,
): DdnsBehaviour {
  const pick = <K extends keyof DdnsBehaviourJson>(k: K): DdnsBehaviourJson[K] => {
    for (const l of levels) if (l[k] !== undefined) return l[k];
    return undefined;
  };
  // Kea: a zero TTL parameter "unspecifies" the inherited value.
  const nonZero = (k: 'ddns-ttl' | 'ddns-ttl-min' | 'ddns-ttl-max' | 'ddns-ttl-percent'): number =>
    pick(k) ?? 0;
  const useCr = pick('ddns-use-conflict-resolution');
  let charSet: string | undefined;
  const set = pick('hostname-char-set') ?? '[^A-Za-z0-9.-]';
  if (set !== '') {
    try {
      new RegExp(set, 'g');
      charSet = set;
    } catch (err) {
      issues.add(`${path}.hostname-char-set`, `not a regular expression: ${(err as Error).message}`);
    }
  }
  const suffix = pick('ddns-qualifying-suffix') ?? '';
  if (suffix !== '') checkName(suffix, `${path}.ddns-qualifying-suffix`, issues);
  const prefix = pick('ddns-generated-prefix') ?? 'myhost';
  checkName(prefix, `${path}.ddns-generated-prefix`, issues);
  return {
    sendUpdates: pick('ddns-send-updates') ?? true,
    overrideNoUpdate: pick('ddns-override-no-update') ?? false,
    overrideClientUpdate: pick('ddns-override-client-update') ?? false,
    replaceClientName: pick('ddns-replace-client-name') ?? 'never',
    generatedPrefix: prefix,
    qualifyingSuffix: suffix.replace(/\.$/, '').toLowerCase(),
    updateOnRenew: pick('ddns-update-on-renew') ?? false,
    conflictMode:
      pick('ddns-conflict-resolution-mode') ?? (useCr === false ? 'no-check-with-dhcid' : 'check-with-dhcid'),
    ttlPercent: nonZero('ddns-ttl-percent'),
    ttl: nonZero('ddns-ttl'),
    ttlMin: nonZero('ddns-ttl-min'),
    ttlMax: nonZero('ddns-ttl-max'),
    charSet,
    charReplacement: pick('hostname-char-replacement') ?? '',
  };
}

function checkName(name: string, path: string, issues: IssueSink): boolean {
  try {
    nameLabels(name);
    return true;
  } catch (err) {
    issues.add(path, err instanceof Error ? err.message : String(err));
    return false;
  }
}

function compileKeys(d2: D2Json | undefined, issues: IssueSink): Map<string, TsigKey> {
  const keys = new Map<string, TsigKey>();
  (d2?.['tsig-keys'] ?? []).forEach((k, i) => {
    const path = `DhcpDdns.tsig-keys[${i}]`;
    const algorithm = k.algorithm.toUpperCase() as TsigAlgorithm;
    if (!(algorithm in TSIG_ALGORITHMS)) {
      issues.add(
        `${path}.algorithm`,
        `unknown algorithm "${k.algorithm}" (${Object.keys(TSIG_ALGORITHMS).join(', ')})`,
      );
      return;
    }
    let text = k.secret;
    const file = k['secret-file'];
    if (text === undefined && file !== undefined) {
      // Kea reads the base64 secret from the file when the configuration is loaded.
      try {
        text = readFileSync(file, 'utf8').slice(0, 4096);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? String(err);
        issues.add(`${path}.secret-file`, `cannot read ${file}: ${code}`);
        return;
      }
    }
    if (text === undefined) {
      issues.add(`${path}.secret`, 'missing (give secret or secret-file)');
      return;
    }
    const secret = decodeSecret(text);
    if (secret === undefined) {
      issues.add(`${path}.secret`, 'not base64');
      return;
    }
    const bits = k['digest-bits'] ?? 0;
    const full = TSIG_ALGORITHMS[algorithm].bits;
    // Kea: digest-bits is 0 or a multiple of 8, at least 80 and at least half the digest (RFC 8945 §5.2.2.1).
    if (bits !== 0 && (bits % 8 !== 0 || bits < Math.max(80, full / 2) || bits > full)) {
      issues.add(
        `${path}.digest-bits`,
        `must be 0 or a multiple of 8 from ${Math.max(80, full / 2)} to ${full}`,
      );
      return;
    }
    if (!checkName(k.name, `${path}.name`, issues)) return;
    if (keys.has(k.name.toLowerCase())) issues.add(`${path}.name`, `key "${k.name}" is defined twice`);
    keys.set(k.name.toLowerCase(), { name: k.name.replace(/\.$/, ''), algorithm, secret, digestBits: bits });
  });
  return keys;
}

function compileDomains(
  list: D2Json['forward-ddns'],
  path: string,
  keys: ReadonlyMap<string, TsigKey>,
  issues: IssueSink,
): DdnsDomain[] {
  const out: DdnsDomain[] = [];
  const key = (name: string | undefined, at: string): TsigKey | undefined => {
    if (name === undefined || name === '') return undefined;
    const k = keys.get(name.toLowerCase());
    if (k === undefined) issues.add(at, `no tsig-keys entry named "${name}"`);
    return k;
  };
  (list?.['ddns-domains'] ?? []).forEach((d, i) => {
    const at = `${path}.ddns-domains[${i}]`;
    if (!checkName(d.name, `${at}.name`, issues)) return;
    const domainKey = key(d['key-name'], `${at}.key-name`);
    const servers: DnsServer[] = [];
    d['dns-servers'].forEach((s, j) => {
      const sat = `${at}.dns-servers[${j}]`;
      const address = serverAddress(s['ip-address']);
      if (address === undefined) {
        issues.add(`${sat}.ip-address`, `"${s['ip-address']}" is not an IPv4 or IPv6 address`);
        return;
      }
      const serverKey = s['key-name'] === undefined ? domainKey : key(s['key-name'], `${sat}.key-name`);
      servers.push({ address, port: s.port ?? 53, key: serverKey });
    });
    if (d['dns-servers'].length === 0) issues.add(`${at}.dns-servers`, 'no DNS server');
    const name = d.name.replace(/\.$/, '').toLowerCase();
    if (out.some((o) => o.name === name)) issues.add(`${at}.name`, `domain "${d.name}" is listed twice`);
    out.push({ name, servers });
  });
  return out;
}

/** A DNS server's address as the UDP socket takes it (IPv6 in its canonical form), or undefined. */
function serverAddress(text: string): string | undefined {
  if (isIpv4(text)) return text;
  const v6 = parseIpv6(text);
  return v6 === undefined ? undefined : formatIpv6(v6);
}

/** Compiles `dhcp-ddns` and the D2 section into what the in-process updater runs on. */
export function compileDdns(
  connectivity: DhcpDdnsJson | undefined,
  d2: D2Json | undefined,
  issues: IssueSink,
): CompiledDdns {
  const keys = compileKeys(d2, issues);
  const enabled = connectivity?.['enable-updates'] ?? false;
  const forward = compileDomains(d2?.['forward-ddns'], 'DhcpDdns.forward-ddns', keys, issues);
  const reverse = compileDomains(d2?.['reverse-ddns'], 'DhcpDdns.reverse-ddns', keys, issues);
  return {
    enabled,
    maxQueueSize: connectivity?.['max-queue-size'] ?? 1024,
    timeoutMs: d2?.['dns-server-timeout'] ?? 500,
    forward,
    reverse,
  };
}

/** The domain with the longest matching suffix (Kea D2's rule), or undefined. */
export function matchDomain(domains: readonly DdnsDomain[], name: string): DdnsDomain | undefined {
  const n = name.toLowerCase().replace(/\.$/, '');
  let best: DdnsDomain | undefined;
  for (const d of domains) {
    const hit = d.name === '' || n === d.name || n.endsWith(`.${d.name}`);
    if (hit && (best === undefined || d.name.length > best.name.length)) best = d;
  }
  return best;
}

/** NCR channel keys that have no effect in-process (Kea's kea-dhcp4 would send NCRs to D2 with them). */
const CHANNEL_KEYS = [
  'server-ip',
  'server-port',
  'sender-ip',
  'sender-port',
  'ncr-protocol',
  'ncr-format',
] as const;

/** What `serve --test` and the start-up log say about a DDNS configuration that loads but may surprise. */
export function ddnsNotes(
  ddns: CompiledDdns,
  connectivity: DhcpDdnsJson | undefined,
): { warnings: string[]; notes: string[] } {
  const warnings: string[] = [];
  const notes: string[] = [];
  if (ddns.enabled && ddns.forward.length + ddns.reverse.length === 0)
    warnings.push(
      'Dhcp4.dhcp-ddns.enable-updates: true, but no DhcpDdns forward-ddns/reverse-ddns domain is configured: no DNS update will be sent (put the DhcpDdns object beside Dhcp4, or give its file with --ddns-config)',
    );
  const given = CHANNEL_KEYS.filter((k) => connectivity?.[k] !== undefined);
  if (given.length > 0)
    notes.push(
      `Dhcp4.dhcp-ddns: ${given.join(', ')} have no effect: leasekeeper sends DNS updates itself, no NCR socket is opened`,
    );
  return { warnings, notes };
}
