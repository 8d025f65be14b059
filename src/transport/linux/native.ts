/** Loads the native addon (build/Release/leasekeeper_transport.node, built by `npm install`). */
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
  /** Writes one whole Ethernet frame; throws a NativeError. */
  send(frame: Buffer): number;
  close(): void;
}

export interface NativeAddon {
  openUdp(o: { port: number; address?: string; ifname?: string; netns?: string; dropAll?: boolean }): number;
  interfaces(netns?: string): NativeInterface[];
  PacketSocket: new (
    o:
      | { ifname: string; protocol: number; filter: number[]; netns?: string; rcvbuf?: number }
      | { linkWatch: true; netns?: string },
    onFrame: (err: NativeError | null, frame: Buffer | undefined, pkttype: number, tpStatus: number) => void,
  ) => NativePacketSocket;
}

const CANDIDATES = [
  '../../../build/Release/leasekeeper_transport.node',
  '../../../build/Debug/leasekeeper_transport.node',
];

let cached: NativeAddon | TransportError | undefined;

function load(): NativeAddon | TransportError {
  if (process.platform !== 'linux') {
    return new TransportError('ERR_NATIVE_UNAVAILABLE', 'the linux transport needs Linux');
  }
  const require = createRequire(import.meta.url);
  const errors: string[] = [];
  for (const c of CANDIDATES) {
    try {
      const mod = require(c) as Partial<NativeAddon> & { unsupported?: boolean };
      if (mod.unsupported || typeof mod.openUdp !== 'function') {
        return new TransportError(
          'ERR_NATIVE_UNAVAILABLE',
          'the native addon was built without Linux support',
        );
      }
      return mod as NativeAddon;
    } catch (e) {
      errors.push(e instanceof Error ? e.message.split('\n')[0]! : String(e));
    }
  }
  return new TransportError(
    'ERR_NATIVE_UNAVAILABLE',
    `native addon not built (run \`npm install\` or \`npx node-gyp rebuild\`): ${errors.join('; ')}`,
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
