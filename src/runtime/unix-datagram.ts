import { nativeAddon } from '../transport/index.ts';
import { TransportError } from '../transport/index.ts';

/** Sends one AF_UNIX datagram: bytes sent, or -errno. */
export type UnixDatagramSender = (path: string, data: Uint8Array) => number;

/**
 * The native addon's `sendUnixDatagram` (systemd's NOTIFY_SOCKET and syslog's /dev/log are AF_UNIX
 * datagram sockets, which node:dgram cannot address), or undefined when the addon is absent or predates it:
 * callers then degrade and say so.
 */
export function nativeUnixDatagramSender(): UnixDatagramSender | undefined {
  const addon = nativeAddon();
  if (addon instanceof TransportError || typeof addon.sendUnixDatagram !== 'function') return undefined;
  return addon.sendUnixDatagram.bind(addon);
}
