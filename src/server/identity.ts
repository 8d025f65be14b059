import { PacketClasses, type Arrival, type CompiledString } from '../classify/index.ts';
import { definitionNamed, relayAgentInfo, type DhcpMessage } from '../protocol/index.ts';
import type { Lease } from '../leases/index.ts';
import { subnetTable, type IdentityTable } from './number-table.ts';

/** Who a client is: its client identifier (option 61) when it sent one, else its hardware address (RFC 4361 §6.1). */
export interface ClientIdentity {
  /** Lower-case `aa:bb:cc:dd:ee:ff`. */
  readonly hwAddress: string;
  /** Lower-case colon hex, type byte first, or null. */
  readonly clientId: string | null;
  /** RFC 4361: the DUID inside a client identifier of type 255 (after the 4-byte IAID), colon hex. */
  readonly duid?: string | null;
  /** The relay agent's circuit id (RFC 3046 sub-option 1 of option 82), colon hex. */
  readonly circuitId?: string | null;
  /** The flex_id hook's identifier for this request (its expression's bytes), colon hex. */
  readonly flexId?: string | null;
}

const AGENT_OPT = definitionNamed('dhcp-agent-options');

/** RFC 4361 §6.1: type 255, a 4-byte IAID, then the DUID (Kea's `duid` host identifier). */
function duidOf(clientId: Uint8Array | undefined): string | null {
  return clientId !== undefined && clientId.length > 5 && clientId[0] === 0xff ? colonHex(clientId, 5) : null;
}

/** Character codes of the lower-case hex digits. */
const DIGITS: readonly number[] = Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
const COLON = 0x3a;
/** Character codes of the text being built, reused: this runs for every packet. */
const chars: number[] = [];

/**
 * Lower-case colon hex of `bytes[start..end)`, built as one string from its character codes: joining the
 * pairs one by one made a string per step, and taking a view of the range made a typed array.
 */
export function colonHex(bytes: Uint8Array, start = 0, end = bytes.length): string {
  const n = Math.min(end, bytes.length) - start;
  if (n <= 0) return '';
  chars.length = n * 3 - 1;
  for (let i = 0, k = 0; i < n; i++) {
    const v = bytes[start + i] as number;
    if (i > 0) chars[k++] = COLON;
    chars[k++] = DIGITS[v >> 4] as number;
    chars[k++] = DIGITS[v & 15] as number;
  }
  return String.fromCharCode.apply(null, chars);
}

/** The message's hardware address as text (chaddr up to hlen, at most 16 octets); '' without one. */
export function hwAddressOf(msg: DhcpMessage): string {
  return colonHex(msg.chaddr, 0, Math.min(msg.hlen, 16));
}

export function identify(msg: DhcpMessage): ClientIdentity {
  const id = msg.options.getRaw(61);
  return {
    hwAddress: hwAddressOf(msg),
    clientId: id && id.length > 0 ? colonHex(id) : null,
    duid: duidOf(id),
    circuitId: circuitIdOf(msg),
  };
}

function circuitIdOf(msg: DhcpMessage): string | null {
  if (msg.giaddr === '0.0.0.0') return null;
  const list = msg.options.getBy(AGENT_OPT);
  const circuit = list ? relayAgentInfo(list).circuitId : undefined;
  return circuit !== undefined && circuit.length > 0 ? colonHex(circuit) : null;
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

/** A key that stands for an identity text in a map: a number for the common forms, else the text itself. */
export type IdentityKey = number | string;

/** 0-15 for a lower-case hex digit, else -1 (upper case is not the canonical form). */
export function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return -1;
}

/** The 6 octets of canonical colon hex at `at` of `text` as one 48-bit number (exact in a double), or -1. */
function sixOctets(text: string, at: number): number {
  let v = 0;
  for (let i = 0; i < 6; i++) {
    const p = at + i * 3;
    const hi = hexDigit(text.charCodeAt(p));
    const lo = hexDigit(text.charCodeAt(p + 1));
    if (hi < 0 || lo < 0 || (i < 5 && text.charCodeAt(p + 2) !== 0x3a)) return -1;
    v = v * 256 + hi * 16 + lo;
  }
  return v;
}

/**
 * The last text each key function was asked for and its key. One exchange asks for the same client's keys
 * about nine times (its lease, its offer, the pool's offer table, the grant), each a parse of 17 or 20
 * characters; a text compares equal to itself at once.
 */
interface LastKey {
  text: string;
  key: IdentityKey;
}
const lastHw: LastKey = { text: '', key: '' };
const lastClientId: LastKey = { text: '', key: '' };

/**
 * A hardware address as a map key: an Ethernet address (6 octets, lower-case colon hex) as its number, any
 * other text as itself. One-to-one, so two addresses never share a key; a number key costs a tenth of what
 * its 17-character string does in a map of a million clients.
 */
