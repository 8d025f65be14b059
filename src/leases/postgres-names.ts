/**
 * Our lease table in PostgreSQL. Every leasekeeper table, index, trigger and function starts with
 * `leasekeeper_`, so that our schema lives beside Kea's (which has its own `lease4`) in one database.
 */
export const LEASE_TABLE = 'leasekeeper_lease4';

/** The last removal of each address no longer in LEASE_TABLE, for servers catching up after a LISTEN gap. */
export const REMOVED_TABLE = 'leasekeeper_lease4_removed';
