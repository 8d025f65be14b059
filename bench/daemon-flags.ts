/**
 * The node flags the installed `leasekeeper` command starts with: the ones on the CLI's shebang line
 * (`#!/usr/bin/env -S node FLAGS`, src/cli/main.ts), so that a bench measures the daemon as an operator
 * starts it. DAEMON_FLAGS=0 leaves them off, for an A/B against a plain `node dist/cli/main.js`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));

/** The flags after `node` on `text`'s shebang line; none when it names node alone. */
export function shebangNodeFlags(text: string): string[] {
  const line = /^#!(.*)/.exec(text)?.[1] ?? '';
  const words = line.trim().split(/\s+/);
  const at = words.indexOf('node');
  if (at < 0) throw new Error(`no node on the shebang line: ${line}`);
  return words.slice(at + 1);
}

/** The CLI's own node flags, unless DAEMON_FLAGS=0. */
export function daemonNodeArgs(): string[] {
  if (process.env['DAEMON_FLAGS'] === '0') return [];
  return shebangNodeFlags(readFileSync(CLI, 'utf8'));
}
