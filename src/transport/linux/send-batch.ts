/**
 * The linux transport's batched sends: datagrams issued during one JS turn are written with one sendmmsg
 * per socket at the end of the turn (process.nextTick: after the microtasks of the handlers that produced
 * them). Each send's promise settles after the flush handed it to the kernel; a posted datagram has no
 * promise, only its failure callback. On a UDP socket that allows it, the addon coalesces neighbouring
 * datagrams to one destination into one UDP GSO entry (docs/transport.md, "UDP GSO").
 */
import type dgram from 'node:dgram';
import { constants } from 'node:os';
import { intToIp } from '../../protocol/index.ts';
import { RateLimitedLog } from '../../log/index.ts';
import { TransportError } from '../errors.ts';
import { MAX_UDP_PAYLOAD } from '../frame.ts';
import { SendBacklog, type SendQueueLimits, type SendQueueOverflow } from '../send-backlog.ts';
import { toTransportError } from './errno.ts';
import { PAD_UP_TO_SHIFT, SEGMENTED_FAILURE, type NativeAddon, type NativePacketSocket } from './native.ts';

/** Told that a datagram could not be sent, with what its sender gave along with it. */
export type SendFailed<C = unknown> = (e: TransportError, context: C) => void;

/** The sends of one socket waiting for this turn's flush. */
export interface SendQueue {
  data: Uint8Array[];
  /** [ip, port | padUpTo << PAD_UP_TO_SHIFT] per datagram; only the UDP queue's is used. */
  dst: Uint32Array;
  resolve: (() => void)[];
  reject: SendFailed[];
  /** The second argument of the datagram's `reject`. */
  context: unknown[];
}

export function sendQueue(): SendQueue {
  return { data: [], dst: new Uint32Array(64), resolve: [], reject: [], context: [] };
}

/** A posted datagram's success: nothing to settle. */
const SENT = (): void => {};

/** What the batcher needs of an interface's sockets. */
export interface BatchPort {
  readonly name: string;
  readonly udp: dgram.Socket | undefined;
  /** The UDP socket's descriptor (owned by `udp`), -1 when closed; written to directly by sendBatch. */
  readonly udpFd: number;
  readonly packet: NativePacketSocket | undefined;
  /** Unicasts through the kernel's UDP stack. */
  readonly udpQueue: SendQueue;
  /** Whole frames for the packet socket. */
  readonly packetQueue: SendQueue;
  /**
   * Whether the UDP socket's runs to one destination leave as UDP GSO entries; the batcher clears it when
   * the kernel refuses one (set again when the socket is reopened).
   */
  udpSegment: boolean;
}

/** The kernel refused a GSO entry on `interface`'s UDP socket: it sends datagram by datagram now. */
export interface SegmentRefusal {
  readonly interface: string;
  /** The errno's name (EIO, EINVAL, ...). */
  readonly code: string;
}

const { EAGAIN, ENOBUFS, EBADF, EIO, EINVAL, ENOPROTOOPT, EOPNOTSUPP, EMSGSIZE } = constants.errno;

/**
 * Errnos by which the kernel refuses a GSO entry where it would take the same datagrams one by one: no
 * checksum offload on the route's device or IPsec (EIO), a segment over the path MTU or too many segments
 * (EINVAL, EMSGSIZE), no UDP GSO at all (ENOPROTOOPT, EOPNOTSUPP).
 */
const REFUSES_SEGMENTS = new Set([EIO, EINVAL, ENOPROTOOPT, EOPNOTSUPP, EMSGSIZE]);

/**
 * At most this many datagrams wait for the end of the turn: more are written at once. Measured under
 * perfdhcp at 8,000 leases/s, 8 halved the replies dropped at perfdhcp's full socket against one
 * sendmmsg per turn, at the same CPU per lease.
 */
export const SEND_BATCH_MAX = 8;

