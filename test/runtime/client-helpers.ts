/** Helpers for the client runtime tests: wait for runtime events with a bound on time. */
import { execFile } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LabProcess, Netns } from '../lab/netns.ts';
import type { ClientRuntime, TimedEvent } from '../../src/runtime/client/index.ts';

/** Collects every event of a runtime from now on. */
export function record(rt: ClientRuntime): TimedEvent[] {
  const seen: TimedEvent[] = [];
  rt.onEvent((e) => seen.push(e));
  return seen;
}

/** Resolves with the first event (from now on) matching `pred`; rejects after `timeoutMs` of real time. */
export function waitEvent(
  rt: ClientRuntime,
  pred: (e: TimedEvent) => boolean,
  timeoutMs: number,
  what = 'event',
): Promise<TimedEvent> {
  return new Promise((resolve, reject) => {
    const seen: string[] = [];
    const off = rt.onEvent((e) => {
      seen.push(e.type === 'state' ? `state:${e.to}` : e.type);
      if (pred(e)) {
        clearTimeout(timer);
        off();
        resolve(e);
      }
    });
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${what} within ${timeoutMs} ms; saw: ${seen.join(', ')}`));
    }, timeoutMs);
  });
}

export const isType =
  (type: TimedEvent['type']) =>
  (e: TimedEvent): boolean =>
    e.type === type;

// ---- the CLI, run as a real process inside a lab namespace --------------------------------------------

export const CLI = fileURLToPath(new URL('../../bin/leasekeeper.js', import.meta.url));

/** `leasekeeper client ARGS` inside `ns` (fast retries unless the caller gives -t/-T/-A). */
export function spawnClient(ns: Netns, args: readonly string[]): LabProcess {
  return ns.spawn(process.execPath, [CLI, 'client', ...args]);
}

/** `leasekeeper client ctl VERB --socket PATH [extra]` from the host (the socket is a file). */
export function ctl(
  socket: string,
  verb: string,
  extra: readonly string[] = [],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, 'client', 'ctl', verb, '--socket', socket, ...extra],
      { timeout: 20_000 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/**
 * A udhcpc script that appends `=== EVENT` and its environment to `events.log` next to it and
 * configures the address as udhcpc's example script does (never a route).
 */
export function writeScript(dir: string): { script: string; log: string } {
  const script = join(dir, 'udhcpc.sh');
  const log = join(dir, 'events.log');
  writeFileSync(
    script,
    `#!/bin/sh
{ echo "=== $1"; env | grep -v '^PATH=' | sort; echo "=== end"; } >> '${log}'
case "$1" in
  deconfig) ip -4 addr flush dev "$interface" ;;
  bound|renew) ip -4 addr flush dev "$interface"; ip -4 addr add "$ip/$mask" dev "$interface" ;;
esac
exit 0
`,
  );
  chmodSync(script, 0o755);
  return { script, log };
}

/** Parses the log of `writeScript`: events in order with their environments. */
export function scriptEvents(text: string): { event: string; env: Record<string, string> }[] {
  const out: { event: string; env: Record<string, string> }[] = [];
  let cur: { event: string; env: Record<string, string> } | undefined;
  for (const line of text.split('\n')) {
    if (line === '=== end') {
      if (cur !== undefined) out.push(cur);
      cur = undefined;
    } else if (line.startsWith('=== ')) cur = { event: line.slice(4), env: {} };
    else if (cur !== undefined) {
      const eq = line.indexOf('=');
      if (eq > 0) cur.env[line.slice(0, eq)] = line.slice(eq + 1);
    }
  }
  return out;
}
