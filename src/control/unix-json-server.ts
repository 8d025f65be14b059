import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { RateLimitedLog } from '../log/index.ts';
import { failure, type Answer } from './answer.ts';
import { ControlListenError } from './errors.ts';
import { JsonFrameScanner } from './framing.ts';
import type { ControlLogger } from './registry.ts';

export const DEFAULT_MAX_REQUEST_BYTES = 1024 * 1024;
export const DEFAULT_IDLE_TIMEOUT_MS = 10_000;

/**
 * What a connection's one JSON value is turned into: an answer written before the connection is closed, or
 * `undefined` when the handler took the socket over (a subscription that streams events until the peer
 * hangs up).
 */
export type JsonRequestHandler = (message: unknown, socket: Socket) => Promise<Answer | undefined>;

export interface UnixJsonServerOptions {
  readonly path: string;
  readonly handle: JsonRequestHandler;
  /** Largest request accepted, in bytes (default 1 MiB). */
  readonly maxRequestBytes?: number;
  /** A connection that has not sent a whole request by then is answered and closed (default 10 s, as Kea). */
  readonly idleTimeoutMs?: number;
  /** Deepest nesting of objects and arrays accepted (default 100). */
  readonly maxJsonDepth?: number;
  /** Connection errors are logged here, once per interval with a count. */
  readonly logger?: ControlLogger;
  /** Who answers on the socket, for the "in use" error: `server`, `client`. */
  readonly owner?: string;
}

/**
 * A UNIX stream socket, mode 0600, taking one JSON value per connection, answered, then closed (so
 * `socat UNIX:/path -` works). Requests are bounded in size, nesting and time; a socket file left by a dead
 * process is removed, one a live process answers on is refused. Both the server's and the client's control
 * sockets are this one.
 */
export class UnixJsonServer {
  readonly path: string;
  readonly #server: Server;
  readonly #options: UnixJsonServerOptions;
  readonly #sockets = new Set<Socket>();
  readonly #errors: RateLimitedLog<string>;

  private constructor(server: Server, options: UnixJsonServerOptions) {
    this.path = options.path;
    this.#server = server;
    this.#options = options;
    this.#errors = new RateLimitedLog({
      emit: (count, last) =>
        options.logger?.warn(
          { socket: options.path, count, last },
          `control socket: ${count} connection error(s) (last: ${last})`,
        ),
    });
  }

  static async listen(options: UnixJsonServerOptions): Promise<UnixJsonServer> {
    await removeStaleSocket(options.path, options.owner ?? 'server');
    const server = createServer({ allowHalfOpen: true });
    const control = new UnixJsonServer(server, options);
    server.on('connection', (socket) => control.#serve(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) =>
        reject(new ControlListenError(`cannot listen on ${options.path}: ${err.message}`, { cause: err })),
      );
      // The umask makes the socket 0600 from the moment it exists; chmod below makes sure of it (and is all
      // there is in worker threads, where process.umask cannot be set).
      const previous = trySetUmask(0o177);
      try {
        server.listen(options.path, () => resolve());
      } finally {
        if (previous !== undefined) process.umask(previous);
      }
    });
    chmodSync(options.path, 0o600);
    server.on('error', (err) => options.logger?.error({ err }, 'control socket error'));
    return control;
  }

  #serve(socket: Socket): void {
    const options = this.#options;
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
    socket.on('error', (err) => this.#errors.hit(err.message));
    const max = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
    const scanner = new JsonFrameScanner(options.maxJsonDepth);
    const decoder = new StringDecoder('utf8');
    let received = 0;
    let done = false;
    const stopReading = (): void => {
      done = true;
      socket.setTimeout(0);
      socket.removeAllListeners('data');
    };
    const finish = (answer: Answer): void => {
      if (done) return;
      stopReading();
      socket.end(JSON.stringify(answer));
    };
    socket.setTimeout(options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS, () => {
      finish(failure('Connection over control channel timed out'));
    });
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > max) {
        finish(failure(`Command too large: more than ${max} bytes.`));
        return;
      }
      const state = scanner.push(decoder.write(chunk));
      if (state.kind === 'invalid') finish(failure(state.message));
      else if (state.kind === 'complete') {
        stopReading();
        void this.#answer(state.text, socket);
      }
    });
    socket.on('end', () => {
      if (done) return;
      if (!scanner.started) {
        done = true;
        socket.end();
      } else {
        finish(failure('Incomplete command: the connection was closed before a whole JSON value arrived.'));
      }
    });
  }

  async #answer(text: string, socket: Socket): Promise<void> {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch (err) {
      socket.end(JSON.stringify(failure(err instanceof Error ? err.message : String(err))));
      return;
    }
    const answer = await this.#options.handle(message, socket);
    if (answer !== undefined && !socket.destroyed) socket.end(JSON.stringify(answer));
  }

  /** Stops listening, closes open connections (subscriptions too) and removes the socket file. */
  async close(): Promise<void> {
    this.#errors.flush();
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/**
 * A command protocol served on a UnixJsonServer, as its owner sees it: where it listens and how it stops. The
 * server's and the client's control sockets extend it with their `listen`.
 */
export class UnixJsonEndpoint {
  readonly #socket: UnixJsonServer;

  protected constructor(socket: UnixJsonServer) {
    this.#socket = socket;
  }

  get path(): string {
    return this.#socket.path;
  }

  /** Stops listening, closes open connections (subscriptions too) and removes the socket file. */
  close(): Promise<void> {
    return this.#socket.close();
  }
}

function trySetUmask(mask: number): number | undefined {
  try {
    return process.umask(mask);
  } catch {
    return undefined;
  }
}

/** A socket file left by a dead process is removed; one a live process answers on is an error. */
async function removeStaleSocket(path: string, owner: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch {
    return;
  }
  if (!isSocket) throw new ControlListenError(`${path} exists and is not a socket`);
  const alive = await new Promise<boolean>((resolve) => {
    const probe = createConnection(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (alive) throw new ControlListenError(`${path} is in use by another ${owner}`);
  unlinkSync(path);
}
