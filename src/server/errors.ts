/** Misuse of the engine's API by its caller (never caused by wire input). */
export class EngineUsageError extends Error {
  readonly code: 'ERR_UNKNOWN_COMMIT_TOKEN';
  override name = 'EngineUsageError';
  constructor(code: 'ERR_UNKNOWN_COMMIT_TOKEN', message: string) {
    super(message);
    this.code = code;
  }
}
