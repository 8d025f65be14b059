/** High availability: Kea's HA protocol (load-balancing, hot-standby, passive-backup) and active-active on PostgreSQL. */
export * from './active-active.ts';
export * from './communication.ts';
export * from './hash.ts';
export * from './lease-updates.ts';
export * from './partner-client.ts';
export * from './service.ts';
export * from './states.ts';
export * from './sync.ts';
export { HaError } from './errors.ts';
