/** The dashboard's script could not be built (esbuild missing or the sources broken). */
export class DashboardBuildError extends Error {
  override name = 'DashboardBuildError';
  readonly code = 'ERR_DASHBOARD_BUILD';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message);
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}
