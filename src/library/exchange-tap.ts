import { pino, type Level, type LogFn, type Logger } from 'pino';
import type { ExchangeEvent } from '../server/types.ts';

const LEVELS: readonly Level[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];

function isExchange(x: unknown): x is { exchange: Omit<ExchangeEvent, 'type' | 'text'> } {
  return typeof x === 'object' && x !== null && 'exchange' in x && typeof x.exchange === 'object';
}

/**
 * The logger handed to the server runtime: it sees the runtime's one-line-per-exchange records (what
 * tells an OFFER apart, which no lease store write shows) and forwards every record to the caller's
 * logger, if any. Its own output goes nowhere.
 */
export function exchangeTap(
  user: Logger | undefined,
  onExchange: (e: Omit<ExchangeEvent, 'type' | 'text'>) => void,
): Logger {
  const level = user !== undefined && user.levelVal < 30 ? user.level : 'info';
  return pino(
    {
      level,
      base: undefined,
      hooks: {
        logMethod(args, _method, num) {
          const first: unknown = args[0];
          if (num === 30 && isExchange(first)) onExchange(first.exchange);
          if (user === undefined) return;
          const label = LEVELS.find((l) => user.levels.values[l] === num);
          if (label === undefined || !user.isLevelEnabled(label)) return;
          (user[label] as LogFn).apply(user, args);
        },
      },
    },
    { write: () => undefined },
  );
}
