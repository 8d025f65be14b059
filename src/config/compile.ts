import type { z } from 'zod';
import { parseHexIdentifier, toHex } from '../protocol/index.ts';
import { compileClientClasses, classGate } from './client-classes.ts';
import { address, Issues, optionSet } from './scope.ts';
import { BUILTIN_DEFS, compileOptionDefs, isStandardOption, type OptionDefs } from './option-defs.ts';
import { broadcastOf, cidrContains, intToIpv4, ipv4ToInt, isIpv4, maskOf, parseCidr } from './ipv4.ts';
import {
  HA_HOOK,
  compileHaRelationship,
  haParametersSchema,
  isHook,
  type HaConfig,
} from './high-availability.ts';
import { compileBehaviour, compileDdns, ddnsBehaviourKeys, type D2Json } from './ddns.ts';
import { clientLimits, NO_LIMITS, type ClientLimits } from './limits.ts';
import { flexIdExpression } from './flex-id.ts';
import { ignoredKeyWarnings } from './ignored-keys.ts';
import { refusalReason } from './refused-keys.ts';
import { DEFAULT_RESERVATION_FLAGS, reservationFlags, type ReservationFlags } from './reservation-modes.ts';
import { reservationSchema, rootSchema } from './schema.ts';
import { compileHooks } from './hooks.ts';
import type { Dhcp4Json, ReservationJson, SharedNetworkJson, SubnetJson } from './schema.ts';
import {
  ConfigError,
  type ClassGate,
  type ConfigIssue,
  type CompiledConfig,
  type CompiledPool,
  type CompiledReservation,
  type CompiledSubnet,
  type HostsDatabaseConfig,
  type Lifetimes,
  type OptionSet,
  type ParseResult,
} from './types.ts';

/** Kea's defaults, except `authoritative` (true here: a NAK for a wrong address is what users expect). */
export const DEFAULTS = {
  validLifetime: 7200,
  declineProbationPeriod: 86400,
  /** Kea's is 0 (offers not held); 10 s covers a client's first retransmission (RFC 2131 §4.1: 4 s). */
  offerLifetime: 10,
  t1Percent: 0.5,
  t2Percent: 0.875,
  authoritative: true,
  matchClientId: true,
} as const;

function zodPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out === '' ? '(root)' : out;
}

function zodIssues(error: z.ZodError): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const path = zodPath([...issue.path, key]);
        const reason = refusalReason(path);
        out.push({
          path,
          message: reason === undefined ? 'unknown or unsupported parameter' : `not supported: ${reason}`,
        });
      }
    } else {
      out.push({ path: zodPath(issue.path), message: plainMessage(issue) });
    }
  }
  return out;
}

const TYPE_WORDS: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'a map ({...})',
  array: 'a list ([...])',
  record: 'a map ({...})',
};

