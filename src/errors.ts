/**
 * The root of every error leasekeeper throws. `code` is stable (`ERR_<AREA>_<WHAT>`, listed in
 * docs/errors.md) and meant for programs; the message is for humans and may change.
 *
 * A module adds its errors by subclassing this one (one import); the subclass names the area, the
 * code names the failure.
 */
export type ErrorCode = `ERR_${string}`;

export class LeasekeeperError extends Error {
  override name = 'LeasekeeperError';
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}
