import type { Logger } from 'pino';
import type { HaPeerConfig } from '../config/index.ts';
import { RESULT } from '../control/index.ts';
import { isJsonObject, type JsonObject, type JsonValue } from '../control/index.ts';
import type { Lease } from '../leases/index.ts';
import type { LeaseStore } from '../leases/index.ts';
import { errorText, type PeerSender } from './partner-client.ts';
import { HaError } from './errors.ts';

export interface SyncOptions {
  readonly peer: HaPeerConfig;
  /** Seconds the peer's DHCP service stays disabled at most (its own safety net if we die meanwhile). */
  readonly maxPeriod: number;
  readonly pageLimit: number;
  readonly send: PeerSender;
  readonly store: Pick<LeaseStore, 'get' | 'commit'>;
  readonly parseLease: (json: JsonObject) => Lease;
  readonly clock: () => number;
  readonly log: Logger;
  /** A lease of the peer that could not be read (logged once per interval by the caller). */
  readonly skipped: (text: string) => void;
}

/**
 * Kea's lease sync: disable the peer's DHCP service (origin ha-partner, for `maxPeriod` seconds), fetch
 * every lease page by page (`lease4-get-page`) and keep each one newer than ours, then
 * `ha-sync-complete-notify` (or `dhcp-enable` for a peer that does not know that command). Resolves with
 * an error text, or undefined when every page arrived.
 */
export async function syncLeases(o: SyncOptions): Promise<string | undefined> {
  const { peer, send } = o;
  o.log.info(`HA: synchronizing leases with ${peer.name}`);
  let disabled = false;
  let error: string | undefined;
  try {
    const d = await send(peer, 'dhcp-disable', { origin: 'ha-partner', 'max-period': o.maxPeriod });
    if (d.result !== RESULT.success) throw new HaError('ERR_HA_SYNC', `dhcp-disable refused: ${d.text}`);
    disabled = true;
    let from = 'start';
    let total = 0;
    for (;;) {
      const page = await send(peer, 'lease4-get-page', { from, limit: o.pageLimit });
      if (page.result === RESULT.empty) break;
      if (page.result !== RESULT.success || !isJsonObject(page.arguments))
        throw new HaError('ERR_HA_SYNC', `lease4-get-page refused: ${page.text}`);
      const leases = page.arguments['leases'];
      if (!Array.isArray(leases))
        throw new HaError('ERR_HA_SYNC', 'lease4-get-page answered without a leases list');
      for (const json of leases as readonly JsonValue[]) await keepNewer(json, o);
      total += leases.length;
      const last = leases[leases.length - 1];
      if (leases.length < o.pageLimit || !isJsonObject(last)) break;
      const address = last['ip-address'];
      if (typeof address !== 'string') break;
      from = address;
    }
    o.log.info({ leases: total }, `HA: ${total} leases received from ${peer.name}`);
  } catch (err) {
    error = errorText(err);
  }
  if (disabled) {
    try {
      if (error === undefined) {
        const n = await send(peer, 'ha-sync-complete-notify', undefined);
        if (n.result === RESULT.unsupported) await send(peer, 'dhcp-enable', { origin: 'ha-partner' });
      } else {
        await send(peer, 'dhcp-enable', { origin: 'ha-partner' });
      }
    } catch (err) {
      error ??= errorText(err);
    }
  }
  if (error === undefined) o.log.info(`HA: lease database synchronization with ${peer.name} complete`);
  return error;
}

/** Kea keeps the peer's lease when it has none at the address or an older one (by cltt). */
async function keepNewer(json: JsonValue, o: SyncOptions): Promise<void> {
  if (!isJsonObject(json)) return;
  let lease: Lease;
  try {
    lease = o.parseLease(json);
  } catch (err) {
    o.skipped(`HA: a lease from the partner was skipped: ${errorText(err)}`);
    return;
  }
  const existing = await o.store.get(lease.address);
  if (existing !== null && existing.cltt >= lease.cltt) return;
  await o.store.commit(lease, { mode: 'upsert', now: o.clock() });
}
