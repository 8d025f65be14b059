import { HttpControlServer } from './http-server.ts';
import type { CommandRegistry, ControlLogger } from './registry.ts';
import type { ControlListenerSettings } from './settings.ts';
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
    for (const h of settings.http) http.push(await HttpControlServer.listen({ ...options, ...h }));
  } catch (err) {
    await close();
    throw err;
  }
  return { unix, http, close };
}
