/** Stable error codes of the transport layer. Callers switch on `code`, never on the message. */
export type TransportErrorCode =
  | 'ERR_TRANSPORT_CLOSED' // send() after close()
  | 'ERR_BAD_ADDRESS' // an IP, MAC or port that does not parse
  | 'ERR_NO_ROUTE' // no interface can reach the destination
  | 'ERR_NO_INTERFACE' // the named interface is unknown to this transport
  | 'ERR_INTERFACE_DOWN' // the interface exists but is administratively down or has no carrier
  | 'ERR_INTERFACE_GONE' // the interface vanished
  | 'ERR_UNSUPPORTED' // the datagram asks for a capability this transport lacks
  | 'ERR_TOO_BIG' // payload does not fit in one frame
  | 'ERR_SEND_FAILED' // the OS refused the send
  | 'ERR_RECEIVE_FAILED' // a socket failed while receiving
  | 'ERR_BIND_FAILED' // a socket could not be opened or bound
  | 'ERR_NATIVE_UNAVAILABLE'; // the native addon is not built or not on Linux

export class TransportError extends Error {
  override readonly name = 'TransportError';
  readonly code: TransportErrorCode;
  /** The interface the error concerns, when there is one. */
  readonly interface: string | undefined;
  /** The OS error code (`ENETDOWN`, `EADDRINUSE`, ...) behind this error, when there is one. */
  readonly syscallCode: string | undefined;

  constructor(
    code: TransportErrorCode,
    message: string,
    opts: { interface?: string; syscallCode?: string; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.interface = opts.interface;
    this.syscallCode = opts.syscallCode;
  }
}
