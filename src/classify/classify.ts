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
  /** What the classes imply, worked out when first asked and again after a class is added. */
  derived: ClassDerived | undefined = undefined;
  ordered: string[] | undefined = undefined;
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
    this.derived = undefined;
    this.ordered = undefined;
  }
}

function evaluate(c: CompiledClientClass, pc: PacketClasses): boolean {
  if (c.test === undefined) return false;
  try {
    return c.test.evaluate(pc);
  } catch {
    pc.errors++;
    return false;
  }
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
  for (const c of config.clientClasses) {
    if (c.additionalOnly || c.dependsOnKnown) continue;
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
  for (const c of config.clientClasses) {
    if (c.additionalOnly || !c.dependsOnKnown) continue;
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

/** Every class, in Kea's option precedence order: built-in, host, evaluated, KNOWN-dependent, additional. */
export function orderedClasses(pc: PacketClasses): readonly string[] {
  if (pc.ordered !== undefined) return pc.ordered;
  // The reservation's classes rank before evaluated ones; KNOWN/UNKNOWN and late tests after them.
  const out = pc.builtin.slice();
  if (pc.host !== null) for (const n of pc.host) out.push(n);
  if (pc.evaluated !== null) for (const n of pc.evaluated) out.push(n);
  if (pc.known !== null) out.push(pc.known);
  if (pc.late !== null) for (const n of pc.late) out.push(n);
  if (pc.additional !== null) for (const n of pc.additional) out.push(n);
  pc.ordered = out;
  return out;
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

export function classDerived(config: CompiledConfig, pc: PacketClasses): ClassDerived {
  if (pc.derived !== undefined) return pc.derived;
  const defined: CompiledClientClass[] = [];
  const layers: OptionSet[] = [];
  let nextServer: number | undefined;
  let serverHostname: string | undefined;
  let bootFileName: string | undefined;
  let lifetimeClass: CompiledClientClass | undefined;
  for (const name of orderedClasses(pc)) {
    const c = config.classesByName.get(name);
    if (c === undefined) continue;
    defined.push(c);
    if (c.validLifetime !== undefined) lifetimeClass ??= c;
    if (c.options.size > 0) layers.push(c.options);
    nextServer ??= c.nextServer;
    serverHostname ??= c.serverHostname;
    bootFileName ??= c.bootFileName;
  }
  pc.derived = { defined, layers, boot: { nextServer, serverHostname, bootFileName }, lifetimeClass };
  return pc.derived;
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
