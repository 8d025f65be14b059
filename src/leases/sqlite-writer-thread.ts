/**
 * The SQLite writer thread: owns the write connection and runs each batch the store posts in ONE
 * `BEGIN IMMEDIATE` transaction (one fsync), then reports every operation's outcome. Built, it runs as
 * compiled JavaScript; from the sources, through `sqlite-writer-thread-tsx.js`, which registers tsx first.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { LeaseStoreError } from './errors.ts';
import { openConnection, prepare, wrapDriverError } from './sqlite-sql.ts';
import { SqliteWriteBatch } from './sqlite-batch.ts';
import type { Db } from './sqlite-sql.ts';
import { recordCleanClose } from './sqlite-meta.ts';
import { toWire, toWireResult } from './sqlite-writer-protocol.ts';
import type { FromWriter, OpResult, ToWriter, WriterData } from './sqlite-writer-protocol.ts';

const port = parentPort;
if (port === null)
  throw new LeaseStoreError('ERR_LEASE_WRITER_THREAD', 'sqlite-writer-thread must run in a worker thread');
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
  const batch = new SqliteWriteBatch(conn, prepare(conn), options.path);
  port.on('message', (message: ToWriter) => {
    if (message.type === 'close') {
      recordCleanClose(conn, Date.now());
      conn.close();
      post({ type: 'closed' });
      port.close();
      return;
    }
    let results: OpResult[];
    try {
      results = batch.run(message.ops, message.wantRemoved).map((r, i) => toWireResult(message.ops[i]!, r));
    } catch (error) {
      const wrapped =
        error instanceof LeaseStoreError ? error : wrapDriverError('write', error, options.path);
      post({ type: 'failed', id: message.id, error: toWire(wrapped) });
      return;
    }
    post({ type: 'committed', id: message.id, results });
  });
  post({ type: 'ready' });
}
