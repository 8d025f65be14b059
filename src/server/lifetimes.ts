import type { Lifetimes } from '../config/index.ts';

export interface LeaseTimes {
  readonly valid: number;
  readonly t1: number | undefined;
  readonly t2: number | undefined;
}

/**
 * The lease time to grant: the client's request (option 51) within `min/max-valid-lifetime`, else
 * `valid-lifetime`. T1/T2 from `renew-timer`/`rebind-timer`, else (calculate-tee-times, on by default
 * here) 50% and 87.5% (RFC 2131 §4.4.5); a timer not below the lease, or T1 not below T2, is left out.
 */
export function leaseTimes(l: Lifetimes, requested: number | undefined): LeaseTimes {
  if (requested !== undefined) return compute(l, requested);
  // Without option 51 the times depend on the configuration alone: one frozen answer per Lifetimes.
  let t = byLifetimes.get(l);
  if (t === undefined) {
    t = Object.freeze(compute(l, undefined));
    byLifetimes.set(l, t);
  }
  return t;
}

const byLifetimes = new WeakMap<Lifetimes, LeaseTimes>();

function compute(l: Lifetimes, requested: number | undefined): LeaseTimes {
  const valid = requested === undefined ? l.valid : Math.min(l.max, Math.max(l.min, requested));
  if (valid === 0xffffffff) return { valid, t1: undefined, t2: undefined };
  let t2 = l.rebindTimer ?? (l.calculateTeeTimes ? Math.floor(valid * l.t2Percent) : undefined);
  let t1 = l.renewTimer ?? (l.calculateTeeTimes ? Math.floor(valid * l.t1Percent) : undefined);
  if (t2 !== undefined && t2 >= valid) t2 = undefined;
  if (t1 !== undefined && (t1 >= valid || (t2 !== undefined && t1 >= t2))) t1 = undefined;
  return { valid, t1, t2 };
}
