import type { Logger } from 'pino';
import type { Lease } from '../leases/index.ts';
import type { LeaseStore } from '../leases/index.ts';
import { performWrites, runCommitLoop } from '../server/index.ts';
import type { CommitLoopSink, CommitOutcome, CommitWriter } from '../server/index.ts';
import {
  DhcpDecodeError,
  MessageType,
  decodeMessage,
  messageTypeOf,
  type DhcpMessage,
} from '../protocol/index.ts';
import type { DhcpServerEngine } from '../server/index.ts';
import { encodeReply } from '../server/index.ts';
import type { ArrivalMeta, EngineOutput, ExchangeEvent, LeaseWrite, OutgoingReply } from '../server/index.ts';
import { IntervalTally, TALLY_INTERVAL_MS } from './interval-tally.ts';
import { TransportError } from '../transport/index.ts';
import type { StoreHealthMonitor } from './store-health.ts';
import { RuntimeError } from './errors.ts';
import { ReceiveQueue, type ShedReason } from './receive-queue.ts';

/** Told that a reply could not be sent, and why. */
export type ReplyNotSent = (err: unknown, reply: OutgoingReply) => void;

export interface PipelineOptions {
  readonly engine: DhcpServerEngine;
  readonly store: LeaseStore;
  readonly clock: () => number;
  /** Sends a reply; `failed(error, reply)` if it could not be (possibly before `send` returns). */
  readonly send: (reply: OutgoingReply, data: Buffer, failed: ReplyNotSent) => void;
  readonly logger: Logger;
  /** Told every write's outcome; logs store failures once per interval and says when they end. */
  readonly storeHealth: StoreHealthMonitor;
  /** Called after every engine call that may have moved its next deadline. */
  readonly touched: () => void;
  /** Called with every finished exchange (after its commit, for an ACK); errors it throws are logged. */
  readonly onExchange?: (event: ExchangeEvent) => void;
  /**
   * False when `onExchange` reads only the events' fields, not `text` nor `destination`: those are then built
   * only when the log level writes exchange lines (default true).
   */
  readonly onExchangeReadsText?: boolean;
  /**
   * Asked as each exchange ends: whether `onExchange` wants events now (default: always). While it says no,
   * an event is built only when the log level writes it (or a junk drop, which is counted).
   */
  readonly onExchangeListening?: () => boolean;
  /**
   * A DHCPDISCOVER that waited longer than this in the kernel's receive queue is dropped unanswered
   * (default 500 ms; 0 or Infinity: never). Under overload this keeps the server answering fresh requests
   * instead of a backlog the clients have given up on; REQUESTs are always answered, they finish exchanges
   * already under way. Only transports with receive timestamps (linux) report the wait.
   */
  readonly maxDiscoverQueueDelayMs?: number;
  /**
   * A request that waited longer than this in the receive queue gets no reply (default 4,000 ms, the
   * client's first retransmission, RFC 2131 §4.1; 0 or Infinity: never): its client has sent it again, and
   * the fresh copy behind it gets the answer. RELEASE and DECLINE are kept (never retransmitted). Decided
   * before decoding, like the DISCOVER limit.
   */
  readonly maxRequestQueueDelayMs?: number;
  /**
   * Datagrams read from the transport but not yet handled, at most (default 8,192, a few MiB): past it
   * the oldest DISCOVER is dropped, or the arriving datagram when no DISCOVER is queued (receive-queue.ts).
   */
  readonly maxReceiveQueue?: number;
  /**
   * Datagrams handled per event-loop turn before the transport is read again (default 16). Below the
   * transport's read batch (64), so that under overload the backlog builds here, where the DISCOVERs are
   * shed first, rather than in the kernel's buffer, which drops whatever arrives.
   */
  readonly handledPerTurn?: number;
  /** Monotonic milliseconds for queue waits and the service rate (default `performance.now`; tests inject). */
  readonly monotonicClock?: () => number;
  /**
   * Junk (undecodable or malformed requests) and replies the transport refused are each summed up in one
   * line this often (default 10 s), by category; the details of each are at debug.
   */
  readonly tallyIntervalMs?: number;
  /**
   * Whether this server answers the query (HA's scopes): null drops it unanswered (counted in
   * pkt4-receive-drop), else the arrival to hand the engine (with the classes HA gave the query).
   */
  readonly admit?: (msg: DhcpMessage, meta: ArrivalMeta) => ArrivalMeta | null;
  /**
   * After a commit's writes are durable and before its reply goes out (HA's lease updates to the peers):
   * null or true sends the reply, false drops the exchange as if the commit had failed (the client retries).
   */
  readonly afterCommit?: (writes: readonly LeaseWrite[]) => Promise<boolean> | null;
  /**
   * Before an OFFER goes out (active-active HA's claim in the shared database): resolves null to send it,
   * or with a lease another server's claim amounts to, which the engine learns before it answers again with
   * another address; rejects to send nothing.
   */
  readonly beforeOffer?: (offer: {
    readonly address: string;
    readonly request: DhcpMessage;
  }) => Promise<Lease | null>;
}

