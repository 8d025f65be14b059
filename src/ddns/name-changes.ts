import type { Lease, LeaseChange } from '../leases/index.ts';

/** A lease whose name this server keeps in DNS. */
export function named(l: Lease | null | undefined): l is Lease {
  return (
    l !== null &&
    l !== undefined &&
    l.state === 'default' &&
    l.hostname !== null &&
    (l.fqdnFwd === true || l.fqdnRev === true)
  );
}

/**
 * Kea's rules (dhcp4-srv "When does the server generate a DDNS request"): a new named lease adds; a renewal
 * whose name changed removes the old and adds the new; RELEASE, expiry, decline and `lease4-del` remove.
 */
export function changesFor(
  change: Pick<LeaseChange, 'kind' | 'lease' | 'previous'>,
): { kind: 'add' | 'remove'; lease: Lease }[] {
  const out: { kind: 'add' | 'remove'; lease: Lease }[] = [];
  if (change.kind === 'removed') {
    if (named(change.lease)) out.push({ kind: 'remove', lease: change.lease });
    return out;
  }
  const prev = change.previous;
  const cur = change.lease;
  const prevNamed = named(prev) && prev.expiresAt > cur.cltt - 1;
  const same =
    prevNamed &&
    named(cur) &&
    prev.hostname === cur.hostname &&
    prev.address === cur.address &&
    prev.fqdnFwd === cur.fqdnFwd &&
    prev.fqdnRev === cur.fqdnRev;
  if (same) return out;
  if (named(prev)) out.push({ kind: 'remove', lease: prev });
  if (named(cur)) out.push({ kind: 'add', lease: cur });
  return out;
}
