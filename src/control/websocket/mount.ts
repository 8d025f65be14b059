import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { LeaseStore } from '../../leases/index.ts';
import type { HttpControlServer } from '../http-server.ts';
import type { ControlLogger } from '../registry.ts';
import type { ControlTarget } from '../target.ts';
import { Hub } from './hub.ts';
import type { IndexedLeases } from './lease-batches.ts';
import { ApiModel } from './model.ts';
import type { ServerAddress } from './options-read.ts';

export interface WebSocketApiOptions {
  /** The management listener; the API answers upgrades to `path` on it, behind its authentication. */
  readonly http: HttpControlServer;
  /** The same object the Kea commands use: options go through `config.set`, start/stop through `dhcp`. */
  readonly target: ControlTarget;
  /** The lease store: the `clients` list (when there is no index), `onChange` for pushes. */
  readonly store: Pick<LeaseStore, 'getAll' | 'getPage' | 'backend' | 'onChange'>;
  /**
   * The engine's lease index, only when it holds every lease of the store (one server owns the storage): the
   * list is read from it rather than the store's table (docs/websocket.md, "A million leases").
   */
  readonly index?: IndexedLeases;
  readonly logger?: ControlLogger;
  /** The served interfaces' addresses: the server identifier of subnets without a configured one. */
  readonly serverAddresses?: () => readonly ServerAddress[];
  /** Default `/ws`. */
  readonly path?: string;
  /** Largest accepted frame in bytes (default 64 KiB); a larger one closes the socket with 1009. */
  readonly maxPayload?: number;
  /** At most one `clients` push per this many ms (default 100). */
  readonly pushIntervalMs?: number;
  /** How often `dhcp.enabled()` is looked at, to see dhcp-enable/-disable and max-period (default 50 ms). */
  readonly runningPollMs?: number;
  readonly clock?: () => number;
  /** Between two slices of a `clients` list (default: yield to the event loop with `setImmediate`). */
  readonly pause?: () => Promise<void>;
}

export interface WebSocketApi {
  /** Connected sockets. */
  readonly connections: number;
  /** Closes every socket (1001) and stops pushing; the HTTP listener stays up. */
  close(): Promise<void>;
}

export const DEFAULT_WS_PATH = '/ws';
export const DEFAULT_MAX_PAYLOAD = 64 * 1024;
const CLOSE_GRACE_MS = 1000;

/**
 * Mounts the WebSocket API on a management HTTP listener (docs/websocket.md). Call it once per
 * listener, after `HttpControlServer.listen`; it takes the listener's upgrade hook.
 */
export function mountWebSocketApi(options: WebSocketApiOptions): WebSocketApi {
  const clock = options.clock ?? Date.now;
  const path = options.path ?? DEFAULT_WS_PATH;
  const model = new ApiModel({
    target: options.target,
    store: options.store,
    ...(options.index === undefined ? {} : { index: options.index }),
    serverAddresses: options.serverAddresses ?? (() => []),
    clock,
  });
  const hub = new Hub({
    model,
    logger: options.logger,
    clock,
    pushIntervalMs: options.pushIntervalMs ?? 100,
    ...(options.pause === undefined ? {} : { pause: options.pause }),
  });
  const unsubscribe = options.store.onChange(() => hub.leasesChanged());
  // dhcp-enable/-disable through Kea's commands and max-period's re-enable do not announce themselves.
  const poll = setInterval(() => hub.checkRunning(), options.runningPollMs ?? 50);
  poll.unref();
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayload ?? DEFAULT_MAX_PAYLOAD });
  let closed = false;

  options.http.onUpgrade((req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const refuse = (status: string): void => {
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (closed) return refuse('503 Service Unavailable');
    if ((req.url ?? '').split('?')[0] !== path) return refuse('404 Not Found');
    // A page from another origin must not drive the server with the browser's cached credentials. The
    // Origin is compared with the listener's own names, never with Host (which a rebound name controls).
    if (!options.http.allowsOrigin(req)) return refuse('403 Forbidden');
    wss.handleUpgrade(req, socket, head, (ws) => hub.attach(ws));
  });

  return {
    get connections() {
      return hub.size;
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(poll);
      unsubscribe();
      const done = new Promise<void>((resolve) => wss.close(() => resolve()));
      hub.close();
      // A peer that does not answer the close handshake is cut off after a grace period.
      const grace = setTimeout(() => {
        for (const ws of wss.clients) ws.terminate();
      }, CLOSE_GRACE_MS);
      await done;
      clearTimeout(grace);
    },
  };
}
