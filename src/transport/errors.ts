import { LeasekeeperError } from '../errors.ts';

/** Stable error codes of the transport layer. Callers switch on `code`, never on the message. */
export type TransportErrorCode =
  | 'ERR_TRANSPORT_CLOSED' // send() after close()
  | 'ERR_TRANSPORT_BAD_ADDRESS' // an IP, MAC or port that does not parse
  | 'ERR_TRANSPORT_NO_ROUTE' // no interface can reach the destination
  | 'ERR_TRANSPORT_NO_INTERFACE' // the named interface is unknown to this transport
  | 'ERR_TRANSPORT_INTERFACE_DOWN' // the interface exists but is administratively down or has no carrier
  | 'ERR_TRANSPORT_INTERFACE_GONE' // the interface vanished
  | 'ERR_TRANSPORT_UNSUPPORTED' // the datagram asks for a capability this transport lacks
  | 'ERR_TRANSPORT_TOO_BIG' // payload does not fit in one frame
  | 'ERR_TRANSPORT_SEND_FAILED' // the OS refused the send
  | 'ERR_TRANSPORT_RECEIVE_FAILED' // a socket failed while receiving
  | 'ERR_TRANSPORT_BIND_FAILED' // a socket could not be opened or bound
  | 'ERR_TRANSPORT_NATIVE_UNAVAILABLE' // the native addon is not built or not on Linux
  | 'ERR_TRANSPORT_VIRTUAL_SETUP' // a virtual network was built wrong (a link, host or NIC named twice)
  | 'ERR_TRANSPORT_VIRTUAL_RUNAWAY'; // a virtual clock ran more events in one advance than its bound

export class TransportError extends LeasekeeperError {
  override readonly name = 'TransportError';
  declare readonly code: TransportErrorCode;
  /** The interface the error concerns, when there is one. */
  readonly interface: string | undefined;
  /** The OS error code (`ENETDOWN`, `EADDRINUSE`, ...) behind this error, when there is one. */
  readonly syscallCode: string | undefined;

  constructor(
    code: TransportErrorCode,
    message: string,
    opts: { interface?: string; syscallCode?: string; cause?: unknown } = {},
  ) {
    super(code, message, opts);
    this.interface = opts.interface;
    this.syscallCode = opts.syscallCode;
  }
}
