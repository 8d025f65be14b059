import { udhcpcMessageEnvironment } from '../../client/index.ts';
import type { ClientEvent } from '../../client/index.ts';

/**
 * What the runtime publishes (control channel `events`, the CLI's log lines): the engine's events made
 * JSON-safe, plus what only the runtime sees (link changes, errors, script runs, messages sent).
 */
export type RuntimeEvent =
  // The engine's events that are JSON-safe as they are.
  | Extract<
      ClientEvent,
      {
        readonly type:
          | 'state'
          | 'offer'
          | 'lease-acquired'
          | 'lease-renewed'
          | 'lease-expired'
          | 'lease-lost'
          | 'decline'
          | 'leasefail'
          | 'probe-timeout'
          | 'inform-failed'
          | 'ignored'
          | 'lease-adjusted';
      }
    >
  | { readonly type: 'nak'; readonly serverId: string | null; readonly text: string | null }
  | {
      readonly type: 'inform-ack';
      readonly serverId: string | null;
      /** The ACK as udhcpc's script environment (`dns`, `domain`, `router`, `optNN`...). */
      readonly env: Readonly<Record<string, string>>;
    }
  | {
      readonly type: 'sent';
      readonly message: string;
      readonly to: string;
      readonly from: string;
      /** `raw`: no address yet (a packet socket); `udp`: from the leased address. */
      readonly via: 'raw' | 'udp';
    }
  | { readonly type: 'link'; readonly up: boolean; readonly carrier: boolean; readonly present: boolean }
  | { readonly type: 'script'; readonly event: string; readonly exitCode: number | null }
  | { readonly type: 'error'; readonly code: string; readonly message: string };

/** The engine's event as the runtime publishes it (DHCP messages are left out: not JSON). */
export function runtimeEvent(e: ClientEvent, ifname: string): RuntimeEvent {
  switch (e.type) {
    case 'nak':
      return { type: 'nak', serverId: e.serverId, text: e.text };
    case 'inform-ack':
      return { type: 'inform-ack', serverId: e.serverId, env: udhcpcMessageEnvironment(e.message, ifname) };
    default:
      return e;
  }
}

/** An event stamped with the time it happened (ms since the epoch, the runtime's clock). */
export type TimedEvent = RuntimeEvent & { readonly time: number };
