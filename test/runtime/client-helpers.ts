/** Helpers for the client runtime tests: wait for runtime events with a bound on time. */
import type { ClientRuntime, TimedEvent } from '../../src/runtime/client/index.ts';

/** Collects every event of a runtime from now on. */
export function record(rt: ClientRuntime): TimedEvent[] {
  const seen: TimedEvent[] = [];
  rt.onEvent((e) => seen.push(e));
  return seen;
}

/** Resolves with the first event (from now on) matching `pred`; rejects after `timeoutMs` of real time. */
export function waitEvent(
  rt: ClientRuntime,
  pred: (e: TimedEvent) => boolean,
  timeoutMs: number,
  what = 'event',
): Promise<TimedEvent> {
  return new Promise((resolve, reject) => {
    const seen: string[] = [];
    const off = rt.onEvent((e) => {
      seen.push(e.type === 'state' ? `state:${e.to}` : e.type);
      if (pred(e)) {
        clearTimeout(timer);
        off();
        resolve(e);
      }
    });
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${what} within ${timeoutMs} ms; saw: ${seen.join(', ')}`));
    }, timeoutMs);
  });
}

export const isType =
  (type: TimedEvent['type']) =>
  (e: TimedEvent): boolean =>
    e.type === type;
