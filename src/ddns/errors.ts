import { LeasekeeperError, type ErrorCode } from '../errors.ts';

/** A DNS update that cannot be built or sent as asked. */
export class DdnsError extends LeasekeeperError {
  constructor(code: ErrorCode, message: string) {
    super(code, message);
    this.name = 'DdnsError';
  }
}
