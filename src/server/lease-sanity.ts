import { cidrContains, ipv4ToInt, isIpv4 } from '../config/ipv4.ts';
import type { LeaseChecks } from '../config/schema-sections.ts';
import type { CompiledConfig, CompiledSubnet } from '../config/types.ts';
import type { Lease } from '../leases/lease.ts';
import type { LeaseStore } from '../leases/store.ts';

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

function subnetOf(config: CompiledConfig, address: string): CompiledSubnet | undefined {
  if (!isIpv4(address)) return undefined;
  const n = ipv4ToInt(address);
  return config.subnets.find((s) => cidrContains(s, n));
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
 * Runs the configured check on the leases loaded at start: one warning line counts the inconsistent ones;
 * fixed subnet ids are written back and deleted leases removed from the store. Returns the leases to load.
 */
export async function applyLeaseChecks(
  config: CompiledConfig,
  leases: readonly Lease[],
  store: Pick<LeaseStore, 'commit' | 'remove'>,
  warn: (fields: Record<string, unknown>, text: string) => void,
): Promise<Lease[]> {
  const mode = leaseChecksOf(config);
  const outcome = checkLoadedLeases(config, leases, mode);
  if (outcome.inconsistent > 0)
    warn(
      { inconsistent: outcome.inconsistent, fixed: outcome.fixed.length, deleted: outcome.deleted.length },
      `sanity-checks (lease-checks ${mode}): ${outcome.inconsistent} loaded lease(s) with a subnet id that does not match their address; ${outcome.fixed.length} fixed, ${outcome.deleted.length} deleted`,
    );
  for (const lease of outcome.fixed) await store.commit(lease, { mode: 'update' });
  for (const lease of outcome.deleted) await store.remove(lease.address);
  return [...outcome.keep];
}
