/**
 * A request's classes as a node of a per-configuration trie: each node is one sequence of classes in
 * the order they were assigned, with its membership set and, once asked, what the combination implies
 * (option layers, boot fields, log text, lease context). Requests with the same classes share a node, so
 * classifying one allocates no list, and a combination is worked out once per configuration.
 */
import type { CompiledClientClass, CompiledConfig, OptionSet } from '../config/index.ts';
import { ALL } from './builtin.ts';

/**
 * When a class was assigned, in Kea's option precedence rank (ARM "Classification Overview"): the
 * reservation's classes come before the evaluated ones although they are assigned after them.
 */
export const Phase = { builtin: 0, host: 1, evaluated: 2, known: 3, late: 4, additional: 5 } as const;
export type Phase = (typeof Phase)[keyof typeof Phase];
const PHASES = 6;

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

/**
 * A reply's option layers for a combination of classes, valid while the reply's pool (or subnet) and the
 * global and subnet option sets are these.
 */
export interface ReplyMemo {
  readonly owner: object;
  readonly global: OptionSet;
  readonly subnet: OptionSet;
  readonly layers: readonly OptionSet[];
  readonly boot: BootFields;
}

/**
 * Nodes one configuration keeps at most: VENDOR_CLASS_ names carry client bytes, so a flood of made-up
 * option 60 values must not grow the trie without bound. When it is full the trie starts over, empty:
 * a flood costs rebuilding the combinations in use, never memory, and does not leave later clients'
 * combinations uncached for good.
 */
export const MAX_NODES = 4096;

/** The trie of one configuration: its root (ALL), how many nodes it keeps, and how often it started over. */
export class ClassTrie {
  root: ClassNode;
  size = 1;
  generation = 0;
  /** How many numbered steps a node may cache (`ClassNode.step`). */
  readonly slots: number;
  constructor(slots = 0) {
    this.slots = slots;
    this.root = this.newRoot();
  }

  /** Drops every node: requests in flight keep theirs (no longer reachable from the root). */
  restart(): void {
    this.generation++;
    this.size = 1;
    this.root = this.newRoot();
  }

  private newRoot(): ClassNode {
    return new ClassNode(this, null, ALL, Phase.builtin, new Set([ALL]), this.generation);
  }
}

export class ClassNode {
  readonly trie: ClassTrie;
  readonly parent: ClassNode | null;
  readonly name: string;
  readonly phase: Phase;
  /** Every class of the sequence: what `member()` and the subnet and pool gates ask. */
  readonly members: ReadonlySet<string>;
  /** The trie's generation this node belongs to (the nodes of an earlier one keep no children). */
  private readonly generation: number;
  /** Kept children, by the phase of the class added, then its name. */
  private next: (Map<string, ClassNode> | undefined)[] | undefined = undefined;
  /** Where each numbered step leads from here (itself when the class is already in), once taken. */
  private steps: (ClassNode | undefined)[] | undefined = undefined;
  combo: Combination | undefined = undefined;
  /** What the engine last worked out for a reply to these classes (server/class-scope.ts). */
  replyMemo: ReplyMemo | undefined = undefined;

  constructor(
    trie: ClassTrie,
    parent: ClassNode | null,
    name: string,
    phase: Phase,
    members: ReadonlySet<string>,
    generation: number,
  ) {
    this.trie = trie;
    this.parent = parent;
    this.name = name;
    this.phase = phase;
    this.members = members;
    this.generation = generation;
  }

  /** The node with `name` added in `phase`; the caller checked that the sequence does not have it. */
  child(name: string, phase: Phase): ClassNode {
    const byPhase = this.next?.[phase];
    const known = byPhase?.get(name);
    if (known !== undefined) return known;
    const trie = this.trie;
    const members = new Set(this.members).add(name);
    const node = new ClassNode(trie, this, name, phase, members, this.generation);
    if (this.generation !== trie.generation) return node;
    if (trie.size >= MAX_NODES) {
      trie.restart();
      return node;
    }
    trie.size++;
    const next = (this.next ??= new Array<Map<string, ClassNode> | undefined>(PHASES).fill(undefined));
    (next[phase] ??= new Map()).set(name, node);
    return node;
  }

  /**
   * The node with `name` added in `phase` (this node when it has it already), for a step the caller
   * numbered (a test of one phase, KNOWN, UNKNOWN): taken again, it is one array read, no hashing.
   */
  step(slot: number, name: string, phase: Phase): ClassNode {
    const cached = this.steps?.[slot];
    if (cached !== undefined) return cached;
    const next = this.members.has(name) ? this : this.child(name, phase);
    const trie = this.trie;
    // Only a node of the current generation keeps steps (a full trie that started over keeps none).
    if (this.generation === trie.generation && slot < trie.slots)
      (this.steps ??= new Array<ClassNode | undefined>(trie.slots).fill(undefined))[slot] = next;
    return next;
  }

  /** The classes in Kea's precedence order: by phase rank, each phase in the order assigned. */
  ordered(): string[] {
    const chain: ClassNode[] = [this];
    for (let n = this.parent; n !== null; n = n.parent) chain.push(n);
    chain.reverse();
    const out: string[] = [];
    for (let phase = 0; phase < PHASES; phase++)
      for (const n of chain) if (n.phase === phase) out.push(n.name);
    return out;
  }

  /** What these classes imply, worked out the first time it is asked. */
  combination(config: CompiledConfig): Combination {
    return (this.combo ??= buildCombination(config, this.ordered()));
  }
}

/** A class name as a log shows it: VENDOR_CLASS_ carries the client's option 60, escaped and cut short. */
function printableClass(name: string): string {
  const cut = name.length > 64 ? `${name.slice(0, 64)}...` : name;
  return cut.replace(/[^\x21-\x7e]|\\/g, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
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
