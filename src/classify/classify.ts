/**
 * Classifying one request, in Kea's phases (ARM "Client Classification Overview"): built-in classes and
 * the tests that do not need the host lookup, before subnet selection; then the reservation's classes,
 * KNOWN or UNKNOWN and the tests that read them; then, once an address is chosen, the additional classes
 * the pool and subnet ask for. Every test was compiled with the configuration.
 */
import type {
  ClassGate,
  CompiledClientClass,
  CompiledConfig,
  CompiledReservation,
  Lifetimes,
  OptionSet,
} from '../config/types.ts';
import type { DhcpMessage } from '../protocol/index.ts';
import { ALL, BOOTP, KNOWN, UNKNOWN, VENDOR_CLASS_PREFIX } from './builtin.ts';
import { binary, type ClassMembership, type EvalPacket } from './packet.ts';

/** Kea's Pkt4::len(): header, cookie, every option with its code and length, and END. */
function packetLength(msg: DhcpMessage): number {
  let n = 241;
  const o = msg.options;
  for (let i = 0; i < o.size; i++) {
    const len = o.lengthAt(i);
    n += len + 2 * Math.max(1, Math.ceil(len / 255));
  }
  return n;
}

export interface Arrival {
  readonly interface: string;
  readonly sourceAddress: string;
  readonly broadcast?: boolean;
  readonly interfaceAddresses: readonly { readonly address: string }[];
  /** Classes assigned before classification (HA's scope class). */
  readonly classes?: readonly string[];
}

/**
 * The classes of one request, by phase, and the request as expressions read it (`has` is what
 * `member()` and the subnet and pool gates ask). Lists are made only when a class lands in them.
 */
export class PacketClasses implements EvalPacket {
  /** Every class so far, in the order assigned (a few names: a list is cheaper than a Set here). */
  private readonly names: string[] = [ALL];
  readonly msg: DhcpMessage;
  readonly iface: string;
  readonly src: string;
  readonly dst: string;
  /** ALL, VENDOR_CLASS_..., BOOTP. */
  readonly builtin: string[] = [ALL];
  /** Tests that matched before the host lookup. */
  evaluated: string[] | null = null;
  /** Whether `classifyHost` ran. */
  hostDone = false;
  /** The reservation's classes. */
  host: readonly string[] | null = null;
  /** KNOWN or UNKNOWN, after `classifyHost`. */
  known: string | null = null;
  /** Tests that read KNOWN/UNKNOWN and matched. */
  late: string[] | null = null;
  additional: string[] | null = null;
  /** Tests that failed to evaluate (Kea's EvalTypeError): the class was not assigned. */
  errors = 0;
  /** What the classes imply, looked up when first asked and again after a class is added. */
  combo: Combination | undefined = undefined;
  private len = -1;

  constructor(msg: DhcpMessage, meta: Arrival) {
    this.msg = msg;
    this.iface = meta.interface;
    this.src = meta.sourceAddress;
    this.dst =
      meta.broadcast === true ? '255.255.255.255' : (meta.interfaceAddresses[0]?.address ?? '0.0.0.0');
  }

  get classes(): ClassMembership {
    return this;
  }

  has(name: string): boolean {
    const list = this.names;
    for (let i = 0; i < list.length; i++) if (list[i] === name) return true;
    return false;
  }

  /** `pkt.len`, worked out only when an expression asks. */
  get length(): number {
    if (this.len < 0) this.len = packetLength(this.msg);
    return this.len;
  }

  /** Adds a class; false when the request already had it. */
  add(name: string): boolean {
    if (this.has(name)) return false;
    this.names.push(name);
    this.changed();
    return true;
  }

  changed(): void {
    this.combo = undefined;
  }
}

function evaluate(c: CompiledClientClass, pc: PacketClasses): boolean {
  if (c.test === undefined) return false;
  const needs = c.test.needs;
  const o = pc.msg.options;
  for (let i = 0; i < needs.length; i++) if (!o.hasCode(needs[i]!)) return false;
  const groups = c.test.needsAnyOf;
  for (let g = 0; g < groups.length; g++) {
    const group = groups[g]!;
    let any = false;
    for (let i = 0; i < group.length && !any; i++) any = o.hasCode(group[i]!);
    if (!any) return false;
  }
  try {
    return c.test.evaluate(pc);
  } catch {
    pc.errors++;
    return false;
  }
}

/** A configuration's tests by phase, in configuration order: only classes with a test, made once. */
interface Phases {
  readonly early: readonly CompiledClientClass[];
  readonly late: readonly CompiledClientClass[];
}

