/**
 * Our lease table in PostgreSQL. Every leasekeeper table, index, trigger and function starts with
 * `leasekeeper_`, so that our schema lives beside Kea's (which has its own `lease4`) in one database.
 */
export const LEASE_TABLE = 'leasekeeper_lease4';
