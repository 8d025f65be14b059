import { LeasekeeperError } from '../../errors.ts';
/** Errors of the client runtime. Callers switch on `code`, never on the message. */
export type ClientRuntimeErrorCode =
  | 'ERR_CLIENT_START' // the interface or its sockets could not be opened
  | 'ERR_CLIENT_APPLY' // an `ip` command applying or removing a lease failed
  | 'ERR_CLIENT_SCRIPT' // the udhcpc script could not be run, failed or timed out
  | 'ERR_CLIENT_SEND' // a message could not be handed to the network (the engine retransmits)
  | 'ERR_CLIENT_LEASE_FILE' // the lease file could not be read or written
  | 'ERR_CLIENT_PROBE' // the ARP probe could not be run (the address is then taken as free)
  | 'ERR_CLIENT_STOPPED'; // the runtime was used after stop()

export class ClientRuntimeError extends LeasekeeperError {
  override readonly name = 'ClientRuntimeError';
  declare readonly code: ClientRuntimeErrorCode;

  constructor(code: ClientRuntimeErrorCode, message: string, opts: { cause?: unknown } = {}) {
    super(code, message, opts);
  }
}
