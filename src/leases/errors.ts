import { LeasekeeperError, type ErrorCode } from '../errors.ts';

/** Base class of every lease store error; `code` is stable and safe to switch on. */
export class LeaseStoreError extends LeasekeeperError {
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'LeaseStoreError';
  }
}

/** A lease handed to a write is malformed (bad address, hw address, lifetime...). Nothing was written. */
export class InvalidLeaseError extends LeaseStoreError {
  readonly field: string;
  constructor(field: string, message: string) {
    super('ERR_LEASE_INVALID', `invalid lease ${field}: ${message}`);
    this.name = 'InvalidLeaseError';
    this.field = field;
  }
}

/** A stored row cannot be turned back into a lease. `key` names the row (address or rowid). */
export class LeaseCorruptError extends LeaseStoreError {
  readonly key: string;
  constructor(key: string, message: string, options?: { cause?: unknown }) {
    super('ERR_LEASE_STORE_CORRUPT', `corrupt lease row ${key}: ${message}`, options);
    this.name = 'LeaseCorruptError';
    this.key = key;
  }
}

/** The backend could not be opened: unreadable or non-database file, unreachable server, wrong schema. */
export class LeaseStoreOpenError extends LeaseStoreError {
  constructor(message: string, options?: { cause?: unknown }, code: ErrorCode = 'ERR_LEASE_STORE_OPEN') {
    super(code, message, options);
    this.name = 'LeaseStoreOpenError';
  }
}

/**
 * The lease file is damaged (its integrity check failed, or its WAL holds committed transactions SQLite would
 * drop). It was not opened and nothing was written to it; the message says how to recover.
 */
export class LeaseStoreDamagedError extends LeaseStoreOpenError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options, 'ERR_LEASE_STORE_DAMAGED');
    this.name = 'LeaseStoreDamagedError';
  }
}

/** The backend failed a read or write after it was opened (disk full, I/O error, lost connection). */
export class LeaseStoreIoError extends LeaseStoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_LEASE_STORE_IO', message, options);
    this.name = 'LeaseStoreIoError';
  }
}

/** The store was closed. */
export class LeaseStoreClosedError extends LeaseStoreError {
  constructor() {
    super('ERR_LEASE_STORE_CLOSED', 'the lease store is closed');
    this.name = 'LeaseStoreClosedError';
  }
}

/** A query argument is malformed (page limit, `from` address, probation period). */
export class LeaseQueryError extends LeaseStoreError {
  constructor(message: string) {
    super('ERR_LEASE_QUERY_INVALID', message);
    this.name = 'LeaseQueryError';
  }
}
