import type { WebSocket } from 'ws';
import { RateLimitedLog } from '../../log/index.ts';
import type { ControlLogger } from '../registry.ts';
import {
  BuildAbandoned,
  buildClientsMessage,
  ClientsList,
  LEASES_PER_SLICE,
  stateMessage,
  yieldToEventLoop,
} from './clients-list.ts';
import { WebSocketRequestError } from './errors.ts';
import type { ApiModel } from './model.ts';
import { API_NAME, OPTIONS_SET, type RequestMessage, type ServerMessage } from './protocol.ts';
import { parseRequest } from './request.ts';

export interface HubOptions {
  readonly model: ApiModel;
  readonly logger: ControlLogger | undefined;
  readonly clock: () => number;
  /** At most one `clients` push per this many ms (default 100). */
  readonly pushIntervalMs: number;
  /** Between two slices of a `clients` list (default: yield to the event loop). */
  readonly pause?: () => Promise<void>;
}

/** Requests a socket may have waiting for an answer before it is closed with 1008. */
export const MAX_PENDING = 64;

/** One connected socket: its request queue and its share of `clients` pushes. */
class Peer {
  subscribed = false;
  /** A `clients` push is being written to this socket. */
  writing = false;
  /** A newer `clients` list arrived while writing: send the latest once the write is done. */
  stale = false;
  /** Requests are answered in the order they came. */
  queue: Promise<void> = Promise.resolve();
  /** Requests received and not yet answered. */
  pending = 0;
  readonly ws: WebSocket;
  constructor(ws: WebSocket) {
    this.ws = ws;
  }
}

/**
 * The sockets of the WebSocket API: answers requests, and pushes `clients` (coalesced: at most one per
 * `pushIntervalMs`, always the full current list, at most one in flight per socket so a slow browser gets
 * the newest list rather than a backlog) and `running` to every subscribed socket.
 */
