import { LeasekeeperError } from '../errors.ts';
/** Errors of the embeddable library. Callers switch on `code`, never on the message. */
export type DhcpLibraryErrorCode =
  /** `serve()` or `client()` options are invalid (the message names the option). */
  | 'ERR_DHCP_OPTIONS'
  /** What was passed to `createDhcp()` is neither a datagram transport, a Transport nor a factory. */
  | 'ERR_DHCP_TRANSPORT'
  /** The server or client was used after `stop()`. */
  | 'ERR_DHCP_STOPPED'
  /** A wait (`client.bound()`, `client.inform()`) ran out of time. */
  | 'ERR_DHCP_TIMEOUT';

/** The one error class of `leasekeeper`'s library API; see {@link DhcpLibraryErrorCode}. */
export class DhcpLibraryError extends LeasekeeperError {
  override readonly name = 'DhcpLibraryError';
  declare readonly code: DhcpLibraryErrorCode;

  constructor(code: DhcpLibraryErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, message, options);
  }
}