/** zod's default texts ("Invalid input: expected false") said the way a configuration reader needs them. */
function plainMessage(issue: z.core.$ZodIssue): string {
  if (!/^(Invalid input|Too small|Too big|Invalid option)/.test(issue.message)) return issue.message;
  switch (issue.code) {
    case 'invalid_type':
      if (/received undefined/.test(issue.message))
        return `required: ${TYPE_WORDS[issue.expected] ?? issue.expected}`;
      return `must be ${TYPE_WORDS[issue.expected] ?? issue.expected}`;
    case 'invalid_value':
      return issue.values.length === 1
        ? `only ${JSON.stringify(issue.values[0])} is supported here`
        : `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      return issue.origin === 'array'
        ? `needs at least ${String(issue.minimum)} entr${issue.minimum === 1 ? 'y' : 'ies'}`
        : issue.origin === 'string'
          ? `must not be shorter than ${String(issue.minimum)} characters`
          : `must be at least ${String(issue.minimum)}${issue.inclusive === false ? ' (exclusive)' : ''}`;
    case 'too_big':
      return issue.origin === 'array'
        ? `has more than ${String(issue.maximum)} entries`
        : issue.origin === 'string'
          ? `must not be longer than ${String(issue.maximum)} characters`
          : `must be at most ${String(issue.maximum)}${issue.inclusive === false ? ' (exclusive)' : ''}`;
    default:
      return issue.message;
  }
}

/** Validates a Kea-style `{"Dhcp4": {...}}` document and compiles it for the engine. Never throws. */
export function parseConfig(json: unknown): ParseResult {
  const parsed = rootSchema.safeParse(json);
  if (!parsed.success) return { ok: false, error: new ConfigError(zodIssues(parsed.error)) };
  const issues = new Issues();
  const config = compileDhcp4(parsed.data.Dhcp4, issues, parsed.data.DhcpDdns);
  if (issues.list.length > 0) return { ok: false, error: new ConfigError(issues.list) };
  return { ok: true, config };
}

/** Like `parseConfig`, throwing the `ConfigError`. */
export function compileConfig(json: unknown): CompiledConfig {
  const r = parseConfig(json);
  if (!r.ok) throw r.error;
  return r.config;
}

function lifetimes(
  j: Partial<SubnetJson> | Dhcp4Json,
  parent: Lifetimes | undefined,
  path: string,
  issues: Issues,
): Lifetimes {
  const valid = j['valid-lifetime'] ?? parent?.valid ?? DEFAULTS.validLifetime;
  const l: Lifetimes = {
    valid,
    min:
      j['min-valid-lifetime'] ??
      (j['valid-lifetime'] !== undefined ? undefined : parent?.min) ??
      Math.min(valid, j['max-valid-lifetime'] ?? valid),
    max:
      j['max-valid-lifetime'] ??
      (j['valid-lifetime'] !== undefined ? undefined : parent?.max) ??
      Math.max(valid, j['min-valid-lifetime'] ?? valid),
    renewTimer: j['renew-timer'] ?? parent?.renewTimer,
    rebindTimer: j['rebind-timer'] ?? parent?.rebindTimer,
    calculateTeeTimes: j['calculate-tee-times'] ?? parent?.calculateTeeTimes ?? true,
    t1Percent: j['t1-percent'] ?? parent?.t1Percent ?? DEFAULTS.t1Percent,
    t2Percent: j['t2-percent'] ?? parent?.t2Percent ?? DEFAULTS.t2Percent,
  };
  if (l.min > l.valid)
    issues.add(`${path}.min-valid-lifetime`, `${l.min} is above valid-lifetime ${l.valid}`);
  if (l.max < l.valid)
    issues.add(`${path}.max-valid-lifetime`, `${l.max} is below valid-lifetime ${l.valid}`);
  if (l.renewTimer !== undefined && l.rebindTimer !== undefined && l.renewTimer > l.rebindTimer)
    issues.add(`${path}.renew-timer`, `${l.renewTimer} is above rebind-timer ${l.rebindTimer}`);
  if (l.t1Percent >= l.t2Percent) issues.add(`${path}.t1-percent`, 't1-percent must be below t2-percent');
  return l;
}

/** Kea accepts `aa:bb:..`, `aa-bb-..` and `aabb..` (1 to 16 bytes); we store lower-case colon form. */
export function normalizeHwAddress(s: string): string | undefined {
  return hexIdentifier(s, 1, 16, false);
}

/** Kea's opaque identifiers (`duid`, `circuit-id`): hex (`01:02`, `0102`) or quoted text, colon hex here. */
export function normalizeOpaqueId(s: string, minBytes: number): string | undefined {
  return hexIdentifier(s, minBytes, 128, true);
}

/** Kea's `client-id` is hex (`01:aa:bb`, `01aabb`) or a quoted string (`'foo'`, the bytes of the text). */
export function normalizeClientId(s: string): string | undefined {
  // RFC 2132 §9.14: at least 2 bytes. Hex is bounded like a hardware address, as before quoted text was read.
  const quoted = /^(['"]).*\1$/.test(s);
  return hexIdentifier(s, 2, quoted ? Infinity : 16, true);
}

function hexIdentifier(
  s: string,
  minBytes: number,
  maxBytes: number,
  quotedText: boolean,
): string | undefined {
  const bytes = parseHexIdentifier(s, 'lenient', { quotedText });
  return bytes !== undefined && bytes.length >= minBytes && bytes.length <= maxBytes
    ? toHex(bytes, ':')
    : undefined;
}

function reservation(
  r: ReservationJson,
  path: string,
  subnet: CompiledSubnetDraft | undefined,
  issues: Issues,
): CompiledReservation | undefined {
  const ids = (['hw-address', 'client-id', 'duid', 'circuit-id', 'flex-id'] as const).filter(
    (k) => r[k] !== undefined,
  );
  if (ids.length !== 1) {
    issues.add(
      path,
      'a reservation needs exactly one identifier: hw-address, client-id, duid, circuit-id or flex-id',
    );
    return undefined;
  }
  const flexId = r['flex-id'] === undefined ? undefined : normalizeOpaqueId(r['flex-id'], 1);
  if (r['flex-id'] !== undefined && flexId === undefined)
    issues.add(`${path}.flex-id`, `"${r['flex-id']}" is not a flex-id (hex of 1 to 128 bytes, or 'text')`);
  const duid = r.duid === undefined ? undefined : normalizeOpaqueId(r.duid, 3);
  if (r.duid !== undefined && duid === undefined)
    issues.add(`${path}.duid`, `"${r.duid}" is not a DUID (hex of 3 to 128 bytes, or 'text')`);
  const circuitId = r['circuit-id'] === undefined ? undefined : normalizeOpaqueId(r['circuit-id'], 1);
  if (r['circuit-id'] !== undefined && circuitId === undefined)
    issues.add(
      `${path}.circuit-id`,
      `"${r['circuit-id']}" is not a circuit id (hex of 1 to 128 bytes, or 'text')`,
    );
  const hwAddress = r['hw-address'] === undefined ? undefined : normalizeHwAddress(r['hw-address']);
  if (r['hw-address'] !== undefined && hwAddress === undefined)
    issues.add(`${path}.hw-address`, `"${r['hw-address']}" is not a hardware address`);
  const clientId = r['client-id'] === undefined ? undefined : normalizeClientId(r['client-id']);
  if (r['client-id'] !== undefined && clientId === undefined)
    issues.add(
      `${path}.client-id`,
      `"${r['client-id']}" is not a client identifier (hex of 2+ bytes or 'text')`,
    );
  const ipAddress = address(r['ip-address'], `${path}.ip-address`, issues);
  if (ipAddress !== undefined && subnet) {
    if (!cidrContains(subnet, ipAddress))
      issues.add(`${path}.ip-address`, `${intToIpv4(ipAddress)} is outside subnet ${subnet.prefix}`);
    else if (subnet.prefixLength < 31 && (ipAddress === subnet.network || ipAddress === subnet.broadcast))
      issues.add(
        `${path}.ip-address`,
        `${intToIpv4(ipAddress)} is the subnet's network or broadcast address`,
      );
  }
  return {
    hwAddress,
    clientId,
    duid,
    circuitId,
    flexId,
    ipAddress,
    hostname: r.hostname,
    options: optionSet(r['option-data'], path, issues),
    nextServer: address(r['next-server'], `${path}.next-server`, issues),
    bootFileName: r['boot-file-name'],
    serverHostname: r['server-hostname'],
    clientClasses: r['client-classes'] ?? [],
  };
}

