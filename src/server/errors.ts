import { LeasekeeperError } from '../errors.ts';

/** Misuse of the engine's API by its caller (never caused by wire input). */
export class EngineUsageError extends LeasekeeperError {
  declare readonly code: 'ERR_ENGINE_UNKNOWN_COMMIT_TOKEN';
  override name = 'EngineUsageError';
  constructor(code: 'ERR_ENGINE_UNKNOWN_COMMIT_TOKEN', message: string) {
    super(code, message);
  }
}
