import { MessageType } from '../protocol/index.ts';
import { admit, peekMessageType, type Admission, type QueueDelayLimits } from './admission.ts';

/**
 * Why a queued datagram was dropped unanswered: `shed-discover` and `stale` are the receive-delay limits
 * (admission.ts); `backlog` a DISCOVER shed because the backlog ahead of the newest one would make it wait
 * past the DISCOVER limit; `overflow` the datagram count bound.
 */
export type ShedReason = Exclude<Admission, 'serve'> | 'backlog' | 'overflow';

export interface ReceiveQueueOptions extends QueueDelayLimits {
  /** Datagrams held at most (memory bound). Past it the oldest DISCOVER goes, else the arriving datagram. */
  readonly maxDatagrams: number;
  /** Called for every datagram dropped unanswered; `waitedMs` since its kernel receive timestamp. */
  readonly shed: (reason: ShedReason, waitedMs: number) => void;
}

/**
 * The service time is sampled over this much backlogged wall time (ms), not per turn: a turn handles a few
 * datagrams, and one preemption of the process (a core shared with other work) would make a per-turn sample
 * hundreds of times the usual, and the bound shed a burst for nothing.
 */
const SERVICE_WINDOW_MS = 100;
/** Weight of a new window's sample in the moving average. */
const SERVICE_EWMA_WEIGHT = 1 / 4;

interface Entry<T> {
  readonly bytes: Uint8Array;
  readonly meta: T;
  readonly type: number | undefined;
  /** When the kernel received it, on the queue's clock (the clock at push minus the kernel's wait). */
  readonly receivedAt: number;
}

/** A FIFO with O(1) push and shift (an array and a head index, compacted when half is spent). */
class Fifo<T> {
  /** Handled slots are cleared (undefined) so that their datagrams can be collected before compaction. */
  #items: (T | undefined)[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head]!;
    this.#items[this.#head] = undefined;
    this.#head++;
    if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }
}

/**
 * The server's receive backlog in user space, so that what an overloaded server drops is chosen here, not
 * by the kernel (a full socket buffer drops a REQUEST as readily as a DISCOVER). The transport is read every
 * turn and each datagram queued; a turn then handles a bounded number, in this order:
 *
 * - requests that finish or end an exchange (REQUEST, RELEASE, DECLINE, INFORM, anything not a DISCOVER)
 *   first, oldest first: the server already paid for their exchange (an OFFER, an address held), and
 *   completed exchanges are what counts;
 * - DISCOVERs with the capacity left, oldest first. A DISCOVER starts new work: under overload the OFFERs
 *   sent are thereby only as many as the REQUESTs they cause can be served.
 *
 * The DISCOVER backlog is bounded in time, from the measured service rate rather than a fixed length: when
 * the newest DISCOVER would wait, behind everything queued, longer than the DISCOVER limit (what its client
 * waits for an OFFER before it gives up on it), the oldest DISCOVERs are dropped until it would not.
 * The service time is measured only while backlogged, as the wall time from one turn to the next per
 * datagram handled, over windows of 100 ms: it includes whatever else the core did (commits, sends, other
 * processes sharing it), which is what a queued datagram waits for too.
 * At the head, the receive-delay limits apply as before decoding (admission.ts): a DISCOVER older than its
 * limit, a request older than its client's retransmission time (stale-reply suppression: its fresh copy is
 * behind it and is answered), are dropped; RELEASE and DECLINE never by time.
 *
 * The clock is injected (milliseconds, monotonic): nothing here reads the time. `T` is what the transport
 * says about a datagram besides its bytes (its arrival).
 */
export class ReceiveQueue<T> {
  readonly #o: ReceiveQueueOptions;
  readonly #first = new Fifo<Entry<T>>();
  readonly #discovers = new Fifo<Entry<T>>();
  #serviceMs: number | undefined;
  #turnStartedAt = 0;
  #turnHandled = 0;
  #backloggedAfterTurn = false;
  /** Backlogged wall time and datagrams handled in it, since the last sample. */
  #windowMs = 0;
  #windowHandled = 0;

  constructor(options: ReceiveQueueOptions) {
    this.#o = options;
  }

  /** The limits it applies. */
  get limits(): QueueDelayLimits & { readonly maxDatagrams: number } {
    return this.#o;
  }

  /** Datagrams queued. */
  get length(): number {
    return this.#first.length + this.#discovers.length;
  }

  /** The measured time to handle one datagram while backlogged (ms), once there was a backlog to measure. */
  get serviceMs(): number | undefined {
    return this.#serviceMs;
  }

  /**
   * Queues a datagram that waited `waitedMs` in the kernel (undefined: unknown, counted from now). Its type
   * is read from the bytes without decoding (admission.ts).
   */
  push(bytes: Uint8Array, meta: T, waitedMs: number | undefined, now: number): void {
    const type = peekMessageType(bytes);
    const entry: Entry<T> = { bytes, meta, type, receivedAt: now - (waitedMs ?? 0) };
    if (this.length >= this.#o.maxDatagrams) {
      // Full: the oldest DISCOVER makes room; with none queued, the arrival is dropped (as the kernel would).
      const oldest = this.#discovers.shift();
      this.#o.shed('overflow', now - (oldest ?? entry).receivedAt);
      if (oldest === undefined) return;
    }
    if (type !== MessageType.DISCOVER) {
      this.#first.push(entry);
      return;
    }
    this.#discovers.push(entry);
    this.#boundDiscovers(now);
  }

  /**
   * One turn: handles up to `budget` datagrams, dropping at the head what the limits say; returns how many
   * are still queued. Called again while that is not 0, after the transport was read.
   */
  turn(now: number, budget: number, handle: (bytes: Uint8Array, meta: T) => void): number {
    if (this.#backloggedAfterTurn && this.#turnHandled > 0) {
      this.#windowMs += now - this.#turnStartedAt;
      this.#windowHandled += this.#turnHandled;
      if (this.#windowMs >= SERVICE_WINDOW_MS) {
        const sample = this.#windowMs / this.#windowHandled;
        this.#serviceMs =
          this.#serviceMs === undefined
            ? sample
            : this.#serviceMs + (sample - this.#serviceMs) * SERVICE_EWMA_WEIGHT;
        this.#windowMs = 0;
        this.#windowHandled = 0;
      }
    }
    this.#turnStartedAt = now;
    let handled = 0;
    while (handled < budget) {
      const entry = this.#first.shift() ?? this.#discovers.shift();
      if (entry === undefined) break;
      const waitedMs = now - entry.receivedAt;
      const admitted = admit(entry.type, waitedMs, this.#o);
      if (admitted !== 'serve') {
        this.#o.shed(admitted, waitedMs);
        continue;
      }
      handled++;
      handle(entry.bytes, entry.meta);
    }
    this.#turnHandled = handled;
    this.#backloggedAfterTurn = this.length > 0;
    return this.length;
  }

  /**
   * The newest DISCOVER is handled after everything queued now: while draining that would take longer than
   * the DISCOVER limit, the oldest DISCOVER is dropped (possibly the newest itself). Its own wait in the
   * kernel is not added: shedding older DISCOVERs would not shorten it (the head check drops it if needed).
   */
  #boundDiscovers(now: number): void {
    const serviceMs = this.#serviceMs;
    if (serviceMs === undefined) return;
    while (this.#discovers.length > 0 && this.length * serviceMs > this.#o.discoverMs) {
      this.#o.shed('backlog', now - this.#discovers.shift()!.receivedAt);
    }
  }
}