export function hwKey(hwAddress: string): IdentityKey {
  if (hwAddress === lastHw.text) return lastHw.key;
  const key = parseHwKey(hwAddress);
  lastHw.text = hwAddress;
  lastHw.key = key;
  return key;
}

/** `hwKey` without keeping the text: for a bulk load, where every text is new and the comparison is waste. */
export function parseHwKey(hwAddress: string): IdentityKey {
  if (hwAddress.length !== 17) return hwAddress;
  const v = sixOctets(hwAddress, 0);
  return v < 0 ? hwAddress : v;
}

/**
 * A client identifier as a map key: the common `01:` + Ethernet address form (RFC 2132 §9.14, type 1) as the
 * address's number, any other text as itself. One-to-one within client identifiers (not across kinds: keep
 * hardware addresses and client identifiers in separate maps).
 */
export function clientIdKey(clientId: string): IdentityKey {
  if (clientId === lastClientId.text) return lastClientId.key;
  const key = parseClientIdKey(clientId);
  lastClientId.text = clientId;
  lastClientId.key = key;
  return key;
}

/** `clientIdKey` without keeping the text (a bulk load). */
export function parseClientIdKey(clientId: string): IdentityKey {
  if (clientId.length !== 20 || !clientId.startsWith('01:')) return clientId;
  const v = sixOctets(clientId, 3);
  return v < 0 ? clientId : v;
}

/**
 * Where each client's lease (or offer) is, within one subnet: by client identifier and by hardware address
 * (an empty hardware address is not a key). Two maps per subnet instead of joined string keys, so a lookup
 * builds no string; addresses are kept as `addr | 0`, small integers rather than boxed numbers, and
 * identities by `hwKey` and `clientIdKey`, so that the map does not keep a string per client.
 */
export class ClientMap {
  private readonly byClientId = new Map<number, IdentityTable>();
  private readonly byHwAddress = new Map<number, IdentityTable>();

  clear(): void {
    this.byClientId.clear();
    this.byHwAddress.clear();
  }

  byId(subnetId: number, clientId: string): number | undefined {
    const a = this.byClientId.get(subnetId)?.get(clientIdKey(clientId));
    return a === undefined ? undefined : a >>> 0;
  }

  byHw(subnetId: number, hwAddress: string): number | undefined {
    if (hwAddress === '') return undefined;
    const a = this.byHwAddress.get(subnetId)?.get(hwKey(hwAddress));
    return a === undefined ? undefined : a >>> 0;
  }

  /** Files `addr` under the client's identifier (when it has one) and hardware address (when not empty). */
  set(subnetId: number, hwAddress: string, clientId: string | null, addr: number): void {
    this.setKeys(subnetId, hwKey(hwAddress), clientId === null ? null : clientIdKey(clientId), addr);
  }

  /** `set` for a caller that has the keys already (`hwKey`, `clientIdKey`): each identity parsed once. */
  setKeys(subnetId: number, hw: IdentityKey, clientId: IdentityKey | null, addr: number): void {
    if (clientId !== null) subnetTable(this.byClientId, subnetId).set(clientId, addr | 0);
    if (hw !== '') subnetTable(this.byHwAddress, subnetId).set(hw, addr | 0);
  }

  /** Forgets the client's keys that still point at `addr`. */
  deleteIf(subnetId: number, hwAddress: string, clientId: string | null, addr: number): void {
    if (clientId !== null) {
      const m = this.byClientId.get(subnetId);
      const key = clientIdKey(clientId);
      if (m !== undefined && m.get(key) === (addr | 0)) m.delete(key);
    }
    if (hwAddress !== '') {
      const m = this.byHwAddress.get(subnetId);
      const key = hwKey(hwAddress);
      if (m !== undefined && m.get(key) === (addr | 0)) m.delete(key);
    }
  }
}

/** The inner map of `maps` for `subnetId`, created empty on first use. */
export function subnetMap<K, V>(maps: Map<number, Map<K, V>>, subnetId: number): Map<K, V> {
  let m = maps.get(subnetId);
  if (m === undefined) {
    m = new Map();
    maps.set(subnetId, m);
  }
  return m;
}

/**
 * Kea's flex_id hook: the request's identifier is what `expression` yields for it (empty, or an
 * expression that cannot be evaluated for this packet: no flex-id), at most 128 bytes as Kea's host
 * identifiers are.
 */
export function flexIdOf(expression: CompiledString, msg: DhcpMessage, meta: Arrival): string | null {
  let value: string;
  try {
    value = expression.evaluate(new PacketClasses(msg, meta));
  } catch {
    return null;
  }
  if (value === '' || value.length > 128) return null;
  return colonHex(Buffer.from(value, 'latin1'));
}