/** See `PipelineOptions.maxDiscoverQueueDelayMs` and `maxRequestQueueDelayMs`. */
export const DEFAULT_MAX_DISCOVER_QUEUE_DELAY_MS = 500;
export const DEFAULT_MAX_REQUEST_QUEUE_DELAY_MS = 4000;
/** See `PipelineOptions.maxReceiveQueue` and `handledPerTurn`. */
export const DEFAULT_MAX_RECEIVE_QUEUE = 8192;
export const DEFAULT_HANDLED_PER_TURN = 16;

/** 0 (or anything not above 0) turns a limit off. */
function limitOrNever(ms: number): number {
  return ms > 0 ? ms : Infinity;
}

/** A refused claim makes the engine choose again, a few times at most. */
const MAX_OFFER_CLAIMS = 4;

/** Overload is reported at most this often: one line with the count of DISCOVERs shed since the last. */
const SHED_LOG_INTERVAL_MS = 5000;

/**
 * The per-datagram loop of docs/server.md: decode, handle, send, commit, report back, until the engine has
 * no more commits for this exchange. Never throws: a bad packet is counted and logged, a store failure
 * answers the commit token as failed (and sends nothing: the client retries).
 */
export class Pipeline {
  readonly #o: PipelineOptions;
  /** Exchanges waiting for a commit: a count, not a set of promises (no allocation per exchange). */
  #inFlight = 0;
  #drained: (() => void)[] = [];
  #accepting = true;
  readonly #queue: ReceiveQueue<ArrivalMeta>;
  readonly #handledPerTurn: number;
  readonly #monotonic: () => number;
  #turnScheduled = false;
  #shedSinceLog: Record<ShedReason, number> = { 'shed-discover': 0, backlog: 0, overflow: 0, stale: 0 };
  #shedLoggedAt = -Infinity;
  #shedWaitedMs = 0;
  #shedLogTimer: NodeJS.Timeout | undefined;
  readonly #junk: IntervalTally;
  readonly #unsent: IntervalTally;
  /** The commit loop's writer and sink: made once, shared by every exchange (nothing allocated per datagram). */
  readonly #write: CommitWriter;
  readonly #sink: CommitLoopSink;

