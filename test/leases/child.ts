/**
 * Child process for the multi-process SQLite tests (not a test file itself).
 *
 * Every mode takes the store's writer (`inline` or `worker`) as its last argument.
 *
 *   crash <db> <count>: commits `count` leases, 64 in flight, printing `committed <address>` as each resolves.
 *   contend <db> <name> <count>: prints `ready`, waits for a line on stdin, then claims 10.9.x.y for client
 *     `name` (`0b` walks the range backwards), printing `won <address>` or
 *     `lost <address> <holder client id>`, then `done`.
 */
import { SqliteLeaseStore } from '../../src/leases/sqlite.ts';
import { makeLease } from './fixtures.ts';

const [mode, path, ...rest] = process.argv.slice(2);
const writer = rest.at(-1) === 'worker' ? 'worker' : 'inline';

function address(i: number): string {
  return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
}

function clientIdFor(i: number): string {
  return `01:${[24, 16, 8, 0].map((s) => ((i >> s) & 255).toString(16).padStart(2, '0')).join(':')}`;
}

async function crash(count: number): Promise<void> {
  const store = await SqliteLeaseStore.open({ path: path as string, writer });
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const result = await store.commit(makeLease({ address: address(i), clientId: clientIdFor(i) }));
      if (result.ok) process.stdout.write(`committed ${address(i)} ${clientIdFor(i)}\n`);
    }
  };
  await Promise.all(Array.from({ length: 64 }, worker));
  await store.close();
}

async function contend(name: string, count: number): Promise<void> {
  const store = await SqliteLeaseStore.open({ path: path as string, writer });
  const clientId = `01:${name}`;
  const hwAddress = `aa:00:00:00:00:${name}`;
  // Start barrier: the parent writes a line once both contenders are ready, so their claims overlap.
  process.stdout.write('ready\n');
  await new Promise((resolve) => process.stdin.once('data', resolve));
  process.stdin.pause();
  const claims = [];
  // The two contenders walk the range in opposite directions and meet in the middle.
  const descending = name === '0b';
  for (let n = 0; n < count; n++) {
    const i = descending ? count - 1 - n : n;
    const where = `10.9.${i >> 8}.${i & 255}`;
    claims.push(
      store.commit(makeLease({ address: where, clientId, hwAddress })).then((r) => {
        process.stdout.write(
          r.ok ? `won ${where}\n` : `lost ${where} ${r.reason === 'missing' ? '-' : r.holder.clientId}\n`,
        );
      }),
    );
    // Yield now and then so the two processes interleave their batches.
    if (n % 4 === 3) await new Promise((resolve) => setImmediate(resolve));
  }
  await Promise.all(claims);
  await store.close();
  process.stdout.write('done\n');
}

if (mode === 'crash') await crash(Number(rest[0]));
else if (mode === 'contend') await contend(rest[0] as string, Number(rest[1]));
else throw new Error(`unknown mode ${String(mode)}`);
