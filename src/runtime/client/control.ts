import type { Socket } from 'node:net';
import { isIP } from 'node:net';
import {
  CommandRegistry,
  ControlListenError,
  failure,
  success,
  UnixJsonEndpoint,
  UnixJsonServer,
  type Answer,
  type JsonValue,
} from '../../control/index.ts';
import type { InformOptions } from '../../client/index.ts';
import { ClientRuntimeError } from './errors.ts';
import type { ClientRuntime } from './runtime.ts';

/** Commands of the client's control socket. */
export const CLIENT_COMMANDS = ['status', 'renew', 'release', 'inform', 'statistics', 'subscribe'] as const;
export type ClientCommand = (typeof CLIENT_COMMANDS)[number];

/** Client commands are small; a request larger than this is refused unread. */
const MAX_REQUEST_BYTES = 64 * 1024;

/**
 * The client's control channel: a UnixJsonServer (mode 0600) taking one JSON command per connection,
 * `{"command": "status"}`, answered in Kea's envelope `{"arguments", "result", "text"}` and closed, like
 * the server's. `subscribe` keeps the connection: the answer, then one JSON event per line until the
 * peer hangs up.
 */
export class ClientControlServer extends UnixJsonEndpoint {
  static async listen(path: string, runtime: ClientRuntime): Promise<ClientControlServer> {
    const registry = clientCommands();
    try {
      const socket = await UnixJsonServer.listen({
        path,
        owner: 'client',
        maxRequestBytes: MAX_REQUEST_BYTES,
        handle: async (message, connection) => {
          if (isSubscribe(message)) {
            subscribe(connection, runtime);
            return undefined;
          }
          return registry.dispatch(message, { target: runtime, via: 'unix', agent: false, now: Date.now });
        },
      });
      return new ClientControlServer(socket);
    } catch (err) {
      if (!(err instanceof ControlListenError)) throw err;
      throw new ClientRuntimeError('ERR_CLIENT_START', err.message, { cause: err });
    }
  }
}

function isSubscribe(message: unknown): boolean {
  return (
    typeof message === 'object' &&
    message !== null &&
    (message as { command?: unknown }).command === 'subscribe'
  );
}

/** The answer, then one JSON event per line until the peer hangs up. */
function subscribe(socket: Socket, runtime: ClientRuntime): void {
  socket.write(JSON.stringify(success('subscribed', { interface: runtime.interface })) + '\n');
  const off = runtime.onEvent((e) => {
    if (!socket.destroyed) socket.write(JSON.stringify(e) + '\n');
  });
  socket.on('close', off);
  // The peer's end of the stream means it is gone.
  socket.on('end', () => socket.end());
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

/** The client's commands (`subscribe` is the socket's own: it keeps the connection). */
function clientCommands(): CommandRegistry<ClientRuntime> {
  const registry = new CommandRegistry<ClientRuntime>({
    unsupportedHint: ` Commands: ${CLIENT_COMMANDS.join(', ')}.`,
  });
  const run =
    (fn: (runtime: ClientRuntime, args: unknown) => Answer) =>
    async (args: unknown, ctx: { target: ClientRuntime }): Promise<Answer> =>
      fn(ctx.target, args);
  return registry
    .register(
      'status',
      run((rt) => success('status', json(rt.status()))),
    )
    .register(
      'statistics',
      run((rt) => success('statistics', json(rt.statistics()))),
    )
    .register(
      'renew',
      run((rt) => {
        rt.renew();
        return success('renewing', { state: rt.engine.stateName });
      }),
    )
    .register(
      'release',
      run((rt) => {
        rt.release();
        return success('released', { state: rt.engine.stateName });
      }),
    )
    .register(
      'inform',
      run((rt, args) => {
        const opts = informArguments(args);
        if (typeof opts === 'string') return failure(opts);
        try {
          rt.inform(opts);
        } catch (err) {
          return failure(err instanceof Error ? err.message : String(err));
        }
        return success('informing: the answer comes as an inform-ack or inform-failed event', {
          state: rt.engine.stateName,
        });
      }),
    );
}

function json(v: unknown): JsonValue {
  return JSON.parse(JSON.stringify(v)) as JsonValue;
}
