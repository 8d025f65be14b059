/**
 * The SQLite writer thread: owns the write connection and runs each batch the store posts in ONE
 * `BEGIN IMMEDIATE` transaction (one fsync), then reports every operation's outcome. Built, it runs as
 * compiled JavaScript; from the sources, through `sqlite-writer-thread-tsx.js`, which registers tsx first.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { LeaseStoreError } from './errors.ts';
import { openConnection, prepare, runWriteOp, wrapDriverError } from './sqlite-sql.ts';
import type { Db } from './sqlite-sql.ts';
import { recordCleanClose } from './sqlite-meta.ts';
import { WalSpaceGuard } from './sqlite-space.ts';
import { toWire } from './sqlite-writer-protocol.ts';
import type { FromWriter, OpResult, ToWriter, WriterData } from './sqlite-writer-protocol.ts';

const port = parentPort;
if (port === null) throw new Error('sqlite-writer-thread must run in a worker thread');
const options = workerData as WriterData;
const post = (message: FromWriter): void => port.postMessage(message);

let db: Db | null = null;
try {
  // The store's read connection already created or checked the schema.
  db = openConnection(options, false);
} catch (error) {
  const wrapped = error instanceof LeaseStoreError ? error : wrapDriverError('write', error, options.path);
  post({ type: 'open-failed', error: toWire(wrapped) });
  port.close();
}

if (db !== null) {
  const conn = db;
  const stmt = prepare(conn);
  const transaction = conn.transaction((body: () => void) => body());
  const space = new WalSpaceGuard(conn, options.path);
  port.on('message', (message: ToWriter) => {
    if (message.type === 'close') {
      recordCleanClose(conn, Date.now());
      conn.close();
      post({ type: 'closed' });
      port.close();
      return;
    }
    const results: OpResult[] = [];
    try {
      transaction.immediate(() => {
        for (const op of message.ops) {
          try {
            const outcome = runWriteOp(stmt, op, message.wantRemoved);
            results.push({ ok: true, value: outcome.value, changes: outcome.changes });
          } catch (error) {
            // Like GroupCommit: a store error (a corrupt row) fails its operation alone, anything else the batch.
            if (!(error instanceof LeaseStoreError)) throw error;
            results.push({ ok: false, error: toWire(error) });
          }
        }
      });
    } catch (error) {
      space.afterFailure(error);
      post({ type: 'failed', id: message.id, error: toWire(wrapDriverError('write', error, options.path)) });
      return;
    }
    space.afterCommit();
    post({ type: 'committed', id: message.id, results });
  });
  post({ type: 'ready' });
}