const phasesByClasses = new WeakMap<readonly CompiledClientClass[], Phases>();

function phases(classes: readonly CompiledClientClass[]): Phases {
  let p = phasesByClasses.get(classes);
  if (p === undefined) {
    const tested = classes.filter((c) => c.test !== undefined && !c.additionalOnly);
    p = {
      early: tested.filter((c) => !c.dependsOnKnown),
      late: tested.filter((c) => c.dependsOnKnown),
    };
    phasesByClasses.set(classes, p);
  }
  return p;
}

/** Phase 1, before subnet selection. */
export function classifyEarly(config: CompiledConfig, msg: DhcpMessage, meta: Arrival): PacketClasses {
  const pc = new PacketClasses(msg, meta);
  const vendor = msg.options.getRaw(60);
  if (vendor !== undefined && vendor.length > 0) {
    const name = VENDOR_CLASS_PREFIX + binary(vendor);
    if (pc.add(name)) pc.builtin.push(name);
  }
  if (!msg.options.hasCode(53) && pc.add(BOOTP)) pc.builtin.push(BOOTP);
  // Classes given before the engine: HA's scope class (`HA_<server>`), as Kea's HA hook assigns it.
  for (const name of meta.classes ?? []) if (pc.add(name)) pc.builtin.push(name);
  const early = phases(config.clientClasses).early;
  for (let i = 0; i < early.length; i++) {
    const c = early[i]!;
    if (evaluate(c, pc) && pc.add(c.name)) (pc.evaluated ??= []).push(c.name);
  }
  return pc;
}

/** Phase 2, after the host lookup: the reservation's classes, KNOWN/UNKNOWN, the tests that read them. */
export function classifyHost(
  config: CompiledConfig,
  pc: PacketClasses,
  res: CompiledReservation | undefined,
): void {
  if (pc.hostDone) return;
  pc.hostDone = true;
  pc.changed();
  if (res !== undefined && res.clientClasses.length > 0) {
    const host: string[] = [];
    for (const name of res.clientClasses) if (pc.add(name)) host.push(name);
    pc.host = host;
  }
  const known = res === undefined ? UNKNOWN : KNOWN;
  if (pc.add(known)) pc.known = known;
  const late = phases(config.clientClasses).late;
  for (let i = 0; i < late.length; i++) {
    const c = late[i]!;
    if (evaluate(c, pc) && pc.add(c.name)) (pc.late ??= []).push(c.name);
  }
}

/**
 * Phase 3, after allocation: the classes each list names (pool's, then subnet's), in order. A listed
 * class without a test is assigned; one with a test when it matches (Kea's required classes).
 */
export function classifyAdditional(
  config: CompiledConfig,
  pc: PacketClasses,
  lists: readonly (readonly string[])[],
): void {
  for (const list of lists) {
    for (const name of list) {
      if (pc.has(name)) continue;
      const c = config.classesByName.get(name);
      if (c === undefined) continue;
      if ((c.test === undefined || evaluate(c, pc)) && pc.add(name)) (pc.additional ??= []).push(name);
    }
  }
}

/** Whether a subnet or pool admits this request: no gate, or one of its classes matched. */
export function admits(gate: ClassGate, pc: PacketClasses | null): boolean {
  const allowed = gate.allowedClasses;
  if (allowed === undefined) return true;
  if (pc === null) return false;
  for (const name of allowed) if (pc.has(name)) return true;
  return false;
}

export interface BootFields {
  readonly nextServer: number | undefined;
  readonly serverHostname: string | undefined;
  readonly bootFileName: string | undefined;
}

/** What a request's classes imply for its reply. */
export interface ClassDerived {
  /** The defined classes the request is in, in precedence order. */
  readonly defined: readonly CompiledClientClass[];
  /** Their option sets, in the same order, leaving out empty ones. */
  readonly layers: readonly OptionSet[];
  /** siaddr, sname and file from the first class that sets each (over subnet and global values). */
  readonly boot: BootFields;
  /** The first class that sets `valid-lifetime`. */
  readonly lifetimeClass: CompiledClientClass | undefined;
}

/** What one combination of classes implies, shared by every request that has the same classes. */
export interface Combination {
  /** Every class in Kea's option precedence order. */
  readonly ordered: readonly string[];
  readonly derived: ClassDerived;
  /** The classes as the exchange line shows them: without ALL, escaped, cut short. */
  readonly text: string;
  /** The classes a lease keeps (without ALL, every request's). */
  readonly leaseClasses: readonly string[];
  /** A lease's user context with these classes and no relay information, shared (frozen; stores copy it). */
  readonly leaseContext: { readonly ISC: { readonly 'client-classes': readonly string[] } } | null;
}

