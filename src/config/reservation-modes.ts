/**
 * Kea's reservation flags at one level (global, shared network, subnet): each flag not set inherits from
 * the level above. `reservation-mode` (deprecated, still read by Kea 2.2) sets all three at once and may
 * not be combined with them at the same level, as in Kea.
 */
export interface ReservationFlags {
  /** Look up global reservations (`reservations-global`, default false). */
  readonly global: boolean;
  /** Look up the subnet's reservations (`reservations-in-subnet`, default true). */
  readonly inSubnet: boolean;
  /** Kea's `reservations-out-of-pool` (default false); reserved addresses are kept out of pools anyway. */
  readonly outOfPool: boolean;
}

export const DEFAULT_RESERVATION_FLAGS: ReservationFlags = Object.freeze({
  global: false,
  inSubnet: true,
  outOfPool: false,
});

export interface ReservationModeJson {
  readonly 'reservation-mode'?: 'disabled' | 'out-of-pool' | 'global' | 'all' | undefined;
  readonly 'reservations-global'?: boolean | undefined;
  readonly 'reservations-in-subnet'?: boolean | undefined;
  readonly 'reservations-out-of-pool'?: boolean | undefined;
}

const FROM_MODE: Readonly<Record<NonNullable<ReservationModeJson['reservation-mode']>, ReservationFlags>> = {
  disabled: { global: false, inSubnet: false, outOfPool: false },
  'out-of-pool': { global: false, inSubnet: true, outOfPool: true },
  global: { global: true, inSubnet: false, outOfPool: false },
  all: { global: false, inSubnet: true, outOfPool: false },
};

export function reservationFlags(
  j: ReservationModeJson,
  parent: ReservationFlags,
  path: string,
  issue: (path: string, message: string) => void,
): ReservationFlags {
  const mode = j['reservation-mode'];
  const flags = [j['reservations-global'], j['reservations-in-subnet'], j['reservations-out-of-pool']];
  if (mode !== undefined) {
    if (flags.some((f) => f !== undefined))
      issue(
        `${path}.reservation-mode`,
        'cannot be combined with reservations-global, reservations-in-subnet or reservations-out-of-pool at the same level (Kea refuses both)',
      );
    return FROM_MODE[mode];
  }
  return {
    global: j['reservations-global'] ?? parent.global,
    inSubnet: j['reservations-in-subnet'] ?? parent.inSubnet,
    outOfPool: j['reservations-out-of-pool'] ?? parent.outOfPool,
  };
}
