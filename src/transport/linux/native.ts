/**
 * Loads the native addon: a local build (build/Release, made by `npm install` in a checkout or where no
 * prebuilt binary fits) or the binary the package ships for this architecture (prebuilds/linux-<arch>).
 */
import { createRequire } from 'node:module';
import { TransportError } from '../errors.ts';

export interface NativeInterface {
  name: string;
  index: number;
  /** IFF_* flags (IFF_UP 0x1, IFF_RUNNING 0x40, IFF_LOWER_UP 0x10000). */
  flags: number;
  mac: Buffer;
  addrs: { address: string; prefix: number }[];
}

/** An Error from the addon: `code` is the errno name (`ENETDOWN`), `syscall` the failing call. */
export interface NativeError extends Error {
  code: string;
  errno: number;
  syscall: string;
}

export interface NativePacketSocket {
  readonly ifindex: number;
  readonly fd: number;
  /**
   * True while frames are read from a TPACKET_V3 ring; false with recvmmsg (an adaptive socket switches);
   * absent from older addons.
   */
  readonly ring?: boolean;
  /** True when the socket switches between recvmmsg and the ring with the arrival rate. */
  readonly adaptive?: boolean;
  /** How many times an adaptive socket has switched path. */
  readonly ringSwitches?: number;
  /**
   * Forces an adaptive socket onto the ring (true) or recvmmsg (false), or hands it back to the rate
   * policy (null); returns whether it reads the ring now, or will once the ring has handed over what it
   * still holds after a switch away from it. No effect on a socket that is not adaptive.
   */
  setRing?(on: boolean | null): boolean;
  /**
   * Frames the kernel dropped since the socket opened because its queue or ring was full (a ring's drops
   * are not in the socket's sk_drops, which `ss -0 -m` shows). Absent from older addons.
   */
  drops?(): number;
  /** Tests only (`holdSwitches`): lets one held switch return, as its RCU grace period would end. */
  releaseSwitch?(): void;
  /** Writes one whole Ethernet frame; throws a NativeError. */
  send(frame: Buffer): number;
  close(): void;
}

/**
 * sendBatch's `dst` port word is `port | padUpTo << PAD_UP_TO_SHIFT`: the length up to which the sender allows
 * zero octets after the datagram (`OutboundDatagram.padUpTo`, at most 1472), 0 for none.
 */
export const PAD_UP_TO_SHIFT = 16;

/** Or'ed into the errno sendBatch returns when the failing entry carried several datagrams (UDP GSO). */
export const SEGMENTED_FAILURE = 1 << 16;

/** Words per frame in a batch's `meta`: offset, length, pkttype, tpStatus, waitedUs. */
export const FRAME_META_WORDS = 5;

/**
 * One wake-up's frames, or an error alone. `frames` holds them back to back and is fresh per batch (views
 * into it may be kept); frame i is `frames[meta[5i] .. meta[5i] + meta[5i+1])`, with pkttype `meta[5i+2]`,
 * tp_status `meta[5i+3]` and `meta[5i+4]` the microseconds it waited in the socket's queue (kernel receive
 * timestamp to the read; 0 when the kernel gave no timestamp).
 */
export type FrameBatchCallback = (err: NativeError | null, frames?: Buffer, meta?: Uint32Array) => void;

