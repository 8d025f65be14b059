import { readFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { failure, type Answer } from './answer.ts';
import { challenge, isAuthorized, type BasicAuthSettings } from './auth.ts';
import { ControlListenError } from './errors.ts';
import type { JsonValue } from './json.ts';
import { isJsonObject } from './json.ts';
import type { CommandRegistry, ControlLogger } from './registry.ts';
import type { ControlTarget } from './target.ts';
import { DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_MAX_REQUEST_BYTES } from './unix-server.ts';

/** Kea's TLS settings of an HTTP control socket: file paths. */
export interface TlsSettings {
  /** CA bundle that client certificates must chain to. */
  readonly trustAnchor?: string;
  readonly certFile: string;
  readonly keyFile: string;
  /** Require and verify a client certificate (Kea's default: true when a trust anchor is set). */
  readonly certRequired: boolean;
}

export interface HttpControlOptions {
  readonly host: string;
  /** 0 picks a free port; read it back from `port`. */
  readonly port: number;
  readonly registry: CommandRegistry;
  readonly target: ControlTarget;
  readonly auth?: BasicAuthSettings;
  readonly tls?: TlsSettings;
  readonly maxRequestBytes?: number;
  readonly idleTimeoutMs?: number;
  readonly logger?: ControlLogger;
  readonly now?: () => number;
}

export type GetRoute = (req: IncomingMessage, res: ServerResponse) => void;
export type UpgradeHook = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/** The services a request may name; leasekeeper is the DHCPv4 server and its own agent. */
const SERVICE = 'dhcp4';

/**
 * Kea's Control Agent, in one process with the server: `POST /` with `{"command", "service", "arguments"}`,
 * answered with a JSON list. GET routes (the dashboard) and an `upgrade` hook (the WebSocket API) can be
 * mounted on the same listener; basic authentication, when configured, guards all of them.
 */
export class HttpControlServer {
  readonly server: Server;
  readonly #options: HttpControlOptions;
  readonly #routes = new Map<string, GetRoute>();
  readonly #sockets = new Set<Socket>();
  #upgrade: UpgradeHook | undefined;

  private constructor(server: Server, options: HttpControlOptions) {
    this.server = server;
    this.#options = options;
  }

  static async listen(options: HttpControlOptions): Promise<HttpControlServer> {
    const server =
      options.tls === undefined ? createHttpServer() : createHttpsServer(tlsOptions(options.tls));
    const control = new HttpControlServer(server, options);
    const idle = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    server.requestTimeout = idle;
    server.headersTimeout = idle;
    server.setTimeout(idle);
    server.on('connection', (socket: Socket) => {
      control.#sockets.add(socket);
      socket.on('close', () => control.#sockets.delete(socket));
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => control.#request(req, res));
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      control.#onUpgrade(req, socket, head),
    );
    server.on('clientError', (err: Error, socket: Duplex) => {
      options.logger?.warn({ err }, 'control HTTP client error');
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      else socket.destroy();
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) =>
        reject(
          new ControlListenError(`cannot listen on ${options.host}:${options.port}: ${err.message}`, {
            cause: err,
          }),
        ),
      );
      server.listen(options.port, options.host, () => resolve());
    });
    server.on('error', (err) => options.logger?.error({ err }, 'control HTTP server error'));
    return control;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    const host = this.#options.host.includes(':') ? `[${this.#options.host}]` : this.#options.host;
    return `${this.#options.tls === undefined ? 'http' : 'https'}://${host}:${this.port}/`;
  }

  /** Serves GET requests for `path` (exact match, query string ignored), e.g. the dashboard at `/`. */
  addGetRoute(path: string, route: GetRoute): void {
    this.#routes.set(path, route);
  }

  /** Receives HTTP upgrades (e.g. `ws`'s `handleUpgrade` for `/ws`) once authentication passed. */
  onUpgrade(hook: UpgradeHook): void {
    this.#upgrade = hook;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }

  #onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const auth = this.#options.auth;
    if (auth !== undefined && !isAuthorized(auth, req.headers)) {
      socket.end(
        `HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: ${challenge(auth)}\r\nConnection: close\r\n\r\n`,
      );
      return;
    }
    if (this.#upgrade === undefined) {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      return;
    }
    try {
      this.#upgrade(req, socket, head);
    } catch (err) {
      this.#options.logger?.error({ err }, 'control HTTP upgrade hook failed');
      socket.destroy();
    }
  }

  #request(req: IncomingMessage, res: ServerResponse): void {
    const auth = this.#options.auth;
    if (auth !== undefined && !isAuthorized(auth, req.headers)) {
      req.resume();
      sendJson(res, 401, { result: 401, text: 'Unauthorized' }, { 'WWW-Authenticate': challenge(auth) });
      return;
    }
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const route = this.#routes.get(path);
    if ((req.method === 'GET' || req.method === 'HEAD') && route !== undefined) {
      try {
        route(req, res);
      } catch (err) {
        // A mounted route must not take the control listener down with it.
        this.#options.logger?.error({ err, path }, 'control HTTP route failed');
        sendJson(res, 500, { result: 500, text: 'Internal Server Error' });
      }
      return;
    }
    if (req.method !== 'POST' || !isJsonContentType(req.headers['content-type'])) {
      req.resume();
      sendJson(res, 400, { result: 400, text: 'Bad Request' });
      return;
    }
    void this.#post(req, res);
  }

  async #post(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const max = this.#options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
    const body = await readBody(req, max);
    if (body === 'aborted') return;
    if (body === 'too-large') {
      sendJson(res, 413, { result: 413, text: 'Request Entity Too Large' }, { Connection: 'close' });
      return;
    }
    let message: unknown;
    try {
      message = JSON.parse(body);
    } catch {
      sendJson(res, 400, { result: 400, text: 'Bad Request' });
      return;
    }
    sendJson(res, 200, await this.#answers(message));
  }

  /** The Control Agent's forwarding: one answer per named service, or the agent's own answer. */
  async #answers(message: unknown): Promise<Answer[]> {
    const ctx = {
      target: this.#options.target,
      via: 'http' as const,
      now: this.#options.now ?? Date.now,
    };
    const registry = this.#options.registry;
    if (!isJsonObject(message) || message['service'] === undefined) {
      return [await registry.dispatch(message, { ...ctx, agent: true })];
    }
    const service = message['service'];
    if (!Array.isArray(service)) return [failure('service value must be a list')];
    if (service.length === 0) return [await registry.dispatch(message, { ...ctx, agent: true })];
    const answers: Answer[] = [];
    for (const name of service as readonly JsonValue[]) {
      if (typeof name !== 'string') {
        answers.push(failure('Error during command processing: service names must be strings'));
      } else if (name !== SERVICE) {
        answers.push(failure(`forwarding socket is not configured for the server type ${name}`));
      } else {
        answers.push(await registry.dispatch(message, { ...ctx, agent: false }));
      }
    }
    return answers;
  }
}

