import assert from 'node:assert/strict';
import { pino, type Logger } from 'pino';
import { STORE_FAILURE_LOG_INTERVAL_MS } from '../../src/runtime/store-health.ts';

export interface LogRecord {
  readonly level: number;
  readonly msg: string;
}

/** A pino logger whose records (parsed JSON) land in `records`. */
export function captureLogs(): { logger: Logger; records: LogRecord[] } {
  const records: LogRecord[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void records.push(JSON.parse(line)) });
  return { logger, records };
}

/**
 * The ERROR lines of one store outage that lasted `elapsedMs`: the first says it started, any other is an
 * interval line with a count, and there are no more of them than intervals elapsed (one per request before).
 */
export function assertOutageLogged(records: readonly LogRecord[], elapsedMs: number): void {
  const errors = records.filter((r) => r.level >= 50);
  const text = errors.map((r) => r.msg).join('\n');
  assert.ok(errors.length >= 1, 'the outage is logged');
  assert.match(errors[0]!.msg, /^lease store failing: /);
  for (const e of errors.slice(1))
    assert.match(e.msg, /^lease store failing since .*: \d+ more writes failed/);
  assert.ok(errors.length <= 1 + Math.ceil(elapsedMs / STORE_FAILURE_LOG_INTERVAL_MS), text);
}
