/**
 * The linux transport's batched sends: datagrams issued during one JS turn are written with one sendmmsg
 * per socket at the end of the turn (process.nextTick: after the microtasks of the handlers that produced
 * them). Each send's promise settles after the flush handed it to the kernel.
 */
import type dgram from 'node:dgram';
import { constants } from 'node:os';
import { intToIp } from '../../protocol/index.ts';
import type { TransportError } from '../errors.ts';
import { SendBacklog, type SendQueueLimits, type SendQueueOverflow } from '../send-backlog.ts';
import { toTransportError } from './errno.ts';
import type { NativeAddon, NativePacketSocket } from './native.ts';

/** The sends of one socket waiting for this turn's flush. */
export interface SendQueue {
  data: Uint8Array[];
  /** [ip, port] per datagram; only the UDP queue's is used. */
  dst: Uint32Array;
  resolve: (() => void)[];
  reject: ((e: TransportError) => void)[];
}

export function sendQueue(): SendQueue {
  return { data: [], dst: new Uint32Array(64), resolve: [], reject: [] };
}

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
}

const { EAGAIN, ENOBUFS, EBADF } = constants.errno;

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
  ) {
    this.#native = native;
    this.#ports = ports;
    this.#limits = limits;
    this.#onOverflow = onOverflow;
  }

  /** Queues one datagram on `q` (one of `p`'s queues); `ip` and `port` are used by the UDP queue only. */
  enqueue(q: SendQueue, data: Uint8Array, ip: number, port: number): Promise<void> {
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
    const promise = new Promise<void>(this.#capture);
    q.resolve.push(this.#capturedResolve!);
    q.reject.push(this.#capturedReject!);
    // A turn that answers a whole receive batch would otherwise release dozens of replies in one burst,
    // which overflows a busy peer's socket (a relay, perfdhcp): they leave in groups as they are made.
    if (q.data.length >= SEND_BATCH_MAX) this.#flushAll();
    return promise;
  }

  /** Writes what `p` has queued now (before its sockets close, say). */
  flushPort(p: BatchPort): void {
    if (p.packetQueue.data.length > 0) this.#flushQueue(p, p.packetQueue, p.packet?.fd ?? -1, false);
    if (p.udpQueue.data.length > 0) this.#flushQueue(p, p.udpQueue, p.udpFd, true);
  }

  /**
   * Writes a queue with sendmmsg. A datagram the kernel refuses rejects alone and the rest are retried;
   * on EAGAIN/ENOBUFS the remaining unicasts go through node:dgram, which waits for the socket to drain.
   */
  #flushQueue(p: BatchPort, q: SendQueue, fd: number, udp: boolean): void {
    const { data, dst, resolve, reject } = q;
    const n = data.length;
    let i = 0;
    try {
      while (i < n) {
        const r = fd < 0 ? -EBADF : this.#native.sendBatch(fd, data, udp ? dst : null, i, n);
        if (r > 0) {
          for (const end = i + r; i < end; i++) resolve[i]!();
          continue;
        }
        const errno = r < 0 ? -r : EAGAIN;
        if (udp && p.udp && (errno === EAGAIN || errno === ENOBUFS)) {
          for (; i < n; i++)
            this.#dgramSend(p, p.udp, data[i]!, dst[2 * i]!, dst[2 * i + 1]!, resolve[i]!, reject[i]!);
          break;
        }
        reject[i]!(
          toTransportError(this.#native.errnoError(errno, 'sendmmsg'), 'ERR_TRANSPORT_SEND_FAILED', p.name),
        );
        i++;
      }
    } catch (e) {
      // Runs from process.nextTick: a throw here would be an uncaught exception, not a rejection.
      const err = toTransportError(e, 'ERR_TRANSPORT_SEND_FAILED', p.name);
      for (; i < n; i++) reject[i]!(err);
    }
    data.length = 0;
    resolve.length = 0;
    reject.length = 0;
  }

  #dgramSend(
    p: BatchPort,
    udp: dgram.Socket,
    data: Uint8Array,
    ip: number,
    port: number,
    resolve: () => void,
    reject: (e: TransportError) => void,
  ): void {
    let backlog = this.#backlogs.get(udp);
    if (backlog === undefined) this.#backlogs.set(udp, (backlog = new SendBacklog(this.#limits)));
    const size = data.length;
    if (!backlog.admit(size)) {
      this.#onOverflow({ interface: p.name, bytes: backlog.bytes, datagrams: backlog.datagrams });
      reject(backlog.fullError(p.name));
      return;
    }
    const queued = backlog;
    const done = (): void => queued.release(size);
    try {
      udp.send(data, port, intToIp(ip), (err) => {
        done();
        if (err) reject(toTransportError(err, 'ERR_TRANSPORT_SEND_FAILED', p.name));
        else resolve();
      });
    } catch (e) {
      done();
      reject(toTransportError(e, 'ERR_TRANSPORT_SEND_FAILED', p.name));
    }
  }
}
