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
 * The browser script, read once per process and kept in memory: the package ships it bundled
 * (`static/dashboard.js`, written by the build); from the sources it is bundled from `client/main.ts` on first
 * use by esbuild, a development dependency. A failed load is not cached, so a fixed installation recovers
 * without a restart.
 */
export function scriptAsset(): Promise<Asset> {
  script ??= loadScript().catch((err: unknown) => {
    script = undefined;
    throw err;
  });
  return script;
}

async function loadScript(): Promise<Asset> {
  if (!import.meta.url.endsWith('.ts')) {
    try {
      return asset(await readFile(here('./static/dashboard.js')), 'text/javascript; charset=utf-8');
    } catch (err) {
      throw new DashboardBuildError('the bundled dashboard script is missing from this installation', {
        cause: err,
      });
    }
  }
  return asset(await bundleDashboardScript(), 'text/javascript; charset=utf-8');
}

/** Bundles the browser script with esbuild: the build step writes it to disk, a source checkout serves it. */
export async function bundleDashboardScript(): Promise<string> {
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
    return out.text;
  } catch (err) {
    throw new DashboardBuildError(
      `cannot build the dashboard script: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
}
