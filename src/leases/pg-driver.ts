import { createRequire } from 'node:module';
import type pg from 'pg';

let driver: typeof pg | undefined;

/**
 * node-postgres, loaded on the first PostgreSQL store or listener, so that importing the library (or running
 * `leasekeeper --help`) does not load a driver that a memory or SQLite store never uses.
 */
export function pgDriver(): typeof pg {
  driver ??= createRequire(import.meta.url)('pg') as typeof pg;
  return driver;
}
