/**
 * A configuration's class tests, laid out once for a loop that runs them all: the options each test
 * needs become bits of one mask, so a request's options are looked at once and a test whose options are
 * absent costs an AND and a compare, not a call.
 */
import type { CompiledClientClass } from '../config/index.ts';
import type { DhcpOptions } from '../protocol/index.ts';
import type { BoolFn } from './expression.ts';

/** One class's test as the loop runs it (every test has this one shape, so the loop's reads stay monomorphic). */
export interface PlannedTest {
  readonly name: string;
  /** Its number among the plan's tests: the trie caches where adding its class leads. */
  readonly slot: number;
  readonly evaluate: BoolFn;
  /** Options, as bits, that must all be present. */
  readonly needMask: number;
  /** Groups of options, as bits, of which one each must be present. */
  readonly anyMasks: readonly number[];
  /** Needed options that got no bit (a configuration reading more than MASK_BITS options). */
  readonly needCodes: readonly number[];
  readonly anyCodes: readonly (readonly number[])[];
}

/** Bits of a small integer, so masks stay V8 small integers. */
const MASK_BITS = 30;

export class TestPlan {
  /** Option code to its bit (0: none). */
  private readonly bitOf = new Int32Array(256);
  /** Tests without KNOWN/UNKNOWN, in configuration order (before subnet selection). */
  readonly early: readonly PlannedTest[];
  /** Tests that read KNOWN/UNKNOWN (after the host lookup). */
  readonly late: readonly PlannedTest[];
  /** Every test by class name (additional classes run theirs by name). */
  readonly byName: ReadonlyMap<string, PlannedTest>;
  /** The step numbers of KNOWN and UNKNOWN, after the tests'; `slots` is how many there are. */
  readonly knownSlot: number;
  readonly unknownSlot: number;
  readonly slots: number;

  constructor(classes: readonly CompiledClientClass[]) {
    let bits = 0;
    const bit = (code: number): number => {
      if (this.bitOf[code] === 0 && bits < MASK_BITS) this.bitOf[code] = 1 << bits++;
      return this.bitOf[code]!;
    };
    const byName = new Map<string, PlannedTest>();
    const early: PlannedTest[] = [];
    const late: PlannedTest[] = [];
    for (const c of classes) {
      if (c.test === undefined) continue;
      let needMask = 0;
      const needCodes: number[] = [];
      for (const code of c.test.needs) {
        const b = bit(code);
        if (b === 0) needCodes.push(code);
        else needMask |= b;
      }
      const anyMasks: number[] = [];
      const anyCodes: (readonly number[])[] = [];
      for (const group of c.test.needsAnyOf) {
        const groupBits = group.map(bit);
        if (groupBits.includes(0)) anyCodes.push(group);
        else anyMasks.push(groupBits.reduce((m, b) => m | b, 0));
      }
      const t: PlannedTest = {
        slot: byName.size,
        name: c.name,
        evaluate: c.test.evaluate,
        needMask,
        anyMasks,
        needCodes,
        anyCodes,
      };
      byName.set(c.name, t);
      if (c.additionalOnly) continue;
      (c.dependsOnKnown ? late : early).push(t);
    }
    this.early = early;
    this.late = late;
    this.byName = byName;
    this.knownSlot = byName.size;
    this.unknownSlot = byName.size + 1;
    this.slots = byName.size + 2;
  }

  /** The bits of the options a request carries. */
  optionMask(o: DhcpOptions): number {
    let mask = 0;
    const bitOf = this.bitOf;
    for (let i = 0; i < o.size; i++) mask |= bitOf[o.codeAt(i)]!;
    return mask;
  }
}

/** Whether the request has what `t` needs to be true; false means the test is false unevaluated. */
export function mayMatch(t: PlannedTest, mask: number, o: DhcpOptions): boolean {
  if ((mask & t.needMask) !== t.needMask) return false;
  const any = t.anyMasks;
  for (let i = 0; i < any.length; i++) if ((mask & any[i]!) === 0) return false;
  const codes = t.needCodes;
  for (let i = 0; i < codes.length; i++) if (!o.hasCode(codes[i]!)) return false;
  const groups = t.anyCodes;
  for (let g = 0; g < groups.length; g++) {
    const group = groups[g]!;
    let found = false;
    for (let i = 0; i < group.length && !found; i++) found = o.hasCode(group[i]!);
    if (!found) return false;
  }
  return true;
}
