import { LeasekeeperError } from '../errors.ts';

/** The dashboard's script could not be built (esbuild missing or the sources broken). */
export class DashboardBuildError extends LeasekeeperError {
  override name = 'DashboardBuildError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_DASHBOARD_BUILD', message, options);
  }
}
