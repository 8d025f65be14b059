/** Errors of the composition root. Callers switch on `code`, never on the message. */
export type RuntimeErrorCode =
  | 'ERR_SERVER_INTERFACE' // an interface named in interfaces-config cannot be served
  | 'ERR_SERVER_LEASE_DATABASE' // the lease-database entry names something serve cannot open
  | 'ERR_SERVER_LOGGERS' // the loggers section names an unknown severity, output or facility
  | 'ERR_SERVER_STOPPED'; // the server was used after stop()

export class RuntimeError extends Error {
  override readonly name = 'RuntimeError';
  readonly code: RuntimeErrorCode;
  /** The JSON path of the offending configuration entry, when there is one. */
  readonly path: string | undefined;

  constructor(code: RuntimeErrorCode, message: string, opts: { path?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.path = opts.path;
  }
}
