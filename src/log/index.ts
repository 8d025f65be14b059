/** Log helpers every layer shares. */
export { RateLimitedLog } from './rate-limited-log.ts';
