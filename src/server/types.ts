import type { DhcpMessage } from '../protocol/index.ts';
import type { Lease } from '../leases/index.ts';

/** An address of a local interface, as the runtime reports it. */
export interface InterfaceAddress {
  readonly address: string;
  readonly prefixLength: number;
}

/** Where and how a request arrived; the runtime fills this from the transport. */
export interface ArrivalMeta {
  /** Name of the receiving interface, e.g. `eth0`. */
  readonly interface: string;
  /** The interface's IPv4 addresses (for subnet selection and our server identifier). */
  readonly interfaceAddresses: readonly InterfaceAddress[];
  readonly sourceAddress: string;
  readonly sourcePort: number;
  /** True when the datagram was addressed to a broadcast address (tells REBINDING from RENEWING). */
  readonly broadcast?: boolean;
  /**
   * Classes the query was given before the engine (HA's `HA_<server>` scope class): a pool with a
   * `client-class` hands new addresses only to queries of that class.
   */
  readonly classes?: readonly string[];
}

/**
 * Where a reply goes (RFC 2131 §4.1). `link-unicast` means "IP to yiaddr, Ethernet to mac": the transport
 * does it with a packet socket; a transport that cannot falls back to broadcast.
 */
export type ReplyDestination =
  | { readonly kind: 'relay'; readonly address: string; readonly port: 67 }
  | { readonly kind: 'unicast'; readonly address: string; readonly port: 68 }
  | { readonly kind: 'broadcast'; readonly address: '255.255.255.255'; readonly port: 68 }
  | { readonly kind: 'link-unicast'; readonly address: string; readonly mac: string; readonly port: 68 };

export interface OutgoingReply {
  readonly message: DhcpMessage;
  readonly destination: ReplyDestination;
  /** Send it out of this interface (the one the request came in on). */
  readonly interface: string;
  /** The client's maximum DHCP message size (option 57, at least 576): pass to `encodeMessage`. */
  readonly maxSize: number;
}

/**
 * A lease write the runtime must make durable before sending the replies that depend on it; each maps to
 * one `LeaseStore` call, with the engine's `now`:
 * - `claim`: `store.commit(lease, { mode: 'claim', now, matchClientId })`: refused ("conflict") when another client holds
 *   the address; then call `commitFailed(token, now, result.holder)`.
 * - `decline`: `store.markDeclined(address, probationSeconds, { now })` (RFC 2131 §4.3.3).
 * - `reclaim`: `store.reclaim(address, { remove, now })` (expiry; a lease renewed meanwhile is left alone).
 */
export type LeaseWrite =
  | { readonly op: 'claim'; readonly lease: Lease; readonly matchClientId: boolean }
  | { readonly op: 'decline'; readonly address: string; readonly probationSeconds: number }
  | { readonly op: 'reclaim'; readonly address: string; readonly remove: boolean };

export interface PendingCommit {
  /** Hand back to `commitSucceeded` / `commitFailed`. */
  readonly token: number;
  readonly writes: readonly LeaseWrite[];
}

/** One readable line per exchange plus its fields, for logs, statistics and the event API. */
export interface ExchangeEvent {
  readonly type: 'exchange';
  /** The log line; '' when the engine was told nobody reads it (`describeExchangesWhen`). */
  readonly text: string;
  readonly request: string;
  readonly reply: string | null;
  readonly address: string | null;
  readonly hwAddress: string;
  readonly clientId: string | null;
  readonly hostname: string | null;
  readonly interface: string;
  readonly subnetId: number | null;
  /** Why there was no reply or a NAK, in words. */
  readonly reason: string | null;
  /**
   * Where the reply went, in words: `link-layer unicast to aa:bb:.. (198.18.0.10)`, `relay 198.18.1.1:67`;
   * null without a reply, or when nobody reads it (as `text`).
   */
  readonly destination: string | null;
  /**
   * Set when the request was dropped as junk (malformed, or for no subnet served here): its category,
   * without the per-packet details. The runtime logs these at debug and counts them in one line per interval.
   */
  readonly junk?: string;
  /** The request's classes in precedence order (Kea's client classification); null without classes. */
  readonly classes: readonly string[] | null;
}

export type EngineEvent = ExchangeEvent;

/** The request behind a lease event, as Kea's hooks see it. */
export interface LeaseEventQuery {
  readonly message: DhcpMessage;
  readonly meta: ArrivalMeta;
}

/**
 * A lease change the store has made durable, named by Kea's hook point (for `libdhcp_run_script.so`):
 * a renewal of the client's own lease (`lease4_renew`, then `leases4_committed`), any granted lease
 * (`leases4_committed`, with the client's previous lease it gave up), a DHCPRELEASE, a DHCPDECLINE.
 */
export type LeaseEvent =
  | {
      readonly hook: 'lease4_renew';
      readonly query: LeaseEventQuery;
      readonly lease: Lease;
      readonly subnet: { readonly id: number; readonly prefix: string };
    }
  | {
      readonly hook: 'leases4_committed';
      readonly query: LeaseEventQuery;
      readonly leases: readonly Lease[];
      readonly deleted: readonly Lease[];
    }
  | {
      readonly hook: 'lease4_release' | 'lease4_decline';
      readonly query: LeaseEventQuery;
      readonly lease: Lease;
    };

/**
 * The engine's answer to one input. Send `replies` now; if `commit` is set, commit its changes to the
 * store and then call `commitSucceeded(token)` or `commitFailed(token)`, whose output may hold the
 * replies that waited for the commit (and, after a failure, possibly a new commit).
 */
export interface EngineOutput {
  readonly replies: readonly OutgoingReply[];
  readonly commit: PendingCommit | null;
  readonly events: readonly EngineEvent[];
}

export const NO_OUTPUT: EngineOutput = Object.freeze({ replies: [], commit: null, events: [] });
