export { VirtualNetwork, VirtualLink, VirtualHost, VirtualNic } from './network.ts';
export type { Impairments, NetworkOptions, NetworkStats, NicOptions } from './network.ts';
export { VirtualTransport } from './transport.ts';
export type { VirtualTransportOptions } from './transport.ts';
export { VirtualClock } from './scheduler.ts';
export type { Scheduler } from '../scheduler.ts';