  constructor(options: PipelineOptions) {
    this.#o = options;
    this.#queue = new ReceiveQueue({
      discoverMs: limitOrNever(options.maxDiscoverQueueDelayMs ?? DEFAULT_MAX_DISCOVER_QUEUE_DELAY_MS),
      staleMs: limitOrNever(options.maxRequestQueueDelayMs ?? DEFAULT_MAX_REQUEST_QUEUE_DELAY_MS),
      maxDatagrams: Math.max(1, options.maxReceiveQueue ?? DEFAULT_MAX_RECEIVE_QUEUE),
      shed: (reason, waitedMs) => this.#shed(reason, waitedMs),
    });
    this.#handledPerTurn = Math.max(1, options.handledPerTurn ?? DEFAULT_HANDLED_PER_TURN);
    this.#monotonic = options.monotonicClock ?? (() => performance.now());
    const intervalMs = options.tallyIntervalMs ?? TALLY_INTERVAL_MS;
    const logger = options.logger;
    this.#junk = new IntervalTally({ logger, level: 'info', intervalMs, what: 'junk requests dropped' });
    this.#unsent = new IntervalTally({ logger, level: 'warn', intervalMs, what: 'replies not sent' });
    // An exchange's log line is built only when something reads it: the listener, or a level that writes
    // it (info; junk at debug, which info-or-lower covers). Asked as each event is built, which is in the
    // turn that logs it, so a level changed at run time applies from the next event on. An OFFER waiting for
    // its claim (`beforeOffer`) is logged turns later: always described.
    const logs = (): boolean => logger.isLevelEnabled('info');
    const listening = options.onExchange === undefined ? undefined : options.onExchangeListening;
    const listenerReadsText = options.onExchange !== undefined && options.onExchangeReadsText !== false;
    if (options.beforeOffer === undefined) {
      if (!listenerReadsText) options.engine.describeExchangesWhen(logs);
      else if (listening !== undefined) options.engine.describeExchangesWhen(() => listening() || logs());
      // Nor is the event itself built when nothing reads it (a junk drop's is: it is counted at any level).
      if (options.onExchange === undefined) options.engine.recordExchangesWhen(logs);
      else if (listening !== undefined) options.engine.recordExchangesWhen(() => listening() || logs());
    }
    const store = options.store;
    this.#write =
      options.afterCommit === undefined
        ? (writes, now) => performWrites(store, writes, now)
        : (writes, now) => this.#commit(writes, now);
    this.#sink = {
      emit: (out) => this.#emit(out),
      touched: () => options.touched(),
      stored: () => options.storeHealth.succeeded(),
      // A peer that did not take the lease update is HA's to report; the store is fine.
      storeFailed: (err) => {
        if (!(err instanceof PeerNotUpdatedError)) options.storeHealth.failed(err);
      },
      failed: (err) => logger.error({ err }, 'exchange failed'),
      finished: () => this.#finished(),
    };
  }

  /** How many datagrams are being handled (waiting for their commits). */
  get inFlight(): number {
    return this.#inFlight;
  }

  /**
   * Stops taking datagrams; resolves once every one already taken is finished. The receive backlog is
   * handled first, all of it (bounded by `maxReceiveQueue`): a queued RELEASE must still free its address.
   */
  async drain(): Promise<void> {
    this.#accepting = false;
    this.#queue.turn(this.#monotonic(), Number.MAX_SAFE_INTEGER, this.#handleQueued);
    this.#logShed();
    this.#junk.flush();
    this.#unsent.flush();
    if (this.#inFlight === 0) return;
    await new Promise<void>((resolve) => this.#drained.push(resolve));
  }

  /**
   * Queues a datagram (`receiveDelayMs`: how long it waited in the kernel's queue, when the transport knows);
   * it is handled in a later turn of the event loop, after the transport was read (receive-queue.ts).
   */
  receive(bytes: Buffer, meta: ArrivalMeta, receiveDelayMs?: number): void {
    if (!this.#accepting) return;
    // Queued before decoding: under overload a shed datagram must cost next to nothing.
    this.#queue.push(bytes, meta, receiveDelayMs, this.#monotonic());
    if (this.#turnScheduled) return;
    this.#turnScheduled = true;
    setImmediate(this.#turn);
  }

  /** One turn: a bounded number of queued datagrams; another turn (after the next read) if any are left. */
  readonly #turn = (): void => {
    this.#turnScheduled = false;
    if (!this.#accepting) return;
    if (this.#queue.turn(this.#monotonic(), this.#handledPerTurn, this.#handleQueued) === 0) return;
    this.#turnScheduled = true;
    setImmediate(this.#turn);
  };

  readonly #handleQueued = (bytes: Uint8Array, meta: ArrivalMeta): void => this.#handle(bytes, meta);

  #handle(bytes: Uint8Array, meta: ArrivalMeta): void {
    let msg: DhcpMessage;
    try {
      msg = decodeMessage(bytes);
    } catch (err) {
      this.#o.engine.recordParseFailure();
      this.#junk.count('undecodable');
      const code = err instanceof DhcpDecodeError ? err.code : 'ERR_DECODE_INTERNAL';
      this.#o.logger.debug(
        { code, from: `${meta.sourceAddress}:${meta.sourcePort}`, via: meta.interface, bytes: bytes.length },
        `undecodable packet: ${err instanceof Error ? err.message : String(err)}`,
      );
      return;
    }
    const now = this.#o.clock();
    let arrival = meta;
    if (this.#o.admit !== undefined) {
      const admitted = this.#o.admit(msg, meta);
      if (admitted === null) {
        this.#o.engine.recordQueueDrop();
        return;
      }
      arrival = admitted;
    }
    const out = this.#o.engine.handle(msg, arrival, now);
    this.#o.touched();
    if (out.commit === null) {
      const offered = this.#o.beforeOffer === undefined ? undefined : offeredAddress(out);
      if (offered === undefined) this.#emit(out);
      else {
        this.#inFlight++;
        this.#claimThenOffer(msg, arrival, offered, out, 1);
      }
      return;
    }
    this.#inFlight++;
    runCommitLoop(this.#o.engine, out, this.#write, now, this.#sink);
  }

  #claimThenOffer(
    msg: DhcpMessage,
    arrival: ArrivalMeta,
    address: string,
    out: EngineOutput,
    attempt: number,
  ): void {
    this.#o.beforeOffer!({ address, request: msg }).then(
      (held) => {
        if (held === null) {
          this.#emit(out);
          this.#finished();
          return;
        }
        this.#o.engine.applyLeaseChange({ kind: 'updated', lease: held });
        const now = this.#o.clock();
        const next = this.#o.engine.handle(msg, arrival, now);
        this.#o.touched();
        const again = next.commit === null ? offeredAddress(next) : undefined;
        if (again !== undefined && attempt < MAX_OFFER_CLAIMS)
          this.#claimThenOffer(msg, arrival, again, next, attempt + 1);
        else this.#finished();
      },
      () => this.#finished(),
    );
  }

  /** performWrites, then `afterCommit`; rejects (no reply) when afterCommit says the exchange must not finish. */
  async #commit(writes: readonly LeaseWrite[], now: number): Promise<CommitOutcome> {
    const refused = await performWrites(this.#o.store, writes, now);
    if (refused !== undefined || this.#o.afterCommit === undefined) return refused;
    const after = this.#o.afterCommit(writes);
    if (after !== null && !(await after)) throw new PeerNotUpdatedError();
    return undefined;
  }

  /**
   * Counts a datagram dropped unanswered (pkt4-receive-drop, and by reason); one warn line per interval says
   * how many of each since the last line: at the first drop, then at most every SHED_LOG_INTERVAL_MS, and
   * whatever is left when the interval ends or the pipeline drains.
   */
  #shed(why: ShedReason, waitedMs: number): void {
    this.#o.engine.recordQueueDrop();
    this.#shedSinceLog[why]++;
    this.#shedWaitedMs = waitedMs;
    const now = this.#o.clock();
    const dueIn = this.#shedLoggedAt + SHED_LOG_INTERVAL_MS - now;
    if (dueIn <= 0) this.#logShed();
    else if (this.#shedLogTimer === undefined) {
      this.#shedLogTimer = setTimeout(() => this.#logShed(), dueIn);
      this.#shedLogTimer.unref();
    }
  }

  #logShed(): void {
    clearTimeout(this.#shedLogTimer);
    this.#shedLogTimer = undefined;
    const n = this.#shedSinceLog;
    const total = n['shed-discover'] + n.backlog + n.stale + n.overflow;
    if (total === 0) return;
    const { discoverMs, staleMs, maxDatagrams } = this.#queue.limits;
    const serviceMs = this.#queue.serviceMs;
    this.#o.logger.warn(
      {
        shed: n['shed-discover'],
        backlog: n.backlog,
        stale: n.stale,
        overflow: n.overflow,
        waitedMs: Math.round(this.#shedWaitedMs),
        queued: this.#queue.length,
        ...(serviceMs === undefined ? {} : { serviceUs: Math.round(serviceMs * 1000) }),
        maxDiscoverMs: discoverMs,
        maxRequestMs: staleMs,
      },
      `overloaded: dropped unanswered ${n['shed-discover']} DISCOVERs that waited more than ${discoverMs} ms, ` +
        `${n.backlog} DISCOVERs behind a backlog longer than that, ` +
        `${n.stale} requests that waited more than ${staleMs} ms` +
        (n.overflow === 0 ? '' : `, ${n.overflow} datagrams past the receive queue's ${maxDatagrams}`),
    );
    this.#shedLoggedAt = this.#o.clock();
    this.#shedSinceLog = { 'shed-discover': 0, backlog: 0, overflow: 0, stale: 0 };
  }

  /** A refused send is counted by its error code; a relay that never answers ARP fails every reply alike. */
  readonly #notSent = (err: unknown, reply: OutgoingReply): void => {
    const category =
      err instanceof TransportError
        ? `${err.code}${err.syscallCode === undefined ? '' : ` ${err.syscallCode}`}`
        : err instanceof Error
          ? err.name
          : 'error';
    this.#unsent.count(category);
    this.#o.logger.debug({ err, to: reply.destination.address }, 'reply not sent');
  };

  #finished(): void {
    this.#inFlight--;
    if (this.#inFlight > 0 || this.#drained.length === 0) return;
    const waiting = this.#drained;
    this.#drained = [];
    for (const resolve of waiting) resolve();
  }

  #emit(out: EngineOutput): void {
    let events = out.events;
    for (let i = 0; i < out.replies.length; i++) {
      const reply = out.replies[i] as OutgoingReply;
      let data: Buffer;
      try {
        data = encodeReply(reply);
      } catch (err) {
        // Nothing goes on the wire: the log line must not say it did, and what the reply held is let go.
        const why = `reply could not be encoded (${err instanceof Error ? err.message : String(err)})`;
        const paired = out.replies.length === events.length ? events[i] : undefined;
        const fixed = this.#o.engine.replyNotSent(reply, paired, why);
        if (paired !== undefined && fixed !== undefined)
          events = events.map((e) => (e === paired ? fixed : e));
        else this.#o.logger.warn({ err }, why);
        continue;
      }
      this.#o.send(reply, data, this.#notSent);
    }
    if (events.length === 0) return;
    const onExchange = this.#o.onExchange;
    if (onExchange) {
      for (const e of events) {
        try {
          onExchange(e);
        } catch (err) {
          this.#o.logger.error({ err }, 'exchange listener failed');
        }
      }
    }
    const log = this.#o.logger;
    for (const e of events) {
      if (e.junk !== undefined) {
        this.#junk.count(e.junk);
        if (!log.isLevelEnabled('debug')) continue;
        const { text, type: _type, ...exchange } = e;
        log.debug({ exchange }, text);
        continue;
      }
      if (!log.isLevelEnabled('info')) continue;
      const { text, type: _type, ...exchange } = e;
      log.info({ exchange }, text);
    }
  }
}

/** A peer that must acknowledge a lease update did not (HA logs why): the reply is not sent. */
class PeerNotUpdatedError extends RuntimeError {
  constructor() {
    super('ERR_SERVER_HA_PEER_NOT_UPDATED', 'a peer did not acknowledge the lease update');
  }
}

/** The address of the OFFER among the output's replies, if there is one. */
function offeredAddress(out: EngineOutput): string | undefined {
  for (const r of out.replies) if (messageTypeOf(r.message) === MessageType.OFFER) return r.message.yiaddr;
  return undefined;
}
