/**
 * A bound on node:dgram's send queue. When a UDP socket's kernel buffer is full (replies to a relay or a
 * ciaddr that never answers ARP: the kernel holds them for the neighbour entry), libuv keeps every further
 * datagram in memory with no limit of its own. Beyond these limits a datagram is dropped instead, and the
 * drops are reported once per interval with a count.
 */
import { RateLimitedLog } from '../log/index.ts';
import { TransportError } from './errors.ts';

export interface SendQueueLimits {
  /** Default 1 MiB. */
  readonly maxBytes?: number;
  /** Default 2048 datagrams. */
  readonly maxDatagrams?: number;
}

export const DEFAULT_SEND_QUEUE_MAX_BYTES = 1 << 20;
export const DEFAULT_SEND_QUEUE_MAX_DATAGRAMS = 2048;

/** What one socket has handed to node:dgram and not yet seen completed. */
export class SendBacklog {
  bytes = 0;
  datagrams = 0;
  readonly #maxBytes: number;
  readonly #maxDatagrams: number;

  constructor(limits: SendQueueLimits = {}) {
    this.#maxBytes = limits.maxBytes ?? DEFAULT_SEND_QUEUE_MAX_BYTES;
    this.#maxDatagrams = limits.maxDatagrams ?? DEFAULT_SEND_QUEUE_MAX_DATAGRAMS;
  }

  /** Counts a datagram of `size` bytes in; false (nothing counted) when it does not fit. */
  admit(size: number): boolean {
    if (this.datagrams + 1 > this.#maxDatagrams || this.bytes + size > this.#maxBytes) return false;
    this.bytes += size;
    this.datagrams++;
    return true;
  }

  /** A datagram counted in by `admit` completed (sent or failed). */
  release(size: number): void {
    this.bytes -= size;
    this.datagrams--;
  }

  /** The rejection of a datagram that did not fit, on `iface`'s socket (undefined: the only socket). */
  fullError(iface: string | undefined): TransportError {
    return new TransportError(
      'ERR_TRANSPORT_SEND_FAILED',
      `send queue of ${iface ?? 'the socket'} full (${this.datagrams} datagrams, ${this.bytes} bytes waiting)`,
      { syscallCode: 'ENOBUFS', ...(iface === undefined ? {} : { interface: iface }) },
    );
  }
}

/** A drop, and what was waiting then. */
export interface SendQueueOverflow {
  /** Undefined for a transport without interfaces. */
  readonly interface: string | undefined;
  readonly bytes: number;
  readonly datagrams: number;
}

/** Reports drops as `error` events, the first at once, then one per interval with the count since. */
export function overflowReporter(
  emitError: (e: TransportError) => void,
  intervalMs: number | undefined,
): RateLimitedLog<SendQueueOverflow> {
  return new RateLimitedLog<SendQueueOverflow>({
    ...(intervalMs === undefined ? {} : { intervalMs }),
    emit: (count, o) =>
      emitError(
        new TransportError(
          'ERR_TRANSPORT_SEND_FAILED',
          `${count} datagram(s) dropped: the send queue of ${o.interface ?? 'the socket'} is full (${o.datagrams} datagrams, ${o.bytes} bytes waiting)`,
          { syscallCode: 'ENOBUFS', ...(o.interface === undefined ? {} : { interface: o.interface }) },
        ),
      ),
  });
}