export class SendBatcher {
  readonly #native: NativeAddon;
  readonly #ports: () => Iterable<BatchPort>;
  readonly #limits: SendQueueLimits;
  readonly #onOverflow: (o: SendQueueOverflow) => void;
  readonly #onSegmentRefused: (r: SegmentRefusal) => void;
  // Per socket, not per port: a reopened port starts empty, and callbacks a closed socket never runs
  // cannot leave the new one counted full.
  readonly #backlogs = new WeakMap<dgram.Socket, SendBacklog>();
  #flushScheduled = false;
  #capturedResolve: (() => void) | undefined;
  #capturedReject: ((e: TransportError) => void) | undefined;
  // One executor for every send's promise: no closure per packet.
  readonly #capture = (resolve: () => void, reject: (e: TransportError) => void): void => {
    this.#capturedResolve = resolve;
    this.#capturedReject = reject;
  };
  readonly #flushAll = (): void => {
    this.#flushScheduled = false;
    for (const p of this.#ports()) this.flushPort(p);
  };

  constructor(
    native: NativeAddon,
    ports: () => Iterable<BatchPort>,
    limits: SendQueueLimits = {},
    onOverflow: (o: SendQueueOverflow) => void = () => {},
    onSegmentRefused: (r: SegmentRefusal) => void = () => {},
  ) {
    this.#native = native;
    this.#ports = ports;
    this.#limits = limits;
    this.#onOverflow = onOverflow;
    this.#onSegmentRefused = onSegmentRefused;
  }

  /**
   * Queues one datagram on `q` (one of `p`'s queues); `ip` and `port` are used by the UDP queue only, where
   * `port` may carry `portWord`'s allowance of zero padding.
   */
  enqueue(q: SendQueue, data: Uint8Array, ip: number, port: number): Promise<void> {
    const promise = new Promise<void>(this.#capture);
    this.#queue(q, data, ip, port, this.#capturedResolve!, this.#capturedReject!, undefined);
    return promise;
  }

  /**
   * `enqueue` without a promise: `failed(error, context)` if the datagram cannot be sent, nothing if it is.
   * A server sends two replies a lease; a promise, its `catch` and the closure behind it for each cost more
   * than queueing the datagram.
   */
  post<C>(q: SendQueue, data: Uint8Array, ip: number, port: number, context: C, failed: SendFailed<C>): void {
    this.#queue(q, data, ip, port, SENT, failed as SendFailed, context);
  }

  #queue(
    q: SendQueue,
    data: Uint8Array,
    ip: number,
    port: number,
    resolve: () => void,
    reject: SendFailed,
    context: unknown,
  ): void {
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      process.nextTick(this.#flushAll);
    }
    const n = q.data.length;
    if (q.dst.length < 2 * (n + 1)) {
      const grown = new Uint32Array(q.dst.length * 2);
      grown.set(q.dst);
      q.dst = grown;
    }
    q.dst[2 * n] = ip;
    q.dst[2 * n + 1] = port;
    q.data.push(data);
    q.resolve.push(resolve);
    q.reject.push(reject);
    q.context.push(context);
    // A turn that answers a whole receive batch would otherwise release dozens of replies in one burst,
    // which overflows a busy peer's socket (a relay, perfdhcp): they leave in groups as they are made.
    if (q.data.length >= SEND_BATCH_MAX) this.#flushAll();
  }

  /** Writes what `p` has queued now (before its sockets close, say). */
  flushPort(p: BatchPort): void {
    if (p.packetQueue.data.length > 0) this.#flushQueue(p, p.packetQueue, p.packet?.fd ?? -1, false);
    if (p.udpQueue.data.length > 0) this.#flushQueue(p, p.udpQueue, p.udpFd, true);
  }

  /**
   * Writes a queue with sendmmsg. A datagram the kernel refuses rejects alone and the rest are retried;
   * on EAGAIN/ENOBUFS the remaining unicasts go through node:dgram, which waits for the socket to drain.
   * A GSO entry that fails otherwise is sent again datagram by datagram, so GSO never fails a datagram the
   * plain send would have delivered; when that plain send goes through where the GSO entry failed with an
   * errno by which the kernel refuses GSO, the socket stops using it (a datagram that fails either way, to
   * port 0 say, says nothing about GSO).
   */
  #flushQueue(p: BatchPort, q: SendQueue, fd: number, udp: boolean): void {
    const { data, dst, resolve, reject, context } = q;
    const n = data.length;
    let segment = udp && p.udpSegment;
    // The errno of a GSO entry that failed at `i`, until the plain send of datagram `i` says whose it was.
    let refused = 0;
    let i = 0;
    try {
      while (i < n) {
        const r = fd < 0 ? -EBADF : this.#native.sendBatch(fd, data, udp ? dst : null, i, n, segment);
        if (refused !== 0) {
          if (r > 0 && p.udpSegment) {
            p.udpSegment = false;
            const code = this.#native.errnoError(refused, 'sendmmsg').code;
            this.#onSegmentRefused({ interface: p.name, code });
          }
          refused = 0;
        }
        if (r > 0) {
          for (const end = i + r; i < end; i++) resolve[i]!();
          continue;
        }
        const errno = r < 0 ? -r & (SEGMENTED_FAILURE - 1) : EAGAIN;
        if (udp && p.udp && (errno === EAGAIN || errno === ENOBUFS)) {
          for (; i < n; i++) {
            const settle = { resolve: resolve[i]!, reject: reject[i]!, context: context[i] };
            this.#dgramSend(p, p.udp, data[i]!, dst[2 * i]!, dst[2 * i + 1]! & 0xffff, settle);
          }
          break;
        }
        if (segment && (-r & SEGMENTED_FAILURE) !== 0) {
          // The rest of this flush goes datagram by datagram: a datagram refused then fails on its own.
          segment = false;
          if (REFUSES_SEGMENTS.has(errno)) refused = errno;
          continue;
        }
        reject[i]!(
          toTransportError(this.#native.errnoError(errno, 'sendmmsg'), 'ERR_TRANSPORT_SEND_FAILED', p.name),
          context[i],
        );
        i++;
      }
    } catch (e) {
      // Runs from process.nextTick: a throw here would be an uncaught exception, not a rejection.
      const err = toTransportError(e, 'ERR_TRANSPORT_SEND_FAILED', p.name);
      for (; i < n; i++) reject[i]!(err, context[i]);
    }
    data.length = 0;
    resolve.length = 0;
    reject.length = 0;
    context.length = 0;
  }

  #dgramSend(
    p: BatchPort,
    udp: dgram.Socket,
    data: Uint8Array,
    ip: number,
    port: number,
    settle: { resolve: () => void; reject: SendFailed; context: unknown },
  ): void {
    let backlog = this.#backlogs.get(udp);
    if (backlog === undefined) this.#backlogs.set(udp, (backlog = new SendBacklog(this.#limits)));
    const size = data.length;
    if (!backlog.admit(size)) {
      this.#onOverflow({ interface: p.name, bytes: backlog.bytes, datagrams: backlog.datagrams });
      settle.reject(backlog.fullError(p.name), settle.context);
      return;
    }
    const queued = backlog;
    const done = (): void => queued.release(size);
    try {
      udp.send(data, port, intToIp(ip), (err) => {
        done();
        if (err) settle.reject(toTransportError(err, 'ERR_TRANSPORT_SEND_FAILED', p.name), settle.context);
        else settle.resolve();
      });
    } catch (e) {
      done();
      settle.reject(toTransportError(e, 'ERR_TRANSPORT_SEND_FAILED', p.name), settle.context);
    }
  }
}

