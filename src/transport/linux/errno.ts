/** Maps OS errors (errno names from the addon or libuv) to the transport's stable codes. */
import { TransportError, type TransportErrorCode } from '../errors.ts';

const ERRNO_CODES: Record<string, TransportErrorCode> = {
  ENETDOWN: 'ERR_TRANSPORT_INTERFACE_DOWN',
  ENXIO: 'ERR_TRANSPORT_INTERFACE_GONE',
  ENODEV: 'ERR_TRANSPORT_INTERFACE_GONE',
  ENETUNREACH: 'ERR_TRANSPORT_NO_ROUTE',
  EHOSTUNREACH: 'ERR_TRANSPORT_NO_ROUTE',
  EMSGSIZE: 'ERR_TRANSPORT_TOO_BIG',
};

export function toTransportError(e: unknown, fallback: TransportErrorCode, ifname?: string): TransportError {
  if (e instanceof TransportError) return e;
  const sys = (e as NodeJS.ErrnoException | undefined)?.code;
  const code = (sys && ERRNO_CODES[sys]) || fallback;
  const msg = e instanceof Error ? e.message : String(e);
  return new TransportError(code, ifname ? `${ifname}: ${msg}` : msg, {
    ...(ifname === undefined ? {} : { interface: ifname }),
    ...(sys === undefined ? {} : { syscallCode: sys }),
    cause: e,
  });
}
