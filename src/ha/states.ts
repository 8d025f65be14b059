/** The states of Kea's HA state machine, spelled as Kea reports them in `ha-heartbeat` and `status-get`. */
export const HA_STATES = [
  'backup',
  'communication-recovery',
  'hot-standby',
  'load-balancing',
  'in-maintenance',
  'partner-down',
  'partner-in-maintenance',
  'passive-backup',
  'ready',
  'syncing',
  'terminated',
  'waiting',
] as const;

export type HaState = (typeof HA_STATES)[number];

/** What this server knows of its partner: one of its states, `unavailable`, or nothing yet. */
export type PartnerState = HaState | 'unavailable' | 'unknown';

export function isHaState(s: string): s is HaState {
  return (HA_STATES as readonly string[]).includes(s);
}

/** The states in which the DHCP service is enabled (Kea's adjustNetworkState). */
export const SERVING_STATES: ReadonlySet<HaState> = new Set<HaState>([
  'communication-recovery',
  'load-balancing',
  'hot-standby',
  'partner-down',
  'partner-in-maintenance',
  'passive-backup',
  'terminated',
]);

/** DHCPv4 message types HA decides on (Kea's QueryFilter): the others are answered by every server. */
export const HA_MESSAGE_TYPES: ReadonlySet<number> = new Set([1, 3, 4, 7, 8]);
