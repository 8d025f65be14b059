import type { Logger } from 'pino';
import type { Lease } from '../leases/lease.ts';
import type { LeaseStore } from '../leases/store.ts';
import { performWrites } from '../server/settle.ts';
import { DhcpDecodeError, decodeMessage, type DhcpMessage } from '../protocol/index.ts';
import type { DhcpServerEngine } from '../server/engine.ts';
import { encodeReply } from '../server/encode.ts';
import type { ArrivalMeta, EngineOutput, ExchangeEvent, OutgoingReply } from '../server/types.ts';

export interface PipelineOptions {
  readonly engine: DhcpServerEngine;
  readonly store: LeaseStore;
  readonly clock: () => number;
  readonly send: (reply: OutgoingReply, data: Buffer) => Promise<void>;
  readonly logger: Logger;
  /** Called after every engine call that may have moved its next deadline. */
  readonly touched: () => void;
  /** Called with every finished exchange (after its commit, for an ACK); errors it throws are logged. */
  readonly onExchange?: (event: ExchangeEvent) => void;
}

/**
 * The per-datagram loop of docs/server.md: decode, handle, send, commit, report back, until the engine has
 * no more commits for this exchange. Never throws: a bad packet is counted and logged, a store failure
 * answers the commit token as failed (and sends nothing: the client retries).
 */
export class Pipeline {
  readonly #o: PipelineOptions;
  readonly #inFlight = new Set<Promise<void>>();
  #accepting = true;

  constructor(options: PipelineOptions) {
    this.#o = options;
  }

  /** How many datagrams are being handled (waiting for their commits). */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Stops taking datagrams; resolves once every one already taken is finished. */
  async drain(): Promise<void> {
    this.#accepting = false;
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  receive(bytes: Buffer, meta: ArrivalMeta): void {
    if (!this.#accepting) return;
    let msg: DhcpMessage;
    try {
      msg = decodeMessage(bytes);
    } catch (err) {
      this.#o.engine.recordParseFailure();
      const code = err instanceof DhcpDecodeError ? err.code : 'ERR_UNKNOWN';
      this.#o.logger.debug(
        { code, from: `${meta.sourceAddress}:${meta.sourcePort}`, via: meta.interface, bytes: bytes.length },
        `undecodable packet: ${err instanceof Error ? err.message : String(err)}`,
      );
      return;
    }
    const now = this.#o.clock();
    const out = this.#o.engine.handle(msg, meta, now);
    this.#o.touched();
    if (out.commit === null) {
      this.#emit(out);
      return;
    }
    const p = this.#continue(out, now).catch((err: unknown) =>
      this.#o.logger.error({ err }, 'exchange failed'),
    );
    this.#inFlight.add(p);
    void p.finally(() => this.#inFlight.delete(p));
  }

  async #continue(first: EngineOutput, now: number): Promise<void> {
    let out = first;
    for (;;) {
      this.#emit(out);
      const commit = out.commit;
      if (commit === null) return;
      const engine = this.#o.engine;
      let refused: Lease | null | undefined;
      try {
        refused = await performWrites(this.#o.store, commit.writes, now);
      } catch (err) {
        // No durability, no ACK: abort the token (no NAK either), the client will retry.
        this.#o.logger.error({ err }, 'lease store write failed; the request is dropped');
        engine.commitAborted(commit.token, now);
        this.#o.touched();
        return;
      }
      out =
        refused === undefined
          ? engine.commitSucceeded(commit.token, now)
          : engine.commitFailed(commit.token, now, refused);
      this.#o.touched();
    }
  }

  #emit(out: EngineOutput): void {
    for (const reply of out.replies) {
      let data: Buffer;
      try {
        data = encodeReply(reply);
      } catch (err) {
        this.#o.logger.error({ err }, 'reply could not be encoded');
        continue;
      }
      this.#o
        .send(reply, data)
        .catch((err: unknown) =>
          this.#o.logger.warn({ err, to: reply.destination.address }, 'reply not sent'),
        );
    }
    if (out.events.length === 0) return;
    const onExchange = this.#o.onExchange;
    if (onExchange) {
      for (const e of out.events) {
        try {
          onExchange(e);
        } catch (err) {
          this.#o.logger.error({ err }, 'exchange listener failed');
        }
      }
    }
    const log = this.#o.logger;
    if (!log.isLevelEnabled('info')) return;
    for (const e of out.events) {
      const { text, type: _type, ...exchange } = e;
      log.info({ exchange }, text);
    }
  }
}