/** Kea refuses both keys at once; one entry or a list, consulted in order. */
function hostsDatabases(j: Dhcp4Json, issues: Issues): HostsDatabaseConfig[] {
  const one = j['hosts-database'];
  const list = j['hosts-databases'];
  if (one !== undefined && list !== undefined)
    issues.add('Dhcp4.hosts-databases', 'give hosts-database or hosts-databases, not both');
  return [...(one === undefined ? [] : [one]), ...(list ?? [])];
}

/**
 * A host reservation from outside the configuration (a host database), checked and compiled as one in the
 * file would be: `subnet` is its subnet (undefined: a global one), `defs` the running option definitions.
 */
export function compileHostReservation(
  json: unknown,
  subnet: CompiledSubnet | undefined,
  defs: OptionDefs,
):
  | { readonly ok: true; readonly reservation: CompiledReservation }
  | { readonly ok: false; readonly error: string } {
  const parsed = reservationSchema.safeParse(json);
  if (!parsed.success) return { ok: false, error: new ConfigError(zodIssues(parsed.error)).message };
  const issues = new Issues();
  issues.defs = defs;
  const r = reservation(parsed.data, 'reservation', subnet, issues);
  if (r === undefined || issues.list.length > 0)
    return { ok: false, error: new ConfigError(issues.list).message };
  return { ok: true, reservation: deepFreeze(r) };
}

