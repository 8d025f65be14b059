import { HttpControlServer } from './http-server.ts';
import type { CommandRegistry, ControlLogger } from './registry.ts';
import { isExposedWithoutAuth, type ControlListenerSettings } from './settings.ts';
import type { ControlTarget } from './target.ts';
import { UnixControlServer } from './unix-server.ts';

export interface ControlListeners {
  readonly unix: readonly UnixControlServer[];
  readonly http: readonly HttpControlServer[];
  close(): Promise<void>;
}

export interface StartOptions {
  readonly registry: CommandRegistry;
  readonly target: ControlTarget;
  readonly logger?: ControlLogger;
  readonly now?: () => number;
  readonly maxRequestBytes?: number;
  readonly idleTimeoutMs?: number;
}

/** Opens every configured listener; if one fails, the ones already open are closed and the error thrown. */
export async function startControlListeners(
  settings: ControlListenerSettings,
  options: StartOptions,
): Promise<ControlListeners> {
  const unix: UnixControlServer[] = [];
  const http: HttpControlServer[] = [];
  const close = async (): Promise<void> => {
    await Promise.all([...unix, ...http].map((l) => l.close()));
  };
  try {
    for (const u of settings.unix) unix.push(await UnixControlServer.listen({ ...options, path: u.path }));
    for (const h of settings.http) {
      if (isExposedWithoutAuth(h)) {
        options.logger?.warn(
          { host: h.host, port: h.port },
          `control HTTP ${h.host}:${h.port} serves the management API WITHOUT authentication on a non-loopback address (insecure-control): anyone who reaches it can wipe the leases or stop the server`,
        );
      }
      http.push(await HttpControlServer.listen({ ...options, ...h }));
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { unix, http, close };
}
