import type { LeaseDatabaseConfig } from '../config/types.ts';
import type { LeaseStoreSpec } from '../leases/open.ts';
import { RuntimeError } from './errors.ts';

/** Where a persistent store goes when the configuration names no file. */
export const DEFAULT_LEASE_FILE = '/var/lib/leasekeeper/leases4.sqlite';

export interface LeaseStoreChoice {
  readonly spec: LeaseStoreSpec;
  /** What was chosen and why, for the start-up log. */
  readonly note: string;
}

/**
 * Maps Kea's `lease-database` onto a leasekeeper store. Kea's `memfile` persists to a CSV file by default
 * (`persist` true); leasekeeper's persistent embedded store is SQLite, so a persisting memfile becomes an
 * SQLite file (a `.csv` name gets a `.sqlite` suffix instead: the formats differ, and a Kea CSV must not be
 * overwritten). `persist: false` keeps leases in memory only. `--lease-file` overrides all of it.
 */
export function chooseLeaseStore(db: LeaseDatabaseConfig, leaseFile: string | undefined): LeaseStoreChoice {
  if (leaseFile !== undefined) {
    return { spec: { type: 'sqlite', path: leaseFile }, note: `sqlite ${leaseFile} (--lease-file)` };
  }
  switch (db.type) {
    case 'memfile': {
      if (db.persist === false) {
        return {
          spec: { type: 'memory' },
          note: 'memory (memfile with persist false: leases are lost on exit)',
        };
      }
      const name = db.name ?? DEFAULT_LEASE_FILE;
      const path = name.endsWith('.csv') ? `${name.slice(0, -4)}.sqlite` : name;
      return { spec: { type: 'sqlite', path }, note: `sqlite ${path} (memfile persists to SQLite here)` };
    }
    case 'sqlite': {
      const path = db.name ?? DEFAULT_LEASE_FILE;
      return { spec: { type: 'sqlite', path }, note: `sqlite ${path}` };
    }
    case 'postgresql':
      throw new RuntimeError(
        'ERR_SERVER_LEASE_DATABASE',
        'type "postgresql" is not supported by serve yet; use "sqlite" or "memfile"',
        { path: 'Dhcp4.lease-database.type' },
      );
  }
}
