import type { ResolvedRetransmit } from './config.ts';

/**
 * Delay before retransmitting after send number `attempt` (0 = the first send) of a DISCOVER, REQUEST
 * or INFORM.
 * - rfc2131: RFC 2131 §4.1: 4 s before the first retransmission, doubling up to 64 s, each randomized
 *   by a uniform number in [-1 s, +1 s].
 * - udhcpc: `-T` seconds every time.
 */
export function retransmitDelay(policy: ResolvedRetransmit, attempt: number, random: () => number): number {
  if (policy.kind === 'udhcpc') return policy.timeoutMs;
  const base = Math.min(4_000 * 2 ** Math.min(attempt, 4), 64_000);
  return base + Math.round((random() * 2 - 1) * 1_000);
}

/**
 * RFC 2131 §4.4.5: in RENEWING and REBINDING the client waits one-half of the remaining time until T2
 * (or until the lease expires) before retransmitting, down to a minimum of 60 seconds. The caller
 * moves on at `until` anyway, so the result may lie past it.
 */
export function renewRetransmitDelay(now: number, until: number, minMs: number): number {
  return Math.max(minMs, Math.floor((until - now) / 2));
}
