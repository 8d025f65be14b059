import type { IncomingMessage, ServerResponse } from 'node:http';
import { DEFAULT_WS_PATH } from '../control/websocket/index.ts';
import type { HttpControlServer } from '../control/index.ts';
import type { ControlLogger } from '../control/index.ts';
import { pageAsset, scriptAsset, styleAsset, type Asset } from './assets.ts';

export interface DashboardOptions {
  /** Where the WebSocket API is mounted (default `/ws`). */
  readonly wsPath?: string;
  readonly logger?: ControlLogger;
}

/** Everything the page loads comes from this origin; it connects only back to it. */
const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-cache',
};

/**
 * Serves the dashboard on a management HTTP listener: `/` (the page), `/dashboard.js`, `/dashboard.css`.
 * The listener's basic authentication guards these GET routes like everything else on it.
 */
export function mountDashboard(http: HttpControlServer, options: DashboardOptions = {}): void {
  const wsPath = options.wsPath ?? DEFAULT_WS_PATH;
  const serve = (load: () => Promise<Asset>) => (req: IncomingMessage, res: ServerResponse) => {
    load().then(
      (a) => send(req, res, a),
      (err: unknown) => {
        options.logger?.error({ err, path: req.url }, 'dashboard: cannot serve');
        if (res.headersSent) return;
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end(`dashboard unavailable: ${err instanceof Error ? err.message : String(err)}\n`);
      },
    );
  };
  http.addGetRoute(
    '/',
    serve(() => pageAsset(wsPath)),
  );
  http.addGetRoute('/dashboard.js', serve(scriptAsset));
  http.addGetRoute('/dashboard.css', serve(styleAsset));
  http.addGetRoute('/favicon.ico', (_req, res) => {
    res.writeHead(204, SECURITY_HEADERS);
    res.end();
  });
}

function send(req: IncomingMessage, res: ServerResponse, a: Asset): void {
  if (req.headers['if-none-match'] === a.etag) {
    res.writeHead(304, { ETag: a.etag, ...SECURITY_HEADERS });
    res.end();
    return;
  }
  res.writeHead(200, {
    'Content-Type': a.type,
    'Content-Length': a.body.length,
    ETag: a.etag,
    ...SECURITY_HEADERS,
  });
  res.end(a.body);
}
