/**
 * The in-process DNS updater (docs/ddns.md): the queue and its retries (service.ts), one UPDATE over UDP
 * (dns-client.ts), TSIG signing (tsig.ts), DHCID (dhcid.ts), and the queue kept in the lease database
 * (sqlite-queue.ts, postgres-queue.ts). The decisions without I/O are src/ddns.
 */
export { DdnsService, DDNS_STATS, type DdnsServiceOptions, type DdnsStat } from './service.ts';
export { DnsUnreachableError, sendUpdate } from './dns-client.ts';
export type { DdnsQueueStorage, StoredEntry } from './queue-storage.ts';
export { SqliteQueueStorage, sidecarFile } from './sqlite-queue.ts';
export { PostgresQueueStorage } from './postgres-queue.ts';
export { openQueueStorage } from './open-queue.ts';
