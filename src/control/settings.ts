import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { BasicAuthSettings } from './auth.ts';
import { ControlConfigError } from './errors.ts';
import { isLoopback } from './host-policy.ts';
import type { TlsSettings } from './http-server.ts';
import { isJsonObject, type JsonObject } from './json.ts';
import { DEFAULT_AUTH_THROTTLE, type AuthThrottleSettings } from './throttle.ts';

export interface HttpListenerSettings {
  readonly host: string;
  readonly port: number;
  readonly auth?: BasicAuthSettings;
  readonly tls?: TlsSettings;
  /** `http-host-allowlist`: names `Host` and `Origin` may carry besides the listener's address. */
  readonly hostAllowlist?: readonly string[];
  /** `max-connections`: connections open at once on this listener. */
  readonly maxConnections?: number;
  /** `auth-max-failures` and `auth-failure-window` (seconds in the file, ms here). */
  readonly authThrottle?: AuthThrottleSettings;
  /** Serves without authentication on a non-loopback address (`insecure-control`, `--insecure-control`). */
  readonly insecure?: boolean;
}

export interface ControlListenerSettings {
  readonly unix: readonly { readonly path: string }[];
  readonly http: readonly HttpListenerSettings[];
}

/** `--control-http HOST:PORT` and `--control-socket PATH`. */
export interface ControlOverrides {
  readonly controlHttp?: string;
  readonly controlSocket?: string;
  /** `--insecure-control`: allow HTTP listeners on non-loopback addresses without authentication. */
  readonly insecureControl?: boolean;
}

/** Kea's defaults for an HTTP control socket. */
export const DEFAULT_HTTP_HOST = '127.0.0.1';
export const DEFAULT_HTTP_PORT = 8000;

/**
 * Turns a Kea `Dhcp4` object's `control-socket` (one UNIX socket) or `control-sockets` (a list of UNIX and
 * HTTP sockets, Kea 2.7+) into listener settings, then applies the command-line overrides: `--control-socket`
 * replaces the UNIX sockets with one, `--control-http` replaces the HTTP address and port (keeping any
 * authentication and TLS configured for it) or adds a plain HTTP listener.
 */
export function controlListenerSettings(
  dhcp4: unknown,
  overrides: ControlOverrides = {},
): ControlListenerSettings {
  const config = isJsonObject(dhcp4) ? dhcp4 : {};
  const single = config['control-socket'];
  const list = config['control-sockets'];
  if (single !== undefined && list !== undefined) {
    throw new ControlConfigError("'control-socket' and 'control-sockets' are mutually exclusive");
  }
  let entries: readonly unknown[] = [];
  if (single !== undefined) entries = [single];
  if (list !== undefined) {
    if (!Array.isArray(list)) throw new ControlConfigError("'control-sockets' must be a list");
    entries = list;
  }
  let unix: { path: string }[] = [];
  let http: HttpListenerSettings[] = [];
  entries.forEach((entry, i) => {
    const where = single !== undefined ? 'control-socket' : `control-sockets[${i}]`;
    if (!isJsonObject(entry)) throw new ControlConfigError(`${where} must be a map`);
    const type = entry['socket-type'];
    if (type === 'unix') unix.push({ path: unixPath(entry, where) });
    else if (type === 'http' || type === 'https') http.push(httpSettings(entry, where, type === 'https'));
    else
      throw new ControlConfigError(`${where}.socket-type: unsupported socket type ${JSON.stringify(type)}`);
  });
  if (overrides.controlSocket !== undefined) {
    if (overrides.controlSocket === '') throw new ControlConfigError('--control-socket: empty path');
    unix = [{ path: overrides.controlSocket }];
  }
  if (overrides.controlHttp !== undefined) {
    const { host, port } = parseHostPort(overrides.controlHttp);
    const first = http[0];
    http = [first === undefined ? { host, port } : { ...first, host, port }];
  }
  if (overrides.insecureControl === true) http = http.map((h) => ({ ...h, insecure: true }));
  for (const h of http) refuseUnauthenticatedExposure(h);
  return { unix, http };
}