interface CompiledSubnetDraft {
  readonly prefix: string;
  readonly network: number;
  readonly prefixLength: number;
  readonly broadcast: number;
}

/** Kea pool syntax: `a - b` (spaces optional) or `a.b.c.d/len`. */
export function parsePool(s: string): { start: number; end: number } | string {
  const range = /^\s*([\d.]+)\s*-\s*([\d.]+)\s*$/.exec(s);
  if (range) {
    const [a, b] = [range[1] ?? '', range[2] ?? ''];
    if (!isIpv4(a) || !isIpv4(b))
      return `"${s}" is not a pool: expected "a.b.c.d - e.f.g.h" or "a.b.c.d/len"`;
    const start = ipv4ToInt(a);
    const end = ipv4ToInt(b);
    if (start > end) return `"${s}" start is after end`;
    return { start, end };
  }
  const cidr = parseCidr(s, true);
  if (!cidr) return `"${s}" is not a pool: expected "a.b.c.d - e.f.g.h" or "a.b.c.d/len" (network address)`;
  return { start: cidr.network, end: broadcastOf(cidr) };
}

function reservationConflicts(list: readonly CompiledReservation[], path: string, issues: Issues): void {
  const seen = new Map<string, number>();
  list.forEach((r, i) => {
    const keys = [
      r.hwAddress && `hw-address ${r.hwAddress}`,
      r.clientId && `client-id ${r.clientId}`,
      r.duid && `duid ${r.duid}`,
      r.circuitId && `circuit-id ${r.circuitId}`,
      r.flexId && `flex-id ${r.flexId}`,
      r.ipAddress !== undefined && `ip-address ${intToIpv4(r.ipAddress)}`,
    ];
    for (const k of keys) {
      if (!k) continue;
      const prev = seen.get(k);
      if (prev !== undefined) issues.add(`${path}[${i}]`, `${k} is already reserved by ${path}[${prev}]`);
      else seen.set(k, i);
    }
  });
}

/** What a subnet inherits: from `Dhcp4`, or from its shared network over `Dhcp4`. */
interface ParentScope {
  /** The keys a subnet inherits one by one (the shared network's over the global ones). */
  readonly json: Dhcp4Json;
  readonly lifetimes: Lifetimes;
  readonly limits: ClientLimits;
  readonly reservationFlags: ReservationFlags;
  /** The shared network's options (below the subnet's, above the global ones). */
  readonly options: OptionSet;
  readonly relayAddresses: readonly number[];
  readonly interface: string | undefined;
  readonly sharedNetwork: string | undefined;
  /** The shared network's class gate, which its subnets take when they set none of their own. */
  readonly gate: Pick<
    SubnetJson,
    'client-class' | 'client-classes' | 'require-client-classes' | 'evaluate-additional-classes'
  >;
}

function relayAddressesOf(relay: SubnetJson['relay'], path: string, issues: Issues): number[] {
  const out: number[] = [];
  const list = [...(relay?.['ip-addresses'] ?? [])];
  if (relay?.['ip-address'] !== undefined) list.push(relay['ip-address']);
  if (relay !== undefined && list.length === 0)
    issues.add(`${path}.relay`, 'needs ip-addresses (or ip-address)');
  list.forEach((a, i) => {
    const n = address(a, `${path}.relay.ip-addresses[${i}]`, issues);
    if (n !== undefined) out.push(n);
  });
  return out;
}

