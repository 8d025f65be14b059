import type { ClientLease, UdhcpcScriptEvent } from '../../client/index.ts';

/**
 * One udhcpc script event, as the runtime hands it to whatever applies leases: the event name, udhcpc's
 * environment for it, and the leases concerned (the new one for bound/renew, the dropped one for
 * deconfig, null otherwise).
 */
export interface ApplyRequest {
  readonly interface: string;
  readonly event: UdhcpcScriptEvent;
  readonly env: Readonly<Record<string, string>>;
  readonly lease: ClientLease | null;
  /** The lease applied before this one (bound/renew), or null. */
  readonly previous: ClientLease | null;
}

export interface ApplyResult {
  /** The script's exit status (null when killed); 0 for the built-in applier. */
  readonly exitCode: number | null;
}

/** Applies leases to the system: a udhcpc script (`-s`) or the built-in iproute2 default. */
export interface LeaseApplier {
  /** Rejects with a ClientRuntimeError (ERR_CLIENT_SCRIPT / ERR_CLIENT_APPLY); the runtime reports it and goes on. */
  apply(req: ApplyRequest): Promise<ApplyResult>;
}

/** An applier that does nothing (tests that only look at the exchange, `-s /bin/true`). */
export const noopApplier: LeaseApplier = {
  apply: () => Promise.resolve({ exitCode: 0 }),
};
