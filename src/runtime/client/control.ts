import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, isIP, type Server, type Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { failure, success, type Answer } from '../../control/answer.ts';
import { JsonFrameScanner } from '../../control/framing.ts';
import type { JsonValue } from '../../control/json.ts';
import type { InformOptions } from '../../client/index.ts';
import { ClientRuntimeError } from './errors.ts';
import type { ClientRuntime } from './runtime.ts';

/** Commands of the client's control socket. */
export const CLIENT_COMMANDS = ['status', 'renew', 'release', 'inform', 'statistics', 'subscribe'] as const;
export type ClientCommand = (typeof CLIENT_COMMANDS)[number];

const MAX_REQUEST_BYTES = 64 * 1024;
const IDLE_TIMEOUT_MS = 10_000;

/**
 * The client's control channel: a UNIX stream socket (mode 0600) taking one JSON command per connection,
 * `{"command": "status"}`, answered in Kea's envelope `{"arguments", "result", "text"}` and closed, like
 * the server's. `subscribe` keeps the connection: the answer, then one JSON event per line until the
 * peer hangs up.
 */
export class ClientControlServer {
  readonly path: string;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();

  private constructor(path: string, server: Server) {
    this.path = path;
    this.#server = server;
  }

  static async listen(path: string, runtime: ClientRuntime): Promise<ClientControlServer> {
    await removeStaleSocket(path);
    const server = createServer({ allowHalfOpen: true });
    const control = new ClientControlServer(path, server);
    server.on('connection', (s) => control.#serve(s, runtime));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) =>
        reject(new ClientRuntimeError('ERR_CLIENT_START', `cannot listen on ${path}: ${err.message}`)),
      );
      server.listen(path, () => resolve());
    });
    chmodSync(path, 0o600);
    server.on('error', () => undefined);
    return control;
  }

  #serve(socket: Socket, runtime: ClientRuntime): void {
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
    socket.on('error', () => undefined);
    const scanner = new JsonFrameScanner();
    const decoder = new StringDecoder('utf8');
    let received = 0;
    let done = false;
    const finish = (a: Answer): void => {
      if (done) return;
      done = true;
      socket.setTimeout(0);
      socket.removeAllListeners('data');
      socket.end(JSON.stringify(a));
    };
    socket.setTimeout(IDLE_TIMEOUT_MS, () => finish(failure('Connection over control channel timed out')));
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > MAX_REQUEST_BYTES) return finish(failure('Command too large.'));
      const state = scanner.push(decoder.write(chunk));
      if (state.kind === 'invalid') return finish(failure(state.message));
      if (state.kind !== 'complete') return;
      let command: unknown;
      let args: unknown;
      try {
        ({ command, arguments: args } = JSON.parse(state.text) as { command?: unknown; arguments?: unknown });
      } catch (err) {
        return finish(failure((err as Error).message));
      }
      if (command === 'subscribe') {
        done = true;
        socket.setTimeout(0);
        socket.removeAllListeners('data');
        this.#subscribe(socket, runtime);
        return;
      }
      finish(answer(command, args, runtime));
    });
    socket.on('end', () => {
      if (!done && scanner.started) finish(failure('Incomplete command.'));
      else if (!done) socket.end();
    });
  }

  #subscribe(socket: Socket, runtime: ClientRuntime): void {
    socket.write(JSON.stringify(success('subscribed', { interface: runtime.interface })) + '\n');
    const off = runtime.onEvent((e) => {
      if (!socket.destroyed) socket.write(JSON.stringify(e) + '\n');
    });
    socket.on('close', off);
    // The peer's end of the stream means it is gone.
    socket.on('end', () => socket.end());
  }

  /** Stops listening, ends subscriptions, removes the socket file. */
  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** `inform`'s arguments: `{ "address"?: IPv4, "server"?: IPv4 }`, each checked. */
function informArguments(args: unknown): InformOptions | string {
  if (args === undefined) return {};
  if (typeof args !== 'object' || args === null || Array.isArray(args)) return "'arguments' must be a map";
  const out: { address?: string; server?: string } = {};
  for (const [k, v] of Object.entries(args)) {
    if (k !== 'address' && k !== 'server') return `unknown argument '${k.slice(0, 40)}'`;
    if (typeof v !== 'string' || isIP(v) !== 4) return `'${k}' must be an IPv4 address`;
    out[k] = v;
  }
  return out;
}

function answer(command: unknown, args: unknown, runtime: ClientRuntime): Answer {
  switch (command) {
    case 'status':
      return success('status', json(runtime.status()));
    case 'statistics':
      return success('statistics', json(runtime.statistics()));
    case 'renew':
      runtime.renew();
      return success('renewing', { state: runtime.engine.stateName });
    case 'release':
      runtime.release();
      return success('released', { state: runtime.engine.stateName });
    case 'inform': {
      const opts = informArguments(args);
      if (typeof opts === 'string') return failure(opts);
      try {
        runtime.inform(opts);
      } catch (err) {
        return failure(err instanceof Error ? err.message : String(err));
      }
      return success('informing: the answer comes as an inform-ack or inform-failed event', {
        state: runtime.engine.stateName,
      });
    }
    default:
      return {
        result: 2,
        text: `'${String(command)}' command not supported; try: ${CLIENT_COMMANDS.join(', ')}`,
      };
  }
}

function json(v: unknown): JsonValue {
  return JSON.parse(JSON.stringify(v)) as JsonValue;
}

async function removeStaleSocket(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch {
    return;
  }
  if (!isSocket) throw new ClientRuntimeError('ERR_CLIENT_START', `${path} exists and is not a socket`);
  const alive = await new Promise<boolean>((resolve) => {
    const probe = createConnection(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (alive) throw new ClientRuntimeError('ERR_CLIENT_START', `${path} is in use by another client`);
  unlinkSync(path);
}
