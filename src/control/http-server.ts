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
import { jsonDepthError, DEFAULT_MAX_JSON_DEPTH } from '../config/index.ts';
import { RateLimitedLog } from '../log/index.ts';
import { failure, type Answer } from './answer.ts';
import { challenge, claimedUser, isAuthorized, type BasicAuthSettings } from './auth.ts';
import { ControlListenError } from './errors.ts';
import { HostPolicy } from './host-policy.ts';
import type { JsonValue } from './json.ts';
import { isJsonObject } from './json.ts';
import type { CommandRegistry, ControlLogger } from './registry.ts';
import type { ControlTarget } from './target.ts';
import { DEFAULT_AUTH_THROTTLE, FailureThrottle, type AuthThrottleSettings } from './throttle.ts';
import { DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_MAX_REQUEST_BYTES } from './unix-json-server.ts';

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
  /** Idle connections, and TLS handshakes not finished by then, are closed (default 10 s). */
  readonly idleTimeoutMs?: number;
  /** Names besides the listener's own address that `Host` and WebSocket `Origin` may carry (host-policy.ts). */
  readonly hostAllowlist?: readonly string[];
  /** Connections open at once; more are refused, counted and logged (default 64). */
  readonly maxConnections?: number;
  /** Failed logins allowed per source address before it is refused for a while (default 10 per 60 s). */
  readonly authThrottle?: AuthThrottleSettings;
  /** Deepest nesting accepted in a request body (default 100). */
  readonly maxJsonDepth?: number;
  readonly logger?: ControlLogger;
  readonly now?: () => number;
}

