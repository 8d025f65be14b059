import { LeasekeeperError } from '../errors.ts';

/** The HA partner answered, but not what the exchange needs (a malformed answer, a refused command). */
export class HaPeerError extends LeasekeeperError {
  override name = 'HaPeerError';
  constructor(message: string) {
    super('ERR_HA_PEER_ANSWER', message);
  }
}