function subnet(
  j: SubnetJson,
  path: string,
  id: number,
  scope: ParentScope,
  issues: Issues,
): CompiledSubnet | undefined {
  const parent = scope.json;
  const cidr = parseCidr(j.subnet, true);
  if (!cidr) {
    const loose = parseCidr(j.subnet, false);
    issues.add(
      `${path}.subnet`,
      loose
        ? `"${j.subnet}" has host bits set; did you mean "${intToIpv4(loose.network)}/${loose.prefixLength}"?`
        : `"${j.subnet}" is not a prefix "a.b.c.d/len"`,
    );
    return undefined;
  }
  const draft: CompiledSubnetDraft = {
    prefix: j.subnet.replace(/\s/g, ''),
    ...cidr,
    broadcast: broadcastOf(cidr),
  };
  const pools: CompiledPool[] = [];
  (j.pools ?? []).forEach((p, i) => {
    const at = `${path}.pools[${i}]`;
    const r = parsePool(p.pool);
    if (typeof r === 'string') return issues.add(`${at}.pool`, r);
    if (!cidrContains(cidr, r.start) || !cidrContains(cidr, r.end))
      return issues.add(`${at}.pool`, `"${p.pool}" is not inside subnet ${draft.prefix}`);
    const clash = pools.findIndex((q) => r.start <= q.end && q.start <= r.end);
    if (clash >= 0) return issues.add(`${at}.pool`, `"${p.pool}" overlaps ${path}.pools[${clash}]`);
    pools.push({ ...r, options: optionSet(p['option-data'], at, issues), ...classGate(p) });
  });
  const reservations: CompiledReservation[] = [];
  (j.reservations ?? []).forEach((r, i) => {
    const c = reservation(r, `${path}.reservations[${i}]`, draft, issues);
    if (c) reservations.push(c);
  });
  reservationConflicts(reservations, `${path}.reservations`, issues);
  const relayAddresses =
    j.relay === undefined ? scope.relayAddresses : relayAddressesOf(j.relay, path, issues);
  const own = optionSet(j['option-data'], path, issues);
  const flags = reservationFlags(j, scope.reservationFlags, path, (p, m) => issues.add(p, m));
  return {
    id,
    prefix: draft.prefix,
    network: cidr.network,
    prefixLength: cidr.prefixLength,
    mask: maskOf(cidr.prefixLength),
    broadcast: draft.broadcast,
    pools,
    options: scope.options.size === 0 ? own : new Map([...scope.options, ...own]),
    reservations,
    relayAddresses,
    interface: j.interface ?? scope.interface,
    sharedNetwork: scope.sharedNetwork,
    reservationsGlobal: flags.global,
    reservationsInSubnet: flags.inSubnet,
    lifetimes: lifetimes(j, scope.lifetimes, path, issues),
    authoritative: j.authoritative ?? parent.authoritative ?? DEFAULTS.authoritative,
    rapidCommit: j['rapid-commit'] ?? parent['rapid-commit'] ?? false,
    matchClientId: j['match-client-id'] ?? parent['match-client-id'] ?? DEFAULTS.matchClientId,
    nextServer:
      address(j['next-server'], `${path}.next-server`, issues) ??
      address(parent['next-server'], 'next-server', new Issues()),
    bootFileName: j['boot-file-name'] ?? parent['boot-file-name'],
    serverHostname: j['server-hostname'] ?? parent['server-hostname'],
    ddns: compileBehaviour([j, parent], path, issues),
    offerLifetime: j['offer-lifetime'] ?? parent['offer-lifetime'] ?? DEFAULTS.offerLifetime,
    limits: clientLimits(j['user-context'], `${path}.user-context`, scope.limits, (p, m) => issues.add(p, m)),
    ...classGate(
      j['client-class'] === undefined && j['client-classes'] === undefined ? { ...scope.gate, ...j } : j,
    ),
    poolsUseClasses: pools.some((p) => p.allowedClasses !== undefined || p.additionalClasses.length > 0),
  };
}

/** Kea's default `host-reservation-identifiers` (flex-id only with its hook). */
const DEFAULT_HOST_IDENTIFIERS = ['hw-address', 'duid', 'circuit-id', 'client-id'] as const;

