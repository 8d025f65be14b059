/**
 * The SQLite checkpoint thread, started by the writer thread: owns a connection of its own and runs a PASSIVE
 * checkpoint whenever the writer asks (`CheckpointSchedule`), so that copying the WAL into the database file
 * and syncing that file never hold the writer's batches. Built, it runs as compiled JavaScript; from the
 * sources, through `sqlite-checkpoint-thread-tsx.js`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { LeaseStoreError } from './errors.ts';
import { WalCheckpointer } from './sqlite-checkpoint.ts';
import type {
  CheckpointThreadData,
  FromCheckpointThread,
  ToCheckpointThread,
} from './sqlite-checkpoint-worker.ts';
import { openConnection, type Db } from './sqlite-sql.ts';

const port = parentPort;
if (port === null)
  throw new LeaseStoreError(
    'ERR_LEASE_CHECKPOINT_THREAD',
    'sqlite-checkpoint-thread must run in a worker thread',
  );
const data = workerData as CheckpointThreadData;
const post = (message: FromCheckpointThread): void => port.postMessage(message);
const busy = new Int32Array(data.busy);
const gate = data.gate === undefined ? null : new Int32Array(data.gate);
const detailOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

let db: Db | null = null;
try {
  db = openConnection(data.connection, false);
} catch (error) {
  post({ type: 'open-failed', detail: detailOf(error) });
  port.close();
}

if (db !== null) {
  const conn = db;
  const checkpointer = WalCheckpointer.on(conn);
  port.on('message', (message: ToCheckpointThread) => {
    if (message.type === 'close') {
      conn.close();
      port.close();
      return;
    }
    if (gate !== null) holdAtGate(gate);
    let answer: FromCheckpointThread;
    try {
      answer = { type: 'done', report: checkpointer.run() };
    } catch (error) {
      answer = { type: 'failed', detail: detailOf(error) };
    }
    Atomics.store(busy, 0, 0);
    Atomics.notify(busy, 0);
    post(answer);
  });
}

/** Tests: announce the checkpoint, then wait until the test releases it. */
function holdAtGate(slots: Int32Array): void {
  Atomics.add(slots, 0, 1);
  Atomics.notify(slots, 0);
  Atomics.wait(slots, 1, 0);
}
