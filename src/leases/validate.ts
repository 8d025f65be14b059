import { InvalidLeaseError } from './errors.ts';
import type { Lease, LeaseState } from './lease.ts';
import { LEASE_STATE_CODES } from './lease.ts';
import { parseIpv4 } from './address.ts';

/** Empty (Kea's declined leases carry no hardware address) or 1 to 20 colon-separated octets. */
const HW_ADDRESS = /^(?:[0-9a-f]{2}(?::[0-9a-f]{2}){0,19})?$/;
/** Option 61 is at least 2 octets (type + id) and at most 255. */
const CLIENT_ID = /^[0-9a-f]{2}(?::[0-9a-f]{2}){1,254}$/;
const UINT32_MAX = 0xffffffff;

/**
 * Checks a lease before a write and returns a normalized, frozen copy: hw address and client id lower-cased,
 * user context deep-copied through JSON so every backend stores and returns exactly the same thing.
 */
export function normalizeLease(input: Lease): Lease {
  if (typeof input !== 'object' || input === null) throw new InvalidLeaseError('lease', 'not an object');
  if (typeof input.address !== 'string' || parseIpv4(input.address) === null) {
    throw new InvalidLeaseError(
      'address',
      `not a dotted-quad IPv4 address: ${JSON.stringify(input.address)}`,
    );
  }
  return checkedLease(input);
}

/**
 * `normalizeLease` for a lease a store read back (`rowToLease`), which built its address text from a uint32:
 * the address is not parsed again (a million leases at start-up). Everything else a row holds is checked and
 * copied as `normalizeLease` does, the user context too (`JSON.parse` of text another program may have
 * written can hold what a copy through JSON changes, such as -0 or 1e400).
 */
export function normalizeReadLease(input: Lease): Lease {
  return checkedLease(input);
}

function checkedLease(input: Lease): Lease {
  const hwAddress = lowerCaseMatching(input.hwAddress, HW_ADDRESS);
  if (hwAddress === null) {
    throw new InvalidLeaseError(
      'hwAddress',
      `expected colon hex like aa:bb:cc:dd:ee:ff: ${JSON.stringify(input.hwAddress)}`,
    );
  }
  const clientId = input.clientId === null ? null : lowerCaseMatching(input.clientId, CLIENT_ID);
  if (input.clientId !== null && clientId === null) {
    throw new InvalidLeaseError(
      'clientId',
      `expected null or colon hex of 2-255 octets: ${JSON.stringify(input.clientId)}`,
    );
  }
  checkUint32('subnetId', input.subnetId);
  checkUint32('validLifetime', input.validLifetime);
  checkTime('cltt', input.cltt);
  checkTime('expiresAt', input.expiresAt);
  if (input.hostname !== null && (typeof input.hostname !== 'string' || input.hostname.length > 255)) {
    throw new InvalidLeaseError('hostname', 'expected null or a string of at most 255 characters');
  }
  if (typeof input.state !== 'string' || !Object.hasOwn(LEASE_STATE_CODES, input.state)) {
    throw new InvalidLeaseError(
      'state',
      `expected default, declined or expired-reclaimed: ${JSON.stringify(input.state)}`,
    );
  }
  const userContext = copyUserContext(input.userContext);
  if (input.fqdnFwd !== true && input.fqdnRev !== true) {
    // most leases: no spread objects
    return Object.freeze({
      address: input.address,
      hwAddress,
      clientId,
      subnetId: input.subnetId,
      validLifetime: input.validLifetime,
      cltt: input.cltt,
      expiresAt: input.expiresAt,
      hostname: input.hostname,
      state: input.state,
      userContext,
    });
  }
  return Object.freeze({
    address: input.address,
    hwAddress,
    clientId,
    subnetId: input.subnetId,
    validLifetime: input.validLifetime,
    cltt: input.cltt,
    expiresAt: input.expiresAt,
    hostname: input.hostname,
    ...(input.fqdnFwd === true ? { fqdnFwd: true } : {}),
    ...(input.fqdnRev === true ? { fqdnRev: true } : {}),
    state: input.state,
    userContext,
  });
}

/**
 * The value lower-cased when that matches `pattern` (an ASCII-lower-case one), else null. A value that
 * already matches is returned as it is, without the copy `toLowerCase` makes.
 */
function lowerCaseMatching(value: unknown, pattern: RegExp): string | null {
  if (typeof value !== 'string') return null;
  if (pattern.test(value)) return value;
  const lower = value.toLowerCase();
  return pattern.test(lower) ? lower : null;
}

function checkUint32(field: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > UINT32_MAX) {
    throw new InvalidLeaseError(field, `expected an integer 0..${UINT32_MAX}: ${String(value)}`);
  }
}

function checkTime(field: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new InvalidLeaseError(field, `expected integer milliseconds since the epoch: ${String(value)}`);
  }
}

function copyUserContext(value: unknown): Readonly<Record<string, unknown>> | null {
  if (value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidLeaseError('userContext', 'expected null or a JSON object');
  }
  let json: string;
  try {
    json = JSON.stringify(value);
  } catch (err) {
    throw new InvalidLeaseError('userContext', `not serializable as JSON: ${(err as Error).message}`);
  }
  return JSON.parse(json) as Record<string, unknown>;
}

/** The states by their stored code: a lookup per row, no `Object.entries` array per row (a million at start). */
const STATE_BY_CODE: ReadonlyMap<number, LeaseState> = new Map(
  Object.entries(LEASE_STATE_CODES).map(([state, code]) => [code, state as LeaseState]),
);

/** The state name for a stored state code, or null when the code is unknown. */
export function stateFromCode(code: number): LeaseState | null {
  return STATE_BY_CODE.get(code) ?? null;
}