function sharedNetworkScope(
  n: SharedNetworkJson,
  at: string,
  global: ParentScope,
  issues: Issues,
): ParentScope {
  const inherited: Dhcp4Json = { ...global.json };
  const keys = [
    'authoritative',
    'rapid-commit',
    'match-client-id',
    'next-server',
    'server-hostname',
    'boot-file-name',
    'offer-lifetime',
  ] as const;
  for (const k of keys) if (n[k] !== undefined) Object.assign(inherited, { [k]: n[k] });
  // The network's ddns-* and hostname-char-* keys, between the subnet's and the global ones.
  for (const k of Object.keys(ddnsBehaviourKeys) as (keyof typeof ddnsBehaviourKeys)[])
    if (n[k] !== undefined) Object.assign(inherited, { [k]: n[k] });
  return {
    json: inherited,
    lifetimes: lifetimes(n, global.lifetimes, at, issues),
    limits: clientLimits(n['user-context'], `${at}.user-context`, global.limits, (p, m) => issues.add(p, m)),
    reservationFlags: reservationFlags(n, global.reservationFlags, at, (p, m) => issues.add(p, m)),
    options: optionSet(n['option-data'], at, issues),
    relayAddresses: n.relay === undefined ? [] : relayAddressesOf(n.relay, at, issues),
    interface: n.interface,
    sharedNetwork: n.name,
    gate: Object.fromEntries(
      (['client-class', 'client-classes', 'require-client-classes', 'evaluate-additional-classes'] as const)
        .filter((k) => n[k] !== undefined)
        .map((k) => [k, n[k]]),
    ),
  };
}