function tlsOptions(tls: TlsSettings): {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
  requestCert: boolean;
  rejectUnauthorized: boolean;
} {
  try {
    return {
      cert: readFileSync(tls.certFile),
      key: readFileSync(tls.keyFile),
      ...(tls.trustAnchor === undefined ? {} : { ca: readFileSync(tls.trustAnchor) }),
      requestCert: tls.certRequired,
      rejectUnauthorized: tls.certRequired,
    };
  } catch (err) {
    throw new ControlListenError(
      `cannot read TLS files: ${err instanceof Error ? err.message : String(err)}`,
      {
        cause: err,
      },
    );
  }
}

/** `application/json`, parameters such as `charset=utf-8` allowed (Kea 2.2 refuses them; curl users send them). */
function isJsonContentType(value: string | undefined): boolean {
  return value !== undefined && value.split(';')[0]?.trim().toLowerCase() === 'application/json';
}

function readBody(req: IncomingMessage, max: number): Promise<string | 'too-large' | 'aborted'> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    // A too-large body is read to its end and discarded before the 413 goes out (up to DRAIN_FACTOR times
    // max; beyond that the 413 is sent at once): closing while the client still writes makes the kernel
    // reset the connection, and the client (curl, kea-shell) sees a broken pipe instead of the answer.
    const drainLimit = max * DRAIN_FACTOR;
    if (Number(req.headers['content-length'] ?? '0') > drainLimit) {
      req.resume();
      resolve('too-large');
      return;
    }
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > drainLimit) resolve('too-large');
      else if (size > max) {
        tooLarge = true;
        parts.length = 0;
      } else if (!tooLarge) parts.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? 'too-large' : Buffer.concat(parts).toString('utf8')));
    req.on('error', () => resolve('aborted'));
  });
}

/** How much of a too-large body is drained before the 413, as a multiple of maxRequestBytes. */
const DRAIN_FACTOR = 16;

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}
