import type {
  CompiledConfig,
  CompiledPool,
  CompiledReservation,
  CompiledSubnet,
  OptionSet,
} from '../config/index.ts';
import { cidrContains, intToIpv4 } from '../config/index.ts';
import type { HostIdentifierType } from '../config/index.ts';
import { relayAgentInfo, type DhcpMessage } from '../protocol/index.ts';
import { structuralExclusions } from './allocator.ts';
import { interfaceAddressValue } from './select.ts';
import type { ClientIdentity } from './identity.ts';
import type { ArrivalMeta } from './types.ts';
import { definitionNamed } from '../protocol/index.ts';

/** Options read from every request, looked up in the table once. */
const AGENT_OPT = definitionNamed('dhcp-agent-options');

/** The addresses in an address-list option's bytes. */
export function ipsOf(data: Uint8Array | undefined): number[] {
  const out: number[] = [];
  if (!data) return out;
  for (let i = 0; i + 4 <= data.length; i += 4)
    out.push(
      (((data[i] as number) << 24) |
        ((data[i + 1] as number) << 16) |
        ((data[i + 2] as number) << 8) |
        (data[i + 3] as number)) >>>
        0,
    );
  return out;
}

/**
 * Addresses no client gets: network and broadcast of every subnet, every `routers` address ("do not
 * assign" a router) and every configured server identifier, at any level (classes included).
 */
export function configExclusions(c: CompiledConfig): Set<number> {
  const out = new Set<number>();
  const sets: OptionSet[] = [c.options, ...c.clientClasses.map((k) => k.options)];
  for (const s of c.subnets) {
    for (const a of structuralExclusions(s)) out.add(a);
    sets.push(s.options, ...s.pools.map((p) => p.options), ...s.reservations.map((r) => r.options));
  }
  for (const set of sets) {
    for (const a of ipsOf(set.get(3)?.data)) out.add(a);
    for (const a of ipsOf(set.get(54)?.data)) out.add(a);
  }
  return out;
}

/** One scope's reservations (a subnet's, or the global ones) by `identifier-type value`. */
type ReservationScope = Map<string, CompiledReservation>;

/** A reservation's identifier and its value, as keyed in a scope. */
function reservationKey(r: CompiledReservation): string | undefined {
  if (r.hwAddress !== undefined) return `hw-address ${r.hwAddress}`;
  if (r.clientId !== undefined) return `client-id ${r.clientId}`;
  if (r.duid !== undefined) return `duid ${r.duid}`;
  if (r.circuitId !== undefined) return `circuit-id ${r.circuitId}`;
  if (r.flexId !== undefined) return `flex-id ${r.flexId}`;
  return undefined;
}

/** The client's value for one identifier type, or undefined when the request carries none. */
function clientValue(type: HostIdentifierType, id: ClientIdentity): string | undefined {
  switch (type) {
    case 'hw-address':
      return id.hwAddress === '' ? undefined : id.hwAddress;
    case 'client-id':
      return id.clientId ?? undefined;
    case 'duid':
      return id.duid ?? undefined;
    case 'circuit-id':
      return id.circuitId ?? undefined;
    case 'flex-id':
      return id.flexId ?? undefined;
    default:
      return undefined;
  }
}

/** Kea: the identifier types of `host-reservation-identifiers`, in order; the first that matches wins. */
function inScope(
  scope: ReservationScope | undefined,
  id: ClientIdentity,
  order: readonly HostIdentifierType[],
): CompiledReservation | undefined {
  if (scope === undefined || scope.size === 0) return undefined;
  for (const type of order) {
    const value = clientValue(type, id);
    const r = value === undefined ? undefined : scope.get(`${type} ${value}`);
    if (r !== undefined) return r;
  }
  return undefined;
}

/** Host reservations of a config, by client and by address. */
export class Reservations {
  private readonly bySubnet = new Map<number, ReservationScope>();
  private readonly global: ReservationScope = new Map();
  readonly byAddress = new Map<number, CompiledReservation>();
  private readonly config: CompiledConfig;

  constructor(config: CompiledConfig) {
    this.config = config;
    for (const s of config.subnets) {
      let scope = this.bySubnet.get(s.id);
      if (scope === undefined) {
        scope = new Map();
        this.bySubnet.set(s.id, scope);
      }
      this.add(scope, s.reservations);
    }
    this.add(this.global, config.globalReservations);
  }

