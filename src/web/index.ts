/** The dashboard: a page served by the management HTTP listener, live through the WebSocket API. */
export { mountDashboard, type DashboardOptions } from './mount.ts';
export { DashboardBuildError } from './errors.ts';
