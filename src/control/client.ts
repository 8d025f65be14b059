import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createConnection } from 'node:net';
import { ControlClientError } from './errors.ts';

/** A command as sent: Kea's envelope; `service` only matters over HTTP. */
export interface ControlRequest {
  readonly command: string;
  readonly arguments?: unknown;
  readonly service?: readonly string[];
}

/** Sends one command over a UNIX control socket and resolves to the parsed answer. */
export function sendUnix(path: string, message: ControlRequest, timeoutMs = 10_000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    const parts: Buffer[] = [];
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      reject(new ControlClientError(`no answer from ${path} within ${timeoutMs} ms`));
    });
    socket.on('error', (err) => reject(new ControlClientError(`cannot talk to ${path}: ${err.message}`)));
    socket.on('data', (d: Buffer) => parts.push(d));
    socket.on('end', () => {
      socket.end();
      resolve(parseAnswer(Buffer.concat(parts).toString('utf8'), path));
    });
    socket.write(JSON.stringify({ command: message.command, arguments: message.arguments }));
  });
}

export interface HttpClientOptions {
  readonly user?: string;
  readonly password?: string;
  /** CA file to verify an https server with; client certificate and key for `cert-required` servers. */
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly timeoutMs?: number;
  /** An answer larger than this is refused and the connection closed (default 64 MiB). */
  readonly maxResponseBytes?: number;
}

const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/** POSTs one command to a Control-Agent-shaped HTTP listener; resolves to the parsed answer (a list). */
export function sendHttp(
  url: string,
  message: ControlRequest,
  options: HttpClientOptions = {},
): Promise<unknown> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return Promise.reject(new ControlClientError(`not a URL: ${url}`));
  }
  const body = JSON.stringify(message);
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'Content-Length': String(Buffer.byteLength(body)),
  };
  if (options.user !== undefined) {
    headers['Authorization'] =
      `Basic ${Buffer.from(`${options.user}:${options.password ?? ''}`).toString('base64')}`;
  }
  const secure = target.protocol === 'https:';
  const tls = secure
    ? {
        ...(options.ca === undefined ? {} : { ca: readFileSync(options.ca) }),
        ...(options.cert === undefined ? {} : { cert: readFileSync(options.cert) }),
        ...(options.key === undefined ? {} : { key: readFileSync(options.key) }),
      }
    : {};
  return new Promise((resolve, reject) => {
    const req = (secure ? httpsRequest : httpRequest)(target, { method: 'POST', headers, ...tls }, (res) => {
      const parts: Buffer[] = [];
      const limit = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
      let size = 0;
      res.on('data', (d: Buffer) => {
        size += d.length;
        // A peer (an HA partner, a misdirected URL) must not make this process buffer without bound.
        if (size > limit) {
          req.destroy();
          reject(new ControlClientError(`the answer from ${url} exceeds ${limit} bytes`));
          return;
        }
        parts.push(d);
      });
      res.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        if (res.statusCode !== 200) {
          reject(new ControlClientError(`HTTP ${res.statusCode ?? '?'} from ${url}: ${text}`));
        } else {
          resolve(parseAnswer(text, url));
        }
      });
    });
    req.setTimeout(options.timeoutMs ?? 10_000, () => {
      req.destroy(new Error(`no answer within ${options.timeoutMs ?? 10_000} ms`));
    });
    req.on('error', (err) => reject(new ControlClientError(`cannot talk to ${url}: ${err.message}`)));
    req.end(body);
  });
}

function parseAnswer(text: string, from: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ControlClientError(`${from} answered something that is not JSON: ${text.slice(0, 200)}`);
  }
}

/** Whether every answer (one, or the HTTP list) has result 0. */
export function allSucceeded(answer: unknown): boolean {
  const list = Array.isArray(answer) ? answer : [answer];
  return (
    list.length > 0 &&
    list.every((a) => typeof a === 'object' && a !== null && (a as { result?: unknown }).result === 0)
  );
}
