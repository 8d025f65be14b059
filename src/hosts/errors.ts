import { LeasekeeperError } from '../errors.ts';

/** A host database that cannot be opened, read or written (not Kea's schema, unreachable, readonly). */
export class HostDatabaseError extends LeasekeeperError {
  override name = 'HostDatabaseError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_HOSTS_DATABASE', message, options);
  }
}
