import { LeasekeeperError, type ErrorCode } from '../errors.ts';

/** A high-availability peer answered what the protocol does not allow, or refused a sync step. */
export class HaError extends LeasekeeperError {
  constructor(code: ErrorCode, message: string) {
    super(code, message);
    this.name = 'HaError';
  }
}
