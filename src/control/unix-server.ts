import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { failure, type Answer } from './answer.ts';
import { ControlListenError } from './errors.ts';
import { RateLimitedLog } from '../log/rate-limited-log.ts';
import { JsonFrameScanner } from './framing.ts';
import type { CommandRegistry, ControlLogger } from './registry.ts';
import type { ControlTarget } from './target.ts';

export interface UnixControlOptions {
  readonly path: string;
  readonly registry: CommandRegistry;
  readonly target: ControlTarget;
  /** Largest command accepted, in bytes (default 1 MiB). */
  readonly maxRequestBytes?: number;
  /** A connection that has not sent a whole command by then is answered and closed (default 10 s, as Kea). */
  readonly idleTimeoutMs?: number;
  /** Deepest nesting of objects and arrays accepted in a command (default 100). */
  readonly maxJsonDepth?: number;
  readonly logger?: ControlLogger;
  readonly now?: () => number;
}

export const DEFAULT_MAX_REQUEST_BYTES = 1024 * 1024;
export const DEFAULT_IDLE_TIMEOUT_MS = 10_000;

/**
 * Kea's control socket: a UNIX stream socket, mode 0600, one JSON command per connection, answered, then
 * closed, so `socat UNIX:/path -` works.
 */
export class UnixControlServer {
  readonly path: string;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #errors: RateLimitedLog<string>;

  private constructor(path: string, server: Server, logger: ControlLogger | undefined) {
    this.path = path;
    this.#server = server;
    this.#errors = new RateLimitedLog({
      emit: (count, last) =>
        logger?.warn(
          { socket: path, count, last },
          `control socket: ${count} connection error(s) (last: ${last})`,
        ),
    });
  }

  static async listen(options: UnixControlOptions): Promise<UnixControlServer> {
    await removeStaleSocket(options.path);
    const server = createServer({ allowHalfOpen: true });
    const control = new UnixControlServer(options.path, server, options.logger);
    server.on('connection', (socket) => control.#serve(socket, options));
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

  #serve(socket: Socket, options: UnixControlOptions): void {
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
    socket.on('error', (err) => this.#errors.hit(err.message));
    const max = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
    const scanner = new JsonFrameScanner(options.maxJsonDepth);
    const decoder = new StringDecoder('utf8');
    let received = 0;
    let done = false;
    const finish = (answer: Answer): void => {
      if (done) return;
      done = true;
      socket.setTimeout(0);
      socket.removeAllListeners('data');
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
        done = true;
        socket.setTimeout(0);
        socket.removeAllListeners('data');
        void this.#answer(state.text, socket, options);
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

  async #answer(text: string, socket: Socket, options: UnixControlOptions): Promise<void> {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch (err) {
      socket.end(JSON.stringify(failure(err instanceof Error ? err.message : String(err))));
      return;
    }
    const answer = await options.registry.dispatch(message, {
      target: options.target,
      via: 'unix',
      agent: false,
      now: options.now ?? Date.now,
    });
    if (!socket.destroyed) socket.end(JSON.stringify(answer));
  }

  /** Stops listening, closes open connections and removes the socket file. */
  async close(): Promise<void> {
    this.#errors.flush();
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

function trySetUmask(mask: number): number | undefined {
  try {
    return process.umask(mask);
  } catch {
    return undefined;
  }
}

/** A socket file left by a dead server is removed; one a live server answers on is an error. */
async function removeStaleSocket(path: string): Promise<void> {
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
  if (alive) throw new ControlListenError(`${path} is in use by another server`);
  unlinkSync(path);
}