/**
 * The UDP queue's port word: the port, and when the sender gave `OutboundDatagram.padUpTo` the length up to
 * which zero octets may follow the datagram (at least its own, at most one frame's payload). Only such
 * datagrams are grouped into GSO runs.
 */
export function portWord(port: number, dataLength: number, padUpTo: number | undefined): number {
  if (padUpTo === undefined || dataLength === 0 || dataLength > MAX_UDP_PAYLOAD) return port;
  const upTo = padUpTo > dataLength ? Math.min(Math.floor(padUpTo), MAX_UDP_PAYLOAD) : dataLength;
  return (port | (upTo << PAD_UP_TO_SHIFT)) >>> 0;
}

/**
 * Reports GSO refusals as `error` events (ERR_TRANSPORT_UNSUPPORTED: nothing was lost), the first at once,
 * then one per interval with the count since: a socket refuses once, but reopened sockets may again.
 */
export function segmentRefusalReporter(
  emitError: (e: TransportError) => void,
  intervalMs: number | undefined,
): RateLimitedLog<SegmentRefusal> {
  return new RateLimitedLog<SegmentRefusal>({
    ...(intervalMs === undefined ? {} : { intervalMs }),
    emit: (count, r) =>
      emitError(
        new TransportError(
          'ERR_TRANSPORT_UNSUPPORTED',
          `the kernel refused UDP GSO on ${r.interface} (${r.code}) ${count} time(s): its unicasts now leave datagram by datagram`,
          { syscallCode: r.code, interface: r.interface },
        ),
      ),
  });
}
