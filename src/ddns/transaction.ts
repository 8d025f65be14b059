import {
  aRdata,
  addRecord,
  deleteRecord,
  deleteRrset,
  nameRdata,
  prereq,
  prereqValue,
  Rcode,
  reverseName,
  RRType,
  type ResourceRecord,
} from './wire.ts';

/**
 * The RFC 4703 procedures for one name change, independent of how messages travel: each step is one UPDATE
 * to a zone, and the answer's RCODE picks the next step. Kea's `ddns-conflict-resolution-mode` selects the
 * prerequisites.
 */

export const CONFLICT_MODES = [
  'check-with-dhcid',
  'no-check-with-dhcid',
  'check-exists-with-dhcid',
  'no-check-without-dhcid',
] as const;
export type ConflictMode = (typeof CONFLICT_MODES)[number];

export interface NameChange {
  readonly kind: 'add' | 'remove';
  /** Fully qualified, without the trailing dot. */
  readonly fqdn: string;
  readonly address: string;
  /** RFC 4701 DHCID rdata of the client for this name. */
  readonly dhcid: Uint8Array;
  readonly ttl: number;
  readonly forward: boolean;
  readonly reverse: boolean;
  readonly mode: ConflictMode;
}

/** Sends one UPDATE for a name (the sender finds the zone and servers); resolves with the answer's RCODE. */
export type UpdateSender = (
  direction: 'forward' | 'reverse',
  name: string,
  prerequisites: readonly ResourceRecord[],
  updates: readonly ResourceRecord[],
) => Promise<number>;

/**
 * - `done`: DNS now says what the change asked for;
 * - `conflict`: another client owns the name (RFC 4703 §5.3.1), nothing was changed;
 * - `not-ours`: a removal found records that are not this client's, and left them;
 * - `failed`: a refusal other than a conflict (`rcode`), which retrying is not expected to change.
 */
export type StepOutcome =
  | { readonly result: 'done' | 'conflict' | 'not-ours' | 'skipped' }
  | { readonly result: 'failed'; readonly rcode: number };

export interface ChangeOutcome {
  readonly forward: StepOutcome;
  readonly reverse: StepOutcome;
}

const SKIPPED: StepOutcome = { result: 'skipped' };

function withDhcid(mode: ConflictMode): boolean {
  return mode !== 'no-check-without-dhcid';
}

function dhcidPrereq(c: NameChange): ResourceRecord | undefined {
  if (c.mode === 'check-with-dhcid') return prereqValue(c.fqdn, RRType.DHCID, c.dhcid);
  if (c.mode === 'check-exists-with-dhcid') return prereq('rrset-exists', c.fqdn, RRType.DHCID);
  return undefined;
}

function failed(rcode: number): StepOutcome {
  return { result: 'failed', rcode };
}

/** RFC 4703 §5.3.1 / §5.3.2: claim the name, or update it when our DHCID shows it is ours. */
async function addForward(c: NameChange, send: UpdateSender): Promise<StepOutcome> {
  const a = addRecord(c.fqdn, RRType.A, c.ttl, aRdata(c.address));
  const dhcid = addRecord(c.fqdn, RRType.DHCID, c.ttl, c.dhcid);
  if (c.mode === 'no-check-with-dhcid' || c.mode === 'no-check-without-dhcid') {
    const updates = [deleteRrset(c.fqdn, RRType.A), a];
    if (withDhcid(c.mode)) updates.push(deleteRrset(c.fqdn, RRType.DHCID), dhcid);
    const rcode = await send('forward', c.fqdn, [], updates);
    return rcode === Rcode.NOERROR ? { result: 'done' } : failed(rcode);
  }
  const first = await send('forward', c.fqdn, [prereq('name-not-in-use', c.fqdn)], [a, dhcid]);
  if (first === Rcode.NOERROR) return { result: 'done' };
  if (first !== Rcode.YXDOMAIN) return failed(first);
  const second = await send('forward', c.fqdn, [dhcidPrereq(c)!], [deleteRrset(c.fqdn, RRType.A), a]);
  if (second === Rcode.NOERROR) return { result: 'done' };
  return second === Rcode.NXRRSET ? { result: 'conflict' } : failed(second);
}

/** RFC 4703 §5.5: remove our A record, then the DHCID once no address record is left. */
async function removeForward(c: NameChange, send: UpdateSender): Promise<StepOutcome> {
  const guard = dhcidPrereq(c);
  const first = await send('forward', c.fqdn, guard ? [guard] : [], [
    deleteRecord(c.fqdn, RRType.A, aRdata(c.address)),
  ]);
  if (first === Rcode.NXRRSET) return { result: 'not-ours' };
  if (first !== Rcode.NOERROR) return failed(first);
  if (!withDhcid(c.mode)) return { result: 'done' };
  const empty = [
    prereq('rrset-not-exists', c.fqdn, RRType.A),
    prereq('rrset-not-exists', c.fqdn, RRType.AAAA),
  ];
  const second = await send('forward', c.fqdn, guard ? [guard, ...empty] : empty, [
    deleteRrset(c.fqdn, RRType.DHCID),
  ]);
  // NXRRSET/YXRRSET here: the name still has other addresses, so its DHCID stays.
  return second === Rcode.NOERROR || second === Rcode.NXRRSET || second === Rcode.YXRRSET
    ? { result: 'done' }
    : failed(second);
}

/** RFC 4703 §5.4: the PTR is replaced unconditionally (the address is ours by the lease). */
async function addReverse(c: NameChange, send: UpdateSender): Promise<StepOutcome> {
  const rev = reverseName(c.address);
  const updates = [deleteRrset(rev, RRType.PTR), addRecord(rev, RRType.PTR, c.ttl, nameRdata(c.fqdn))];
  if (withDhcid(c.mode))
    updates.push(deleteRrset(rev, RRType.DHCID), addRecord(rev, RRType.DHCID, c.ttl, c.dhcid));
  const rcode = await send('reverse', rev, [], updates);
  return rcode === Rcode.NOERROR ? { result: 'done' } : failed(rcode);
}

/** Removes the PTR only while it still names this client's FQDN. */
async function removeReverse(c: NameChange, send: UpdateSender): Promise<StepOutcome> {
  const rev = reverseName(c.address);
  const updates = [deleteRrset(rev, RRType.PTR)];
  if (withDhcid(c.mode)) updates.push(deleteRrset(rev, RRType.DHCID));
  const rcode = await send('reverse', rev, [prereqValue(rev, RRType.PTR, nameRdata(c.fqdn))], updates);
  if (rcode === Rcode.NXRRSET) return { result: 'not-ours' };
  return rcode === Rcode.NOERROR ? { result: 'done' } : failed(rcode);
}

/**
 * Runs a change: forward first, then reverse. A forward conflict leaves the PTR alone (RFC 4703 §5.3.1:
 * the name belongs to someone else). Network errors reject, so the queue retries the whole change; every
 * step is idempotent, so a retry after a partial success is safe.
 */
export async function runNameChange(c: NameChange, send: UpdateSender): Promise<ChangeOutcome> {
  if (c.kind === 'add') {
    const forward = c.forward ? await addForward(c, send) : SKIPPED;
    const go = c.reverse && (forward.result === 'done' || forward.result === 'skipped');
    return { forward, reverse: go ? await addReverse(c, send) : SKIPPED };
  }
  const forward = c.forward ? await removeForward(c, send) : SKIPPED;
  const reverse = c.reverse ? await removeReverse(c, send) : SKIPPED;
  return { forward, reverse };
}