export class Hub {
  readonly #o: HubOptions;
  readonly #peers = new Set<Peer>();
  #timer: NodeJS.Timeout | undefined;
  #flushing = false;
  #dirty = false;
  #lastPush = -Infinity;
  /** How long building the last list took (ms): the gap between pushes grows with it. */
  #cost = 0;
  #latestClients: Buffer | undefined;
  /** The `clients` message, built in slices and shared by every socket and request. */
  readonly #list: ClientsList;
  /** The last `state` answer: sockets asking together share it rather than each copy the list. */
  #lastState:
    { readonly clients: Buffer; readonly text: string; readonly message: Promise<Buffer> } | undefined;
  #lastRunning: boolean;
  #closed = false;
  /** Bad frames, oversized messages, resets: one line per interval, however many sockets misbehave. */
  readonly #socketErrors = new RateLimitedLog<string>({
    emit: (count, last) =>
      this.#o.logger?.warn({ count, last }, `WebSocket API: ${count} socket error(s) (last: ${last})`),
  });

  constructor(options: HubOptions) {
    this.#o = options;
    this.#lastRunning = options.model.running();
    const model = options.model;
    this.#list = new ClientsList({
      build: async (step) =>
        buildClientsMessage(model.leaseBatches(LEASES_PER_SLICE, step), await model.renderer(), step),
      wanted: () => this.#peers.size > 0,
      clock: options.clock,
      maxAgeMs: options.pushIntervalMs,
      ...(options.pause === undefined ? {} : { pause: options.pause }),
    });
  }

  /** Slices run by `clients` builds so far. */
  get slices(): number {
    return this.#list.slices;
  }

  get size(): number {
    return this.#peers.size;
  }

  attach(ws: WebSocket): void {
    const peer = new Peer(ws);
    this.#peers.add(peer);
    ws.on('message', (data, isBinary) => {
      const bytes = Array.isArray(data)
        ? Buffer.concat(data)
        : Buffer.isBuffer(data)
          ? data
          : Buffer.from(data);
      const text = bytes.toString('utf8');
      if (peer.pending >= MAX_PENDING) {
        // A client that sends faster than it reads its answers would make us buffer without end.
        ws.close(1008, 'too many requests in flight');
        return;
      }
      peer.pending++;
      peer.queue = peer.queue
        .then(() => this.#answer(peer, text, isBinary))
        .finally(() => {
          peer.pending--;
        });
    });
    ws.on('error', (err) => this.#socketErrors.hit(err.message));
    ws.on('close', () => this.#peers.delete(peer));
  }

  /** A lease changed: push the new list to subscribers, coalesced. */
  leasesChanged(): void {
    if (this.#closed) return;
    this.#list.changed();
    // The old list and its state answer go with it (a socket still writing them holds its own reference).
    this.#lastState = undefined;
    this.#dirty = true;
    this.#schedule();
  }

  /** Pushes `running` to subscribers if it changed since last seen (called by a poll and after start/stop). */
  checkRunning(): void {
    const now = this.#o.model.running();
    if (now === this.#lastRunning) return;
    this.#lastRunning = now;
    this.broadcast({ name: API_NAME, event: 'running', body: now });
  }

  broadcast(message: ServerMessage): void {
    const text = JSON.stringify(message);
    for (const peer of this.#peers) if (peer.subscribed) send(peer.ws, text);
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#socketErrors.flush();
    for (const peer of this.#peers) peer.ws.close(1001, 'server shutting down');
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#flushing || !this.#dirty) return;
    // With very many leases, building the list is itself the load: keep it under a third of the time.
    const gap = Math.max(this.#o.pushIntervalMs, 2 * this.#cost);
    const wait = Math.max(0, this.#lastPush + gap - this.#o.clock());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#flush();
    }, wait);
    this.#timer.unref();
  }

  async #flush(): Promise<void> {
    if (![...this.#peers].some((p) => p.subscribed)) {
      // Nobody listens: a socket that subscribes later asks for the list itself.
      this.#dirty = false;
      return;
    }
    this.#flushing = true;
    this.#dirty = false;
    const started = this.#o.clock();
    try {
      this.#latestClients = await this.#list.get();
      this.#lastPush = this.#o.clock();
      this.#cost = this.#lastPush - started;
      for (const peer of this.#peers) if (peer.subscribed) this.#pushClients(peer);
    } catch (err) {
      if (!(err instanceof BuildAbandoned))
        this.#o.logger?.error({ err }, 'WebSocket API: cannot read the leases');
    } finally {
      this.#flushing = false;
      if (!this.#closed) this.#schedule();
    }
  }

  #pushClients(peer: Peer): void {
    if (peer.writing) {
      peer.stale = true;
      return;
    }
    const text = this.#latestClients;
    if (text === undefined || peer.ws.readyState !== peer.ws.OPEN) return;
    peer.writing = true;
    peer.stale = false;
    peer.ws.send(text, TEXT_FRAME, () => {
      peer.writing = false;
      if (peer.stale) this.#pushClients(peer);
    });
  }

  async #answer(peer: Peer, text: string, isBinary: boolean): Promise<void> {
    let request: RequestMessage | undefined;
    try {
      if (isBinary)
        throw new WebSocketRequestError('ERR_WS_BAD_MESSAGE', 'send text frames, not binary ones');
      request = parseRequest(text);
      peer.subscribed = true;
      const reply = await this.#handle(request);
      // The next request waits until this answer is written, so a socket's backlog is its unread requests.
      await sendAndWait(peer.ws, Buffer.isBuffer(reply) ? reply : JSON.stringify(reply));
      if (request.event === 'start' || request.event === 'stop') this.checkRunning();
      if (!Buffer.isBuffer(reply) && reply.event === 'options' && reply.body === OPTIONS_SET) {
        // Everyone sees the new options; lease entries name the server identifier, which may have changed.
        this.broadcast({ name: API_NAME, event: 'options', body: await this.#o.model.options() });
        this.leasesChanged();
      }
    } catch (err) {
      // The socket closed while its list was built: nobody is left to answer.
      if (err instanceof BuildAbandoned) return;
      if (!(err instanceof WebSocketRequestError))
        this.#o.logger?.error({ err, event: request?.event }, 'WebSocket API: request failed');
      const body =
        err instanceof WebSocketRequestError
          ? { code: err.code, message: err.message, ...(err.event === undefined ? {} : { event: err.event }) }
          : {
              code: 'ERR_WS_INTERNAL' as const,
              message: err instanceof Error ? err.message : String(err),
              ...(request === undefined ? {} : { event: request.event }),
            };
      send(peer.ws, JSON.stringify({ name: API_NAME, event: 'error', body } satisfies ServerMessage));
    }
  }

  /** The answer: a message, or the UTF-8 text of one that holds the `clients` list. */
  async #handle(request: RequestMessage): Promise<ServerMessage | Buffer> {
    const model = this.#o.model;
    switch (request.event) {
      case 'clients':
        return this.#list.get();
      case 'running':
        return { name: API_NAME, event: 'running', body: model.running() };
      case 'getOptions':
        return { name: API_NAME, event: 'options', body: await model.options() };
      case 'state': {
        const [options, clients] = await Promise.all([model.options(), this.#list.get()]);
        const body = { running: model.running(), options, clients: null };
        const text = JSON.stringify({ name: API_NAME, event: 'state', body });
        const last = this.#lastState;
        if (last?.clients === clients && last.text === text) return last.message;
        const message = stateMessage(
          text.slice(0, -STATE_TAIL.length),
          clients,
          this.#o.pause ?? yieldToEventLoop,
        );
        this.#lastState = { clients, text, message };
        return message;
      }
      case 'start':
        await model.start();
        return { name: API_NAME, event: 'start', body: true };
      case 'stop':
        await model.stop();
        return { name: API_NAME, event: 'stop', body: false };
      case 'options': {
        const outcome = await model.setOptions(request.body);
        return {
          name: API_NAME,
          event: 'options',
          body: outcome.body,
          ...(outcome.errors === undefined ? {} : { errors: outcome.errors }),
        };
      }
    }
  }
}

/** How a `state` message with `clients: null` ends: the list goes in its place. */
const STATE_TAIL = 'null}}';

/** A prepared message is UTF-8 JSON: it goes out as a text frame, like a string. */
const TEXT_FRAME = { binary: false } as const;

function sendAndWait(ws: WebSocket, text: string | Buffer): Promise<void> {
  if (ws.readyState !== ws.OPEN) return Promise.resolve();
  return new Promise((resolve) => ws.send(text, TEXT_FRAME, () => resolve()));
}

function send(ws: WebSocket, text: string): void {
  if (ws.readyState === ws.OPEN) ws.send(text);
}