/**
 * Anyone who can reach the management API can wipe the leases or stop the server: on an address other
 * than loopback it needs authentication (basic, or TLS with client certificates) unless the operator opted
 * out explicitly.
 */
function refuseUnauthenticatedExposure(h: HttpListenerSettings): void {
  if (!isExposedWithoutAuth(h) || h.insecure === true) return;
  throw new ControlConfigError(
    `HTTP control listener ${h.host}:${h.port} is not on a loopback address and has no authentication: ` +
      'configure "authentication" (or TLS with "cert-required"), listen on 127.0.0.1, or accept the risk ' +
      'with --insecure-control ("insecure-control": true in the control socket)',
  );
}

/** A listener on a non-loopback address that neither basic authentication nor client certificates guard. */
export function isExposedWithoutAuth(h: HttpListenerSettings): boolean {
  const loopback = isLoopback(h.host) || h.host.toLowerCase() === 'localhost';
  return !loopback && h.auth === undefined && h.tls?.certRequired !== true;
}

function unixPath(entry: JsonObject, where: string): string {
  const name = entry['socket-name'];
  if (typeof name !== 'string' || name === '') {
    throw new ControlConfigError(`${where}.socket-name: a non-empty string is required`);
  }
  return name;
}

function httpSettings(entry: JsonObject, where: string, https: boolean): HttpListenerSettings {
  const host = entry['socket-address'] ?? DEFAULT_HTTP_HOST;
  if (typeof host !== 'string' || host === '')
    throw new ControlConfigError(`${where}.socket-address: must be an address`);
  const port = entry['socket-port'] ?? DEFAULT_HTTP_PORT;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ControlConfigError(`${where}.socket-port: must be an integer 0..65535`);
  }
  const auth = entry['authentication'] === undefined ? undefined : basicAuth(entry['authentication'], where);
  const tls = tlsSettings(entry, where);
  if (https && tls === undefined)
    throw new ControlConfigError(`${where}: socket-type https needs cert-file and key-file`);
  const hostAllowlist = stringList(entry, 'http-host-allowlist', where);
  const maxConnections = positiveInteger(entry, 'max-connections', where);
  const maxFailures = positiveInteger(entry, 'auth-max-failures', where);
  const window = positiveInteger(entry, 'auth-failure-window', where);
  const insecure = entry['insecure-control'];
  if (insecure !== undefined && typeof insecure !== 'boolean')
    throw new ControlConfigError(`${where}.insecure-control: must be a boolean`);
  return {
    host,
    port,
    ...(auth === undefined ? {} : { auth }),
    ...(tls === undefined ? {} : { tls }),
    ...(hostAllowlist === undefined ? {} : { hostAllowlist }),
    ...(maxConnections === undefined ? {} : { maxConnections }),
    ...(maxFailures === undefined && window === undefined
      ? {}
      : {
          authThrottle: {
            maxFailures: maxFailures ?? DEFAULT_AUTH_THROTTLE.maxFailures,
            windowMs: window === undefined ? DEFAULT_AUTH_THROTTLE.windowMs : window * 1000,
          },
        }),
    ...(insecure === true ? { insecure } : {}),
  };
}

function stringList(map: JsonObject, key: string, where: string): string[] | undefined {
  const value = map[key];
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v !== ''))
    throw new ControlConfigError(`${where}.${key}: must be a list of host names`);
  return value as string[];
}

function positiveInteger(map: JsonObject, key: string, where: string): number | undefined {
  const value = map[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 1_000_000)
    throw new ControlConfigError(`${where}.${key}: must be an integer 1..1000000`);
  return value;
}