  /** The reservation of an address (`byAddress.get`, skipped when there are none). */
  at(addr: number): CompiledReservation | undefined {
    return this.byAddress.size === 0 ? undefined : this.byAddress.get(addr);
  }

  /**
   * Kea: the subnet's own reservation (reservations-in-subnet) over a global one (reservations-global);
   * within each, by `host-reservation-identifiers` order.
   */
  find(subnet: CompiledSubnet, id: ClientIdentity): CompiledReservation | undefined {
    const order = this.config.hostIdentifiers;
    if (subnet.reservationsInSubnet) {
      const r = inScope(this.bySubnet.get(subnet.id), id, order);
      if (r) return r;
    }
    if (subnet.reservationsGlobal) {
      const r = inScope(this.global, id, order);
      if (r) return r;
    }
    return undefined;
  }

  private add(scope: ReservationScope, list: readonly CompiledReservation[]): void {
    for (const r of list) {
      const key = reservationKey(r);
      if (key !== undefined) scope.set(key, r);
      if (r.ipAddress !== undefined) this.byAddress.set(r.ipAddress, r);
    }
  }
}

export function reservationMatches(r: CompiledReservation, id: ClientIdentity): boolean {
  return (
    (r.hwAddress !== undefined && r.hwAddress === id.hwAddress) ||
    (r.clientId !== undefined && r.clientId === id.clientId) ||
    (r.duid !== undefined && r.duid === id.duid) ||
    (r.circuitId !== undefined && r.circuitId === id.circuitId) ||
    (r.flexId !== undefined && r.flexId === id.flexId)
  );
}

/** The reservation's address when it lies in this subnet (a global reservation may not). */
export function reservedAddressIn(
  subnet: CompiledSubnet,
  res: CompiledReservation | undefined,
): number | undefined {
  const a = res?.ipAddress;
  return a !== undefined && cidrContains(subnet, a) ? a : undefined;
}

interface LayerNode {
  readonly next: WeakMap<OptionSet, LayerNode>;
  layers: readonly OptionSet[] | undefined;
}

const layerRoot: LayerNode = { next: new WeakMap(), layers: undefined };
/** By pool (or subnet, for an address outside the pools): the list last built without a reservation. */
const lastLayers = new WeakMap<
  CompiledPool | CompiledSubnet,
  { readonly config: OptionSet; readonly subnet: OptionSet; readonly layers: readonly OptionSet[] }
>();

const NO_CLASS_LAYERS: readonly OptionSet[] = [];

/** The same, by the (shared, frozen) list of a combination of classes' option sets. */
const lastClassLayers = new WeakMap<
  readonly OptionSet[],
  WeakMap<
    CompiledPool | CompiledSubnet,
    { readonly config: OptionSet; readonly subnet: OptionSet; readonly layers: readonly OptionSet[] }
  >
>();

/** Stands for an absent reservation or pool layer in the cache's path. */
const NO_LAYER: OptionSet = new Map();

function layerStep(node: LayerNode, set: OptionSet): LayerNode {
  let n = node.next.get(set);
  if (n === undefined) {
    n = { next: new WeakMap(), layers: undefined };
    node.next.set(set, n);
  }
  return n;
}

/**
 * Option layers by Kea's precedence: reservation, pool, subnet, the client's classes in order, global. The same layers give the same
 * frozen list, so that what a reply sends is worked out once per list (see reply.ts).
 */
export function optionLayers(
  config: CompiledConfig,
  subnet: CompiledSubnet,
  addr: number,
  res: CompiledReservation | undefined,
  classLayers: readonly OptionSet[] = NO_CLASS_LAYERS,
): readonly OptionSet[] {
  return optionLayersIn(config, subnet, poolContaining(subnet, addr), res, classLayers);
}

/** The pool of `subnet` that holds `addr`, if any. */
export function poolContaining(subnet: CompiledSubnet, addr: number): CompiledPool | undefined {
  // An indexed loop: this runs for every reply, and for-of left an iterator object per call here.
  const pools = subnet.pools;
  for (let i = 0; i < pools.length; i++) {
    const p = pools[i]!;
    if (addr >= p.start && addr <= p.end) return p;
  }
  return undefined;
}