interface ComboNode {
  next: Map<string, ComboNode> | undefined;
  combo: Combination | undefined;
}

/** Per configuration, a trie of class names in precedence order; bounded, since option 60 names some. */
const combos = new WeakMap<CompiledConfig, { root: ComboNode; size: number }>();
const MAX_COMBINATIONS = 4096;

/** Calls `f` for every class in precedence order: built-in, reservation's, evaluated, KNOWN/UNKNOWN, late, additional. */
function walk(pc: PacketClasses, f: (name: string) => void): void {
  for (const n of pc.builtin) f(n);
  if (pc.host !== null) for (const n of pc.host) f(n);
  if (pc.evaluated !== null) for (const n of pc.evaluated) f(n);
  if (pc.known !== null) f(pc.known);
  if (pc.late !== null) for (const n of pc.late) f(n);
  if (pc.additional !== null) for (const n of pc.additional) f(n);
}

function buildCombination(config: CompiledConfig, ordered: readonly string[]): Combination {
  const defined: CompiledClientClass[] = [];
  const layers: OptionSet[] = [];
  let nextServer: number | undefined;
  let serverHostname: string | undefined;
  let bootFileName: string | undefined;
  let lifetimeClass: CompiledClientClass | undefined;
  for (const name of ordered) {
    const c = config.classesByName.get(name);
    if (c === undefined) continue;
    defined.push(c);
    if (c.validLifetime !== undefined) lifetimeClass ??= c;
    if (c.options.size > 0) layers.push(c.options);
    nextServer ??= c.nextServer;
    serverHostname ??= c.serverHostname;
    bootFileName ??= c.bootFileName;
  }
  const leaseClasses = Object.freeze(ordered.filter((n) => n !== ALL));
  return Object.freeze({
    ordered: Object.freeze([...ordered]),
    derived: Object.freeze({
      defined: Object.freeze(defined),
      layers: Object.freeze(layers),
      boot: Object.freeze({ nextServer, serverHostname, bootFileName }),
      lifetimeClass,
    }),
    text: leaseClasses.map(printableClass).join(', '),
    leaseClasses,
    leaseContext:
      leaseClasses.length === 0
        ? null
        : Object.freeze({ ISC: Object.freeze({ 'client-classes': leaseClasses }) }),
  });
}

/** The request's classes and what they imply; looked up in a per-configuration cache, made at most once. */
export function combination(config: CompiledConfig, pc: PacketClasses): Combination {
  if (pc.combo !== undefined) return pc.combo;
  let cache = combos.get(config);
  if (cache === undefined) {
    cache = { root: { next: undefined, combo: undefined }, size: 0 };
    combos.set(config, cache);
  }
  const c = cache;
  let node: ComboNode | undefined = c.root;
  walk(pc, (name) => {
    if (node === undefined) return;
    let n: ComboNode | undefined = node.next?.get(name);
    if (n === undefined && c.size < MAX_COMBINATIONS) {
      n = { next: undefined, combo: undefined };
      (node.next ??= new Map()).set(name, n);
      c.size++;
    }
    node = n;
  });
  let combo = node?.combo;
  if (combo === undefined) {
    const ordered: string[] = [];
    walk(pc, (name) => ordered.push(name));
    combo = buildCombination(config, ordered);
    if (node !== undefined) node.combo = combo;
  }
  pc.combo = combo;
  return combo;
}

/** A class name as a log shows it: VENDOR_CLASS_ carries the client's option 60, escaped and cut short. */
function printableClass(name: string): string {
  const cut = name.length > 64 ? `${name.slice(0, 64)}...` : name;
  return cut.replace(/[^\x21-\x7e]|\\/g, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

const lifetimesByClass = new WeakMap<Lifetimes, WeakMap<CompiledClientClass, Lifetimes>>();

/** The subnet's lifetimes with a class's `valid-lifetime` (and bounds) over them. */
export function classLifetimes(base: Lifetimes, c: CompiledClientClass | undefined): Lifetimes {
  if (c === undefined || c.validLifetime === undefined) return base;
  let byClass = lifetimesByClass.get(base);
  if (byClass === undefined) {
    byClass = new WeakMap();
    lifetimesByClass.set(base, byClass);
  }
  let l = byClass.get(c);
  if (l === undefined) {
    l = Object.freeze({ ...base, ...c.validLifetime });
    byClass.set(c, l);
  }
  return l;
}
