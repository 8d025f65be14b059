import type { DhcpMessage } from '../protocol/index.ts';
import type { Lease } from '../leases/lease.ts';

/** Who a client is: its client identifier (option 61) when it sent one, else its hardware address (RFC 4361 §6.1). */
export interface ClientIdentity {
  /** Lower-case `aa:bb:cc:dd:ee:ff`. */
  readonly hwAddress: string;
  /** Lower-case colon hex, type byte first, or null. */
  readonly clientId: string | null;
}

export function colonHex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++)
    s += (i === 0 ? '' : ':') + (bytes[i] as number).toString(16).padStart(2, '0');
  return s;
}

export function identify(msg: DhcpMessage): ClientIdentity {
  const hlen = Math.min(msg.hlen, 16);
  const id = msg.options.getRaw(61);
  return {
    hwAddress: colonHex(msg.chaddr.subarray(0, hlen)),
    clientId: id && id.length > 0 ? colonHex(id) : null,
  };
}

/**
 * Whether a lease belongs to this client, the same rule as the lease store's `sameOwner` so the engine
 * and the store's conditional commit never disagree: with `match-client-id` (default), a client identifier
 * on either side decides (RFC 4361 §6.1: the identifier, not chaddr, names the client); otherwise, and
 * when neither has one, the hardware address does.
 */
export function owns(
  lease: Pick<Lease, 'clientId' | 'hwAddress'>,
  id: ClientIdentity,
  matchClientId: boolean,
): boolean {
  if (matchClientId && (lease.clientId !== null || id.clientId !== null))
    return lease.clientId === id.clientId;
  return lease.hwAddress !== '' && lease.hwAddress === id.hwAddress;
}

/** Index keys under which a lease (or an offer) is found for its client, within one subnet. */
export function clientKeys(subnetId: number, hwAddress: string, clientId: string | null): string[] {
  const keys: string[] = [];
  if (clientId !== null) keys.push(`${subnetId}|c:${clientId}`);
  if (hwAddress !== '') keys.push(`${subnetId}|h:${hwAddress}`);
  return keys;
}
