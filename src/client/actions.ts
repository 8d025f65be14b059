import type { DhcpMessage } from '../protocol/index.ts';
import type { ClientLease } from './lease.ts';
import type { ClientStateName } from './state.ts';
import type { BogusReason } from './stats.ts';

/**
 * Send a message. `via: 'raw'` means the client has no address yet (source 0.0.0.0): the runtime must
 * use a packet socket (AF_PACKET) on the interface; `via: 'udp'` means a UDP socket bound to
 * `from`:68 on the interface works. `to` is 255.255.255.255 for broadcasts (RFC 2131 §4.4.4), the
 * server's address for unicasts; the destination port is always 67.
 */
export interface SendAction {
  readonly type: 'send';
  readonly message: DhcpMessage;
  readonly bytes: Uint8Array;
  readonly to: string;
  readonly from: string;
  readonly broadcast: boolean;
  readonly via: 'raw' | 'udp';
}

/** Apply the lease to the interface (address, mask, routes, DNS). udhcpc's `bound` / `renew` script calls. */
export interface ConfigureAction {
  readonly type: 'configure';
  readonly lease: ClientLease;
  readonly reason: 'bound' | 'renew';
}

/** Remove the address from the interface. udhcpc's `deconfig` script call. */
export interface DeconfigureAction {
  readonly type: 'deconfigure';
  /** The lease being dropped, null at start (udhcpc deconfigures once when it starts). */
  readonly lease: ClientLease | null;
  readonly reason: 'start' | 'expired' | 'nak' | 'released' | 'declined' | 'replaced';
}

/**
 * Check `address` with an ARP probe (RFC 5227 §2.1.1) and answer with `probeResult()`. No answer within
 * the configured probe timeout counts as "no conflict".
 */
export interface ProbeAction {
  readonly type: 'probe';
  readonly address: string;
  /** The engine binds anyway at this time if no result came: the probe must be done by then. */
  readonly deadline: number;
}

/** Something happened worth telling the outside world: logs, the control channel, statistics. */
export type ClientEvent =
  | { readonly type: 'state'; readonly from: ClientStateName; readonly to: ClientStateName }
  | {
      readonly type: 'offer';
      readonly address: string;
      readonly serverId: string;
      readonly selected: boolean;
    }
  | { readonly type: 'lease-acquired'; readonly lease: ClientLease }
  | { readonly type: 'lease-renewed'; readonly lease: ClientLease }
  | { readonly type: 'lease-expired'; readonly lease: ClientLease }
  | {
      readonly type: 'lease-lost';
      readonly lease: ClientLease;
      readonly reason: 'nak' | 'released' | 'declined';
    }
  | {
      readonly type: 'nak';
      readonly message: DhcpMessage;
      readonly serverId: string | null;
      readonly text: string | null;
    }
  | { readonly type: 'decline'; readonly address: string; readonly serverId: string }
  /** A discovery cycle ended with no lease (udhcpc's `leasefail`); the next one starts at `retryAt`. */
  | { readonly type: 'leasefail'; readonly retryAt: number }
  | { readonly type: 'probe-timeout'; readonly address: string }
  | { readonly type: 'inform-ack'; readonly message: DhcpMessage; readonly serverId: string | null }
  | { readonly type: 'inform-failed'; readonly address: string }
  | { readonly type: 'ignored'; readonly reason: BogusReason; readonly detail: string }
  /** An ACK was taken with values the client refused and replaced (a lease time under the floor, a /0 mask). */
  | {
      readonly type: 'lease-adjusted';
      readonly address: string;
      readonly serverId: string | null;
      readonly notes: readonly string[];
    };

export interface EventAction {
  readonly type: 'event';
  readonly event: ClientEvent;
}

/** Everything the engine asks of its runtime, in the order it must be done. */
export type ClientAction = SendAction | ConfigureAction | DeconfigureAction | ProbeAction | EventAction;

/** The result of every engine call: what to do now, and when to call `poll()` next (null: only on input). */
export interface ClientStep {
  readonly actions: readonly ClientAction[];
  readonly deadline: number | null;
}