export interface NativeAddon {
  openUdp(o: { port: number; address?: string; ifname?: string; netns?: string; dropAll?: boolean }): number;
  interfaces(netns?: string): NativeInterface[];
  PacketSocket: new (
    o:
      | {
          ifname: string;
          protocol: number;
          filter: number[];
          netns?: string;
          /** Receive buffer bytes; with `ring`, the ring's size. */
          rcvbuf?: number;
          /**
           * true: read through a TPACKET_V3 ring where the kernel allows it, else with recvmmsg.
           * 'adaptive': recvmmsg while frames are few (no added latency), the ring once they arrive at
           * `ringAboveFps` per second or more (default 4000), back below `ringBelowFps` (default 2500),
           * the rate measured over windows of `ringWindowMs` (default 200). Where the kernel lacks what
           * this needs (PACKET_FANOUT_CBPF with a unique id, Linux 4.16), reads with recvmmsg.
           */
          ring?: boolean | 'adaptive';
          ringAboveFps?: number;
          ringBelowFps?: number;
          ringWindowMs?: number;
          /**
           * Tests only: each switch of an adaptive socket, once its new fanout program is installed,
           * waits for `releaseSwitch()` before returning, as it waits for an RCU grace period.
           */
          holdSwitches?: boolean;
        }
      | { linkWatch: true; netns?: string },
    onFrames: FrameBatchCallback,
  ) => NativePacketSocket;
  /**
   * One sendmmsg of `buffers[start..end)` on `fd`: the number sent (from `start`, in order), or -errno for
   * `buffers[start]`. `dst` holds [ipv4 as uint32, port | padUpTo << PAD_UP_TO_SHIFT] per buffer index; null
   * on a bound packet socket. With `segment` (a UDP socket where `udpSegmentSupported`), neighbouring
   * datagrams to one destination leave as one UDP GSO entry, shorter ones followed by zeros to the run's
   * size where their padUpTo allows; when such an entry fails, its errno comes or'ed with SEGMENTED_FAILURE.
   * Addons built before GSO ignore `segment`.
   */
  sendBatch(
    fd: number,
    buffers: readonly Uint8Array[],
    dst: Uint32Array | null,
    start: number,
    end: number,
    segment?: boolean,
  ): number;
  /**
   * Whether the kernel knows UDP_SEGMENT on this UDP socket (Linux 4.18); absent from addons built before
   * GSO. On an older kernel the cmsg would be ignored and the run sent as one large datagram.
   */
  udpSegmentSupported?(fd: number): boolean;
  /**
   * One datagram to an AF_UNIX SOCK_DGRAM socket (`@name`: abstract namespace): bytes sent, or -errno.
   * Absent from addons built before it was added: check with `typeof`.
   */
  sendUnixDatagram?(path: string, data: Uint8Array): number;
  /**
   * The adaptive socket's rate policy alone: whether to read the ring after a window of `elapsedMs` that
   * received `frames`, reading it now or not. Absent from older addons.
   */
  ringPolicy?(
    ringNow: boolean,
    frames: number,
    elapsedMs: number,
    aboveFps: number,
    belowFps: number,
  ): boolean;
  /** The addon's Error for an errno (code, errno, syscall set). */
  errnoError(errno: number, syscall: string): NativeError;
}

const CANDIDATES = [
  '../../../build/Release/leasekeeper_transport.node',
  '../../../build/Debug/leasekeeper_transport.node',
  `../../../prebuilds/linux-${process.arch}/leasekeeper_transport.node`,
];

let cached: NativeAddon | TransportError | undefined;

function load(): NativeAddon | TransportError {
  if (process.platform !== 'linux') {
    return new TransportError('ERR_TRANSPORT_NATIVE_UNAVAILABLE', 'the linux transport needs Linux');
  }
  const require = createRequire(import.meta.url);
  const errors: string[] = [];
  for (const c of CANDIDATES) {
    try {
      const mod = require(c) as Partial<NativeAddon> & { unsupported?: boolean };
      if (mod.unsupported || typeof mod.openUdp !== 'function') {
        return new TransportError(
          'ERR_TRANSPORT_NATIVE_UNAVAILABLE',
          'the native addon was built without Linux support',
        );
      }
      return mod as NativeAddon;
    } catch (e) {
      errors.push(e instanceof Error ? e.message.split('\n')[0]! : String(e));
    }
  }
  return new TransportError(
    'ERR_TRANSPORT_NATIVE_UNAVAILABLE',
    `native addon not available for linux-${process.arch} (install a C++ compiler, then \`npm rebuild leasekeeper\`): ${errors.join('; ')}`,
  );
}

/** The addon, or a TransportError saying why it is unavailable. */
export function nativeAddon(): NativeAddon | TransportError {
  cached ??= load();
  return cached;
}

export function requireNative(): NativeAddon {
  const n = nativeAddon();
  if (n instanceof TransportError) throw n;
  return n;
}

export function isNativeError(e: unknown): e is NativeError {
  return e instanceof Error && typeof (e as Partial<NativeError>).code === 'string';
}
