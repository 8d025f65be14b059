import { leasesByClientId, leasesByHostname, leasesByHwAddress, type LeaseIndex } from '../server/index.ts';
import { DhcpLibraryError } from './errors.ts';
import { leaseView, type DhcpLease } from './lease-view.ts';

/** Which client `server.leasesOf` looks for: one of its hardware address, client identifier or hostname. */
export type DhcpLeaseLookup =
  | { readonly mac: string; readonly subnetId?: number }
  | { readonly clientId: string; readonly subnetId?: number }
  | { readonly hostname: string; readonly subnetId?: never };

/**
 * The entries of `server.leases` of one client, in address order: a scan of the engine's index (a few ms for
 * a million leases), where asking the store (`server.store.getByHwAddress`) reads a SQLite file's whole table.
 * A MAC and a client id compare without case, a hostname as SQLite's NOCASE does (ASCII letters).
 */
export function leasesOf(index: LeaseIndex, lookup: DhcpLeaseLookup): DhcpLease[] {
  const found =
    'mac' in lookup
      ? leasesByHwAddress(index, text(lookup.mac, 'mac'), subnet(lookup.subnetId))
      : 'clientId' in lookup
        ? leasesByClientId(index, text(lookup.clientId, 'clientId'), subnet(lookup.subnetId))
        : 'hostname' in lookup
          ? leasesByHostname(index, text(lookup.hostname, 'hostname'))
          : invalid('expected { mac }, { clientId } or { hostname }');
  const views: DhcpLease[] = [];
  for (const lease of found) {
    const view = leaseView(lease);
    if (view !== null) views.push(view);
  }
  return views;
}

function text(value: unknown, name: string): string {
  return typeof value === 'string' ? value : invalid(`${name}: expected a string`);
}

function subnet(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'number' && Number.isInteger(value) && value >= 0
    ? value
    : invalid('subnetId: expected a non-negative integer');
}

function invalid(message: string): never {
  throw new DhcpLibraryError('ERR_DHCP_OPTIONS', `leasesOf: ${message}`);
}
