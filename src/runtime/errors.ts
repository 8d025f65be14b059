import { LeasekeeperError } from '../errors.ts';
/** Errors of the composition root. Callers switch on `code`, never on the message. */
export type RuntimeErrorCode =
  | 'ERR_SERVER_INTERFACE' // an interface named in interfaces-config cannot be served
  | 'ERR_SERVER_LEASE_DATABASE' // the lease-database entry names something serve cannot open
  | 'ERR_SERVER_LOGGERS' // the loggers section names an unknown severity, output or facility
  | 'ERR_SERVER_CONFIG_SHAPE' // the running configuration lost a section it must have (a defect, not input)
  | 'ERR_SERVER_HA_PEER_NOT_UPDATED' // an HA peer did not acknowledge a lease update: the reply is held back
  | 'ERR_SERVER_STOPPED'; // the server was used after stop()

export class RuntimeError extends LeasekeeperError {
  override readonly name = 'RuntimeError';
  declare readonly code: RuntimeErrorCode;
  /** The JSON path of the offending configuration entry, when there is one. */
  readonly path: string | undefined;

  constructor(code: RuntimeErrorCode, message: string, opts: { path?: string; cause?: unknown } = {}) {
    super(code, message, opts);
    this.path = opts.path;
  }
}