function tlsSettings(entry: JsonObject, where: string): TlsSettings | undefined {
  const anchor = optionalString(entry, 'trust-anchor', where);
  const cert = optionalString(entry, 'cert-file', where);
  const key = optionalString(entry, 'key-file', where);
  const required = entry['cert-required'];
  if (required !== undefined && typeof required !== 'boolean') {
    throw new ControlConfigError(`${where}.cert-required: must be a boolean`);
  }
  if (anchor === undefined && cert === undefined && key === undefined) return undefined;
  if (cert === undefined || key === undefined) {
    throw new ControlConfigError(`${where}: TLS needs both cert-file and key-file`);
  }
  const certRequired = required ?? anchor !== undefined;
  if (certRequired && anchor === undefined) {
    throw new ControlConfigError(
      `${where}: cert-required needs a trust-anchor to verify client certificates`,
    );
  }
  return {
    ...(anchor === undefined ? {} : { trustAnchor: anchor }),
    certFile: cert,
    keyFile: key,
    certRequired,
  };
}

/** Kea's `authentication` map: `type: "basic"`, `realm`, `directory`, and `clients` with inline or file secrets. */
function basicAuth(value: unknown, where: string): BasicAuthSettings {
  const at = `${where}.authentication`;
  if (!isJsonObject(value)) throw new ControlConfigError(`${at}: must be a map`);
  if (value['type'] !== 'basic') throw new ControlConfigError(`${at}.type: only "basic" is supported`);
  const realm = value['realm'] ?? 'leasekeeper';
  if (typeof realm !== 'string') throw new ControlConfigError(`${at}.realm: must be a string`);
  const directory = optionalString(value, 'directory', at) ?? '';
  const clients = value['clients'] ?? [];
  if (!Array.isArray(clients)) throw new ControlConfigError(`${at}.clients: must be a list`);
  const resolved = clients.map((client: unknown, i) =>
    resolveClient(client, `${at}.clients[${i}]`, directory),
  );
  if (resolved.length === 0) throw new ControlConfigError(`${at}.clients: at least one client is required`);
  return { realm, clients: resolved };
}

function resolveClient(client: unknown, at: string, directory: string): { user: string; password: string } {
  if (!isJsonObject(client)) throw new ControlConfigError(`${at}: must be a map`);
  const read = (key: string): string | undefined => {
    const file = optionalString(client, key, at);
    if (file === undefined) return undefined;
    const path = isAbsolute(file) || directory === '' ? file : join(directory, file);
    try {
      return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      throw new ControlConfigError(`${at}.${key}: cannot read ${path}: ${(err as Error).message}`);
    }
  };
  let user = optionalString(client, 'user', at) ?? read('user-file');
  let password = optionalString(client, 'password', at) ?? read('password-file');
  // Kea: a password file without a user holds "user:password".
  if (user === undefined && password !== undefined && password.includes(':')) {
    [user, password] = [password.slice(0, password.indexOf(':')), password.slice(password.indexOf(':') + 1)];
  }
  if (user === undefined || user === '') throw new ControlConfigError(`${at}.user: required`);
  if (user.includes(':')) throw new ControlConfigError(`${at}.user: must not contain ':'`);
  return { user, password: password ?? '' };
}

function optionalString(map: JsonObject, key: string, where: string): string | undefined {
  const value = map[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new ControlConfigError(`${where}.${key}: must be a string`);
  return value;
}

/** `HOST:PORT`, `[v6]:PORT`, or just `PORT` (on 127.0.0.1). */
export function parseHostPort(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(text) ?? /^()()(\d+)$/.exec(text);
  const port = Number(m?.[3]);
  if (m === null || !Number.isInteger(port) || port > 65535) {
    throw new ControlConfigError(`--control-http: expected HOST:PORT, got ${JSON.stringify(text)}`);
  }
  const host = m[1] ?? m[2] ?? '';
  return { host: host === '' ? DEFAULT_HTTP_HOST : host, port };
}
