/**
 * `--import` this file to have a process list every module it loads, one URL or path a line, into the file
 * named by LK_LOADED_LOG: ES modules through a load hook (it sees what tsx loads too, since tsx passes every
 * load down the chain), CommonJS ones (pg, better-sqlite3) from the require cache when the process exits.
 * Plain JavaScript, so that it runs before any loader and in an installed package's process.
 */
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';

const log = process.env.LK_LOADED_LOG;
if (log === undefined) throw new Error('record-loads: set LK_LOADED_LOG');

const hooks = `
import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  appendFileSync(${JSON.stringify(log)}, url + '\\n');
  return next(url, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);

process.on('exit', () => {
  const cjs = Object.keys(createRequire(import.meta.url).cache);
  appendFileSync(log, cjs.map((path) => `${path}\n`).join(''));
});