export const DEFAULT_MAX_CONNECTIONS = 64;

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
  readonly #hosts: HostPolicy;
  readonly #throttle: FailureThrottle;
  readonly #logs: ListenerLogs;
  #upgrade: UpgradeHook | undefined;

  private constructor(server: Server, options: HttpControlOptions) {
    this.server = server;
    this.#options = options;
    this.#hosts = new HostPolicy(options.host, options.hostAllowlist);
    // Real elapsed time, not the commands' clock (tests and embedders may freeze that one).
    this.#throttle = new FailureThrottle(options.authThrottle ?? DEFAULT_AUTH_THROTTLE, () =>
      performance.now(),
    );
    this.#logs = listenerLogs(options, () => this.url);
  }

  static async listen(options: HttpControlOptions): Promise<HttpControlServer> {
    const idle = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    // A client that never finishes the TLS handshake would otherwise hold its socket for Node's default
    // handshakeTimeout (120 s), beyond every HTTP timeout.
    const server =
      options.tls === undefined
        ? createHttpServer()
        : createHttpsServer({ ...tlsOptions(options.tls), handshakeTimeout: idle });
    const control = new HttpControlServer(server, options);
    server.requestTimeout = idle;
    server.headersTimeout = idle;
    server.setTimeout(idle);
    server.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    server.on('drop', (data?: { remoteAddress?: string }) =>
      control.#logs.refused.hit(data?.remoteAddress ?? '?'),
    );
    server.on('connection', (socket: Socket) => {
      control.#sockets.add(socket);
      socket.on('close', () => control.#sockets.delete(socket));
    });
    // Handshake failures and timeouts: Node only reports them (the socket stays open, half-closed by a
    // departed client in CLOSE-WAIT): close it here.
    server.on('tlsClientError', (err: Error, socket: Duplex) => {
      socket.destroy();
      control.#logs.clientErrors.hit(err.message);
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => control.#request(req, res));
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      control.#onUpgrade(req, socket, head),
    );
    server.on('clientError', (err: Error, socket: Duplex) => {
      control.#logs.clientErrors.hit(err.message);
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

  /** Connections refused because `maxConnections` were open. */
  get refusedConnections(): number {
    return this.#logs.refused.total;
  }

  /** Whether a WebSocket upgrade's `Origin` names this listener (see HostPolicy); no Origin: not a browser. */
  allowsOrigin(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    return origin === undefined || this.#hosts.allowsOrigin(origin, req.socket.localAddress);
  }

  get port(): number {
    // After close() the address is gone; a late log line still names the listener.
    return (this.server.address() as AddressInfo | null)?.port ?? this.#options.port;
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
    this.#logs.clientErrors.flush();
    this.#logs.refused.flush();
    this.#logs.authFailures.flush();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }

  #onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const refusal = this.#refusal(req);
    if (refusal !== undefined) {
      const headers = Object.entries(refusal.headers).map(([k, v]) => `${k}: ${v}\r\n`);
      socket.end(
        `HTTP/1.1 ${refusal.status} ${refusal.text}\r\n${headers.join('')}Connection: close\r\n\r\n`,
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

  /**
   * What every request and upgrade passes first: a `Host` naming this listener (DNS rebinding), a source
   * address not throttled for failed logins, valid credentials. Undefined when the request may go on.
   */
  #refusal(req: IncomingMessage): Refusal | undefined {
    if (!this.#hosts.allowsHost(req.headers.host, req.socket.localAddress)) {
      this.#logs.misdirected.hit(JSON.stringify((req.headers.host ?? '').slice(0, 100)));
      return { status: 421, text: 'Misdirected Request', headers: {} };
    }
    const auth = this.#options.auth;
    if (auth === undefined) return undefined;
    const source = req.socket.remoteAddress ?? '?';
    const wait = this.#throttle.blockedFor(source);
    if (wait > 0) {
      this.#logs.authFailures.hit({ source, user: claimedUser(req.headers), throttled: true });
      return {
        status: 429,
        text: 'Too Many Requests',
        headers: { 'Retry-After': `${Math.ceil(wait / 1000)}` },
      };
    }
    if (isAuthorized(auth, req.headers)) return undefined;
    // A browser's first request carries no credentials: only a wrong password counts as a failure.
    if (req.headers.authorization !== undefined) {
      this.#throttle.failed(source);
      this.#logs.authFailures.hit({ source, user: claimedUser(req.headers), throttled: false });
    }
    return { status: 401, text: 'Unauthorized', headers: { 'WWW-Authenticate': challenge(auth) } };
  }

  #request(req: IncomingMessage, res: ServerResponse): void {
    const refusal = this.#refusal(req);
    if (refusal !== undefined) {
      req.resume();
      sendJson(res, refusal.status, { result: refusal.status, text: refusal.text }, refusal.headers);
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
    const deep = jsonDepthError(body, this.#options.maxJsonDepth ?? DEFAULT_MAX_JSON_DEPTH);
    if (deep !== undefined) {
      sendJson(res, 400, { result: 400, text: `Bad Request: ${deep}` });
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

interface Refusal {
  readonly status: number;
  readonly text: string;
  readonly headers: Record<string, string>;
}

interface AuthFailure {
  readonly source: string;
  readonly user: string;
  readonly throttled: boolean;
}

/** The listener's repeated events, each logged once per interval with a count. */
interface ListenerLogs {
  readonly clientErrors: RateLimitedLog<string>;
  readonly refused: RateLimitedLog<string>;
  readonly misdirected: RateLimitedLog<string>;
  readonly authFailures: RateLimitedLog<AuthFailure>;
}

function listenerLogs(options: HttpControlOptions, url: () => string): ListenerLogs {
  const warn = (fields: object, msg: string): void =>
    options.logger?.warn({ listener: url(), ...fields }, msg);
  return {
    clientErrors: new RateLimitedLog({
      emit: (count, last) =>
        warn({ count, last }, `control HTTP: ${count} bad connection(s) closed (last: ${last})`),
    }),
    refused: new RateLimitedLog({
      emit: (count, last) =>
        warn(
          { count, last, max: options.maxConnections ?? DEFAULT_MAX_CONNECTIONS },
          `control HTTP: ${count} connection(s) refused, too many open (last from ${last})`,
        ),
    }),
    misdirected: new RateLimitedLog({
      emit: (count, last) =>
        warn(
          { count, last },
          `control HTTP: ${count} request(s) for an unknown Host refused (last: ${last})`,
        ),
    }),
    authFailures: new RateLimitedLog({
      emit: (count, last) =>
        warn(
          { count, source: last.source, user: last.user, throttled: last.throttled },
          `control HTTP: ${count} failed login(s) (last from ${last.source} as user ${last.user}${last.throttled ? ', throttled' : ''})`,
        ),
    }),
  };
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
