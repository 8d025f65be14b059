import type { LeaseDatabaseConfig } from '../config/index.ts';
import { postgresFromKea } from '../leases/index.ts';
import type { LeaseStoreSpec, LeaseStoreWarning } from '../leases/index.ts';
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
 * overwritten). `persist: false` keeps leases in memory only. `postgresql` is the shared store of several
 * servers (src/leases/kea-postgres.ts maps Kea's keys). `--lease-file` overrides all of it.
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
    case 'postgresql': {
      // Several servers sharing one pool; a bad entry throws KeaLeaseDatabaseError naming its JSON path.
      const c = postgresFromKea(db);
      const ignored = c.ignored.length === 0 ? '' : ` (ignored here: ${c.ignored.join(', ')})`;
      return { spec: c.spec, note: `${c.note}${ignored}` };
    }
    default:
      throw new RuntimeError('ERR_SERVER_LEASE_DATABASE', `unknown type ${JSON.stringify(db.type)}`, {
        path: 'Dhcp4.lease-database.type',
      });
  }
}

/**
 * The spec `serve` opens: an SQLite file is checked (quick_check) in a child process while its leases load,
 * and takes the commit wait bound (`--max-commit-wait`) and the server's saturation signal; other stores have no
 * such setting. The SQLite writer's checkpoint warnings go to `onWarning` (the server's log).
 */
export function servedStoreSpec(
  spec: LeaseStoreSpec,
  opts: {
    commitMaxWaitMs?: number;
    saturated?: () => boolean;
    onWarning?: (warning: LeaseStoreWarning) => void;
  },
): LeaseStoreSpec {
  if (spec.type !== 'sqlite') return spec;
  return {
    ...spec,
    checkWhileReading: true,
    ...(opts.commitMaxWaitMs === undefined ? {} : { batchMaxWaitMs: opts.commitMaxWaitMs }),
    ...(opts.saturated === undefined ? {} : { batchSaturated: opts.saturated }),
    ...(opts.onWarning === undefined ? {} : { onWarning: opts.onWarning }),
  };
}
