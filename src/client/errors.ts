import { LeasekeeperError } from '../errors.ts';

/** Stable codes of the client's errors. */
export type ClientErrorCode =
  | 'ERR_CLIENT_CONFIG'
  | 'ERR_CLIENT_STATE'
  | 'ERR_CLIENT_NO_ADDRESS'
  | 'ERR_CLIENT_LEASE_FILE'
  | 'ERR_CLIENT_UDHCPC_OPTION';

/** Base class of every error the client module throws; `code` is stable, the message is for humans. */
export class ClientError extends LeasekeeperError {
  override name = 'ClientError';
  declare readonly code: ClientErrorCode;

  constructor(code: ClientErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** A client configuration that cannot work (bad MAC, bad address, bad timer values). */
export class ClientConfigError extends ClientError {
  override name = 'ClientConfigError';
  constructor(message: string) {
    super('ERR_CLIENT_CONFIG', message);
  }
}

/** A command given in a state that cannot take it (start twice, inform without an address). */
export class ClientStateError extends ClientError {
  override name = 'ClientStateError';
  constructor(code: 'ERR_CLIENT_STATE' | 'ERR_CLIENT_NO_ADDRESS', message: string) {
    super(code, message);
  }
}

/** A lease file that is not JSON or does not have the expected shape. */
export class LeaseFileError extends ClientError {
  override name = 'LeaseFileError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_CLIENT_LEASE_FILE', message, options);
  }
}

/** A udhcpc-style `-x OPT:VALUE` or `-O OPT` argument that cannot be parsed. */
export class UdhcpcOptionError extends ClientError {
  override name = 'UdhcpcOptionError';
  constructor(message: string) {
    super('ERR_CLIENT_UDHCPC_OPTION', message);
  }
}
