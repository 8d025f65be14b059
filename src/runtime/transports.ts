import { LinuxTransport } from '../transport/index.ts';
import { nativeAddon } from '../transport/index.ts';
import { TransportError } from '../transport/index.ts';
import type { LinuxTransportOptions, Transport } from '../transport/index.ts';
import { UdpTransport } from '../transport/index.ts';
import { rawSocketPermission } from './capabilities.ts';
import type { ServedInterface } from './interfaces.ts';

export interface TransportChoice {
  readonly transport: Transport;
  /** What was opened and why, for the start-up log. */
  readonly note: string;
  /** Packet sockets were wanted (`dhcp-socket-type: raw`) but plain UDP was opened: worth a warning. */
  readonly degraded: boolean;
}

export interface OpenTransportOptions {
  readonly interfaces: readonly ServedInterface[];
  /** Kea's `dhcp-socket-type`: `raw` wants packet sockets, `udp` plain UDP. */
  readonly socketType: 'raw' | 'udp';
  /** UDP port to serve (67 unless testing). */
  readonly port: number;
  /**
   * Packet socket receive buffer; default the transport's 4 MiB. Measured with perfdhcp: 256 KiB keeps the
   * delay past saturation at 30-60 ms instead of ~900 ms, but drops bursts that arrive while an fsync holds
   * the event loop, so the rate sustained under 1% loss is lower; 4 MiB is kept.
   */
  readonly receiveBufferBytes?: number;
  /** How the packet sockets read (`serve --receive-path`); default `adaptive`. */
  readonly receivePath?: ReceivePath;
  /** The adaptive path's thresholds (`serve --ring-above`, `--ring-below`, `--ring-window`). */
  readonly ringThresholds?: RingThresholds;
  /** Runs of relayed replies to one destination as one UDP GSO send (`serve --udp-gso`); default `auto`. */
  readonly udpSegmentation?: boolean | 'auto';
}

/**
 * `ring`: a TPACKET_V3 ring, one wake-up per 1 ms block instead of one per request, for up to 1 ms more
 * delay per request at low rates. `recvmmsg`: a wake-up per batch of whatever has arrived. `adaptive`:
 * recvmmsg while quiet, the ring under load (docs/transport.md, "Adaptive receive").
 */
export type ReceivePath = 'adaptive' | 'ring' | 'recvmmsg';

export const RECEIVE_PATHS: readonly ReceivePath[] = ['adaptive', 'ring', 'recvmmsg'];

/** When an adaptive socket switches; unset ones keep the transport's defaults (`RING_DEFAULTS`). */
export type RingThresholds = Readonly<
  Pick<LinuxTransportOptions, 'ringAboveFps' | 'ringBelowFps' | 'ringWindowMs'>
>;

/** The native socket's defaults (native/transport.cc). */
export const RING_DEFAULTS = { ringAboveFps: 4000, ringBelowFps: 2500, ringWindowMs: 200 } as const;

const RING_OPTION: Readonly<Record<ReceivePath, boolean | 'adaptive'>> = {
  adaptive: 'adaptive',
  ring: true,
  recvmmsg: false,
};

/**
 * The `linux` transport (a UDP and a packet socket per interface) when raw sockets are wanted and possible:
 * the native addon is built and we are root or hold CAP_NET_RAW (and CAP_NET_BIND_SERVICE for port 67,
 * as systemd's AmbientCapabilities= grants them to an unprivileged User=). Otherwise one `udp` socket on 0.0.0.0: it cannot tell
 * interfaces apart, cannot unicast to a client that has no address yet (replies are broadcast instead) and
 * needs a route for 255.255.255.255 (the runtime broadcasts to the subnet's broadcast address instead).
 */
export async function openTransport(opts: OpenTransportOptions): Promise<TransportChoice> {
  let why = 'dhcp-socket-type "udp"';
  if (opts.socketType === 'raw') {
    const native = nativeAddon();
    const permission = rawSocketPermission({ port: opts.port });
    if (!(native instanceof TransportError) && permission.ok) {
      const transport = await LinuxTransport.open({
        interfaces: opts.interfaces.map((i) => i.name),
        port: opts.port,
        ...(opts.receiveBufferBytes === undefined ? {} : { receiveBufferBytes: opts.receiveBufferBytes }),
        ...(opts.receivePath === undefined ? {} : { receiveRing: RING_OPTION[opts.receivePath] }),
        ...opts.ringThresholds,
        ...(opts.udpSegmentation === undefined ? {} : { udpSegmentation: opts.udpSegmentation }),
      });
      const paths = new Set(opts.interfaces.map((i) => transport.receivePath(i.name) ?? 'closed'));
      return {
        transport,
        degraded: false,
        note: `linux packet sockets on ${opts.interfaces.map((i) => i.name).join(', ')} port ${opts.port} (${permission.via}), read with ${[...paths].join(', ')}`,
      };
    }
    why =
      native instanceof TransportError
        ? `raw sockets unavailable: ${native.message}`
        : `no packet sockets: ${permission.ok ? '' : permission.why}`;
  }
  try {
    const transport = await UdpTransport.open({ port: opts.port });
    // The receive path is the packet sockets': a chosen one does not apply here.
    const unused = opts.receivePath === undefined ? '' : `; receive path ${opts.receivePath} not used`;
    return {
      transport,
      degraded: opts.socketType === 'raw',
      note: `udp 0.0.0.0:${opts.port} (${why}${unused})`,
    };
  } catch (err) {
    // e.g. EACCES on port 67 without CAP_NET_BIND_SERVICE: say why the packet sockets were not tried either.
    if (!(err instanceof TransportError)) throw err;
    throw new TransportError(err.code, `${err.message} (${why})`, { cause: err });
  }
}
