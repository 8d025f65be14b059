import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { Writable } from 'node:stream';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SqliteLeaseStore } from '../../src/leases/sqlite.ts';
import { tempDir } from './tmp.ts';

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url));

/** Starts the child; `onLine` sees each stdout line and may return true to SIGKILL the child. */
function runChild(
  args: string[],
  onLine: (line: string, stdin: Writable) => boolean | void,
): Promise<{ lines: string[]; signal: string | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const reader = createInterface({ input: child.stdout });
    reader.on('line', (line) => {
      lines.push(line);
      if (onLine(line, child.stdin) === true) child.kill('SIGKILL');
    });
    child.on('error', reject);
    // 'close' waits for stdout to drain, so every line the child printed before dying is in `lines`.
    child.on('close', (_code, signal) => resolve({ lines, signal, stderr }));
  });
}

for (const writer of ['inline', 'worker'] as const) {
  describe(`sqlite lease store across processes (${writer} writer)`, () => {
    it('keeps every lease whose commit resolved when the process is killed with SIGKILL', async () => {
      const tmp = tempDir();
      const path = join(tmp.dir, 'leases.db');
      try {
        let seen = 0;
        const run = await runChild(
          ['crash', path, '200000', writer],
          (line) => line.startsWith('committed ') && ++seen === 3000,
        );
        assert.equal(run.signal, 'SIGKILL', `the child must die mid-stream (stderr: ${run.stderr})`);
        const committed = run.lines.filter((l) => l.startsWith('committed ')).map((l) => l.split(' '));
        assert.ok(committed.length >= 3000 && committed.length < 200000, `printed ${committed.length}`);

        const store = await SqliteLeaseStore.open({ path });
        try {
          const stored = new Map((await store.getAll()).map((l) => [l.address, l]));
          const missing = committed.filter(
            ([, address, clientId]) => stored.get(address as string)?.clientId !== clientId,
          );
          assert.deepEqual(
            missing,
            [],
            `${missing.length} of ${committed.length} acknowledged leases are missing`,
          );
          assert.ok(stored.size >= committed.length);
        } finally {
          await store.close();
        }
      } finally {
        tmp.remove();
      }
    });

    it('gives each contested address to exactly one of two server processes', async (t) => {
      const tmp = tempDir();
      const path = join(tmp.dir, 'leases.db');
      // Create the file first so the two children do not race to create the schema.
      await (await SqliteLeaseStore.open({ path })).close();
      try {
        const count = 3000;
        const waiting: Writable[] = [];
        const startWhenBothReady = (line: string, stdin: Writable): void => {
          if (line !== 'ready') return;
          waiting.push(stdin);
          if (waiting.length === 2) for (const s of waiting) s.end('go\n');
        };
        const [a, b] = await Promise.all([
          runChild(['contend', path, '0a', String(count), writer], startWhenBothReady),
          runChild(['contend', path, '0b', String(count), writer], startWhenBothReady),
        ]);
        assert.equal(a.lines.at(-1), 'done', a.stderr);
        assert.equal(b.lines.at(-1), 'done', b.stderr);
        const outcome = (lines: string[]): Map<string, string> =>
          new Map(
            lines
              .filter((l) => l !== 'done' && l !== 'ready')
              .map((l) => {
                const [verdict, address, holder] = l.split(' ');
                return [address as string, verdict === 'won' ? 'won' : `lost to ${holder}`];
              }),
          );
        const ofA = outcome(a.lines);
        const ofB = outcome(b.lines);
        assert.equal(ofA.size, count);
        assert.equal(ofB.size, count);
        let wonByA = 0;
        for (const [address, verdictA] of ofA) {
          const verdictB = ofB.get(address);
          if (verdictA === 'won') {
            wonByA++;
            assert.equal(verdictB, 'lost to 01:0a', address);
          } else {
            assert.equal(verdictA, 'lost to 01:0b', address);
            assert.equal(verdictB, 'won', address);
          }
        }
        const store = await SqliteLeaseStore.open({ path });
        try {
          const all = await store.getAll();
          assert.equal(all.length, count);
          assert.equal(all.filter((l) => l.clientId === '01:0a').length, wonByA);
          t.diagnostic(`process a won ${wonByA} of ${count} addresses, process b ${count - wonByA}`);
        } finally {
          await store.close();
        }
      } finally {
        tmp.remove();
      }
    });
  });
}
