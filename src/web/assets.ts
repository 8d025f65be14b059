import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { DashboardBuildError } from './errors.ts';

/** One file the dashboard serves, with its validator. */
export interface Asset {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
}

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

function asset(body: string | Buffer, type: string): Asset {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return {
    body: bytes,
    type,
    etag: `"${createHash('sha256').update(bytes).digest('base64url').slice(0, 22)}"`,
  };
}

/** The page, with the WebSocket path written into its meta tag. */
export async function pageAsset(wsPath: string): Promise<Asset> {
  const html = await readFile(here('./static/index.html'), 'utf8');
  const escaped = wsPath.replace(/[&"<>]/g, (c) => `&#${c.charCodeAt(0)};`);
  return asset(html.replaceAll('{{WS_PATH}}', escaped), 'text/html; charset=utf-8');
}

export async function styleAsset(): Promise<Asset> {
  return asset(await readFile(here('./static/dashboard.css')), 'text/css; charset=utf-8');
}

let script: Promise<Asset> | undefined;

/**
 * The browser script: `client/main.ts` bundled by esbuild (tsx's own dependency) once per process, on first
 * use, and kept in memory. A failed build is not cached, so a fixed installation recovers without a restart.
 */
export function scriptAsset(): Promise<Asset> {
  script ??= buildScript().catch((err: unknown) => {
    script = undefined;
    throw err;
  });
  return script;
}

async function buildScript(): Promise<Asset> {
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch (err) {
    throw new DashboardBuildError('esbuild is not installed: the dashboard script cannot be built', {
      cause: err,
    });
  }
  try {
    const result = await esbuild.build({
      entryPoints: [here('./client/main.ts')],
      bundle: true,
      format: 'esm',
      target: 'es2020',
      minify: true,
      legalComments: 'none',
      write: false,
      logLevel: 'silent',
    });
    const out = result.outputFiles[0];
    if (out === undefined) throw new Error('esbuild produced no output');
    return asset(out.text, 'text/javascript; charset=utf-8');
  } catch (err) {
    throw new DashboardBuildError(
      `cannot build the dashboard script: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
}
