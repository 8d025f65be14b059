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
} from '../config/index.ts';
import type { DhcpMessage } from '../protocol/index.ts';
import { BOOTP, KNOWN, UNKNOWN } from './builtin.ts';
import { ClassTrie, Phase, type ClassNode, type Combination } from './class-trie.ts';
import type { ClassMembership, EvalPacket } from './packet.ts';
import { mayMatch, TestPlan, type PlannedTest } from './test-plan.ts';
import { VendorNames } from './vendor-names.ts';

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

/** What one configuration classifies with: its tests laid out once, and the trie of its class sets. */
export class Classifier {
  readonly plan: TestPlan;
  readonly trie: ClassTrie;
  readonly vendorNames = new VendorNames();
  /** The configuration it belongs to (a WeakMap value may hold its key: no leak). */
  readonly config: CompiledConfig | undefined;
  constructor(classes: readonly CompiledClientClass[], config?: CompiledConfig) {
    this.plan = new TestPlan(classes);
    this.trie = new ClassTrie(this.plan.slots);
    this.config = config;
  }
}

const classifiers = new WeakMap<CompiledConfig, Classifier>();

/**
 * The classifier most requests use (one WeakMap lookup less each). Held weakly: after a reload the
 * previous configuration's classifier (its trie and every cached combination) is freed with the
 * configuration, not kept until the next request.
 */
let lastClassifier: WeakRef<Classifier> | undefined;

/** The classifier of `config`, made on first use. */
function classifierOf(config: CompiledConfig): Classifier {
  const last = lastClassifier?.deref();
  if (last !== undefined && last.config === config) return last;
  let c = classifiers.get(config);
  if (c === undefined) {
    c = new Classifier(config.clientClasses, config);
    classifiers.set(config, c);
  }
  lastClassifier = new WeakRef(c);
  return c;
}

/** For requests read outside a configuration's classification (a flex-id expression): ALL only. */
const STANDALONE = new Classifier([]);

/**
 * The classes of one request and the request as expressions read it (`has` is what `member()` and the
 * subnet and pool gates ask). The classes are a node of the configuration's trie: adding one moves to
 * a child node, so nothing is allocated per class once a combination has been seen.
 */
export class PacketClasses implements EvalPacket {
  readonly msg: DhcpMessage;
  readonly iface: string;
  readonly src: string;
  private readonly meta: Arrival;
  readonly classifier: Classifier;
  /** The classes so far. */
  node: ClassNode;
  /** The request's options as bits of the configuration's test plan. */
  readonly optionMask: number;
  /** Whether `classifyHost` ran. */
  hostDone = false;
  /** Tests that failed to evaluate (Kea's EvalTypeError): the class was not assigned. */
  errors = 0;
  private len = -1;

  constructor(msg: DhcpMessage, meta: Arrival, classifier: Classifier = STANDALONE) {
    this.msg = msg;
    this.iface = meta.interface;
    this.src = meta.sourceAddress;
    this.meta = meta;
    this.classifier = classifier;
    this.node = classifier.trie.root;
    this.optionMask = classifier.plan.optionMask(msg.options);
  }

  get classes(): ClassMembership {
    return this;
  }

  /** `pkt.dst`: where the request was sent. */
  get dst(): string {
    const meta = this.meta;
    return meta.broadcast === true ? '255.255.255.255' : (meta.interfaceAddresses[0]?.address ?? '0.0.0.0');
  }

  has(name: string): boolean {
    return this.node.members.has(name);
  }

  /** `pkt.len`, worked out only when an expression asks. */
  get length(): number {
    if (this.len < 0) this.len = packetLength(this.msg);
    return this.len;
  }

  /** Adds a class in a phase; false when the request already had it. */
  add(name: string, phase: Phase): boolean {
    const node = this.node;
    if (node.members.has(name)) return false;
    this.node = node.child(name, phase);
    return true;
  }
}

/** Adds a numbered step's class (see `ClassNode.step`). */
function addStep(pc: PacketClasses, slot: number, name: string, phase: Phase): void {
  pc.node = pc.node.step(slot, name, phase);
}

/** A test's verdict for this request: false unevaluated when its options are absent, false when it fails. */
function matches(t: PlannedTest, pc: PacketClasses): boolean {
  if (!mayMatch(t, pc.optionMask, pc.msg.options)) return false;
  try {
    return t.evaluate(pc);
  } catch {
    pc.errors++;
    return false;
  }
}

/** Runs one phase's tests in configuration order, each seeing the classes the earlier ones added. */
function runPhase(tests: readonly PlannedTest[], pc: PacketClasses, phase: Phase): void {
  for (let i = 0; i < tests.length; i++) {
    const t = tests[i]!;
    if (matches(t, pc)) addStep(pc, t.slot, t.name, phase);
  }
}

const NO_NAMES: readonly string[] = [];

/** Phase 1, before subnet selection. */
export function classifyEarly(config: CompiledConfig, msg: DhcpMessage, meta: Arrival): PacketClasses {
  const pc = new PacketClasses(msg, meta, classifierOf(config));
  const vendor = msg.options.getRaw(60);
  if (vendor !== undefined && vendor.length > 0)
    pc.add(pc.classifier.vendorNames.nameOf(vendor), Phase.builtin);
  if (!msg.options.hasCode(53)) pc.add(BOOTP, Phase.builtin);
  // Classes given before the engine: HA's scope class (`HA_<server>`), as Kea's HA hook assigns it.
  const given = meta.classes ?? NO_NAMES;
  for (let i = 0; i < given.length; i++) pc.add(given[i]!, Phase.builtin);
  runPhase(pc.classifier.plan.early, pc, Phase.evaluated);
  return pc;
}

/** Phase 2, after the host lookup: the reservation's classes, KNOWN/UNKNOWN, the tests that read them. */
export function classifyHost(
  _config: CompiledConfig,
  pc: PacketClasses,
  res: CompiledReservation | undefined,
): void {
  if (pc.hostDone) return;
  pc.hostDone = true;
  if (res !== undefined) {
    const host = res.clientClasses;
    for (let i = 0; i < host.length; i++) pc.add(host[i]!, Phase.host);
  }
  const plan = pc.classifier.plan;
  if (res === undefined) addStep(pc, plan.unknownSlot, UNKNOWN, Phase.known);
  else addStep(pc, plan.knownSlot, KNOWN, Phase.known);
  runPhase(pc.classifier.plan.late, pc, Phase.late);
}

/**
 * Phase 3, after allocation: the classes a list names (the pool's, then the subnet's: one call each), in
 * order. A listed class without a test is assigned; one with a test when it matches (Kea's required
 * classes).
 */
export function classifyAdditional(config: CompiledConfig, pc: PacketClasses, list: readonly string[]): void {
  const tests = pc.classifier.plan.byName;
  for (let i = 0; i < list.length; i++) {
    const name = list[i]!;
    if (pc.has(name) || !config.classesByName.has(name)) continue;
    const t = tests.get(name);
    if (t === undefined || matches(t, pc)) pc.add(name, Phase.additional);
  }
}

/** Whether a subnet or pool admits this request: no gate, or one of its classes matched. */
export function admits(gate: ClassGate, pc: PacketClasses | null): boolean {
  const allowed = gate.allowedClasses;
  if (allowed === undefined) return true;
  if (pc === null) return false;
  for (let i = 0; i < allowed.length; i++) if (pc.has(allowed[i]!)) return true;
  return false;
}

/** The request's classes and what they imply: made once per combination and configuration. */
export function combination(config: CompiledConfig, pc: PacketClasses): Combination {
  return pc.node.combo ?? pc.node.combination(config);
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
