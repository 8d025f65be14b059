import type { ClientAction } from './actions.ts';
import type { UdhcpcScriptEvent } from './udhcpc-env.ts';
import { udhcpcEnvironment, udhcpcMessageEnvironment } from './udhcpc-env.ts';

export interface UdhcpcScriptCall {
  readonly event: UdhcpcScriptEvent;
  readonly env: Readonly<Record<string, string>>;
}

/**
 * The udhcpc script calls one engine step stands for, in order: `deconfigure` -> deconfig,
 * `configure` -> bound / renew, the nak event -> nak (with the NAK's variables), leasefail -> leasefail.
 * A runtime with a `-s SCRIPT` runs `SCRIPT <event>` with each `env` added to its environment.
 */
export function udhcpcScriptCalls(actions: readonly ClientAction[], ifname: string): UdhcpcScriptCall[] {
  const calls: UdhcpcScriptCall[] = [];
  for (const a of actions) {
    if (a.type === 'deconfigure') calls.push({ event: 'deconfig', env: udhcpcEnvironment(null, ifname) });
    else if (a.type === 'configure') calls.push({ event: a.reason, env: udhcpcEnvironment(a.lease, ifname) });
    else if (a.type === 'event' && a.event.type === 'nak') {
      calls.push({ event: 'nak', env: udhcpcMessageEnvironment(a.event.message, ifname) });
    } else if (a.type === 'event' && a.event.type === 'leasefail') {
      calls.push({ event: 'leasefail', env: udhcpcEnvironment(null, ifname) });
    }
  }
  return calls;
}