function refuseMutation(): never {
  throw new TypeError('compiled config is immutable');
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o) && !(o instanceof Uint8Array)) {
    if (o instanceof Map) {
      for (const v of o.values()) deepFreeze(v);
      Object.assign(o, { set: refuseMutation, delete: refuseMutation, clear: refuseMutation });
    } else for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

function compileDhcp4(j: Dhcp4Json, issues: Issues, d2: D2Json | undefined): CompiledConfig {
  issues.defs = compileOptionDefs(j['option-def'], 'Dhcp4', BUILTIN_DEFS, isStandardOption, issues);
  const defs = issues.defs;
  const flexIdExpr = flexIdExpression(
    j['hooks-libraries'],
    (name) => defs.byName('dhcp4', name)?.code,
    (p, m) => issues.add(p, m),
  );
  const top = lifetimes(j, undefined, 'Dhcp4', issues);
  const limits = clientLimits(j['user-context'], 'Dhcp4.user-context', NO_LIMITS, (p, m) => issues.add(p, m));
  const source: Dhcp4Json = structuredClone(j);
  const globalFlags = reservationFlags(j, DEFAULT_RESERVATION_FLAGS, 'Dhcp4', (p, m) => issues.add(p, m));
  const globalScope: ParentScope = {
    json: j,
    lifetimes: top,
    limits,
    reservationFlags: globalFlags,
    options: new Map(),
    relayAddresses: [],
    interface: undefined,
    sharedNetwork: undefined,
    gate: {},
  };
  // Every subnet, top-level ones first, then those of each shared network, with what it inherits.
  const entries: { json: SubnetJson; path: string; scope: ParentScope; src: SubnetJson | undefined }[] = [];
  (j.subnet4 ?? []).forEach((s, i) =>
    entries.push({ json: s, path: `Dhcp4.subnet4[${i}]`, scope: globalScope, src: source.subnet4?.[i] }),
  );
  const sharedNetworks: { name: string; subnetIds: number[] }[] = [];
  (j['shared-networks'] ?? []).forEach((n, k) => {
    const at = `Dhcp4.shared-networks[${k}]`;
    if (sharedNetworks.some((o) => o.name === n.name))
      issues.add(`${at}.name`, `shared network "${n.name}" is defined twice`);
    const scope = sharedNetworkScope(n, at, globalScope, issues);
    const subnetIds: number[] = [];
    sharedNetworks.push({ name: n.name, subnetIds });
    (n.subnet4 ?? []).forEach((s, i) => {
      if (n.interface !== undefined && s.interface !== undefined && s.interface !== n.interface)
        issues.add(
          `${at}.subnet4[${i}].interface`,
          `"${s.interface}" differs from the shared network's "${n.interface}" (its subnets share one link)`,
        );
      entries.push({
        json: s,
        path: `${at}.subnet4[${i}]`,
        scope,
        src: source['shared-networks']?.[k]?.subnet4?.[i],
      });
    });
  });
  // Kea 2.2: an id of 0 (or none) is assigned automatically.
  const usedIds = new Set(
    entries.map((e) => e.json.id).filter((id): id is number => id !== undefined && id > 0),
  );
  let nextId = 1;
  const subnets: CompiledSubnet[] = [];
  for (const e of entries) {
    let id = e.json.id;
    if (id === undefined || id === 0) {
      while (usedIds.has(nextId)) nextId++;
      id = nextId;
      usedIds.add(id);
      if (e.src) e.src.id = id; // Kea reports the id it chose in config-get
    } else if (subnets.some((x) => x.id === id)) {
      issues.add(`${e.path}.id`, `subnet id ${id} is used twice`);
    }
    const c = subnet(e.json, e.path, id, e.scope, issues);
    if (!c) continue;
    const clash = subnets.findIndex((o) => c.network <= o.broadcast && o.network <= c.broadcast);
    if (clash >= 0)
      issues.add(
        `${e.path}.subnet`,
        `"${c.prefix}" overlaps ${entries[clash]?.path ?? ''} (${subnets[clash]?.prefix})`,
      );
    subnets.push(c);
    if (c.sharedNetwork !== undefined)
      sharedNetworks.find((n) => n.name === c.sharedNetwork)?.subnetIds.push(c.id);
  }
  const flexReservations = [...entries.flatMap((e) => e.json.reservations ?? []), ...(j.reservations ?? [])];
  // Kea accepts flex-id reservations without its hook (they never match); said once at start here.
  const flexWarnings =
    flexIdExpr === undefined && flexReservations.some((r) => r['flex-id'] !== undefined)
      ? [
          'flex-id reservations: accepted and never matched: libdhcp_flex_id.so with an identifier-expression is not configured',
        ]
      : [];
  const globalReservations: CompiledReservation[] = [];
  (j.reservations ?? []).forEach((r, i) => {
    const c = reservation(r, `Dhcp4.reservations[${i}]`, undefined, issues);
    if (c) globalReservations.push(c);
  });
  reservationConflicts(globalReservations, 'Dhcp4.reservations', issues);
  const names = new Set<string>();
  (j['interfaces-config']?.interfaces ?? []).forEach((n, i) => {
    if (names.has(n)) issues.add(`Dhcp4.interfaces-config.interfaces[${i}]`, `"${n}" is listed twice`);
    names.add(n);
  });
  const highAvailability = compileHighAvailability(j, issues);
  const clientClasses = compileClientClasses(j['client-classes'], issues);
  const hooks = compileHooks(j['hooks-libraries'], issues);
  const gated = (g: ClassGate): boolean => g.allowedClasses !== undefined || g.additionalClasses.length > 0;
  const recordsClasses =
    clientClasses.length > 0 ||
    subnets.some(
      (s) => gated(s) || s.pools.some(gated) || s.reservations.some((r) => r.clientClasses.length > 0),
    ) ||
    globalReservations.some((r) => r.clientClasses.length > 0);
  // Flex options read classes only through `member`, `known`/`unknown` or an entry's `client-class`.
  const flexReadsClasses = hooks.flexOptions.some(
    (a) => a.clientClass !== undefined || (a.value ?? a.when)!.members.length > 0,
  );
  const classifies = recordsClasses || flexReadsClasses;
  return deepFreeze({
    ...(highAvailability === undefined ? {} : { highAvailability }),
    source,
    clientClasses,
    classesByName: new Map(clientClasses.map((c) => [c.name, c])),
    classesRateLimited: clientClasses.some((c) => c.rateLimit !== undefined),
    classifies,
    recordsClasses,
    optionDefs: issues.defs,
    hooks,
    interfaces: j['interfaces-config']?.interfaces ?? [],
    socketType: j['interfaces-config']?.['dhcp-socket-type'] ?? 'raw',
    authoritative: j.authoritative ?? DEFAULTS.authoritative,
    matchClientId: j['match-client-id'] ?? DEFAULTS.matchClientId,
    lifetimes: top,
    declineProbationPeriod: j['decline-probation-period'] ?? DEFAULTS.declineProbationPeriod,
    offerLifetime: j['offer-lifetime'] ?? DEFAULTS.offerLifetime,
    limits,
    options: optionSet(j['option-data'], 'Dhcp4', issues),
    subnets,
    globalReservations,
    reservationsGlobal: globalFlags.global,
    reservationsInSubnet: globalFlags.inSubnet,
    sharedNetworks,
    hostIdentifiers:
      j['host-reservation-identifiers'] ??
      (flexIdExpr === undefined ? DEFAULT_HOST_IDENTIFIERS : [...DEFAULT_HOST_IDENTIFIERS, 'flex-id']),
    flexIdExpression: flexIdExpr,
    warnings: [...ignoredKeyWarnings(j), ...flexWarnings, ...issues.warnings],
    leaseDatabase: j['lease-database'] ?? { type: 'memfile' },
    hostsDatabases: hostsDatabases(j, issues),
    serverTag: j['server-tag'] ?? '',
    nextServer: address(j['next-server'], 'Dhcp4.next-server', issues),
    bootFileName: j['boot-file-name'],
    serverHostname: j['server-hostname'],
    echoClientId: j['echo-client-id'] ?? true,
    expiredLeasesProcessing: {
      reclaimTimerWaitTime: j['expired-leases-processing']?.['reclaim-timer-wait-time'] ?? 10,
      flushReclaimedTimerWaitTime: j['expired-leases-processing']?.['flush-reclaimed-timer-wait-time'] ?? 25,
      holdReclaimedTime: j['expired-leases-processing']?.['hold-reclaimed-time'] ?? 3600,
      maxReclaimLeases: j['expired-leases-processing']?.['max-reclaim-leases'] ?? 100,
      maxReclaimTime: j['expired-leases-processing']?.['max-reclaim-time'] ?? 250,
      unwarnedReclaimCycles: j['expired-leases-processing']?.['unwarned-reclaim-cycles'] ?? 5,
    },
    ddnsBehaviour: compileBehaviour([j], 'Dhcp4', issues),
    ddns: compileDdns(j['dhcp-ddns'], d2, issues),
    d2Source: d2 === undefined ? undefined : structuredClone(d2),
  });
}

/** Reads the `libdhcp_ha.so` entry's parameters (hooks.ts compiles the other built-in hooks). */
function compileHighAvailability(j: Dhcp4Json, issues: Issues): HaConfig | undefined {
  let ha: HaConfig | undefined;
  (j['hooks-libraries'] ?? []).forEach((hook, i) => {
    const path = `Dhcp4.hooks-libraries[${i}]`;
    if (!isHook(hook.library, HA_HOOK)) return;
    if (ha !== undefined) return issues.add(path, `${HA_HOOK} is listed twice`);
    if (hook['parameters'] === undefined)
      return issues.add(`${path}.parameters`, `${HA_HOOK} needs parameters with its high-availability list`);
    const parsed = haParametersSchema.safeParse(hook['parameters']);
    if (!parsed.success) {
      for (const issue of zodIssues(parsed.error))
        issues.add(`${path}.parameters.${issue.path}`, issue.message);
      return;
    }
    const at = `${path}.parameters.high-availability[0]`;
    const r = compileHaRelationship(parsed.data['high-availability'][0]!, at);
    if (!r.ok) for (const issue of r.issues) issues.add(issue.path, issue.message);
    else if (r.config.mode === 'active-active' && j['lease-database']?.type !== 'postgresql')
      issues.add(`${at}.mode`, 'active-active needs a postgresql lease-database shared by the servers');
    else ha = r.config;
  });
  return ha;
}

/**
 * The config as Kea's `config-get` returns it: `{"Dhcp4": {...}}`, with auto-assigned subnet ids filled, and
 * the `DhcpDdns` section beside it when one was given (so config-get then config-set keeps it).
 */
export function toKeaJson(config: CompiledConfig): { Dhcp4: Dhcp4Json; DhcpDdns?: D2Json } {
  return {
    Dhcp4: structuredClone(config.source) as Dhcp4Json,
    ...(config.d2Source === undefined ? {} : { DhcpDdns: structuredClone(config.d2Source) as D2Json }),
  };
}
