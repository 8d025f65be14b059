import type { DhcpMessage } from '../protocol/index.ts';
import type { ClientLease } from './lease.ts';

/** RFC 2131 §4.4 Figure 5, plus STOPPED (engine not running) and RELEASED (idle after a release). */
export type ClientStateName =
  | 'STOPPED'
  | 'RELEASED'
  | 'INIT'
  | 'SELECTING'
  | 'REQUESTING'
  | 'BOUND'
  | 'RENEWING'
  | 'REBINDING'
  | 'INIT-REBOOT'
  | 'REBOOTING';

/** One exchange: the xid, how many times its message was sent, when to send it again. */
export interface Transaction {
  readonly xid: number;
  /** Base of the `secs` field: when the acquisition or renewal began. */
  readonly startedAt: number;
  /** When this transaction's message was first sent. */
  readonly firstSentAt: number;
  /** Sends so far (1 after the first). */
  readonly sends: number;
  readonly retransmitAt: number;
}

export interface Offer {
  readonly address: string;
  readonly serverId: string;
  readonly message: DhcpMessage;
  readonly receivedAt: number;
}

/** An ACKed lease waiting for the ARP probe's answer (RFC 2131 §4.4.1, RFC 5227). */
export interface PendingProbe {
  readonly lease: ClientLease;
  readonly deadline: number;
}

/** Each state carries exactly the data and timers it needs. */
export type ClientState =
  | { readonly name: 'STOPPED' }
  | { readonly name: 'RELEASED' }
  /** Waiting before the next DISCOVER (after a failure, NAK, DECLINE, or for the link). */
  | { readonly name: 'INIT'; readonly wakeAt: number }
  | {
      readonly name: 'SELECTING';
      readonly tx: Transaction;
      /** An acceptable offer held while waiting for one of the requested address. */
      readonly candidate: Offer | null;
      readonly selectUntil: number | null;
    }
  | {
      readonly name: 'REQUESTING';
      readonly tx: Transaction;
      readonly offer: Offer;
      readonly probe: PendingProbe | null;
    }
  | { readonly name: 'BOUND'; readonly lease: ClientLease }
  | { readonly name: 'RENEWING'; readonly lease: ClientLease; readonly tx: Transaction }
  | { readonly name: 'REBINDING'; readonly lease: ClientLease; readonly tx: Transaction }
  | { readonly name: 'INIT-REBOOT'; readonly previous: ClientLease; readonly wakeAt: number }
  | {
      readonly name: 'REBOOTING';
      readonly previous: ClientLease;
      readonly tx: Transaction;
      readonly probe: PendingProbe | null;
    };
