import type { ErrorCode } from '../errors.ts';
import {
  InvalidLeaseError,
  LeaseCorruptError,
  LeaseQueryError,
  LeaseStoreError,
  LeaseStoreIoError,
  LeaseStoreOpenError,
} from './errors.ts';
import type { LeaseChange } from './store.ts';
import type { ConnectionOptions, WriteOp } from './sqlite-sql.ts';

/** The messages between the store (main thread) and its writer thread. */

export type WriterData = ConnectionOptions;

export type ToWriter =
  | {
      readonly type: 'batch';
      readonly id: number;
      readonly ops: readonly WriteOp[];
      readonly wantRemoved: boolean;
    }
  | { readonly type: 'close' };

export type OpResult =
  | { readonly ok: true; readonly value: unknown; readonly changes: readonly LeaseChange[] }
  | { readonly ok: false; readonly error: WireError };

export type FromWriter =
  | { readonly type: 'ready' }
  | { readonly type: 'open-failed'; readonly error: WireError }
  | { readonly type: 'committed'; readonly id: number; readonly results: readonly OpResult[] }
  | { readonly type: 'failed'; readonly id: number; readonly error: WireError }
  | { readonly type: 'closed' };

/** A store error as plain data: structured clone keeps neither the class nor `code`. */
export interface WireError {
  readonly name: string;
  readonly code: ErrorCode;
  readonly message: string;
  readonly key?: string;
  readonly field?: string;
}

export function toWire(error: LeaseStoreError): WireError {
  return {
    name: error.name,
    code: error.code,
    message: error.message,
    ...(error instanceof LeaseCorruptError ? { key: error.key } : {}),
    ...(error instanceof InvalidLeaseError ? { field: error.field } : {}),
  };
}

/** The same named error class, code and message as the writer thread had. */
export function fromWire(wire: WireError): LeaseStoreError {
  let error: LeaseStoreError;
  switch (wire.name) {
    case 'LeaseCorruptError':
      error = new LeaseCorruptError(wire.key ?? '?', '');
      break;
    case 'InvalidLeaseError':
      error = new InvalidLeaseError(wire.field ?? 'lease', '');
      break;
    case 'LeaseStoreIoError':
      error = new LeaseStoreIoError('');
      break;
    case 'LeaseStoreOpenError':
      error = new LeaseStoreOpenError('');
      break;
    case 'LeaseQueryError':
      error = new LeaseQueryError('');
      break;
    default:
      error = new LeaseStoreError(wire.code, '');
      error.name = wire.name;
  }
  error.message = wire.message;
  return error;
}
