/** Log helpers every layer shares. */
export { RateLimitedLog } from './rate-limited-log.ts';
export { loggedFailure, type LoggedFailure } from './failure.ts';
