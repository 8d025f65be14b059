// A store error crosses from the writer thread as data and is rebuilt as the same class, code and message,
// with the driver error it wraps (SQLite's code, e.g. SQLITE_FULL) as its cause, as the inline writer throws it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LeaseCorruptError, LeaseStoreIoError, LeaseStoreOpenError } from '../../src/leases/errors.ts';
import { sqliteDriver, wrapDriverError } from '../../src/leases/sqlite-sql.ts';
import { isOutOfSpace } from '../../src/leases/sqlite-space.ts';
import {
  fromWire,
  MAX_WARNING_CHARS,
  readWarning,
  toWire,
  type FromWriter,
} from '../../src/leases/sqlite-writer-protocol.ts';

/** What the main thread gets for `error` thrown in the writer thread: through structured clone, as postMessage. */
const acrossThreads = (error: Parameters<typeof toWire>[0]): ReturnType<typeof fromWire> =>
  fromWire(structuredClone(toWire(error)));

const sqliteError = (message: string, code: string): Error => new (sqliteDriver().SqliteError)(message, code);

describe('sqlite writer protocol: errors', () => {
  it('a full disk keeps SQLITE_FULL as the cause of the LeaseStoreIoError', () => {
    const inThread = wrapDriverError(
      'write',
      sqliteError('database or disk is full', 'SQLITE_FULL'),
      '/x.db',
    );
    const error = acrossThreads(inThread);
    assert.ok(error instanceof LeaseStoreIoError);
    assert.equal(error.code, 'ERR_LEASE_STORE_IO');
    assert.equal(error.message, inThread.message);
    assert.ok(error.cause instanceof sqliteDriver().SqliteError);
    assert.equal((error.cause as { code?: unknown }).code, 'SQLITE_FULL');
    assert.equal((error.cause as Error).message, 'database or disk is full');
    assert.ok(isOutOfSpace(error.cause), 'classified as out of space, as the inline writer error is');
  });

  it('a damaged file stays a LeaseCorruptError, its key and SQLITE_CORRUPT kept', () => {
    const error = acrossThreads(
      wrapDriverError('write', sqliteError('database disk image is malformed', 'SQLITE_CORRUPT'), '/x.db'),
    );
    assert.ok(error instanceof LeaseCorruptError);
    assert.equal(error.key, '/x.db');
    assert.equal((error.cause as { code?: unknown }).code, 'SQLITE_CORRUPT');
  });

  it('an open failure keeps its extended code', () => {
    const cause = sqliteError('unable to open database file', 'SQLITE_CANTOPEN');
    const error = acrossThreads(new LeaseStoreOpenError('cannot open lease database /x.db', { cause }));
    assert.ok(error instanceof LeaseStoreOpenError);
    assert.equal((error.cause as { code?: unknown }).code, 'SQLITE_CANTOPEN');
  });

  it('an error without a driver cause crosses without one', () => {
    const error = acrossThreads(new LeaseStoreIoError('lease database /x.db: write failed: boom'));
    assert.ok(error instanceof LeaseStoreIoError);
    assert.equal(error.cause, undefined);
  });
});

describe('sqlite writer protocol: warnings', () => {
  type Warning = Extract<FromWriter, { type: 'warning' }>;
  const warning = (fields: Record<string, unknown>): Warning => ({ type: 'warning', ...fields }) as Warning;

  it('a warning keeps its text and count', () => {
    assert.deepEqual(
      readWarning(structuredClone(warning({ message: 'lease database x: stalled', count: 3 }))),
      {
        message: 'lease database x: stalled',
        count: 3,
      },
    );
  });

  it('a warning without text or a positive whole count is dropped', () => {
    for (const fields of [
      { count: 1 },
      { message: 7, count: 1 },
      { message: 'x' },
      { message: 'x', count: 0 },
      { message: 'x', count: 1.5 },
      { message: 'x', count: Number.NaN },
      { message: 'x', count: '2' },
    ])
      assert.equal(readWarning(warning(fields)), null, JSON.stringify(fields));
  });

  it('an overlong warning is cut', () => {
    const read = readWarning(warning({ message: 'w'.repeat(MAX_WARNING_CHARS * 3), count: 1 }));
    assert.equal(read?.message.length, MAX_WARNING_CHARS + 1);
  });
});