/** `optionLayers` for a caller that already found the address's pool. */
export function optionLayersIn(
  config: CompiledConfig,
  subnet: CompiledSubnet,
  pool: CompiledPool | undefined,
  res: CompiledReservation | undefined,
  classLayers: readonly OptionSet[] = NO_CLASS_LAYERS,
): readonly OptionSet[] {
  const plain = res === undefined && classLayers.length === 0;
  // With classes and no reservation: the list last built for this pool (or subnet) and these classes.
  const byClasses =
    res === undefined && classLayers.length > 0 ? lastClassLayers.get(classLayers) : undefined;
  if (byClasses !== undefined) {
    const last = byClasses.get(pool ?? subnet);
    if (last !== undefined && last.config === config.options && last.subnet === subnet.options)
      return last.layers;
  }
  if (plain) {
    // The usual case, one lookup: the pool's (or, outside the pools, the subnet's) last list.
    const owner = pool ?? subnet;
    const last = lastLayers.get(owner);
    if (last !== undefined && last.config === config.options && last.subnet === subnet.options)
      return last.layers;
  }
  let step = layerStep(
    layerStep(layerStep(layerRoot, res ? res.options : NO_LAYER), pool ? pool.options : NO_LAYER),
    subnet.options,
  );
  for (const c of classLayers) step = layerStep(step, c);
  const node = layerStep(step, config.options);
  if (node.layers === undefined) {
    const out: OptionSet[] = [];
    if (res) out.push(res.options);
    if (pool) out.push(pool.options);
    out.push(subnet.options, ...classLayers, config.options);
    node.layers = Object.freeze(out);
  }
  const entry = { config: config.options, subnet: subnet.options, layers: node.layers };
  if (plain) lastLayers.set(pool ?? subnet, entry);
  else if (res === undefined) {
    let m = lastClassLayers.get(classLayers);
    if (m === undefined) {
      m = new WeakMap();
      lastClassLayers.set(classLayers, m);
    }
    m.set(pool ?? subnet, entry);
  }
  return node.layers;
}

/** RFC 5107: the relay's server identifier override (82.11), when the request was relayed with one. */
function serverIdOverride(req: DhcpMessage): string | undefined {
  if (req.giaddr === '0.0.0.0') return undefined;
  const list = req.options.getBy(AGENT_OPT);
  return list ? relayAgentInfo(list).serverIdOverride : undefined;
}

/**
 * Our identifier toward this client: the relay's override (RFC 5107 §4: the server MUST use it as the
 * server identifier), a configured option 54, our address on the subnet, else the interface's.
 */
export function serverIdFor(
  config: CompiledConfig,
  subnet: CompiledSubnet,
  meta: ArrivalMeta,
  req: DhcpMessage,
): string | undefined {
  const override = serverIdOverride(req);
  if (override !== undefined) return override;
  const configured = subnet.options.get(54) ?? config.options.get(54);
  const data = configured?.data;
  if (data !== undefined && data.length >= 4)
    return intToIpv4(
      (((data[0] as number) << 24) |
        ((data[1] as number) << 16) |
        ((data[2] as number) << 8) |
        (data[3] as number)) >>>
        0,
    );
  // The interface's first IPv4 address on the subnet, else its first IPv4 address.
  let first: string | undefined;
  for (const a of meta.interfaceAddresses) {
    const n = interfaceAddressValue(a.address);
    if (n < 0) continue;
    if (cidrContains(subnet, n)) return a.address;
    first ??= a.address;
  }
  return first;
}

/**
 * Whether a server identifier a client sent names us (any of our interface addresses counts). `ours` is
 * `serverIdFor(config, subnet, meta, req)`, for a caller that has it already.
 */
export function isOurServerId(
  config: CompiledConfig,
  sid: string,
  subnet: CompiledSubnet,
  meta: ArrivalMeta,
  req: DhcpMessage,
  ours: string | undefined = serverIdFor(config, subnet, meta, req),
): boolean {
  if (sid === ours) return true;
  for (const a of meta.interfaceAddresses) if (a.address === sid) return true;
  return false;
}
