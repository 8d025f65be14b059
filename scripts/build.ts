/**
 * Builds the package into dist/: the library and CLI compiled by tsc (JavaScript, declarations without
 * internal members, source maps), plus the dashboard's static files and its browser script bundled by
 * esbuild, so that nothing is compiled or bundled at run time. Run by `npm run build` (and by `prepare`).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleDashboardScript } from '../src/web/assets.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');

rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });

const staticDir = join(dist, 'web', 'static');
mkdirSync(staticDir, { recursive: true });
cpSync(join(root, 'src', 'web', 'static'), staticDir, { recursive: true });
writeFileSync(join(staticDir, 'dashboard.js'), await bundleDashboardScript());
chmodSync(join(dist, 'cli', 'main.js'), 0o755);
console.log('built dist/');
