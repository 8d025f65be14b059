import { ipv4ToInt, isIpv4 } from '../config/index.ts';
import type { LeaseChecks } from '../config/index.ts';
import type { CompiledConfig, CompiledSubnet } from '../config/index.ts';
import type { Lease } from '../leases/index.ts';
import type { LeaseStore } from '../leases/index.ts';

/** What Kea's `sanity-checks.lease-checks` does with the leases loaded at start. */
export interface LeaseSanityOutcome {
  /** The leases to load, fixed ones with their corrected subnet id. */
  readonly keep: readonly Lease[];
  /** Leases whose subnet id was corrected (to be written back). */
  readonly fixed: readonly Lease[];
  /** Leases to delete from the store. */
  readonly deleted: readonly Lease[];
  /** Leases found inconsistent (whatever was done with them). */
  readonly inconsistent: number;
}

/** Each configuration's subnets by network (they never overlap: compile refuses it), for a binary search. */
const sortedSubnets = new WeakMap<CompiledConfig, readonly CompiledSubnet[]>();

/**
 * The configured subnet holding `address`: a binary search, since the start-up load asks once per lease
 * and a large site has thousands of subnets (a scan of them per lease made a million leases take minutes).
 */
function subnetOf(config: CompiledConfig, address: string): CompiledSubnet | undefined {
  if (!isIpv4(address)) return undefined;
  const n = ipv4ToInt(address);
  let sorted = sortedSubnets.get(config);
  if (sorted === undefined) {
    sorted = [...config.subnets].sort((a, b) => a.network - b.network);
    sortedSubnets.set(config, sorted);
  }
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = sorted[mid]!;
    if (n < s.network) hi = mid - 1;
    else if (n > s.broadcast) lo = mid + 1;
    else return s;
  }
  return undefined;
}

/**
 * Kea's lease sanity check (ARM "Sanity Checks in DHCPv4"): a lease is inconsistent when its subnet id is
 * not the id of the configured subnet holding its address. `warn` (Kea's default) loads it anyway; `fix`
 * corrects the subnet id when a subnet holds the address, else loads it as is; `fix-del` corrects it or
 * deletes it; `del` deletes it; `none` checks nothing.
 */
export function checkLoadedLeases(
  config: CompiledConfig,
  leases: readonly Lease[],
  mode: LeaseChecks,
): LeaseSanityOutcome {
  if (mode === 'none') return { keep: leases, fixed: [], deleted: [], inconsistent: 0 };
  const keep: Lease[] = [];
  const fixed: Lease[] = [];
  const deleted: Lease[] = [];
  let inconsistent = 0;
  for (const lease of leases) {
    const subnet = subnetOf(config, lease.address);
    if (subnet !== undefined && subnet.id === lease.subnetId) {
      keep.push(lease);
      continue;
    }
    inconsistent++;
    const fixable = subnet !== undefined && (mode === 'fix' || mode === 'fix-del');
    if (fixable) {
      const corrected = Object.freeze({ ...lease, subnetId: subnet.id });
      fixed.push(corrected);
      keep.push(corrected);
    } else if (mode === 'del' || mode === 'fix-del') deleted.push(lease);
    else keep.push(lease);
  }
  return { keep, fixed, deleted, inconsistent };
}

/** The configured `lease-checks` mode (Kea's default: warn). */
export function leaseChecksOf(config: CompiledConfig): LeaseChecks {
  const checks = config.source['sanity-checks']?.['lease-checks'];
  return checks ?? 'warn';
}

/**
 * The configured check over the leases loaded at start, page by page (`filter`), then `finish`: one
 * warning line counts the inconsistent ones; fixed subnet ids are written back and deleted leases removed.
 */
export class LoadedLeaseChecks {
  readonly mode: LeaseChecks;
  private readonly config: CompiledConfig;
  private readonly fixed: Lease[] = [];
  private readonly deleted: Lease[] = [];
  private inconsistent = 0;

  constructor(config: CompiledConfig) {
    this.config = config;
    this.mode = leaseChecksOf(config);
  }

  /** The leases of one page to load. */
  filter(page: readonly Lease[]): readonly Lease[] {
    const outcome = checkLoadedLeases(this.config, page, this.mode);
    this.inconsistent += outcome.inconsistent;
    this.fixed.push(...outcome.fixed);
    this.deleted.push(...outcome.deleted);
    return outcome.keep;
  }

  async finish(
    store: Pick<LeaseStore, 'commit' | 'remove'>,
    warn: (fields: Record<string, unknown>, text: string) => void,
  ): Promise<void> {
    if (this.inconsistent > 0)
      warn(
        { inconsistent: this.inconsistent, fixed: this.fixed.length, deleted: this.deleted.length },
        `sanity-checks (lease-checks ${this.mode}): ${this.inconsistent} loaded lease(s) with a subnet id that does not match their address; ${this.fixed.length} fixed, ${this.deleted.length} deleted`,
      );
    for (const lease of this.fixed) await store.commit(lease, { mode: 'update' });
    for (const lease of this.deleted) await store.remove(lease.address);
  }
}

/** The check over one list of leases: those to load. */
export async function applyLeaseChecks(
  config: CompiledConfig,
  leases: readonly Lease[],
  store: Pick<LeaseStore, 'commit' | 'remove'>,
  warn: (fields: Record<string, unknown>, text: string) => void,
): Promise<Lease[]> {
  const checks = new LoadedLeaseChecks(config);
  const keep = checks.filter(leases);
  await checks.finish(store, warn);
  return [...keep];
}
