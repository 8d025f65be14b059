import type { CommandRegistry, ControlLogger } from './registry.ts';
import type { ControlTarget } from './target.ts';
import { UnixJsonEndpoint, UnixJsonServer } from './unix-json-server.ts';

export { DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_MAX_REQUEST_BYTES } from './unix-json-server.ts';

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

/**
 * Kea's control socket: a UnixJsonServer whose one JSON value per connection is a command for the
 * registry.
 */
export class UnixControlServer extends UnixJsonEndpoint {
  static async listen(options: UnixControlOptions): Promise<UnixControlServer> {
    const { registry, target, now, ...limits } = options;
    const socket = await UnixJsonServer.listen({
      ...limits,
      handle: (message) =>
        registry.dispatch(message, { target, via: 'unix', agent: false, now: now ?? Date.now }),
    });
    return new UnixControlServer(socket);
  }
}
